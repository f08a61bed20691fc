"""A closed cycle is read-only: its scores are final and its review is kept. Nothing is checked
in, edited, added or deleted there (API, web, service, import alike) until an admin reopens it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from okapi.core.okrfile import OkrFileError, dump_okr_yaml, load_okr_yaml
from okapi.goals import services as goals
from okapi.goals.models import CheckIn, Cycle, KeyResult, Objective
from okapi.rhythm.models import CycleReview
from okapi.transfer import okr_export, okr_import
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import AuditEvent
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

CLOSED = "is closed: its scores are final (an admin may reopen it to change something)"


@pytest.fixture
def closed(okrs: Any, alice_api: Any) -> Any:
    """2027-Q1 with a check-in on churn, then closed with churn's final score set to 0.5."""
    system = system_actor(okrs.workspace)
    goals.checkin_create(actor=system, kr=KeyResult.objects.get(key="churn"), value=2.5,
                         author=okrs.bob, at=dt.date(2027, 2, 1))  # fmt: skip
    answer = alice_api.post("/cycles/2027-Q1/close", {"final_scores": {"churn": 0.5}})
    assert answer.status_code == 200, answer.content
    return okrs


def counts() -> tuple[int, ...]:
    return (
        Objective.objects.count(),
        KeyResult.objects.count(),
        CheckIn.objects.count(),
        *KeyResult.objects.order_by("key").values_list("final_score", flat=True),
    )


def test_a_closed_cycle_takes_no_check_in_and_no_correction(closed: Any, bob_api: Any) -> None:
    before = counts()
    answer = bob_api.post("/key-results/churn/checkins", {"value": 2.0})
    assert answer.status_code == 422
    assert f"cycle '2027-Q1' {CLOSED}" in str(answer.json())
    checkin = CheckIn.objects.get()
    answer = bob_api.patch(f"/checkins/{checkin.pk}", {"value": 2.1})
    assert answer.status_code == 422
    assert counts() == before and CheckIn.objects.get().value == checkin.value


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/objectives", {"key": "late", "title": "Improve onboarding", "cycle": "2027-Q1",
                                 "owner": "growth"}),
        ("patch", "/objectives/retain", {"title": "Make customers stay longer"}),
        ("delete", "/objectives/retain", None),
        ("post", "/key-results", {"objective": "retain", "key": "late-kr", "owner": "bob@acme.test",
                                  "title": "Grow NPS from 30 to 40", "baseline": 30, "target": 40}),
        ("patch", "/key-results/churn", {"target": 1.0}),
        ("delete", "/key-results/churn", None),
    ],
)  # fmt: skip
def test_a_closed_cycle_takes_no_edit(
    closed: Any, alice_api: Any, method: str, path: str, body: Any
) -> None:
    before = counts()
    answer = getattr(alice_api, method)(path, *([body] if body is not None else []))
    assert answer.status_code == 422, answer.content
    assert CLOSED in str(answer.json())
    assert counts() == before
    assert Objective.objects.get(key="retain").title == "Make customers stay"


def test_nothing_moves_into_or_out_of_a_closed_cycle(closed: Any, alice_api: Any) -> None:
    goals.cycle_create(actor=system_actor(closed.workspace), key="2027-Q2",
                       start=dt.date(2027, 4, 1), end=dt.date(2027, 6, 30))  # fmt: skip
    answer = alice_api.patch("/objectives/retain", {"cycle": "2027-Q2"})
    assert answer.status_code == 422 and CLOSED in str(answer.json())
    assert Objective.objects.get(key="retain").cycle.key == "2027-Q1"


def test_an_import_that_repeats_a_closed_cycle_passes_and_one_that_changes_it_is_refused(
    closed: Any,
) -> None:
    text = dump_okr_yaml(okr_export(closed.workspace))
    okr_import(load_okr_yaml(text), workspace_key="acme")  # the same again: changes nothing
    assert dump_okr_yaml(okr_export(closed.workspace)) == text
    changed = text.replace("title: Make customers stay", "title: Make customers stay longer")
    with pytest.raises(OkrFileError) as refused:
        okr_import(load_okr_yaml(changed), workspace_key="acme")
    [problem] = refused.value.problems  # named by its place in the file
    assert problem.path == "objectives[1].cycle" and CLOSED in problem.message
    assert Objective.objects.get(key="retain").title == "Make customers stay"


