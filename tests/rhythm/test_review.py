"""The end-of-cycle review: the numbers kept when a cycle closes, what was carried over, the CSV
and the API (okapi/rhythm/review.py, review_api.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okapi.goals import services as goals
from okapi.goals.models import Cycle, KeyResult, Objective
from okapi.rhythm.models import CycleReview
from okapi.rhythm.review import CSV_COLUMNS, csv_safe, review_create, review_data, review_for
from okapi.workspaces.access import Actor, system_actor


def close(acme: Any, key: str, **kwargs: Any) -> Cycle:
    """Close a cycle as alice through the service (which keeps the review)."""
    cycle = Cycle.objects.get(workspace=acme.workspace, key=key)
    alice = Actor(user=acme.alice, workspace=acme.workspace, role="owner")
    goals.cycle_close(actor=alice, cycle=cycle, **kwargs)
    return cycle


def checkin(acme: Any, key: str, value: Any, at: dt.date, moved: str = "", blocked: str = ""):
    kr = KeyResult.objects.get(workspace=acme.workspace, key=key)
    return goals.checkin_create(actor=system_actor(acme.workspace), kr=kr, value=value, at=at,
                                moved=moved, blocked=blocked, author=kr.owner)  # fmt: skip


@pytest.fixture
def closed(okrs: Any) -> Any:
    """2027-Q1 closed: arr 0.5 (alice's company objective), churn 1.0 and nps-page 0.6 (growth's
    `retain`), with check-ins and notes; `retain` committed."""
    system = system_actor(okrs.workspace)
    retain = Objective.objects.get(key="retain")
    goals.objective_update(actor=system, objective=retain, type="committed")
    checkin(okrs, "arr", 1_200_000, dt.date(2027, 1, 20), moved="Two new logos")
    checkin(okrs, "arr", 1_500_000, dt.date(2027, 2, 10), moved="Enterprise deal signed")
    checkin(okrs, "churn", 2, dt.date(2027, 2, 8), blocked='=HYPERLINK("http://evil")')
    close(okrs, "2027-Q1", note="A good quarter for retention.",
          final_scores={"churn": Decimal("1"), "nps-page": Decimal("0.6")})  # fmt: skip
    return okrs


def test_it_keeps_every_score_of_a_closed_cycle(closed: Any) -> None:
    data = review_for(Cycle.objects.get(key="2027-Q1")).data
    assert data["cycle"]["key"] == "2027-Q1"
    assert data["cycle"]["note"] == "A good quarter for retention."
    assert data["cycle"]["closed_at"].startswith("2027-02-15T12:00")
    assert data["cycle"]["closed_by"] == {"email": "alice@acme.test", "name": "Alice"}
    krs = {kr["key"]: kr for kr in data["key_results"]}
    assert krs["arr"]["final_score"] == 0.5
    assert krs["arr"]["final_value"] == 1_500_000
    assert krs["arr"]["baseline"] == 1_000_000 and krs["arr"]["target"] == 2_000_000
    assert krs["arr"]["checkins"] == 2
    assert krs["arr"]["last_checkin"]["moved"] == "Enterprise deal signed"
    assert krs["arr"]["team"] is None  # alice's own objective
    assert krs["churn"] | {"last_checkin": None} == krs["churn"] | {
        "final_score": 1.0, "band": "green", "team": "growth", "objective": "retain",
        "last_checkin": None,
    }  # fmt: skip
    assert krs["churn"]["last_checkin"]["blocked"] == '=HYPERLINK("http://evil")'
    assert krs["nps-page"]["band"] == "yellow" and krs["nps-page"]["checkins"] == 0
    objectives = {o["key"]: o for o in data["objectives"]}
    assert objectives["grow"]["score"] == 0.5 and objectives["grow"]["band"] == "yellow"
    assert objectives["retain"]["score"] == 0.8 and objectives["retain"]["success"] is False
    assert objectives["retain"]["type"] == "committed"
    assert data["summary"]["score"] == 0.65
    assert data["summary"]["key_result_bands"] == {"red": 0, "yellow": 2, "green": 1,
                                                   "unscored": 0}  # fmt: skip
    assert data["summary"]["objective_bands"] == {"red": 0, "yellow": 1, "green": 1,
                                                  "unscored": 0}  # fmt: skip


def test_it_compares_committed_with_aspirational(closed: Any) -> None:
    types = review_for(Cycle.objects.get(key="2027-Q1")).data["types"]
    assert types["committed"] == {"count": 1, "scored": 1, "mean_score": 0.8, "met": 0,
                                  "success_threshold": 1.0}  # fmt: skip
    assert types["aspirational"] == {"count": 1, "scored": 1, "mean_score": 0.5, "met": 0,
                                     "success_threshold": 0.7}  # fmt: skip


def test_it_distributes_the_scores_by_team(closed: Any) -> None:
    teams = review_for(Cycle.objects.get(key="2027-Q1")).data["teams"]
    assert [t["name"] for t in teams] == ["Growth", "No team"]
    growth, no_team = teams
    assert growth | {"mean_score": round(growth["mean_score"], 4)} == {
        "team": "growth", "name": "Growth", "objectives": 1, "krs": 2, "mean_score": 0.8,
        "red": 0, "yellow": 1, "green": 1, "unscored": 0, "maxed_share": 0.5,
    }  # fmt: skip
    assert no_team["team"] is None and no_team["krs"] == 1 and no_team["mean_score"] == 0.5


def test_it_is_a_snapshot_later_changes_do_not_rewrite(closed: Any) -> None:
    cycle = Cycle.objects.get(key="2027-Q1")
    KeyResult.objects.filter(key="arr").update(final_score=Decimal("0.9"))
    assert review_data(cycle)["summary"]["score"] == 0.65
    assert CycleReview.objects.filter(cycle=cycle).count() == 1


def test_it_builds_the_review_of_a_cycle_closed_before_reviews_existed(closed: Any) -> None:
    cycle = Cycle.objects.get(key="2027-Q1")
    CycleReview.objects.filter(cycle=cycle).delete()
    data = review_data(cycle)
    assert data["summary"]["key_results"] == 3
    assert CycleReview.objects.filter(cycle=cycle).count() == 1


def test_it_has_no_review_while_the_cycle_is_open(okrs: Any) -> None:
    from okapi.errors import NotFound

    cycle = Cycle.objects.get(key="2027-Q1")
    assert review_for(cycle) is None
    with pytest.raises(NotFound, match="appears when the cycle closes"):
        review_data(cycle)
    assert not CycleReview.objects.exists()


def _aspirational_cycle(acme: Any, key: str, start: dt.date, scores: list[str]) -> None:
    system = system_actor(acme.workspace)
    end = start + dt.timedelta(days=89)
    goals.cycle_create(actor=system, key=key, start=start, end=end)
    objective = goals.objective_create(actor=system, key=f"o-{key}", title="Win the market",
                                       cycle=key, owner="product")  # fmt: skip
    finals = {}
    for i, score in enumerate(scores):
        kr_key = f"kr-{key}-{i}"
        goals.key_result_create(actor=system, objective=objective, key=kr_key,
                                title=f"Reach {i} customers", owner="bob@acme.test",
                                baseline=0, target=10)  # fmt: skip
        finals[kr_key] = Decimal(score)
    close(acme, key, final_scores=finals)


def test_it_flags_a_team_that_scores_one_on_most_krs_cycle_after_cycle(acme: Any, frozen) -> None:
    _aspirational_cycle(acme, "2026-Q3", dt.date(2026, 7, 1), ["1", "1", "0.5"])
    first = review_for(Cycle.objects.get(key="2026-Q3")).data
    assert first["sandbagging"] == []  # one cycle says nothing yet
    _aspirational_cycle(acme, "2026-Q4", dt.date(2026, 10, 1), ["1", "1.0", "1"])
    flags = review_for(Cycle.objects.get(key="2026-Q4")).data["sandbagging"]
    assert [(f["team"], f["name"]) for f in flags] == [("product", "Product")]
    assert "2 of 3 in 2026-Q3, 3 of 3 in 2026-Q4" in flags[0]["message"]


def test_it_does_not_flag_committed_objectives_or_a_broken_run(acme: Any, frozen) -> None:
    _aspirational_cycle(acme, "2026-Q2", dt.date(2026, 4, 1), ["1", "1"])
    _aspirational_cycle(acme, "2026-Q3", dt.date(2026, 7, 1), ["0.5", "0.6"])
    _aspirational_cycle(acme, "2026-Q4", dt.date(2026, 10, 1), ["1", "1"])
    assert review_for(Cycle.objects.get(key="2026-Q4")).data["sandbagging"] == []
    system = system_actor(acme.workspace)
    goals.cycle_create(actor=system, key="2027-Q1", start=dt.date(2027, 1, 1),
                       end=dt.date(2027, 3, 31))  # fmt: skip
    committed = goals.objective_create(actor=system, key="keep-up", title="Keep the lights on",
                                       cycle="2027-Q1", owner="product", type="committed")  # fmt: skip
    for i in range(2):
        goals.key_result_create(actor=system, objective=committed, key=f"up-{i}",
                                title="Uptime 99.9%", owner="bob@acme.test", baseline=99,
                                target=99.9)  # fmt: skip
    close(acme, "2027-Q1", final_scores={"up-0": Decimal(1), "up-1": Decimal(1)})
    assert review_for(Cycle.objects.get(key="2027-Q1")).data["sandbagging"] == []


def test_it_shows_what_was_carried_over_after_closing(closed: Any) -> None:
    system = system_actor(closed.workspace)
    goals.cycle_create(actor=system, key="2027-Q2", start=dt.date(2027, 4, 1),
                       end=dt.date(2027, 6, 30))  # fmt: skip
    cycle = Cycle.objects.get(key="2027-Q1")
    before = review_data(cycle)
    assert before["summary"]["carried_over"] == 0
    goals.objectives_carry_over(actor=system, objectives=[Objective.objects.get(key="grow")],
                                cycle="2027-Q2")  # fmt: skip
    after = review_data(cycle)
    objectives = {o["key"]: o for o in after["objectives"]}
    assert objectives["grow"]["carried_over"] is True
    assert objectives["grow"]["carried_to"] == "2027-Q2"
    assert objectives["retain"]["carried_over"] is False
    assert after["summary"]["carried_over"] == 1
    rows = list(csv.DictReader(io.StringIO(_csv(closed, "2027-Q1"))))
    assert {r["kr_key"]: r["carried_over"] for r in rows} == {
        "arr": "yes", "churn": "no", "nps-page": "no"
    }  # fmt: skip
    # A copy deleted again is no longer carried over.
    goals.objective_delete(actor=system, objective=Objective.objects.get(key="grow-2027-Q2"))
    assert review_data(cycle)["summary"]["carried_over"] == 0


def _csv(acme: Any, cycle: str) -> str:
    from okapi.rhythm.review import review_csv

    return review_csv(review_data(Cycle.objects.get(workspace=acme.workspace, key=cycle)))


def test_it_exports_one_csv_row_per_key_result(closed: Any) -> None:
    text = _csv(closed, "2027-Q1")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert tuple(header) == CSV_COLUMNS
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert [r["kr_key"] for r in rows] == ["arr", "churn", "nps-page"]
    arr = rows[0]
    assert arr == arr | {
        "cycle": "2027-Q1", "objective_key": "grow", "objective_title": "Grow revenue efficiently",
        "objective_type": "aspirational", "team": "", "objective_score": "0.5",
        "kr_title": "Grow ARR from $1M to $2M", "owner": "alice@acme.test", "kind": "metric",
        "baseline": "1000000", "target": "2000000", "final_value": "1500000",
        "final_score": "0.5", "band": "yellow", "checkins": "2", "carried_over": "no",
        "last_note": "Moved: Enterprise deal signed",
    }  # fmt: skip
    assert rows[1]["team"] == "growth" and rows[1]["objective_score"] == "0.8"


def test_it_keeps_spreadsheet_formulas_out_of_the_csv(closed: Any) -> None:
    system = system_actor(closed.workspace)
    KeyResult.objects.filter(key="nps-page").update(title="@SUM(A1:A9)")
    goals.cycle_update(actor=system, cycle=Cycle.objects.get(key="2027-Q1"), name="+Q1")
    cycle = Cycle.objects.get(key="2027-Q1")
    review_create(cycle=cycle)
    rows = {r["kr_key"]: r for r in csv.DictReader(io.StringIO(_csv(closed, "2027-Q1")))}
    assert rows["churn"]["last_note"] == 'Blocked: =HYPERLINK("http://evil")'
    assert rows["nps-page"]["kr_title"] == "'@SUM(A1:A9)"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "@")), value


@pytest.mark.parametrize(
    ("text", "safe"),
    [("=1+2", "'=1+2"), ("+31 6", "'+31 6"), ("-2", "'-2"), ("@cmd", "'@cmd"),
     ("\tx", "'\tx"), ("plain = fine", "plain = fine"), ("", "")],
)  # fmt: skip
def test_it_prefixes_formula_cells(text: str, safe: str) -> None:
    assert csv_safe(text) == safe


def test_it_reads_in_as_many_queries_at_two_sizes(acme: Any, frozen: Any) -> None:
    system = system_actor(acme.workspace)
    for key, start in (
        ("2026-Q2", dt.date(2026, 4, 1)),
        ("2026-Q3", dt.date(2026, 7, 1)),
        ("2026-Q4", dt.date(2026, 10, 1)),
        ("2027-Q1", dt.date(2027, 1, 1)),
    ):
        goals.cycle_create(actor=system, key=key, start=start,
                           end=start + dt.timedelta(days=89))  # fmt: skip

    def grow(n: int, cycle: str) -> None:
        at = Cycle.objects.get(key=cycle).start + dt.timedelta(days=20)
        for i in range(n):
            objective = goals.objective_create(actor=system, key=f"o{cycle}-{i}",
                                               title="Win", cycle=cycle,
                                               owner="growth" if i % 2 else "product")  # fmt: skip
            for j in range(3):
                kr = goals.key_result_create(actor=system, objective=objective,
                                             key=f"k{cycle}-{i}-{j}", title="Reach 10",
                                             owner="bob@acme.test", baseline=0, target=10)  # fmt: skip
                goals.checkin_create(actor=system, kr=kr, value=j * 4, moved="up",
                                     author=acme.bob, at=at)  # fmt: skip

    def carry(cycle: str, n: int) -> None:
        objectives = list(Objective.objects.filter(cycle__key=cycle).order_by("id")[:n])
        goals.objectives_carry_over(actor=system, objectives=objectives, cycle="2027-Q1")

    def count(cycle_key: str) -> tuple[int, int]:
        cycle = Cycle.objects.get(key=cycle_key)
        CycleReview.objects.filter(cycle=cycle).delete()
        with CaptureQueriesContext(connection) as build:
            review_create(cycle=cycle)
        with CaptureQueriesContext(connection) as read:
            review_data(cycle)
        return len(build), len(read)

    grow(2, "2026-Q2")
    grow(2, "2026-Q3")
    close(acme, "2026-Q2")
    close(acme, "2026-Q3")
    carry("2026-Q3", 1)
    small = count("2026-Q3")
    # Four times the objectives and KRs, two earlier closed cycles, more carried copies.
    grow(8, "2026-Q4")
    close(acme, "2026-Q4")
    carry("2026-Q4", 5)
    large = count("2026-Q4")
    assert small == large
