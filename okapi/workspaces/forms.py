"""Forms of the settings pages: they parse and check input; the services decide."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from functools import cache
from typing import Any

from django import forms

from okapi.accounts.models import User
from okapi.workspaces.models import ROLE_RANK, Role, ShareKind, Team

NONE = [("", "— none —")]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def role_choices(up_to: str) -> list[tuple[str, str]]:
    """The roles someone with role `up_to` may hand out, highest first."""
    top = ROLE_RANK[Role(up_to)]
    roles = sorted(Role, key=lambda r: ROLE_RANK[r], reverse=True)
    return [(r.value, r.label) for r in roles if ROLE_RANK[r] <= top]


def people_choices(people: Iterable[User]) -> list[tuple[str, str]]:
    return [(p.email, f"{p.name} ({p.email})" if p.name else p.email) for p in people]


class Form(forms.Form):
    """Labels without a trailing colon, as on the rest of Okapi's pages."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs, format="%Y-%m-%d")


class WorkspaceForm(Form):
    name = forms.CharField(max_length=200)
    timezone = forms.ChoiceField(
        label="Time zone", help_text="Dates, weeks and cycles follow this time zone."
    )

    stage = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Not set (judged from the number of people)"),
            ("seed", "Pre-seed / seed"),
            ("series-a", "Series A"),
            ("series-b+", "Series B or later"),
        ],
        help_text="The coach's advice on OKRs and KPIs follows the company's stage.",
    )
    headcount = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1_000_000,
        label="People in the company",
        help_text="Leave empty to count the workspace's members.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()


class TeamForm(Form):
    key = forms.SlugField(
        max_length=64, help_text="Short and permanent, used in links and OKR files: e.g. growth."
    )
    name = forms.CharField(max_length=200)
    parent = forms.ChoiceField(label="Parent team", required=False)
    lead = forms.ChoiceField(required=False)
    members = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(
        self,
        *args: Any,
        teams: Iterable[Team],
        people: Iterable[User],
        team: Team | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        people = list(people)
        if team is not None:
            del self.fields["key"]  # a team's key does not change
        self.fields["parent"].choices = NONE + [
            (t.key, t.name) for t in teams if team is None or t.pk != team.pk
        ]
        self.fields["lead"].choices = NONE + people_choices(people)
        self.fields["members"].choices = people_choices(people)


class InviteForm(Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(initial=Role.MEMBER)

    def __init__(self, *args: Any, up_to: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(up_to)


class RoleForm(Form):
    role = forms.ChoiceField()

    def __init__(self, *args: Any, up_to: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(up_to)


class CycleForm(Form):
    key = forms.CharField(
        max_length=64, help_text="e.g. 2027-Q1 or FY2027; used in links and OKR files."
    )
    name = forms.CharField(max_length=200, required=False, help_text="Defaults to the key.")
    start = forms.DateField(widget=DateInput())
    end = forms.DateField(widget=DateInput())

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["key"]
            self.fields["name"].required = True
            self.fields["name"].help_text = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end is before the start.")
        return data


class TokenForm(Form):
    name = forms.CharField(
        max_length=100, required=False, help_text="What it is for, e.g. “BI export”."
    )
    role = forms.ChoiceField(help_text="A token never does more than this role, or yours.")

    def __init__(self, *args: Any, up_to: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(up_to)
        self.fields["role"].initial = up_to


class AuditFilterForm(Form):
    entity_type = forms.ChoiceField(label="What", required=False)
    actor = forms.ChoiceField(label="Who", required=False)
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    SYSTEM = "system"

    def __init__(
        self, *args: Any, entity_types: Iterable[str], people: Iterable[User], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["entity_type"].choices = [("", "Everything")] + [
            (t, t.replace("_", " ")) for t in entity_types
        ]
        self.fields["actor"].choices = (
            [("", "Anyone")] + people_choices(people) + [(self.SYSTEM, "The system (CLI, import)")]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end is before the start.")
        return data


class ShareLinkForm(Form):
    kind = forms.ChoiceField(label="What to share", choices=ShareKind.choices)
    cycle = forms.ChoiceField(
        required=False,
        help_text="For the OKR tracker only. “Current cycle” follows the calendar.",
    )
    label = forms.CharField(
        max_length=100,
        required=False,
        help_text="Who it is for, e.g. “Investors” or “Office screen”.",
    )

    def __init__(self, *args: Any, cycles: Iterable[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].choices = [("", "Current cycle")] + [
            (c.key, c.name if c.name == c.key else f"{c.name} ({c.key})") for c in cycles
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == ShareKind.KPIS and data.get("cycle"):
            self.add_error("cycle", "A cycle goes with the OKR tracker, not the KPI dashboard.")
        return data