def test_an_admin_reopens_a_cycle_and_closing_it_again_scores_it_anew(
    closed: Any, alice_api: Any, bob_api: Any
) -> None:
    from okapi import secrets
    from okapi.rhythm.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(workspace=closed.workspace, url="https://hooks.test/okapi",
                                   events=[], secret=secrets.encrypt("whsec_x"), prefix="whsec_x")  # fmt: skip
    cycle = Cycle.objects.get(key="2027-Q1")
    assert CycleReview.objects.filter(cycle=cycle).exists()
    assert bob_api.post("/cycles/2027-Q1/reopen", {}).status_code == 403  # admins only
    answer = alice_api.post("/cycles/2027-Q1/reopen", {})
    assert answer.status_code == 200 and answer.json()["closed"] is False
    assert not CycleReview.objects.filter(cycle=cycle).exists()
    assert set(KeyResult.objects.values_list("final_score", flat=True)) == {None}
    [sent] = WebhookDelivery.objects.all()
    assert (sent.event, sent.payload["data"]["cycle"]) == ("cycle.reopened", "2027-Q1")
    event = AuditEvent.objects.get(action="reopened")
    assert event.actor == closed.alice and event.entity_key == "2027-Q1"
    assert event.before["final_scores"]["churn"] == "0.5000"
    # Open again: the missed check-in goes in, and a second reopen is refused.
    assert bob_api.post("/key-results/churn/checkins", {"value": 2.0}).status_code == 201
    answer = alice_api.post("/cycles/2027-Q1/reopen", {})
    assert answer.status_code == 422 and "is not closed" in str(answer.json())
    assert alice_api.post("/cycles/2027-Q1/close", {}).status_code == 200
    assert CycleReview.objects.filter(cycle=cycle).exists()
    assert KeyResult.objects.get(key="churn").final_score is not None


def test_the_closed_tracker_says_so_and_offers_reopening_to_admins_only(closed: Any) -> None:
    page = signed_in(closed.bob).get("/w/acme/okrs/2027-Q1/").content.decode()
    assert "This cycle is closed: its scores are final" in page
    assert "Reopen this cycle" not in page
    assert signed_in(closed.bob).post("/w/acme/okrs/2027-Q1/reopen/").status_code == 403
    alice = signed_in(closed.alice)
    assert "Reopen this cycle" in alice.get("/w/acme/okrs/2027-Q1/").content.decode()
    assert alice.get("/w/acme/okrs/2027-Q1/reopen/").status_code == 405  # POST only
    response = alice.post("/w/acme/okrs/2027-Q1/reopen/", follow=True)
    assert "2027-Q1 is open again" in response.content.decode()
    assert Cycle.objects.get(key="2027-Q1").closed_at is None


def test_a_check_in_posted_to_a_closed_cycle_from_an_old_tab_shows_why(closed: Any) -> None:
    response = signed_in(closed.bob).post("/w/acme/kr/churn/checkin/", {"value": "2.0",
                                                                         "confidence": "on_track"})  # fmt: skip
    assert response.status_code == 422
    assert "is closed: its scores are final" in response.content.decode()
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize("path", ["objectives/retain/delete/", "kr/churn/delete/"])
def test_the_delete_pages_of_a_closed_cycle_say_why_not(closed: Any, path: str) -> None:
    alice = signed_in(closed.alice)
    before = counts()
    for response in (alice.get(f"/w/acme/{path}"), alice.post(f"/w/acme/{path}")):
        assert response.status_code == 422
        page = response.content.decode()
        assert "That could not be done" in page and "is closed: its scores are final" in page
    assert counts() == before


def test_a_refusal_no_view_expected_is_a_422_page_not_a_500(closed: Any) -> None:
    from okapi.kpis.models import Kpi

    # The coach's "turn this KR into a KPI" on a closed cycle's KR: the service refuses.
    kpis_before = Kpi.objects.count()
    response = signed_in(closed.alice).post(
        "/w/acme/kr/churn/to-kpi/", HTTP_REFERER="https://evil.test/"
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "is closed: its scores are final" in page
    assert 'href="/"' in page and "evil.test" not in page  # never back to another site
    assert counts()[1] == 3 and Kpi.objects.count() == kpis_before


def test_a_closed_cycles_dates_stay_but_its_name_and_note_may_change(
    closed: Any, alice_api: Any
) -> None:
    answer = alice_api.patch("/cycles/2027-Q1", {"end": "2027-06-30"})
    assert answer.status_code == 422 and CLOSED in str(answer.json())
    assert Cycle.objects.get(key="2027-Q1").end == dt.date(2027, 3, 31)
    answer = alice_api.patch("/cycles/2027-Q1", {"name": "Q1 2027"})
    assert answer.status_code == 200, answer.content
    assert Cycle.objects.get(key="2027-Q1").name == "Q1 2027"


@pytest.mark.parametrize("path", ["objectives/retain/edit/", "kr/churn/edit/"])
def test_the_edit_pages_of_a_closed_cycle_say_why_not(closed: Any, path: str) -> None:
    response = signed_in(closed.alice).get(f"/w/acme/{path}")
    assert response.status_code == 422
    assert "is closed: its scores are final" in response.content.decode()


def test_a_check_in_loaded_before_the_cycle_closed_is_refused(closed: Any) -> None:
    from okapi.errors import Invalid

    goals.cycle_reopen(actor=system_actor(closed.workspace), cycle=Cycle.objects.get(key="2027-Q1"))
    churn = KeyResult.objects.select_related("objective__cycle").get(key="churn")
    assert churn.objective.cycle.closed_at is None  # as a request loaded it
    goals.cycle_close(actor=system_actor(closed.workspace), cycle=Cycle.objects.get(key="2027-Q1"))
    with pytest.raises(Invalid, match="is closed"):
        goals.checkin_create(actor=system_actor(closed.workspace), kr=churn, value=2.0,
                             author=closed.bob)  # fmt: skip
    assert CheckIn.objects.count() == 1
