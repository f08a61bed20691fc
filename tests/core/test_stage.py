"""Stage advice (PRODUCT §5): the framework a company of this size should use."""

from __future__ import annotations

import pytest

from okapi.core.stage import Stage, parse_stage, stage_advice, stage_findings, stage_for_headcount


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("pre-seed", Stage.SEED),
        ("Pre-Seed", Stage.SEED),
        ("preseed", Stage.SEED),
        ("pre seed", Stage.SEED),
        ("seed", Stage.SEED),
        ("Seed round", Stage.SEED),
        ("series-a", Stage.SERIES_A),
        ("Series A", Stage.SERIES_A),
        ("series_a", Stage.SERIES_A),
        ("A", Stage.SERIES_A),
        ("series-b+", Stage.SERIES_B_PLUS),
        ("Series B", Stage.SERIES_B_PLUS),
        ("b+", Stage.SERIES_B_PLUS),
        ("Series C", Stage.SERIES_B_PLUS),
        ("growth", Stage.SERIES_B_PLUS),
        ("  scale-up ", Stage.SERIES_B_PLUS),
    ],
)
def test_it_accepts_common_spellings(text: str, stage: Stage) -> None:
    assert parse_stage(text) is stage


@pytest.mark.parametrize("text", ["", "mega", "series z", "seedling"])
def test_it_refuses_an_unknown_stage(text: str) -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        parse_stage(text)


@pytest.mark.parametrize(
    ("headcount", "stage"),
    [(0, Stage.SEED), (9, Stage.SEED), (10, Stage.SERIES_A), (39, Stage.SERIES_A)]
    + [(40, Stage.SERIES_B_PLUS), (500, Stage.SERIES_B_PLUS)],
)
def test_it_maps_headcount_to_a_stage(headcount: int, stage: Stage) -> None:
    assert stage_for_headcount(headcount) is stage


@pytest.mark.parametrize(
    ("stage", "framework", "okrs", "kpis"),
    [
        ("seed", "kpis-only", False, (5, 8)),
        ("series-a", "kpis-and-light-okrs", True, (5, 15)),
        ("series-b+", "full-okrs", True, (5, 30)),
    ],
)
def test_it_recommends_a_framework(
    stage: str, framework: str, okrs: bool, kpis: tuple[int, int]
) -> None:
    advice = stage_advice(stage=stage)
    assert advice.framework == framework
    assert advice.okrs_recommended is okrs
    assert advice.kpi_range == kpis
    assert advice.summary


def test_it_prefers_the_stage_over_the_headcount() -> None:
    assert stage_advice(headcount=5, stage="series-b+").stage is Stage.SERIES_B_PLUS


def test_it_needs_a_headcount_or_a_stage() -> None:
    with pytest.raises(ValueError):
        stage_advice()
    with pytest.raises(ValueError):
        stage_advice(headcount=-1)


def rules(**kwargs: object) -> list[str]:
    return [f.rule for f in stage_findings(**kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # 12 objectives for 6 people
        (
            {"headcount": 6, "objectives_per_cycle": 12, "kpi_count": 6},
            {"stage-framework", "stage-objectives"},
        ),
        # 15 KPIs at seed
        ({"stage": "seed", "kpi_count": 15}, {"too-many-kpis"}),
        ({"stage": "seed", "kpi_count": 8}, set()),
        ({"stage": "seed", "kpi_count": 2}, {"stage-framework"}),
        # cascading before two closed cycles
        (
            {"stage": "series-a", "kpi_count": 6, "cascading": True, "closed_cycles": 1},
            {"early-cascading"},
        ),
        ({"stage": "series-a", "kpi_count": 6, "cascading": True, "closed_cycles": 2}, set()),
        ({"stage": "series-b+", "kpi_count": 6, "cascading": True}, set()),
        # series A: 3 company objectives
        (
            {
                "headcount": 25,
                "kpi_count": 6,
                "objectives_per_cycle": 9,
                "company_objectives_per_cycle": 3,
            },
            set(),
        ),
        (
            {
                "headcount": 25,
                "kpi_count": 6,
                "objectives_per_cycle": 9,
                "company_objectives_per_cycle": 4,
            },
            {"stage-objectives"},
        ),
        ({"headcount": 25, "kpi_count": 16}, {"too-many-kpis"}),
        # a healthy seed company: KPIs only
        ({"headcount": 4, "kpi_count": 6}, set()),
    ],
)
def test_it_flags_setups_that_contradict_the_stage(
    kwargs: dict[str, object], expected: set[str]
) -> None:
    assert set(rules(**kwargs)) == expected


def test_it_explains_twelve_objectives_for_six_people() -> None:
    (finding,) = [
        f
        for f in stage_findings(headcount=6, objectives_per_cycle=12, kpi_count=6)
        if f.rule == "stage-objectives"
    ]
    assert "12 objectives" in finding.message and "6 people" in finding.message
    assert finding.severity == "warning"
    assert finding.where == "workspace"


def test_it_names_the_workspace() -> None:
    findings = stage_findings(stage="seed", kpi_count=20, where="acme")
    assert {f.where for f in findings} == {"acme"}
