"""Every OKR page reads in as many SQL queries with 8 teams' OKRs as with 2.

Measured, not pinned to a magic number: each page is counted at two data sizes, so an N+1
query cannot creep in unnoticed (linkding's *_performance.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

# (who, page): My week is bob's, who owns more KRs as the data grows; the others alice's.
PAGES = [
    ("bob", ""),
    ("bob", "kr/churn/checkin/"),
    ("alice", "okrs/2027-Q1/"),
    ("alice", "okrs/2027-Q1/?status=stale&team=growth"),
    ("bob", "okrs/2027-Q1/"),
    ("vera", "okrs/2027-Q1/"),
    ("alice", "okrs/2026-Q4/"),  # closed: the carry-over form lists its objectives
    ("alice", "okrs/2027-Q1/alignment/"),
    ("alice", "objectives/grow/"),  # more aligned objectives
    ("alice", "objectives/retain/"),  # more KRs, check-ins, KPIs and initiatives
    ("bob", "objectives/retain/"),
    ("alice", "okrs/2027-Q1/close/"),
    ("alice", "okrs/2027-Q1/objectives/new/"),
    ("alice", "objectives/retain/edit/"),
    ("alice", "objectives/retain/key-results/new/"),
    ("alice", "kr/churn/edit/"),
    ("alice", "initiatives/new/"),
]


def populate(acme: Any, numbers: Iterable[int]) -> None:
    """Per number: a person in a new team under growth (with bob), a KPI with measurements, an
    initiative, an objective aligned to `grow` with three KRs (one bob's, one on the KPI) and
    check-ins with notes; a KR of `retain` that bob owns; an objective in the closed 2026-Q4."""
    from okapi.goals import services as goals
    from okapi.goals.models import Cycle, Objective
    from okapi.kpis import services as kpis
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.services import membership_set, team_create, user_create

    system = system_actor(acme.workspace)
    if not Cycle.objects.filter(key="2026-Q4").exists():
        goals.cycle_create(actor=system, key="2026-Q4", start=dt.date(2026, 10, 1),
                           end=dt.date(2026, 12, 31))  # fmt: skip
        goals.cycle_create(actor=system, key="2027-Q2", start=dt.date(2027, 4, 1),
                           end=dt.date(2027, 6, 30))  # fmt: skip
    old_cycle = Cycle.objects.get(key="2026-Q4")
    if old_cycle.closed_at is not None:  # a closed cycle takes no more objectives: reopen it
        goals.cycle_reopen(actor=system, cycle=old_cycle)
    retain = Objective.objects.get(key="retain")
    for n in numbers:
        person = user_create(email=f"p{n}@acme.test", name=f"Person {n}")
        membership_set(actor=None, workspace=acme.workspace, user=person, role="member")
        team_create(actor=system, key=f"team-{n}", name=f"Team {n}", parent="growth",
                    lead=person.email, members=["bob@acme.test", person.email])  # fmt: skip
        kpis.kpi_create(actor=system, key=f"kpi-{n}", name=f"KPI {n}", direction="up",
                        target=100, warning=90, cadence="weekly", owner=f"team-{n}")  # fmt: skip
        kpis.kpi_measure_bulk(actor=system, points=[
            kpis.Point(f"kpi-{n}", dt.date(2027, 2, day), 80 + day) for day in (1, 8, 15)
        ])  # fmt: skip
        goals.initiative_create(actor=system, key=f"project-{n}", title=f"Project {n}",
                                owner=f"team-{n}", url=f"https://tracker.test/{n}")  # fmt: skip
        objective = goals.objective_create(
            actor=system, key=f"objective-{n}", title=f"Improve area {n}", cycle="2027-Q1",
            owner=f"team-{n}", parent="grow",
        )  # fmt: skip
        owners = ["bob@acme.test", person.email, person.email]
        for k, owner in enumerate(owners):
            kr = goals.key_result_create(
                actor=system, objective=objective, key=f"kr-{n}-{k}", owner=owner,
                title=f"Grow metric {n}.{k} from 0 to 10", baseline=0, target=10, unit="%",
                initiatives=[f"project-{n}", "onboarding"], kpi=f"kpi-{n}" if k == 2 else None,
            )  # fmt: skip
            for day in (1, 8):
                goals.checkin_create(actor=system, kr=kr, value=day % 10, author=person,
                                     at=dt.date(2027, 2, day), moved=f"moved {n}.{k}",
                                     blocked=f"blocked {n}.{k}")  # fmt: skip
        kr = goals.key_result_create(
            actor=system, objective=retain, key=f"retain-{n}", owner="bob@acme.test",
            title=f"Reduce waste {n} from 10 to 5", baseline=10, target=5, unit="h",
            initiatives=[f"project-{n}"], kpi=f"kpi-{n}" if n % 2 else None,
        )  # fmt: skip
        goals.checkin_create(actor=system, kr=kr, value=8, author=acme.bob,
                             at=dt.date(2027, 2, 1), moved="halfway")  # fmt: skip
        closed = goals.objective_create(
            actor=system, key=f"old-{n}", title=f"Old area {n}", cycle="2026-Q4",
            owner=f"team-{n}", parent=None,
        )  # fmt: skip
        goals.key_result_create(actor=system, objective=closed, key=f"old-kr-{n}",
                                owner=person.email, title=f"Old metric {n} from 0 to 5",
                                baseline=0, target=5)  # fmt: skip
    goals.cycle_close(actor=system, cycle=Cycle.objects.get(key="2026-Q4"))


def measure(client: Any, people: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(queries, bytes of HTML) per page."""
    out = {}
    for who, path in PAGES:
        client.force_login(people[who])
        with CaptureQueriesContext(connection) as context:
            response = client.get(f"/w/acme/{path}")
        assert response.status_code == 200, (who, path, response.status_code)
        out[(who, path)] = (len(context.captured_queries), len(response.content))
    return out


def test_every_okr_page_reads_in_the_same_number_of_queries_at_any_size(
    client: Any, okrs: Any
) -> None:
    people = {"alice": okrs.alice, "bob": okrs.bob, "vera": okrs.vera}
    populate(okrs, range(2))
    small = measure(client, people)
    populate(okrs, range(2, 8))
    large = measure(client, people)
    grew = [page for page in PAGES if large[page][1] > small[page][1]]
    assert len(grew) >= len(PAGES) - 2, "the bigger data set should show on the pages"
    differ = {
        f"{who} /{path}": f"{small[(who, path)][0]} -> {large[(who, path)][0]}"
        for who, path in PAGES
        if small[(who, path)][0] != large[(who, path)][0]
    }
    assert differ == {}
    for (who, path), (count, _) in sorted(large.items(), key=lambda item: -item[1][0]):
        print(f"{count:3d} queries  {who:5s} /w/acme/{path}")


def test_an_htmx_check_in_answers_in_the_same_number_of_queries_at_any_size(
    client: Any, okrs: Any
) -> None:
    def check_in(value: str) -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.post("/w/acme/kr/churn/checkin/", {"value": value,
                                   "confidence": "on_track"}, HTTP_HX_REQUEST="true")  # fmt: skip
        assert response.status_code == 200
        return len(context.captured_queries)

    client.force_login(okrs.bob)
    populate(okrs, range(2))
    check_in("2.9")
    small = check_in("2.8")
    populate(okrs, range(2, 8))
    assert check_in("2.7") == small
