"""Forms of the OKR pages: they parse what a person typed; the rules stay in the services.

A form's choices (owners, cycles, KPIs, initiatives) are the workspace's own rows, read once
per form; an invalid choice is a field error, so a tampered POST answers 422 like a typo.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.text import slugify

from okapi.accounts.models import User
from okapi.goals.models import Cycle, Initiative, KeyResult, KrKind, Level, Objective
from okapi.kpis.models import Kpi
from okapi.workspaces.access import Actor
from okapi.workspaces.models import Team, Workspace

CONFIDENCE_CHOICES = [("on_track", "On track"), ("at_risk", "At risk"), ("off_track", "Off track")]
MILESTONE_CHOICES = [("1", "Done"), ("0", "Not done")]
LEVEL_CHOICES = [(Level.COMPANY, "Company"), (Level.TEAM, "Team"), (Level.INDIVIDUAL, "Individual")]
TYPE_CHOICES = [
    ("aspirational", "Aspirational: 0.7 is a good score"),
    ("committed", "Committed: we expect 1.0"),
]
KIND_CHOICES = [
    (KrKind.METRIC, "Metric: from a baseline to a target"),
    (KrKind.MILESTONE, "Milestone: done or not done"),
]
KEY_HELP = "A short id for links, the API and OKR files. Leave empty to make one from the title."


def derive_key(title: str, taken: Iterable[str], fallback: str) -> str:
    """A free key made from a title: `grow-revenue`, else `grow-revenue-2`, …"""
    base = slugify(title)[:48].strip("-") or fallback
    taken = set(taken)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _decimal(label: str, **attrs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", **attrs}),
    )


def _text(label: str, *, max_length: int = 300, required_attr: bool = False) -> forms.CharField:
    # The service decides what is required; the browser is only told, to save a round trip.
    attrs = {"required": True} if required_attr else {}
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs=attrs),
        strip=True,
    )


def _textarea(label: str, rows: int = 3, max_length: int = 10000) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def member_choices(workspace: Workspace) -> list[tuple[str, str]]:
    """The workspace's people by name; a name two people share gets their e-mail."""
    users = list(User.objects.filter(memberships__workspace=workspace).order_by("name", "email"))
    shared = Counter(u.display_name for u in users)
    return [
        (
            u.email,
            u.display_name if shared[u.display_name] == 1 else f"{u.display_name} ({u.email})",
        )
        for u in users
    ]


def owner_choices(actor: Actor) -> list[tuple[str, Any]]:
    """Teams and people an objective or initiative may belong to, as a grouped <select>.

    Members see only themselves and their teams (docs/permissions.md); admins everyone.
    """
    teams = Team.objects.filter(workspace=actor.workspace).order_by("name")
    people = member_choices(actor.workspace)
    if not actor.is_admin:
        teams = teams.filter(id__in=actor.team_ids)
        me = actor.user.email if actor.user else ""
        people = [p for p in people if p[0] == me]
    return [
        ("Teams", [(t.key, t.name) for t in teams]),
        ("People", people),
    ]


class CheckInForm(forms.Form):
    """One step of the weekly check-in: the value (or done / not done), confidence, notes."""

    value = _decimal("New value")
    confidence = forms.ChoiceField(
        label="Confidence",
        choices=CONFIDENCE_CHOICES,
        initial="on_track",
        widget=forms.RadioSelect,
    )
    moved = _textarea("What moved?", rows=2, max_length=5000)
    blocked = _textarea("What is blocked?", rows=2, max_length=5000)

    def __init__(self, *args: Any, kr: KeyResult | dict[str, Any], **kwargs: Any) -> None:
        key = kr["key"] if isinstance(kr, dict) else kr.key
        kind = kr["kind"] if isinstance(kr, dict) else kr.kind
        kwargs.setdefault("auto_id", f"id_{key}_%s")
        super().__init__(*args, **kwargs)
        if kind == KrKind.MILESTONE:
            self.fields["value"] = forms.TypedChoiceField(
                label="Done?",
                choices=MILESTONE_CHOICES,
                coerce=Decimal,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )


