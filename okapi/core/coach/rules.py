"""The coach's rules over a whole OKR document (PRODUCT §4), each with a stable id.

Objectives in closed cycles are history: only `sandbagging` (and the stage advice, which
counts closed cycles) reads them. Every other rule looks at open cycles, so a CI job that lints
the OKR file never fails on a quarter that is already scored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from okapi.core import stage as stage_rules
from okapi.core.coach.classifier import (
    KPI_IN_DISGUISE_NOTE,
    KrKind,
    KrVerdict,
    classify_kr,
    value_numbers,
    verb_lemma,
    words_of,
)
from okapi.core.coach.findings import Finding, Severity
from okapi.core.coach.lexicon import MAINTAIN_VERBS, MONITOR_VERBS, word_set
from okapi.core.okrfile import Cycle, KeyResult, Objective, OkrDocument
from okapi.core.review import SANDBAG_MIN_SCORED, mostly_maxed
from okapi.core.scoring import (
    STALE_AFTER,
    STUCK_AFTER,
    CheckinPoint,
    is_stale,
    is_stuck,
    kr_progress,
    last_movement,
)

MAX_OBJECTIVES = 5  # per level per cycle (per owner for team and individual levels)
RECOMMENDED_OBJECTIVES = 3
MIN_KRS, MAX_KRS = 2, 5


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str


# Every rule the coach applies, in the order findings are reported. `missing-owner` is an
# error on a key result and a warning on an objective; the severity here is the higher one.
RULES = {
    rule.id: rule
    for rule in (
        Rule("stage-framework", Severity.INFO, "the setup does not fit the stage advice"),
        Rule("stage-objectives", Severity.WARNING, "more objectives than the stage advises"),
        Rule("too-many-kpis", Severity.WARNING, "more KPIs than the stage advises (8 at seed)"),
        Rule("early-cascading", Severity.WARNING, "cascading before two closed cycles"),
        Rule("too-many-objectives", Severity.WARNING, "more than 5 objectives per level"),
        Rule("sandbagging", Severity.WARNING, "scores 1.0 on most KRs cycle after cycle"),
        Rule("objective-without-direction", Severity.WARNING, "no direction, or a number"),
        Rule("unaligned-objective", Severity.WARNING, "team objective without company parent"),
        Rule("kr-count", Severity.WARNING, "fewer than 2 or more than 5 key results"),
        Rule("missing-owner", Severity.ERROR, "key result (error) or objective (warning)"),
        Rule("missing-baseline", Severity.ERROR, "metric key result without a baseline"),
        Rule("missing-target", Severity.ERROR, "metric key result without a target"),
        Rule("missing-unit", Severity.WARNING, "metric key result without a unit"),
        Rule("kpi-in-disguise", Severity.WARNING, "a key result that maintains a number"),
        Rule("task-as-kr", Severity.WARNING, "a key result that is an activity or output"),
        Rule("binary-kr", Severity.WARNING, "a done/not-done key result"),
        Rule("kr-without-initiative", Severity.WARNING, "no initiative drives the key result"),
        Rule("stale-kr", Severity.WARNING, "no check-in for 2 weeks"),
        Rule("stuck-kr", Severity.WARNING, "checked in, but no movement for 4 weeks"),
    )
}

# Verbs that give an objective a direction (PRODUCT §4.7: grow, improve, launch, fix, …).
DIRECTION_VERBS = word_set(
    """
    grow improve launch fix reduce become build make increase expand win delight create
    deliver accelerate strengthen scale establish enter transform simplify streamline modernize
    modernise turn earn prove lead own dominate nail double triple cut lower boost raise drive
    unlock enable reinvent redefine rebuild ship open secure achieve reach land find get go
    move help speed shorten lift attract halve slash eliminate end stop start begin kill
    conquer crack break reinvent revamp overhaul professionalize professionalise upgrade
    industrialize industrialise automate delight wow earn deepen widen tighten sharpen fix
    """
)


def coach_document(
    doc: OkrDocument,
    *,
    today: dt.date | None = None,
    headcount: int | None = None,
    stage: str | None = None,
) -> list[Finding]:
    """Every finding for a document, workspace-level first, then objective by objective.

    The stage advice runs when the stage is known: from `stage`, else from `headcount`, else
    from the number of people the file lists (when it lists any).
    """
    today = today or dt.date.today()
    workspace = doc.workspace_key or "workspace"
    cycles = {c.key: c for c in doc.cycles}
    open_objectives = [o for o in doc.objectives if not _closed(cycles.get(o.cycle))]
    advice_on = stage is not None or headcount is not None or bool(doc.people)
    cascading_premature = False
    findings: list[Finding] = []

    if advice_on:
        people = headcount if headcount is not None else (len(doc.people) if doc.people else None)
        advice = stage_rules.stage_advice(headcount=people, stage=stage)
        closed = sum(1 for c in doc.cycles if c.closed)
        cascading_premature = closed < advice.cascade_after_closed_cycles
        inferred = stage is None and headcount is None
        note = (
            f" (Stage inferred from the {_plural(len(doc.people), 'person')} this file lists; "
            "give the stage or the headcount if that is not your team size.)"
        )
        stage_found = stage_rules.stage_findings(
            headcount=people,
            stage=stage,
            objectives_per_cycle=_busiest_cycle(open_objectives),
            company_objectives_per_cycle=_busiest_cycle(
                o for o in open_objectives if o.level == "company"
            ),
            kpi_count=len(doc.kpis),
            closed_cycles=closed,
            cascading=any(_reaches_company(o, doc) for o in open_objectives if o.level == "team"),
            where=workspace,
        )
        findings += [
            replace(f, suggestion=f.suggestion + note) if inferred else f for f in stage_found
        ]
    elif len(doc.kpis) > 8:
        findings.append(
            Finding(
                "too-many-kpis",
                Severity.INFO,
                workspace,
                f"{len(doc.kpis)} KPIs: a seed-stage company does best with 5–8. Too many KPIs "
                "and nobody looks at any of them.",
                "If you are at seed stage, keep the critical few (activation, retention, "
                "revenue, NPS); pass --stage or list your people to get stage-specific advice.",
            )
        )

    findings += _too_many_objectives(open_objectives, workspace)
    findings += _sandbagging(doc, cycles)
    for objective in open_objectives:
        findings += _objective_findings(objective, doc, cycles, cascading_premature)
        cycle = cycles.get(objective.cycle)
        for kr in objective.key_results:
            findings += _kr_findings(kr, cycle, today)
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


# --------------------------------------------------------------------------- helpers


def _closed(cycle: Cycle | None) -> bool:
    return cycle is not None and cycle.closed


def _busiest_cycle(objectives: Iterable[Objective]) -> int:
    counts: dict[str, int] = defaultdict(int)
    for objective in objectives:
        counts[objective.cycle] += 1
    return max(counts.values(), default=0)


def _reaches_company(objective: Objective, doc: OkrDocument) -> bool:
    by_key = {o.key: o for o in doc.objectives}
    seen = {objective.key}
    parent = by_key.get(objective.parent) if objective.parent else None
    while parent is not None and parent.key not in seen:
        if parent.level == "company":
            return True
        seen.add(parent.key)
        parent = by_key.get(parent.parent) if parent.parent else None
    return False


def _plural(n: int, word: str) -> str:
    if word == "person":
        return f"{n} {'person' if n == 1 else 'people'}"
    return f"{n} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------- set rules


def _too_many_objectives(objectives: list[Objective], workspace: str) -> list[Finding]:
    groups: dict[tuple[str, str, str], list[Objective]] = defaultdict(list)
    for objective in objectives:
        owner = "" if objective.level == "company" else (objective.owner or "")
        groups[(objective.cycle, objective.level, owner)].append(objective)
    findings = []
    for (cycle, level, owner), group in groups.items():
        if len(group) <= MAX_OBJECTIVES:
            continue
        whose = f" owned by {owner}" if owner else ""
        findings.append(
            Finding(
                "too-many-objectives",
                Severity.WARNING,
                owner or workspace,
                f"{len(group)} {level} objectives in {cycle}{whose}: more than {MAX_OBJECTIVES} "
                f"splits the team's focus, and {RECOMMENDED_OBJECTIVES} is what a startup can "
                "really pursue. If everything is a priority, nothing is.",
                f"Force-rank them: which {RECOMMENDED_OBJECTIVES} would you keep if you could "
                "only pick 3? Move the rest to the backlog, or to the KPI dashboard if they are "
                "about keeping something healthy.",
            )
        )
    return findings


def _kr_score(kr: KeyResult) -> Decimal | None:
    if kr.final_score is not None:
        return kr.final_score
    values = [c for c in sorted(kr.checkins, key=lambda c: c.at) if c.value is not None]
    if not values:
        return None
    return kr_progress(
        kind=kr.kind, baseline=kr.baseline, target=kr.target, current=values[-1].value
    ).value


def _sandbagging(doc: OkrDocument, cycles: dict[str, Cycle]) -> list[Finding]:
    """An owner whose aspirational key results score 1.0 on most KRs, cycle after cycle."""
    scores: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for objective in doc.objectives:
        cycle = cycles.get(objective.cycle)
        if not _closed(cycle) or objective.type == "committed" or not objective.owner:
            continue
        for kr in objective.key_results:
            score = _kr_score(kr)
            if score is not None:
                scores[objective.owner][objective.cycle].append(score)
    findings = []
    order = {c.key: (c.start, c.key) for c in doc.cycles}
    for owner, by_cycle in scores.items():
        scored = {k: v for k, v in by_cycle.items() if len(v) >= SANDBAG_MIN_SCORED}
        maxed = {k: v for k, v in scored.items() if mostly_maxed([float(s) for s in v])}
        if len(maxed) < 2 or len(maxed) * 2 <= len(scored):
            continue
        detail = ", ".join(
            f"{sum(s >= 1 for s in v)} of {len(v)} in {k}"
            for k, v in sorted(maxed.items(), key=lambda kv: order[kv[0]])
        )
        findings.append(
            Finding(
                "sandbagging",
                Severity.WARNING,
                owner,
                f"{owner} scored 1.0 on most key results cycle after cycle ({detail}). On "
                "ambitious OKRs about 0.7 is success; hitting 1.0 every time means the "
                "targets are not stretching — the opposite of a KPI, where 100% is the floor.",
                "Next cycle, set targets there is maybe a 50–70% chance of hitting; if 1.0 really "
                "is expected, mark the objective `type: committed`.",
            )
        )
    return findings


# --------------------------------------------------------------------------- objectives


def _objective_findings(
    objective: Objective,
    doc: OkrDocument,
    cycles: dict[str, Cycle],
    cascading_premature: bool,
) -> list[Finding]:
    findings = []
    key = objective.key
    if not objective.owner:
        findings.append(
            Finding(
                "missing-owner",
                Severity.WARNING,
                key,
                "The objective has no owner: accountability drifts when nobody owns the goal.",
                "Set `owner:` to the team (or person) pursuing it.",
            )
        )
    findings += _direction(objective)
    if (
        objective.level == "team"
        and not cascading_premature
        and not _reaches_company(objective, doc)
    ):
        company = [
            o.key for o in doc.objectives if o.level == "company" and o.cycle == objective.cycle
        ]
        if company:
            hint = "Set `parent:` to the company objective it serves (" + ", ".join(company) + ")"
        else:
            hint = f"Write the company objectives for {objective.cycle} first, then set `parent:`"
        findings.append(
            Finding(
                "unaligned-objective",
                Severity.WARNING,
                key,
                "This team objective is not linked to any company objective. Team OKRs must "
                "align to company goals, not exist in silos: only 26% of employees say their "
                "goals are connected to company priorities.",
                hint + ", or ask whether the team should pursue it this cycle at all.",
            )
        )
    n = len(objective.key_results)
    if not MIN_KRS <= n <= MAX_KRS:
        if n == 0:
            message = "The objective has no key results: nothing says how you will know."
        elif n < MIN_KRS:
            message = "The objective has a single key result: one number rarely captures it."
        else:
            message = f"The objective has {n} key results: more than {MAX_KRS} dilutes focus."
        findings.append(
            Finding(
                "kr-count",
                Severity.WARNING,
                key,
                message + f" Aim for {MIN_KRS}–{MAX_KRS} measurable key results.",
                "Keep the 2–5 results that best show the objective is met; turn the others "
                "into initiatives or KPIs."
                if n > MAX_KRS
                else "Add measurable outcomes (from a baseline to a target) that would prove "
                "the objective is met.",
            )
        )
    return findings


def _direction(objective: Objective) -> list[Finding]:
    title = objective.title
    words = words_of(title)
    lemmas = [verb_lemma(w) or w for w in words]
    has_direction = any(lemma in DIRECTION_VERBS for lemma in lemmas)
    maintains = [w for w, lemma in zip(words, lemmas, strict=True) if lemma in MAINTAIN_VERBS]
    maintains += [w for w, lemma in zip(words, lemmas, strict=True) if lemma in MONITOR_VERBS]
    numbers = value_numbers(title)
    problems = []
    if not has_direction:
        if maintains:
            problems.append(
                f'keeps things as they are ("{maintains[0]}"), which is a KPI\'s job: '
                "objectives are for moving"
            )
        else:
            problems.append("has no direction (grow, improve, launch, fix, reduce, become…)")
    if numbers:
        problems.append(
            f'is written as a number ("{numbers[0]}"), but objectives are qualitative: numbers '
            "belong in the key results"
        )
    if not problems:
        return []
    return [
        Finding(
            "objective-without-direction",
            Severity.WARNING,
            objective.key,
            "The objective " + " and ".join(problems) + ".",
            'Say where you want to go in words, starting with a verb of change ("Make '
            'onboarding so good that customers stay"), and move any number into a key result.',
        )
    ]


# --------------------------------------------------------------------------- key results


def _kr_findings(kr: KeyResult, cycle: Cycle | None, today: dt.date) -> list[Finding]:
    findings = []
    key = kr.key
    if not kr.owner:
        findings.append(
            Finding(
                "missing-owner",
                Severity.ERROR,
                key,
                "The key result has no owner: every key result needs one named person, or "
                "accountability drifts.",
                "Set `owner:` to the e-mail of the person who checks it in every week.",
            )
        )
    verdict = classify_kr(kr.title)
    flagged = _writing_findings(kr, verdict)
    findings += flagged
    if kr.kind == "metric":
        findings += _missing_fields(kr)
    if not kr.initiatives and not flagged:
        findings.append(
            Finding(
                "kr-without-initiative",
                Severity.WARNING,
                key,
                "No initiative drives this key result. An OKR that doesn't change what the "
                "team ships is theater.",
                "Link at least one initiative (a project or roadmap item) in `initiatives:`; if "
                "there is none, either the key result or the roadmap is wrong.",
            )
        )
    if cycle is not None and not cycle.closed and cycle.start <= today <= cycle.end:
        findings += _stale_or_stuck(kr, cycle, today)
    return findings


def _writing_findings(kr: KeyResult, verdict: KrVerdict) -> list[Finding]:
    why = " ".join(verdict.reasons)
    if kr.kind == "milestone" or verdict.kind is KrKind.MILESTONE:
        reason = (
            "It is a milestone (done or not done)."
            if kr.kind == "milestone" and verdict.kind is not KrKind.MILESTONE
            else why
        )
        suggestion = (
            verdict.suggestion
            if verdict.kind is KrKind.MILESTONE
            else "Name the outcome it should move, from a baseline to a target, and track the "
            "deliverable itself as an initiative."
        )
        return [
            Finding(
                "binary-kr",
                Severity.WARNING,
                kr.key,
                f"Binary key result: did it improve anything? {reason}",
                suggestion,
            )
        ]
    if verdict.kind is KrKind.KPI:
        return [
            Finding(
                "kpi-in-disguise",
                Severity.WARNING,
                kr.key,
                f"KPI in disguise. {why}"
                + ("" if KPI_IN_DISGUISE_NOTE in why else f" {KPI_IN_DISGUISE_NOTE}"),
                verdict.suggestion,
            )
        ]
    if verdict.kind is KrKind.TASK:
        return [
            Finding(
                "task-as-kr",
                Severity.WARNING,
                kr.key,
                f"Task written as a key result. {why} Key results are outcomes, not a to-do list.",
                verdict.suggestion,
            )
        ]
    if kr.baseline is not None and kr.target is not None and kr.baseline == kr.target:
        return [
            Finding(
                "kpi-in-disguise",
                Severity.WARNING,
                kr.key,
                f"KPI in disguise: the baseline and the target are both {kr.baseline}, so "
                f"nothing is meant to change. {KPI_IN_DISGUISE_NOTE}",
                "Set a target that moves the number, or keep it on the KPI dashboard.",
            )
        ]
    return []


def _missing_fields(kr: KeyResult) -> list[Finding]:
    findings = []
    if kr.baseline is None:
        findings.append(
            Finding(
                "missing-baseline",
                Severity.ERROR,
                kr.key,
                "The metric key result has no baseline: without today's value its progress "
                "cannot be scored.",
                "Set `baseline:` to the value at the start of the cycle.",
            )
        )
    if kr.target is None:
        findings.append(
            Finding(
                "missing-target",
                Severity.ERROR,
                kr.key,
                "The metric key result has no target: nobody can tell when it is met.",
                "Set `target:` to the value that would make this cycle a success.",
            )
        )
    if not kr.unit:
        findings.append(
            Finding(
                "missing-unit",
                Severity.WARNING,
                kr.key,
                "The metric key result has no unit: is 120 a percentage, euros or customers?",
                'Set `unit:` ("%", "EUR", "customers", "days"…).',
            )
        )
    return findings


def _stale_or_stuck(kr: KeyResult, cycle: Cycle, today: dt.date) -> list[Finding]:
    dates = [c.at for c in kr.checkins if c.at <= today]
    last = max(dates, default=None)
    if is_stale(last_checkin=last, today=today, since=cycle.start):
        if last is None:
            message = (
                f"No check-in yet, {(today - cycle.start).days} days into {cycle.key}. "
                "Weekly check-ins give 2–3x better goal attainment than end-of-quarter reviews."
            )
        else:
            message = (
                f"No check-in for {(today - last).days} days (last on {last}). A key result "
                f"needs a check-in at least every {STALE_AFTER.days // 7} weeks; weekly "
                "check-ins give 2–3x better goal attainment."
            )
        return [
            Finding(
                "stale-kr",
                Severity.WARNING,
                kr.key,
                message,
                "Check in: the current value, your confidence, what moved and what is blocked.",
            )
        ]
    points = [CheckinPoint(c.at, c.value) for c in kr.checkins if c.value is not None]
    if kr.kind == "metric" and is_stuck(checkins=points, today=today):
        latest = max(points, key=lambda p: p.at)
        progress = kr_progress(
            kind=kr.kind, baseline=kr.baseline, target=kr.target, current=latest.value
        )
        if progress.value < 1:
            moved = last_movement(points)
            weeks = (today - moved).days // 7 if moved else STUCK_AFTER.days // 7
            return [
                Finding(
                    "stuck-kr",
                    Severity.WARNING,
                    kr.key,
                    f"Checked in, but the value has not moved for {weeks} weeks (since "
                    f"{moved}). A key result that is not moving after 4 weeks needs a fix.",
                    "Either the initiative behind it is not staffed, or the key result is "
                    "wrong: change one of them.",
                )
            ]
    return []
