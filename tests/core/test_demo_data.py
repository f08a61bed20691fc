"""The demo workspace (okapi.demo_data): valid, realistic in shape, deterministic, never ahead
of `today`, and carrying the situations the product must show (stuck, sandbagging, KPI health)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from okapi.core.cycles import quarter_key
from okapi.core.kpi import Health, Thresholds, kpi_health
from okapi.core.okrfile import (
    KEY_RE,
    KeyResult,
    Kpi,
    OkrDocument,
    dump_okr_yaml,
    load_okr_yaml,
)
from okapi.core.scoring import CheckinPoint, is_stuck, kr_progress
from okapi.demo_data import OWNER_EMAIL, demo_document

TODAYS = [
    dt.date(2026, 11, 23),
    dt.date(2027, 1, 1),  # the first day of a quarter
    dt.date(2027, 1, 2),
    dt.date(2027, 3, 31),  # the last day of a quarter
    dt.date(2027, 4, 1),  # a Thursday: no check-in yet in the new quarter
    dt.date(2028, 2, 29),
]


@pytest.fixture(scope="module", params=TODAYS, ids=str)
def case(request: pytest.FixtureRequest) -> tuple[dt.date, OkrDocument]:
    return request.param, demo_document(request.param)


def _cycles(doc: OkrDocument) -> tuple:
    closed = next(c for c in doc.cycles if c.closed)
    current = next(c for c in doc.cycles if not c.closed)
    return closed, current


def _krs(doc: OkrDocument, cycle_key: str) -> list[KeyResult]:
    return [kr for o, kr in doc.key_results() if o.cycle == cycle_key]


def _points(kr: KeyResult) -> list[CheckinPoint]:
    return [CheckinPoint(c.at, c.value) for c in kr.checkins]


def _health(kpi: Kpi, now: dt.datetime) -> Health:
    last = kpi.measurements[-1]
    at = last.at if isinstance(last.at, dt.datetime) else dt.datetime.combine(last.at, dt.time())
    thresholds = Thresholds(
        direction=kpi.direction,
        target=kpi.target,
        warning=kpi.warning,
        target_low=kpi.target_low,
        target_high=kpi.target_high,
        warning_low=kpi.warning_low,
        warning_high=kpi.warning_high,
    )
    return kpi_health(
        latest_value=last.value,
        latest_at=at,
        thresholds=thresholds,
        cadence=kpi.cadence,
        now=now,
    )


def test_it_round_trips_through_the_okr_file(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    text = dump_okr_yaml(doc)
    loaded = load_okr_yaml(text)  # runs every check: keys, references, thresholds
    assert loaded == doc
    assert dump_okr_yaml(loaded) == text
    assert "&id" not in text  # no shared objects written as YAML anchors and aliases


def test_it_has_a_startup_sized_workspace(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    assert doc.workspace_key == "demo"
    assert doc.workspace_name
    assert 28 <= len(doc.people) <= 32
    emails = {p.email for p in doc.people}
    assert OWNER_EMAIL in emails
    assert all(p.name for p in doc.people)
    assert {e.split("@")[1] for e in emails - {OWNER_EMAIL}} == {"northwind.test"}
    assert len(doc.teams) >= 4
    assert all(t.lead in emails for t in doc.teams)
    assert any(t.parent for t in doc.teams)


def test_it_has_the_previous_quarter_closed_and_the_current_one_open(
    case: tuple[dt.date, OkrDocument],
) -> None:
    today, doc = case
    assert len(doc.cycles) == 2
    closed, current = _cycles(doc)
    assert current.key == quarter_key(today)
    assert current.start <= today <= current.end
    assert closed.end == current.start - dt.timedelta(days=1)
    assert closed.start.day == 1 and closed.start.month in (1, 4, 7, 10)
    assert closed.review_note
    q = int(current.key[-1])
    assert current.name == f"Q{q} {current.start.year}"


def test_it_has_the_expected_counts(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    assert 10 <= len(doc.objectives) <= 14
    assert 30 <= len(list(doc.key_results())) <= 40
    assert 9 <= len(doc.kpis) <= 12
    assert sum(len(k.measurements) for k in doc.kpis) < 3000
    for cycle in doc.cycles:
        company = [o for o in doc.objectives if o.cycle == cycle.key and o.level == "company"]
        assert len(company) == 3
        for objective in company:
            assert objective.owner == OWNER_EMAIL or "@" not in (objective.owner or "")
            assert 2 <= len(objective.key_results) <= 5


def test_it_aligns_every_team_objective_within_its_cycle(
    case: tuple[dt.date, OkrDocument],
) -> None:
    _, doc = case
    by_key = {o.key: o for o in doc.objectives}
    for objective in doc.objectives:
        if objective.level == "company":
            assert objective.parent is None
            continue
        assert objective.parent in by_key
        assert by_key[objective.parent].cycle == objective.cycle
    assert any(o.level == "individual" for o in doc.objectives)


def test_it_writes_qualitative_objectives_and_owned_key_results(
    case: tuple[dt.date, OkrDocument],
) -> None:
    _, doc = case
    initiatives = {i.key for i in doc.initiatives}
    for objective in doc.objectives:
        assert not any(ch.isdigit() for ch in objective.title), objective.title
    for _, kr in doc.key_results():
        assert kr.owner
        assert all(i in initiatives for i in kr.initiatives)
        if kr.kind == "metric":
            assert kr.baseline is not None and kr.target is not None and kr.unit, kr.key
            assert all(c.by == kr.owner for c in kr.checkins)


def test_it_keeps_keys_valid_and_key_results_unique(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    keys = [kr.key for _, kr in doc.key_results()]
    assert len(keys) == len(set(keys))
    sections = [doc.teams, doc.cycles, doc.kpis, doc.initiatives, doc.objectives]
    for section in sections:
        section_keys = [item.key for item in section]
        assert len(section_keys) == len(set(section_keys))
        keys += section_keys
    assert all(KEY_RE.match(key) for key in keys)


def test_it_includes_the_flaws_the_coach_catches(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    krs = [kr for _, kr in doc.key_results()]
    assert any(kr.title.startswith("Maintain") and kr.kpi for kr in krs)
    milestones = [kr for kr in krs if kr.kind == "milestone"]
    assert [kr.title for kr in milestones] == ["Launch the new pricing page"]
    assert all(c.value in (0, 1) for kr in milestones for c in kr.checkins)
    assert milestones[0].checkins[-1].value == 1 and milestones[0].final_score == 1
    assert sum(1 for kr in krs if not kr.initiatives) == 1


def test_it_is_deterministic() -> None:
    today = dt.date(2026, 11, 23)
    assert dump_okr_yaml(demo_document(today)) == dump_okr_yaml(demo_document(today))
    assert demo_document(today, seed=3) == demo_document(today, seed=3)
    assert demo_document(today, seed=3) != demo_document(today, seed=4)


def test_it_never_checks_in_or_measures_after_today(case: tuple[dt.date, OkrDocument]) -> None:
    today, doc = case
    cycles = {c.key: c for c in doc.cycles}
    for objective, kr in doc.key_results():
        cycle = cycles[objective.cycle]
        days = [c.at for c in kr.checkins]
        assert days == sorted(days)
        assert all(cycle.start <= day <= min(today, cycle.end) for day in days)
    for kpi in doc.kpis:
        assert all(m.at <= today for m in kpi.measurements)


def test_it_checks_in_weekly(case: tuple[dt.date, OkrDocument]) -> None:
    today, doc = case
    closed, current = _cycles(doc)
    for kr in _krs(doc, closed.key):
        assert len(kr.checkins) >= 13
        assert kr.checkins[-1].at == closed.end
    elapsed_weeks = (today - current.start).days // 7
    for kr in _krs(doc, current.key):
        assert elapsed_weeks <= len(kr.checkins) <= elapsed_weeks + 1
    notes = [c for _, kr in doc.key_results() for c in kr.checkins]
    assert {c.confidence for c in notes} == {"on_track", "at_risk", "off_track"}
    assert len({c.moved for c in notes if c.moved}) > 50
    blocked = [c for c in notes if c.blocked]
    assert 0 < len(blocked) < len(notes) / 3


def test_it_scores_every_key_result_of_the_closed_cycle(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    closed, current = _cycles(doc)
    for kr in _krs(doc, closed.key):
        assert kr.final_score is not None and 0 <= kr.final_score <= 1
        last = kr.checkins[-1].value
        progress = kr_progress(kind=kr.kind, baseline=kr.baseline, target=kr.target, current=last)
        assert abs(progress.value - kr.final_score) <= Decimal("0.01")
    assert all(kr.final_score is None for kr in _krs(doc, current.key))
    scores = [kr.final_score for kr in _krs(doc, closed.key)]
    assert min(scores) < Decimal("0.4") and max(scores) == 1


def test_it_has_stuck_key_results(case: tuple[dt.date, OkrDocument]) -> None:
    today, doc = case
    closed, current = _cycles(doc)
    metric = [kr for kr in _krs(doc, closed.key) if kr.kind == "metric"]
    stuck = [kr for kr in metric if is_stuck(checkins=_points(kr), today=closed.end)]
    assert len(stuck) >= 2
    for kr in stuck:
        assert len({c.value for c in kr.checkins[-5:]}) == 1
    if (today - current.start).days >= 7 * 7:
        now_stuck = [
            kr for kr in _krs(doc, current.key) if is_stuck(checkins=_points(kr), today=today)
        ]
        assert len(now_stuck) >= 2


def test_it_has_a_sandbagging_team(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    closed, _ = _cycles(doc)
    teams = {t.key for t in doc.teams}
    per_team: dict[str, list[KeyResult]] = {}
    for objective in doc.objectives:
        if objective.cycle == closed.key and objective.owner in teams:
            per_team.setdefault(objective.owner, []).extend(objective.key_results)
    sandbagging = []
    for team, krs in per_team.items():
        perfect = [kr for kr in krs if kr.final_score == 1]
        if len(perfect) > len(krs) / 2:
            sandbagging.append(team)
            for kr in perfect:
                # Target reached in the first half of the quarter, not on the last day.
                hit = next(
                    c.at
                    for c in kr.checkins
                    if kr_progress(
                        kind=kr.kind, baseline=kr.baseline, target=kr.target, current=c.value
                    ).value
                    == 1
                )
                assert hit <= closed.start + dt.timedelta(days=45)
    assert sandbagging == ["sales"]


def test_it_follows_linked_kpis(case: tuple[dt.date, OkrDocument]) -> None:
    _, doc = case
    kpis = {k.key: k for k in doc.kpis}
    linked = [kr for _, kr in doc.key_results() if kr.kpi]
    assert len(linked) >= 5
    for kr in linked:
        measurements = kpis[kr.kpi].measurements
        for checkin in kr.checkins:
            latest = [m.value for m in measurements if m.at <= checkin.at][-1]
            assert checkin.value == latest


def test_it_has_eighteen_months_of_kpi_history(case: tuple[dt.date, OkrDocument]) -> None:
    today, doc = case
    expected = {"daily": 548, "weekly": 78, "monthly": 18}
    for kpi in doc.kpis:
        days = [m.at for m in kpi.measurements]
        assert days == sorted(days) and len(days) == len(set(days))
        assert days[0] <= today - dt.timedelta(days=500)
        assert len(days) >= expected[kpi.cadence] - 3
        assert all(isinstance(m.value, Decimal) for m in kpi.measurements)
        assert kpi.owner
    units = {k.key: k.unit for k in doc.kpis}
    assert units["mrr"] == "$"
    assert {k.direction for k in doc.kpis} == {"up", "down", "range"}
    assert {k.cadence for k in doc.kpis} == {"daily", "weekly", "monthly"}


def test_it_has_a_mix_of_kpi_health(case: tuple[dt.date, OkrDocument]) -> None:
    today, doc = case
    now = dt.datetime.combine(today, dt.time(12))
    health = {kpi.key: _health(kpi, now) for kpi in doc.kpis}
    counts = Counter(health.values())
    assert counts[Health.RED] >= 1
    assert counts[Health.AMBER] >= 1
    assert counts[Health.GREEN] >= 3
    assert counts[Health.STALE] == 1
    assert health["logo-churn"] == Health.RED
    assert health["nrr"] == Health.AMBER
    assert health["nps"] == Health.STALE


@pytest.mark.parametrize("seed", [1, 2, 3, 42, 1234])
def test_it_keeps_its_guarantees_for_any_seed(seed: int) -> None:
    today = dt.date(2027, 2, 26)
    doc = demo_document(today, seed=seed)
    assert load_okr_yaml(dump_okr_yaml(doc)) == doc
    closed, current = _cycles(doc)
    now = dt.datetime.combine(today, dt.time(12))
    health = Counter(_health(kpi, now) for kpi in doc.kpis)
    assert health[Health.RED] and health[Health.GREEN] and health[Health.STALE]
    stuck = [kr for kr in _krs(doc, closed.key) if is_stuck(checkins=_points(kr), today=closed.end)]
    assert len(stuck) >= 2
    sales = [
        kr
        for o in doc.objectives
        if o.cycle == closed.key and o.owner == "sales"
        for kr in o.key_results
    ]
    assert all(kr.final_score == 1 for kr in sales)
