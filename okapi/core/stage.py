"""Stage advice (PRODUCT §5): which framework fits a company of this size, and where a setup
contradicts it.

| stage           | people | recommendation                                                 |
|-----------------|--------|----------------------------------------------------------------|
| pre-seed / seed | 0–10   | KPIs only: 5–8 product-market-fit metrics                      |
| series A        | 10–40  | KPIs + light OKRs: 3 company objectives, no cascading until two |
|                 |        | full cycles have run                                           |
| series B+       | 40+    | full OKR system + KPI dashboards, kept separate                |

Plain numbers in, findings out, so the coach, the web app and the API share one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from okapi.core.coach.findings import Finding, Severity

SERIES_A_FROM = 10  # people: "use OKRs only once there's a team of 10+"
SERIES_B_FROM = 40
CASCADE_AFTER_CLOSED_CYCLES = 2


class Stage(StrEnum):
    SEED = "seed"
    SERIES_A = "series-a"
    SERIES_B_PLUS = "series-b+"


_STAGE_NAMES = {
    Stage.SEED: "pre-seed / seed",
    Stage.SERIES_A: "Series A",
    Stage.SERIES_B_PLUS: "Series B+",
}
_SPELLINGS = {
    Stage.SEED: {"seed", "preseed", "pre-seed", "angel", "bootstrapped", "idea", "pre-a"},
    Stage.SERIES_A: {"a", "series-a", "seriesa", "series-a+", "a-round"},
    Stage.SERIES_B_PLUS: {
        "b",
        "b+",
        "c",
        "d",
        "e",
        "series-b",
        "series-b+",
        "seriesb",
        "series-c",
        "series-c+",
        "series-d",
        "series-e",
        "growth",
        "late",
        "late-stage",
        "scale-up",
        "scaleup",
        "ipo",
        "public",
    },
}


def parse_stage(text: str) -> Stage:
    """A stage from common spellings: "Pre-seed", "seed", "Series A", "series_b", "B+", "growth"."""
    key = re.sub(r"[\s_]+", "-", text.strip().lower()).strip("-")
    key = key.replace("round", "").strip("-") or key
    for stage, spellings in _SPELLINGS.items():
        if key in spellings or key == stage.value:
            return stage
    raise ValueError(
        f"unknown stage '{text}': use pre-seed, seed, series-a or series-b+ "
        "(series-c, growth and later count as series-b+)"
    )


def stage_for_headcount(headcount: int) -> Stage:
    if headcount < SERIES_A_FROM:
        return Stage.SEED
    if headcount < SERIES_B_FROM:
        return Stage.SERIES_A
    return Stage.SERIES_B_PLUS


@dataclass(frozen=True)
class StageAdvice:
    stage: Stage
    framework: str  # "kpis-only" | "kpis-and-light-okrs" | "full-okrs"
    summary: str
    okrs_recommended: bool
    max_company_objectives: int  # per cycle
    kpi_range: tuple[int, int]  # how many KPIs to keep on the dashboard
    cascade_after_closed_cycles: int  # 0: cascade freely

    @property
    def name(self) -> str:
        return _STAGE_NAMES[self.stage]


_ADVICE = {
    Stage.SEED: StageAdvice(
        stage=Stage.SEED,
        framework="kpis-only",
        summary=(
            "KPIs only: track 5–8 product-market-fit metrics (activation, week-1 retention, "
            "NPS, revenue). At this size the team is one conversation; OKRs add coordination "
            "overhead without the cross-functional alignment that justifies them."
        ),
        okrs_recommended=False,
        max_company_objectives=3,
        kpi_range=(5, 8),
        cascade_after_closed_cycles=CASCADE_AFTER_CLOSED_CYCLES,
    ),
    Stage.SERIES_A: StageAdvice(
        stage=Stage.SERIES_A,
        framework="kpis-and-light-okrs",
        summary=(
            "KPIs plus light OKRs: 3 company objectives and one OKR cycle per function. Do not "
            "cascade team objectives from company ones until two full cycles have run."
        ),
        okrs_recommended=True,
        max_company_objectives=3,
        kpi_range=(5, 15),
        cascade_after_closed_cycles=CASCADE_AFTER_CLOSED_CYCLES,
    ),
    Stage.SERIES_B_PLUS: StageAdvice(
        stage=Stage.SERIES_B_PLUS,
        framework="full-okrs",
        summary=(
            "A full OKR system plus KPI dashboards, kept separate. The failure mode now is too "
            "many OKRs with no scoring discipline: score every cycle."
        ),
        okrs_recommended=True,
        max_company_objectives=5,
        kpi_range=(5, 30),
        cascade_after_closed_cycles=0,
    ),
}


def stage_advice(*, headcount: int | None = None, stage: str | Stage | None = None) -> StageAdvice:
    """The recommendation for a stage, or for a headcount when no stage is given."""
    if stage is not None:
        return _ADVICE[stage if isinstance(stage, Stage) else parse_stage(stage)]
    if headcount is None:
        raise ValueError("stage advice needs a headcount or a stage")
    if headcount < 0:
        raise ValueError("headcount cannot be negative")
    return _ADVICE[stage_for_headcount(headcount)]


def stage_findings(
    *,
    headcount: int | None = None,
    stage: str | Stage | None = None,
    objectives_per_cycle: int = 0,
    company_objectives_per_cycle: int | None = None,
    kpi_count: int = 0,
    closed_cycles: int = 0,
    cascading: bool = False,
    where: str = "workspace",
) -> list[Finding]:
    """Where a setup contradicts the stage advice.

    `objectives_per_cycle` is the largest number of objectives in one cycle (all levels);
    `company_objectives_per_cycle` the same for company-level objectives (defaults to it);
    `cascading` whether any team objective is aligned to a company objective.
    """
    advice = stage_advice(headcount=headcount, stage=stage)
    company = (
        objectives_per_cycle
        if company_objectives_per_cycle is None
        else (company_objectives_per_cycle)
    )
    people = (
        f"{headcount} {'person' if headcount == 1 else 'people'}"
        if headcount is not None
        else advice.name
    )
    findings: list[Finding] = []

    if not advice.okrs_recommended and objectives_per_cycle > 0:
        findings.append(
            Finding(
                "stage-framework",
                Severity.INFO,
                where,
                f"At {people} ({advice.name}) the advice is {advice.summary}",
                "Keep at most 3 company objectives (or none) and put the weekly attention on "
                "the KPI dashboard.",
            )
        )
    # Seed: every objective counts against the limit; Series A: company objectives do.
    # (Series B+ is left to the coach's general rule: at most 5 per level per cycle.)
    if advice.stage is Stage.SEED:
        count, what = objectives_per_cycle, "objectives"
    elif advice.stage is Stage.SERIES_A:
        count, what = company, "company objectives"
    else:
        count, what = 0, ""
    if count > advice.max_company_objectives:
        per_person = f" for {headcount} people" if headcount and advice.stage is Stage.SEED else ""
        findings.append(
            Finding(
                "stage-objectives",
                Severity.WARNING,
                where,
                f"{count} {what} in one cycle{per_person}: at {advice.name} the advice is "
                f"{advice.max_company_objectives} company objectives at most. Most teams write "
                "8–12 objectives and score none of them well.",
                f"Force-rank them and keep the top {advice.max_company_objectives}; the rest go "
                "to the backlog or become KPIs.",
            )
        )
    low, high = advice.kpi_range
    if kpi_count > high:
        findings.append(
            Finding(
                "too-many-kpis",
                Severity.WARNING,
                where,
                f"{kpi_count} KPIs: at {advice.name} keep about {low}–{high}. Too many KPIs "
                "and nobody looks at any of them.",
                "Keep the critical few that drive decisions (activation, retention, revenue, "
                "NPS…); archive the rest or move them to a function's own dashboard.",
            )
        )
    elif advice.stage is Stage.SEED and kpi_count < low:
        findings.append(
            Finding(
                "stage-framework",
                Severity.INFO,
                where,
                f"{kpi_count} KPI{'s' if kpi_count != 1 else ''}: at {advice.name} the "
                f"dashboard is the main tool — track {low}–{high} product-market-fit metrics.",
                "Add KPIs for activation rate, week-1 retention, NPS and revenue.",
            )
        )
    if (
        cascading
        and advice.cascade_after_closed_cycles
        and closed_cycles < advice.cascade_after_closed_cycles
    ):
        findings.append(
            Finding(
                "early-cascading",
                Severity.WARNING,
                where,
                f"Team objectives are cascaded from company objectives after {closed_cycles} "
                f"closed cycle{'s' if closed_cycles != 1 else ''}: at {advice.name} the advice "
                f"is to wait until {advice.cascade_after_closed_cycles} full cycles have run, "
                "so the company objectives have proven themselves first.",
                "Let each function set its own OKRs for now (without parent links) and "
                "cascade once two cycles have been scored.",
            )
        )
    return findings
