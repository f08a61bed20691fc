"""The digest reads in as many SQL queries with 8 teams' OKRs as with 2: digest_data for the
workspace and for a team, the page, and the API (tests/web/test_okr_pages_queries.py's data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from okapi.rhythm.digest import digest_data
from okapi.workspaces.models import Team
from tests.conftest import _token
from tests.web.test_okr_pages_queries import populate

WEEK_END = dt.date(2027, 2, 8)  # populate() checks in on 1 and 8 Feb


def count(call: Callable[[], Any]) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context.captured_queries), result


def measure(client: Any, acme: Any, token: str) -> dict[str, tuple[int, int]]:
    """(queries, size of the answer) per reading of the digest."""
    growth = Team.objects.get(key="growth")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.force_login(acme.alice)
    readings: dict[str, Callable[[], Any]] = {
        "workspace": lambda: digest_data(workspace=acme.workspace, until=WEEK_END),
        "team": lambda: digest_data(workspace=acme.workspace, team=growth, until=WEEK_END),
        "page": lambda: client.get("/w/acme/rhythm/digest/", {"until": "2027-02-08"}),
        "team page": lambda: client.get(
            "/w/acme/rhythm/digest/", {"until": "2027-02-08", "team": "growth"}
        ),
        "api": lambda: client.get("/api/digest", {"until": "2027-02-08"}, **headers),
    }
    out = {}
    for name, call in readings.items():
        queries, result = count(call)
        if isinstance(result, dict):
            size = sum(len(result[k]) for k in ("moved", "blocked", "at_risk", "kpis"))
        else:
            assert result.status_code == 200, (name, result.status_code)
            size = len(result.content)
        out[name] = (queries, size)
    return out


def test_the_digest_reads_in_the_same_number_of_queries_at_any_size(client: Any, okrs: Any) -> None:
    token = _token(okrs.workspace, okrs.alice)
    populate(okrs, range(2))
    # the token's first use records its last use: warm it up before counting
    client.get("/api/digest", HTTP_AUTHORIZATION=f"Bearer {token}")
    small = measure(client, okrs, token)
    populate(okrs, range(2, 8))
    large = measure(client, okrs, token)
    assert all(large[name][1] > small[name][1] for name in small), (small, large)
    assert {name: q for name, (q, _) in large.items()} == {
        name: q for name, (q, _) in small.items()
    }
    assert large["workspace"][0] <= 6