class ObjectiveForm(forms.Form):
    key = _text("Key", max_length=64)
    title = _text("Objective", required_attr=True)
    description = _textarea("Why it matters (optional)")
    level = forms.ChoiceField(label="Level", choices=LEVEL_CHOICES, initial=Level.TEAM)
    type = forms.ChoiceField(
        label="Type", choices=TYPE_CHOICES, initial="aspirational", widget=forms.RadioSelect
    )
    owner = forms.ChoiceField(label="Owner")
    parent = forms.ChoiceField(label="Aligned to", required=False)
    cycle = forms.ChoiceField(label="Cycle")

    def __init__(
        self, *args: Any, actor: Actor, objective: Objective | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor, self.objective = actor, objective
        workspace = actor.workspace
        self.fields["key"].help_text = KEY_HELP
        owners = owner_choices(actor)
        if objective is not None:
            del self.fields["key"]
            current = objective.owner_team.key if objective.owner_team else None
            current = current or (objective.owner_user.email if objective.owner_user else "")
            if current and not any(current == k for _, group in owners for k, _ in group):
                owners.append(("Current owner", [(current, current)]))
        self.fields["owner"].choices = [("", "Choose a team or a person")] + owners
        cycles = Cycle.objects.filter(workspace=workspace).order_by("-start")
        self.fields["cycle"].choices = [(c.key, c.name or c.key) for c in cycles]
        parents = (
            Objective.objects.filter(workspace=workspace, cycle__closed_at__isnull=True)
            .exclude(level=Level.INDIVIDUAL)
            .select_related("cycle")
            .order_by("-cycle__start", "position", "id")
        )
        if objective is not None:
            parents = parents.exclude(pk=objective.pk)
        by_cycle: dict[str, list[tuple[str, str]]] = {}
        for p in parents:
            by_cycle.setdefault(p.cycle.name or p.cycle.key, []).append((p.key, p.title))
        self.fields["parent"].choices = [("", "Nothing: a top-level objective")] + list(
            by_cycle.items()
        )
        self.fields["parent"].help_text = "The company (or team) objective this one contributes to."

    def key_or_derived(self) -> str:
        key: str = self.cleaned_data.get("key") or ""
        if key:
            return key
        taken = Objective.objects.filter(workspace=self.actor.workspace).values_list(
            "key", flat=True
        )
        return derive_key(self.cleaned_data.get("title", ""), taken, "objective")


class KeyResultForm(forms.Form):
    key = _text("Key", max_length=64)
    title = _text("Key result", required_attr=True)
    kind = forms.ChoiceField(
        label="Kind", choices=KIND_CHOICES, initial=KrKind.METRIC, widget=forms.RadioSelect
    )
    baseline = _decimal("Baseline")
    target = _decimal("Target")
    unit = _text("Unit", max_length=32)
    owner = forms.ChoiceField(label="Owner")
    weight = _decimal("Weight", min="0")
    kpi = forms.ChoiceField(label="Targets the KPI", required=False)
    initiatives = forms.MultipleChoiceField(
        label="Initiatives that drive it",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, actor: Actor, kr: KeyResult | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = actor
        workspace = actor.workspace
        if kr is not None:
            del self.fields["key"]
        else:
            self.fields["key"].help_text = KEY_HELP
        self.fields["title"].help_text = (
            "An outcome with a number: “Increase trial-to-paid conversion from 12% to 18%”, "
            "not a task (“Hold weekly meetings”) nor a KPI to maintain."
        )
        self.fields["unit"].help_text = "e.g. %, $, customers, ms"
        self.fields["weight"].help_text = "How much it counts in the objective's score (1 = equal)."
        self.fields["baseline"].help_text = "Where it stands at the start of the cycle."
        self.fields["owner"].choices = [("", "Choose a person")] + member_choices(workspace)
        self.fields["owner"].help_text = "Every key result has one named owner."
        kpis = Kpi.objects.filter(workspace=workspace).order_by("name")
        self.fields["kpi"].choices = [("", "No KPI")] + [(k.key, k.name) for k in kpis]
        self.fields[
            "kpi"
        ].help_text = "Its current value then follows the KPI's latest measurement."
        initiatives = Initiative.objects.filter(workspace=workspace).order_by("title")
        self.fields["initiatives"].choices = [(i.key, i.title) for i in initiatives]

    def key_or_derived(self) -> str:
        key: str = self.cleaned_data.get("key") or ""
        if key:
            return key
        taken = KeyResult.objects.filter(workspace=self.actor.workspace).values_list(
            "key", flat=True
        )
        return derive_key(self.cleaned_data.get("title", ""), taken, "key-result")


class InitiativeForm(forms.Form):
    key = _text("Key", max_length=64)
    title = _text("Initiative", required_attr=True)
    owner = forms.ChoiceField(label="Owner", required=False)
    url = forms.CharField(
        label="Link (issue, doc, roadmap item)",
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    def __init__(
        self, *args: Any, actor: Actor, initiative: Initiative | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        if initiative is not None:
            del self.fields["key"]
        else:
            self.fields["key"].help_text = KEY_HELP
        self.fields["owner"].choices = [("", "Nobody in particular")] + owner_choices(actor)

    def key_or_derived(self) -> str:
        key: str = self.cleaned_data.get("key") or ""
        if key:
            return key
        taken = Initiative.objects.filter(workspace=self.actor.workspace).values_list(
            "key", flat=True
        )
        return derive_key(self.cleaned_data.get("title", ""), taken, "initiative")


def score_field_name(kr_key: str) -> str:
    return f"score_{kr_key}"


class CycleCloseForm(forms.Form):
    """Final score per KR (pre-filled with its progress) and a review note."""

    note = _textarea("Review note: what we learned, what we carry into the next cycle", rows=4)

    def __init__(self, *args: Any, key_results: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_results = key_results
        for kr in key_results:
            field = _decimal(kr["title"], min="0", max="1")
            field.initial = Decimal(str(kr["progress"])).quantize(Decimal("0.01"))
            self.fields[score_field_name(kr["key"])] = field

    def score_fields(self) -> list[forms.BoundField]:
        return [self[score_field_name(kr["key"])] for kr in self.key_results]

    def final_scores(self) -> dict[str, Decimal]:
        scores = {}
        for kr in self.key_results:
            value = self.cleaned_data.get(score_field_name(kr["key"]))
            if value is not None:
                scores[kr["key"]] = value
        return scores


class CarryOverForm(forms.Form):
    """Copy unfinished objectives of a closed cycle into another one."""

    objectives = forms.MultipleChoiceField(
        label="Objectives to carry over", widget=forms.CheckboxSelectMultiple
    )
    cycle = forms.ChoiceField(label="Into the cycle")

    def __init__(
        self,
        *args: Any,
        objectives: list[tuple[str, str]],
        cycles: list[Cycle],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objectives"].choices = objectives
        self.fields["cycle"].choices = [(c.key, c.name or c.key) for c in cycles]
