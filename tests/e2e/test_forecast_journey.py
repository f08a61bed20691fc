"""Forecasts in Chromium: the tracker says where each metric KR lands and flags the drifting
one; the objective page draws the projection with its likely range on the KR's chart.

The live server runs in another thread (frozen time does not apply there): the cycle is built
around the real today.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in


@pytest.fixture
def trends(acme: Any) -> Any:
    """A cycle 60 days old with 30 to go: ARR climbing well (noisy), churn drifting, a KR with a
    perfectly straight history, one with a single check-in, and a milestone."""
    from okapi.goals import services as goals
    from okapi.workspaces.access import system_actor

    system = system_actor(acme.workspace)
    today = goals.workspace_today(acme.workspace)
    start, end = today - dt.timedelta(days=60), today + dt.timedelta(days=30)
    goals.cycle_create(actor=system, key="run", start=start, end=end, name="This run")
    grow = goals.objective_create(actor=system, key="grow", title="Grow revenue efficiently",
                                  cycle="run", owner="alice@acme.test", level="company")  # fmt: skip
    retain = goals.objective_create(actor=system, key="retain", title="Make customers stay",
                                    cycle="run", owner="growth", parent="grow")  # fmt: skip
    arr = goals.key_result_create(actor=system, objective=grow, key="arr",
                                  owner="alice@acme.test", title="Grow ARR from $1M to $2M",
                                  baseline=1_000_000, target=2_000_000, unit="$")  # fmt: skip
    seats = goals.key_result_create(actor=system, objective=grow, key="seats",
                                    owner="alice@acme.test", title="Sell 90 new seats",
                                    baseline=0, target=90, unit="seats")  # fmt: skip
    churn = goals.key_result_create(actor=system, objective=retain, key="churn",
                                    owner="bob@acme.test",
                                    title="Reduce logo churn from 3% to 1.5%", baseline=3,
                                    target=1.5, unit="%")  # fmt: skip
    nps = goals.key_result_create(actor=system, objective=retain, key="nps", owner="bob@acme.test",
                                  title="Raise NPS from 20 to 40", baseline=20, target=40)  # fmt: skip
    goals.key_result_create(actor=system, objective=retain, key="survey", owner="bob@acme.test",
                            title="Launch the NPS survey", kind="milestone")  # fmt: skip
    history = {
        arr: [1_060_000, 1_150_000, 1_180_000, 1_290_000, 1_330_000, 1_420_000, 1_460_000],
        seats: [7, 14, 21, 28, 35, 42, 49],
        churn: [2.95, 3.0, 2.9, 2.95, 2.85, 2.9, 2.9],
    }
    for kr, values in history.items():
        for week, value in enumerate(values, start=1):
            goals.checkin_create(actor=system, kr=kr, value=value, author=kr.owner,
                                 at=start + dt.timedelta(days=7 * week), moved="Weekly update")  # fmt: skip
    goals.checkin_create(actor=system, kr=nps, value=24, author=acme.bob,
                         at=start + dt.timedelta(days=20))  # fmt: skip
    return acme


def test_it_shows_the_forecasts_on_the_tracker_and_the_objective_page(
    page: Any, live_server: Any, trends: Any
) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/okrs/run/")
    churn = page.locator(".kr-line", has_text="Reduce logo churn")
    expect(churn.locator(".kr-forecast")).to_contain_text("Drifting")
    expect(churn.locator(".forecast-score.red")).to_be_visible()
    arr = page.locator(".kr-line", has_text="Grow ARR")
    expect(arr.locator(".kr-forecast")).to_contain_text("chance of 0.7")
    expect(arr.locator(".kr-forecast")).not_to_contain_text("Drifting")
    seats = page.locator(".kr-line", has_text="Sell 90 new seats")
    expect(seats.locator(".kr-forecast")).to_contain_text("not enough spread")
    nps = page.locator(".kr-line", has_text="Raise NPS")
    expect(nps.locator(".kr-forecast")).to_have_text("No forecast yet (needs 2 check-ins)")
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "forecast-tracker")

    page.get_by_role("link", name="Grow revenue efficiently").first.click()
    expect(page.get_by_role("heading", name="Grow revenue efficiently", level=1)).to_be_visible()
    card = page.locator(".kr-card", has_text="Grow ARR")
    expect(card.locator(".forecast-help")).to_contain_text("From the trend of 7 check-ins")
    drawn = page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')].every(c => c.dataset.drawn)"
    )
    assert drawn
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "forecast-objective")
