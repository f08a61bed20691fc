"""Forecasts on the tracker and the objective page: in words, in the band colour of the
projected score, with a drifting flag below 0.4, an honest note when the range collapsed, and
why there is none yet. Today is Monday 2027-02-15, in 2027-Q1 (tests/conftest.py `okrs`)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

from okapi.goals import services
from okapi.goals.models import KeyResult
from okapi.workspaces.access import system_actor


def page(client: Any, user: Any, path: str) -> str:
    client.force_login(user)
    response = client.get(f"/w/acme/{path}")
    assert response.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def check_in(okrs: Any, key: str, history: list[tuple[dt.date, float]]) -> None:
    kr = KeyResult.objects.get(key=key)
    for at, value in history:
        services.checkin_create(actor=system_actor(okrs.workspace), kr=kr, value=value,
                                author=kr.owner, at=at)  # fmt: skip


def forecast_line(text: str, marker: str) -> str:
    """The forecast paragraph after `marker` (a KR's title)."""
    after = text[text.index(marker) :]
    match = re.search(r'<p class="kr-forecast[^"]*"[^>]*>(.*?)</p>', after)
    assert match, f"no forecast line after {marker!r}"
    return re.sub(r"<[^>]+>", "", match[1]).strip()


def drifting_churn(okrs: Any) -> None:
    check_in(okrs, "churn", [(dt.date(2027, 1, 15), 3.0), (dt.date(2027, 2, 1), 2.9),
                             (dt.date(2027, 2, 10), 2.95)])  # fmt: skip


def test_the_tracker_says_the_forecast_in_words_and_flags_drift(client: Any, okrs: Any) -> None:
    drifting_churn(okrs)
    text = page(client, okrs.bob, "okrs/2027-Q1/")
    line = forecast_line(text, "Reduce logo churn from 3% to 1.5%")
    forecast = services.KeyResult.objects.get(key="churn")
    assert forecast.forecast_low < forecast.forecast_high
    assert re.fullmatch(
        r"Forecast 0\.\d\d \(0\.\d\d–0\.\d\d\) · \d+% chance of 0\.7 Drifting", line
    ), line
    assert 'class="forecast-score red"' in text
    assert 'class="chip flag-drifting"' in text
    # The hover text says where it comes from, in the KR's unit.
    assert re.search(
        r'title="From the trend of 3 check-ins: about \d\.\d+%, 80% likely between', text
    )
    # No forecast before two check-ins; milestones never have one.
    assert forecast_line(text, "Grow ARR from $1M to $2M") == "No forecast yet (needs 2 check-ins)"
    assert (
        forecast_line(text, "Launch the NPS survey") == "No forecast (a milestone is done or not)"
    )


def test_the_objective_page_explains_a_collapsed_range_and_a_committed_bar(
    client: Any, okrs: Any
) -> None:
    # A perfectly straight history: the interval collapses; that is not certainty.
    check_in(okrs, "arr", [(dt.date(2027, 1, 11), 1_100_000), (dt.date(2027, 1, 21), 1_200_000),
                           (dt.date(2027, 1, 31), 1_300_000)])  # fmt: skip
    text = page(client, okrs.alice, "objectives/grow/")
    line = forecast_line(text, "Grow ARR from $1M to $2M")
    assert line.startswith(
        "Forecast 0.89 (not enough spread to estimate a range or a chance) From the trend"
    ), line
    assert "chance of" not in line  # a straight line's 100% would read as a certainty
    assert "From the trend of 3 check-ins: about $1,890,000 at the cycle end." in line
    assert "Drifting" not in line
    assert 'class="forecast-score green"' in text

    check_in(okrs, "arr", [(dt.date(2027, 2, 8), 1_350_000), (dt.date(2027, 2, 14), 1_330_000)])
    objective = services.Objective.objects.get(key="grow")
    services.objective_update(actor=system_actor(okrs.workspace), objective=objective,
                              type="committed")  # fmt: skip
    line = forecast_line(page(client, okrs.alice, "objectives/grow/"), "Grow ARR from $1M to $2M")
    assert re.search(r"· \d+% chance of 1\.0 \(committed\)", line), line


def test_the_objective_chart_draws_the_projection_and_its_band(client: Any, okrs: Any) -> None:
    drifting_churn(okrs)
    client.force_login(okrs.bob)
    response = client.get("/w/acme/objectives/retain/")
    chart = json.loads(
        re.search(
            r'<script id="chart-churn" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        )[1]  # fmt: skip
    )
    by_label = {d["label"]: d for d in chart["data"]["datasets"]}
    kr = KeyResult.objects.get(key="churn")
    labels = chart["data"]["labels"]
    line, band = by_label["Forecast"]["data"], by_label["Likely range (80%)"]["data"]
    start = labels.index("10 Feb")  # the last check-in
    assert line[:start] == [None] * start
    assert line[start] == 2.95 and line[-1] == float(kr.forecast_value)
    assert band[start] == [2.95, 2.95]
    assert band[-1] == [float(kr.forecast_low), float(kr.forecast_high)]


def test_a_closed_cycle_shows_the_final_score_and_no_forecast(client: Any, okrs: Any) -> None:
    drifting_churn(okrs)
    services.cycle_close(actor=system_actor(okrs.workspace),
                         cycle=services.Cycle.objects.get(key="2027-Q1"))  # fmt: skip
    for path in ("okrs/2027-Q1/", "objectives/retain/"):
        text = page(client, okrs.bob, path)
        assert "kr-forecast" not in text
        assert "Drifting" not in text
