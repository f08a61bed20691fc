"""Forms of the KPI pages: they parse input; the rules live in okapi/kpis/services.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from okapi.kpis.models import Cadence, Direction, Kpi
from okapi.workspaces.access import Actor
from okapi.workspaces.models import Membership, Team
from okapi.workspaces.services import owner_ref

RANGE_FIELDS = ("target_low", "target_high", "warning_low", "warning_high")
LINE_FIELDS = ("target", "warning")


def _number(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _plain(number: Decimal | None) -> str | None:
    """3 rather than the stored 3.000000."""
    return None if number is None else format(number.normalize(), "f")


class MeasurementForm(forms.Form):
    value = forms.CharField(
        label="Value",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    at = forms.CharField(
        label="Date and time",
        required=False,
        help_text="In the workspace's time zone. A second value at the same time replaces it.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class KpiForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    key = forms.CharField(
        label="Key",
        max_length=64,
        help_text="Short and unique, used in links and the API (letters, digits, - _ .). "
        "It cannot be changed later.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=10000,
        help_text="Where the number comes from and how it is computed.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    unit = forms.CharField(
        label="Unit",
        required=False,
        max_length=32,
        help_text="For example $, %, months, x. A currency symbol goes before the number.",
    )
    direction = forms.ChoiceField(
        label="Direction",
        choices=[
            (Direction.UP, "Higher is better"),
            (Direction.DOWN, "Lower is better"),
            (Direction.RANGE, "Within a range"),
        ],
    )
    target = _number("Target", "Higher is better: green at or above it. Lower: at or below it.")
    warning = _number(
        "Warning edge",
        "Between the target and this edge the KPI is amber; beyond it red. Empty: any miss is red.",
    )
    target_low = _number("Lowest healthy value", "Green from here…")
    target_high = _number("Highest healthy value", "…up to here.")
    warning_low = _number("Warning edge below", "Amber down to here, red under it (optional).")
    warning_high = _number("Warning edge above", "Amber up to here, red over it (optional).")
    cadence = forms.ChoiceField(
        label="Cadence",
        choices=[(c.value, c.label) for c in Cadence],
        initial=Cadence.MONTHLY,
        help_text="How often it is measured: stale after two periods without a measurement.",
    )
    owner = forms.ChoiceField(label="Owner", required=False)

    def __init__(self, *args: Any, actor: Actor, kpi: Kpi | None = None, **kwargs: Any):
        if kpi is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(kpi, name) for name in ("name", "key", "description", "unit")},
                **{name: _plain(getattr(kpi, name)) for name in (*LINE_FIELDS, *RANGE_FIELDS)},
                "direction": kpi.direction,
                "cadence": kpi.cadence,
                "owner": owner_ref(kpi.owner_user, kpi.owner_team) or "",
            }
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        if kpi is not None:  # the key names the KPI for good
            del self.fields["key"]
        self.fields["owner"].choices = owner_choices(actor)
        if not actor.is_admin:
            self.fields["owner"].required = True
            self.fields["owner"].help_text = "You may choose yourself or one of your teams."

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"].strip()
        if key == "new":  # /w/<ws>/kpis/new/ is the page that creates a KPI
            raise forms.ValidationError("'new' is reserved: choose another key")
        return key

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as the services take it; thresholds of the other direction dropped."""
        data = dict(self.cleaned_data)
        unused = LINE_FIELDS if data["direction"] == Direction.RANGE else RANGE_FIELDS
        for name in unused:
            data[name] = None
        data["owner"] = data.get("owner") or None
        return data


def owner_choices(actor: Actor) -> list[Any]:
    """Teams and people; a member (not an admin) may only pick their own teams or themselves."""
    teams = Team.objects.filter(workspace=actor.workspace).order_by("name")
    people = (
        Membership.objects.filter(workspace=actor.workspace)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    if not actor.is_admin:
        teams = teams.filter(pk__in=actor.team_ids)
        people = people.filter(user=actor.user)
    choices: list[Any] = [] if not actor.is_admin else [("", "No owner")]
    choices.append(("Teams", [(t.key, t.name) for t in teams]))
    choices.append(
        (
            "People",
            [
                (m.user.email, f"{m.user.name} ({m.user.email})" if m.user.name else m.user.email)
                for m in people
            ],
        )
    )
    return choices
