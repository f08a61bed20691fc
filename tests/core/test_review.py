from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okapi.core.review import (
    ReviewKr,
    ReviewObjective,
    band_of,
    mostly_maxed,
    sandbagging_flags,
    score_distribution,
    team_distribution,
    type_summary,
)
from okapi.core.scoring import score_band


@pytest.mark.parametrize(
    ("score", "band"),
    [(None, "unscored"), (0.0, "red"), (0.39, "red"), (0.3999, "red"), (0.4, "yellow"),
     (0.6, "yellow"), (0.69, "yellow"), (0.7, "green"), (0.1 * 7, "green"), (1.0, "green")],
)  # fmt: skip
def test_it_bands_scores_as_scoring_does(score, band):
    assert band_of(score) == band


@given(st.floats(0, 1, allow_nan=False))
def test_it_agrees_with_score_band_on_the_decimal_that_was_shown(score):
    shown = Decimal(str(round(score, 4)))
    assert band_of(float(shown)) == score_band(shown)


def test_it_counts_scores_per_band():
    assert score_distribution([0.1, 0.5, 0.7, 1.0, None, 0.69]) == {
        "red": 1, "yellow": 2, "green": 2, "unscored": 1,
    }  # fmt: skip
    assert score_distribution([]) == {"red": 0, "yellow": 0, "green": 0, "unscored": 0}


def objective(key, team, type_="aspirational", score=None, carried_over=False):
    return ReviewObjective(key, f"Objective {key}", team, type_, score, carried_over)


def kr(key, team, score, objective_key="O1"):
    return ReviewKr(key, objective_key, f"KR {key}", "alice", team, score, 3)


def test_it_summarises_each_team_with_no_team_last():
    objectives = [objective("O1", "sales"), objective("O2", "growth"), objective("O3", None)]
    krs = [
        kr("K1", "sales", 1.0), kr("K2", "sales", 1.0), kr("K3", "sales", 0.5), kr("K4", "sales", None),
        kr("K5", "growth", 0.2),
        kr("K6", None, None),
    ]  # fmt: skip
    growth, sales, no_team = team_distribution(objectives, krs)
    assert sales == {
        "team": "sales", "name": "sales", "objectives": 1, "krs": 4,
        "mean_score": pytest.approx(2.5 / 3), "red": 0, "yellow": 1, "green": 2, "unscored": 1,
        "maxed_share": pytest.approx(2 / 3),
    }  # fmt: skip
    assert (growth["team"], growth["krs"], growth["red"], growth["maxed_share"]) == (
        "growth",
        1,
        1,
        0,
    )
    assert no_team == {
        "team": None, "name": "No team", "objectives": 1, "krs": 1, "mean_score": None,
        "red": 0, "yellow": 0, "green": 0, "unscored": 1, "maxed_share": None,
    }  # fmt: skip


def test_it_lists_a_team_with_objectives_but_no_key_results():
    [row] = team_distribution([objective("O1", "ops")], [])
    assert (row["objectives"], row["krs"], row["mean_score"]) == (1, 0, None)


def test_it_has_no_rows_for_an_empty_cycle():
    assert team_distribution([], []) == []


def test_it_compares_committed_with_aspirational_objectives():
    summary = type_summary([
        objective("O1", "sales", "committed", 1.0), objective("O2", "sales", "committed", 0.9),
        objective("O3", "growth", "aspirational", 0.7), objective("O4", "growth", "aspirational", 0.5),
        objective("O5", "growth", "aspirational", None), objective("O6", None, "", 0.8),
    ])  # fmt: skip
    assert summary["committed"] == {
        "count": 2, "scored": 2, "mean_score": pytest.approx(0.95), "met": 1, "success_threshold": 1.0,
    }  # fmt: skip
    assert summary["aspirational"] == {
        "count": 4, "scored": 3, "mean_score": pytest.approx(2.0 / 3), "met": 2, "success_threshold": 0.7,
    }  # fmt: skip


def test_it_summarises_no_objectives():
    assert type_summary([])["committed"] == {
        "count": 0, "scored": 0, "mean_score": None, "met": 0, "success_threshold": 1.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("scores", "maxed"),
    [
        ([1.0, 1.0, 0.5], True),
        ([1.0, 0.5], False),  # half is not most
        ([1.0, 1.0, 0.5, 0.6], False),
        ([1.0, 1.0, None, None, None], True),  # of the scored ones
        ([1.0], False),  # one scored KR says nothing
        ([], False),
    ],
)
def test_it_tells_a_mostly_maxed_cycle(scores, maxed):
    assert mostly_maxed(scores) == maxed


MAXED = [1.0, 1.0, 0.6]
NORMAL = [0.7, 0.5, 1.0]


@pytest.mark.parametrize(
    ("cycles", "flagged"),
    [
        ([("2026-Q4", MAXED), ("2027-Q1", MAXED)], ["2026-Q4", "2027-Q1"]),
        ([("2026-Q3", MAXED), ("2026-Q4", MAXED), ("2027-Q1", MAXED)], ["2026-Q3", "2026-Q4", "2027-Q1"]),
        ([("2026-Q3", MAXED), ("2026-Q4", NORMAL), ("2027-Q1", MAXED)], None),  # not in a row
        ([("2026-Q4", MAXED), ("2027-Q1", NORMAL)], None),  # not this cycle
        ([("2027-Q1", MAXED)], None),  # one cycle is not "cycle after cycle"
        ([("2026-Q3", MAXED), ("2026-Q4", NORMAL), ("2027-Q1", MAXED), ("2027-Q2", MAXED)], ["2027-Q1", "2027-Q2"]),
        ([], None),
    ],
)  # fmt: skip
def test_it_flags_sandbagging_cycle_after_cycle(cycles, flagged):
    message = sandbagging_flags(team="sales", scores_by_cycle=cycles)
    if flagged is None:
        assert message is None
        return
    assert message is not None and message.startswith("sales scored 1.0 on most key results")
    named = [cycle for cycle, _ in cycles if f"in {cycle}" in message]
    assert named == flagged


def test_it_says_how_many_key_results_maxed_out():
    message = sandbagging_flags(
        team="sales", scores_by_cycle=[("2026-Q4", [1.0, 1.0, None]), ("2027-Q1", MAXED)]
    )
    assert message is not None
    assert "(2 of 2 in 2026-Q4, 2 of 3 in 2027-Q1)" in message
