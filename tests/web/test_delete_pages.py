"""Deleting objectives, key results, initiatives and KPIs from the web app.

Each edit page offers a Delete action to the people who may edit the row; it leads to a
confirmation page (GET, which changes nothing) that counts what goes with the row, and a POST
that deletes through the service: the audit log records who. Viewers and members who do not own
the row get 403, outsiders and another workspace's rows 404, and nothing changes.

People (tests/conftest.py): alice owns Acme, bob is a member in the growth team, vera a viewer,
charlie an outsider who owns Globex. The `okrs` fixture freezes today at Monday 2027-02-15.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from okapi.errors import Invalid
from okapi.goals import services as goals
from okapi.goals.models import CheckIn, Initiative, KeyResult, Objective
from okapi.kpis import services as kpis
from okapi.kpis.models import Kpi, Measurement
from okapi.kpis.sources import source_set
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import AuditEvent
from tests.conftest import signed_in

DELETE_URLS = [
    "objectives/retain/delete/",
    "kr/churn/delete/",
    "initiatives/onboarding/delete/",
    "kpis/nrr/delete/",
]
EDIT_URLS = [
    ("objectives/retain/edit/", "objectives/retain/delete/", "Delete objective…"),
    ("kr/churn/edit/", "kr/churn/delete/", "Delete key result…"),
    ("initiatives/onboarding/edit/", "initiatives/onboarding/delete/", "Delete initiative…"),
    ("kpis/nrr/edit/", "kpis/nrr/delete/", "Delete KPI…"),
]


def url(path: str, workspace: str = "acme") -> str:
    return f"/w/{workspace}/{path}"


def text_of(response: Any) -> str:
    """The page's text without its tags, whitespace collapsed: sentences as a person reads them."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def flash(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def data(okrs: Any) -> Any:
    """The okrs fixture with history: 3 check-ins on churn, 1 on arr, 4 NRR measurements, a
    key result of `retain` that targets NRR, and alice's own KPI `burn`."""
    system = system_actor(okrs.workspace)
    churn, arr = KeyResult.objects.get(key="churn"), KeyResult.objects.get(key="arr")
    for day, value in [(11, 2.9), (18, 2.7), (25, 2.6)]:
        goals.checkin_create(actor=system, kr=churn, value=value, author=okrs.bob,
                             at=dt.date(2027, 1, day))  # fmt: skip
    goals.checkin_create(actor=system, kr=arr, value=1_200_000, author=okrs.alice,
                         at=dt.date(2027, 1, 20))  # fmt: skip
    kpis.kpi_measure_bulk(actor=system, points=[
        kpis.Point("nrr", f"2027-0{month}-01", 100 + month) for month in (1, 2)
    ] + [kpis.Point("nrr", "2026-11-01", 99), kpis.Point("nrr", "2026-12-01", 100)])  # fmt: skip
    goals.key_result_create(actor=system, objective=Objective.objects.get(key="retain"),
                            key="nrr-up", owner="bob@acme.test", title="Grow NRR from 100% to 115%",
                            baseline=100, target=115, unit="%", kpi="nrr")  # fmt: skip
    kpis.kpi_create(actor=system, key="burn", name="Monthly burn", unit="$", direction="down",
                    target=200_000, owner="alice@acme.test")  # fmt: skip
    return okrs


def deletions() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="deleted"))


def everything() -> tuple[int, ...]:
    return (
        Objective.objects.count(),
        KeyResult.objects.count(),
        CheckIn.objects.count(),
        Initiative.objects.count(),
        Kpi.objects.count(),
        Measurement.objects.count(),
        AuditEvent.objects.filter(action="deleted").count(),
    )


# --------------------------------------------------------------------------- the Delete action


@pytest.mark.parametrize(("edit", "delete", "label"), EDIT_URLS)
def test_it_offers_delete_on_each_edit_page(data: Any, edit: str, delete: str, label: str) -> None:
    response = signed_in(data.alice).get(url(edit))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{url(delete)}' in html
    assert label in html
    assert "danger-zone" in html


def test_it_offers_bob_delete_on_what_he_may_edit(data: Any) -> None:
    bob = signed_in(data.bob)
    for edit, delete, _ in EDIT_URLS:
        assert f'href="{url(delete)}' in bob.get(url(edit)).content.decode(), edit


@pytest.mark.parametrize(
    "path", ["okrs/2027-Q1/", "objectives/retain/", "kpis/", "kpis/nrr/", "", "alignment/"]
)
def test_it_shows_vera_no_delete_anywhere(data: Any, path: str) -> None:
    response = signed_in(data.vera).get(url(path), follow=True)
    assert response.status_code == 200
    assert "/delete/" not in response.content.decode()


@pytest.mark.parametrize(("edit", "delete", "label"), EDIT_URLS)
def test_it_keeps_vera_off_the_edit_pages(data: Any, edit: str, delete: str, label: str) -> None:
    assert signed_in(data.vera).get(url(edit)).status_code == 403


def test_it_offers_no_delete_while_creating(data: Any) -> None:
    alice = signed_in(data.alice)
    for path in ["okrs/2027-Q1/objectives/new/", "objectives/retain/key-results/new/",
                 "initiatives/new/", "kpis/new/"]:  # fmt: skip
        assert "/delete/" not in alice.get(url(path)).content.decode(), path


def test_the_initiative_delete_link_keeps_where_the_edit_page_came_from(data: Any) -> None:
    response = signed_in(data.bob).get(
        url("initiatives/onboarding/edit/"), {"next": "/w/acme/objectives/retain/"}
    )
    assert (
        'href="/w/acme/initiatives/onboarding/delete/?next=/w/acme/objectives/retain/"'
        in response.content.decode()
    )


# --------------------------------------------------------------------------- confirmation pages


def test_it_asks_before_deleting_an_objective_and_counts_what_goes(data: Any) -> None:
    response = signed_in(data.alice).get(url("objectives/retain/delete/"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Delete objective “Make customers stay”?" in page
    assert "Its 3 key results and 3 check-ins go with it. This cannot be undone." in page
    assert "Reduce logo churn from 3% to 1.5% · 3 check-ins" in page
    assert "Launch the NPS survey · 0 check-ins" in page
    assert "Grow NRR from 100% to 115% · 0 check-ins" in page
    html = response.content.decode()
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert '<button type="submit" class="button danger">Delete objective</button>' in html
    assert 'href="/w/acme/objectives/retain/edit/">Cancel</a>' in html


def test_it_says_which_aligned_objectives_lose_their_parent(data: Any) -> None:
    page = text_of(signed_in(data.alice).get(url("objectives/grow/delete/")))
    assert "Its 1 key result and 1 check-in go with it." in page
    assert "1 objective is aligned to it (“Make customers stay”): it stays" in page


def test_it_says_plainly_when_an_objective_has_nothing_under_it(data: Any) -> None:
    goals.objective_create(actor=system_actor(data.workspace), key="empty", title="Fix billing",
                           cycle="2027-Q1", owner="growth")  # fmt: skip
    page = text_of(signed_in(data.bob).get(url("objectives/empty/delete/")))
    assert "It has no key results yet: nothing else goes with it." in page


def test_it_asks_before_deleting_a_key_result_and_counts_what_goes(data: Any) -> None:
    response = signed_in(data.bob).get(url("kr/churn/delete/"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Delete key result “Reduce logo churn from 3% to 1.5%”?" in page
    assert "Its 3 check-ins go with it. This cannot be undone." in page
    assert "The objective “Make customers stay”, with 2 key results left." in page
    assert "The initiative “Rebuild onboarding”: only its link to this key result goes." in page
    html = response.content.decode()
    assert '<button type="submit" class="button danger">Delete key result</button>' in html
    assert 'href="/w/acme/kr/churn/edit/">Cancel</a>' in html


def test_it_names_the_kpi_a_key_result_targets_and_the_one_check_in(data: Any) -> None:
    page = text_of(signed_in(data.bob).get(url("kr/nrr-up/delete/")))
    assert "It has no check-ins: nothing else goes with it." in page
    assert "The KPI “Net revenue retention” it targets, with its measurements." in page
    page = text_of(signed_in(data.alice).get(url("kr/arr/delete/")))
    assert "Its 1 check-in goes with it." in page
    assert "with 0 key results left (aim for 2 to 5)" in page


def test_it_asks_before_deleting_an_initiative_and_says_the_key_results_stay(data: Any) -> None:
    response = signed_in(data.bob).get(
        url("initiatives/onboarding/delete/"), {"next": "/w/acme/objectives/retain/"}
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "Delete initiative “Rebuild onboarding”?" in page
    assert "Nothing else goes with it: the 1 key result it drives stays" in page
    assert "Reduce logo churn from 3% to 1.5% · Make customers stay no initiative left" in page
    html = response.content.decode()
    assert '<input type="hidden" name="next" value="/w/acme/objectives/retain/">' in html


def test_it_flags_only_the_key_results_left_without_any_initiative(data: Any) -> None:
    system = system_actor(data.workspace)
    goals.initiative_create(actor=system, key="calls", title="Call every churned account",
                            owner="growth")  # fmt: skip
    goals.key_result_update(actor=system, kr=KeyResult.objects.get(key="churn"),
                            initiatives=["onboarding", "calls"])  # fmt: skip
    goals.key_result_update(actor=system, kr=KeyResult.objects.get(key="nps-page"),
                            initiatives=["onboarding"])  # fmt: skip
    page = text_of(signed_in(data.bob).get(url("initiatives/onboarding/delete/")))
    assert "the 2 key results it drives stay and only lose the link to it" in page
    assert "Launch the NPS survey · Make customers stay no initiative left" in page
    assert "Reduce logo churn from 3% to 1.5% · Make customers stay Launch" in page  # no flag


def test_it_asks_before_deleting_a_kpi_and_counts_what_goes(data: Any) -> None:
    response = signed_in(data.bob).get(url("kpis/nrr/delete/"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Delete KPI “Net revenue retention”?" in page
    assert "Its 4 measurements go with it. This cannot be undone." in page
    assert (
        "The key result “Grow NRR from 100% to 115%” (Make customers stay) targets it: it stays "
        "and goes back to its own check-ins." in page
    )
    html = response.content.decode()
    assert '<button type="submit" class="button danger">Delete KPI</button>' in html
    assert 'href="/w/acme/kpis/nrr/edit/">Cancel</a>' in html


def test_it_names_the_source_settings_that_go_with_a_kpi(data: Any) -> None:
    source_set(actor=system_actor(data.workspace), kpi=Kpi.objects.get(key="nrr"), kind="push")
    page = text_of(signed_in(data.alice).get(url("kpis/nrr/delete/")))
    assert (
        "Its 4 measurements go with it, and so do its source settings (pushed through the API)."
        in page
    )


def test_a_kpi_that_a_formula_reads_cannot_be_deleted(data: Any, alice_api: Any) -> None:
    system = system_actor(data.workspace)
    kpis.kpi_create(actor=system, key="nrr-gap", name="NRR gap", target=0, owner="growth")
    source_set(actor=system, kpi=Kpi.objects.get(key="nrr-gap"), kind="formula",
               expression="nrr - 110")  # fmt: skip
    client = signed_in(data.alice)
    page = text_of(client.get(url("kpis/nrr/delete/")))
    assert "“Net revenue retention” cannot be deleted yet" in page
    assert "“NRR gap” is a formula KPI that reads it." in page
    assert "Delete KPI" not in page  # no button to press
    before = everything()
    response = client.post(url("kpis/nrr/delete/"))  # pressed anyway (an old tab)
    assert response.status_code == 422
    assert "is read by the formula of nrr-gap: change or delete that first" in text_of(response)
    assert everything() == before and deletions() == []
    # The same rule through the API and the service.
    answer = alice_api.delete("/kpis/nrr")
    assert answer.status_code == 422 and "nrr-gap" in str(answer.json())
    with pytest.raises(Invalid):
        kpis.kpi_delete(actor=system, kpi=Kpi.objects.get(key="nrr"))
    assert Kpi.objects.filter(key="nrr").exists()
    # Once the formula reads something else, it can go.
    source_set(actor=system, kpi=Kpi.objects.get(key="nrr-gap"), kind="formula",
               expression="burn / 1000")  # fmt: skip
    assert client.post(url("kpis/nrr/delete/")).status_code == 302
    assert not Kpi.objects.filter(key="nrr").exists()


# --------------------------------------------------------------------------- GET changes nothing


@pytest.mark.parametrize("path", DELETE_URLS)
def test_a_get_deletes_nothing(data: Any, path: str) -> None:
    before = everything()
    assert signed_in(data.alice).get(url(path)).status_code == 200
    assert everything() == before


@pytest.mark.parametrize("path", DELETE_URLS)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_refused(data: Any, path: str, method: str) -> None:
    before = everything()
    assert getattr(signed_in(data.alice), method)(url(path)).status_code == 405
    assert everything() == before


@pytest.mark.parametrize("path", DELETE_URLS)
def test_a_post_without_the_csrf_token_deletes_nothing(data: Any, path: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(data.alice)
    before = everything()
    assert client.post(url(path)).status_code == 403
    assert everything() == before


# --------------------------------------------------------------------------- deleting


def test_alice_deletes_an_objective_with_its_key_results_and_check_ins(data: Any) -> None:
    response = signed_in(data.alice).post(url("objectives/retain/delete/"), follow=True)
    assert response.redirect_chain == [(url("okrs/2027-Q1/"), 302)]
    assert flash(response) == [
        "Deleted objective “Make customers stay”, with its 3 key results and 3 check-ins."
    ]
    assert 'href="/w/acme/objectives/retain/"' not in response.content.decode()  # the tracker
    assert not Objective.objects.filter(key="retain").exists()
    assert not KeyResult.objects.filter(key__in=["churn", "nps-page", "nrr-up"]).exists()
    assert CheckIn.objects.count() == 1  # arr's
    assert Initiative.objects.filter(key="onboarding").exists()
    assert Kpi.objects.filter(key="nrr").exists()
    [event] = deletions()
    assert (event.entity_type, event.entity_key, event.actor) == ("objective", "retain", data.alice)
    assert event.before["title"] == "Make customers stay"
    assert sorted(event.before["key_results"]) == ["churn", "nps-page", "nrr-up"]


def test_bob_deletes_an_objective_his_team_owns(data: Any) -> None:
    response = signed_in(data.bob).post(url("objectives/retain/delete/"))
    assert response.status_code == 302
    assert not Objective.objects.filter(key="retain").exists()
    assert deletions()[0].actor == data.bob


def test_an_aligned_objective_stays_when_its_parent_goes(data: Any) -> None:
    signed_in(data.alice).post(url("objectives/grow/delete/"))
    assert Objective.objects.get(key="retain").parent is None


def test_bob_deletes_his_key_result_and_lands_on_its_objective(data: Any) -> None:
    response = signed_in(data.bob).post(url("kr/churn/delete/"), follow=True)
    assert response.redirect_chain == [(url("objectives/retain/"), 302)]
    assert flash(response) == [
        "Deleted key result “Reduce logo churn from 3% to 1.5%”, with its 3 check-ins."
    ]
    assert not KeyResult.objects.filter(key="churn").exists()
    assert not CheckIn.objects.filter(key_result__key="churn").exists()
    assert Initiative.objects.filter(key="onboarding").exists()
    [event] = deletions()
    assert (event.entity_type, event.entity_key, event.actor) == ("key_result", "churn", data.bob)
    assert event.before["title"] == "Reduce logo churn from 3% to 1.5%"


def test_a_key_result_without_check_ins_gets_a_short_message(data: Any) -> None:
    response = signed_in(data.bob).post(url("kr/nps-page/delete/"), follow=True)
    assert flash(response) == ["Deleted key result “Launch the NPS survey”."]


def test_bob_deletes_an_initiative_and_goes_back_where_it_was_linked_from(data: Any) -> None:
    response = signed_in(data.bob).post(
        url("initiatives/onboarding/delete/"), {"next": "/w/acme/objectives/retain/"}, follow=True
    )
    assert response.redirect_chain == [(url("objectives/retain/"), 302)]
    assert flash(response) == ["Deleted initiative “Rebuild onboarding”."]
    assert not Initiative.objects.filter(key="onboarding").exists()
    assert list(KeyResult.objects.get(key="churn").initiatives.all()) == []
    [event] = deletions()
    assert (event.entity_type, event.entity_key) == ("initiative", "onboarding")
    assert event.actor == data.bob


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x", ""])
def test_an_initiative_deletion_without_a_safe_next_goes_to_the_tracker(
    data: Any, unsafe: str
) -> None:
    response = signed_in(data.bob).post(url("initiatives/onboarding/delete/"), {"next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == url("okrs/")


def test_bob_deletes_a_kpi_and_lands_on_the_dashboard(data: Any) -> None:
    response = signed_in(data.bob).post(url("kpis/nrr/delete/"), follow=True)
    assert response.redirect_chain == [(url("kpis/"), 302)]
    assert flash(response) == ["Deleted KPI “Net revenue retention”, with its 4 measurements."]
    assert not Kpi.objects.filter(key="nrr").exists()
    assert Measurement.objects.count() == 0
    kr = KeyResult.objects.get(key="nrr-up")  # it stays, on its own check-ins
    assert kr.kpi is None
    [event] = deletions()
    assert (event.entity_type, event.entity_key, event.actor) == ("kpi", "nrr", data.bob)


# --------------------------------------------------------------------------- who may not


REFUSED = [
    # (who, workspace, path, status)
    ("vera", "acme", "objectives/retain/delete/", 403),
    ("vera", "acme", "kr/churn/delete/", 403),
    ("vera", "acme", "initiatives/onboarding/delete/", 403),
    ("vera", "acme", "kpis/nrr/delete/", 403),
    ("bob", "acme", "objectives/grow/delete/", 403),  # alice's objective
    ("bob", "acme", "kr/arr/delete/", 403),  # alice's KR in alice's objective
    ("bob", "acme", "kpis/burn/delete/", 403),  # alice's KPI
    ("charlie", "acme", "objectives/retain/delete/", 404),  # not in Acme
    ("charlie", "acme", "kr/churn/delete/", 404),
    ("charlie", "acme", "initiatives/onboarding/delete/", 404),
    ("charlie", "acme", "kpis/nrr/delete/", 404),
    ("charlie", "globex", "objectives/retain/delete/", 404),  # Acme's rows through Globex
    ("charlie", "globex", "kr/churn/delete/", 404),
    ("charlie", "globex", "initiatives/onboarding/delete/", 404),
    ("charlie", "globex", "kpis/nrr/delete/", 404),
    ("alice", "acme", "objectives/nope/delete/", 404),
    ("alice", "acme", "kr/nope/delete/", 404),
    ("alice", "acme", "initiatives/nope/delete/", 404),
    ("alice", "acme", "kpis/nope/delete/", 404),
]


@pytest.mark.parametrize(("who", "workspace", "path", "status"), REFUSED)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_people_who_may_not_delete_and_changes_nothing(
    data: Any, who: str, workspace: str, path: str, status: int, method: str
) -> None:
    before = everything()
    client = signed_in(getattr(data, who))
    assert getattr(client, method)(url(path, workspace)).status_code == status
    assert everything() == before


def test_it_sends_a_stranger_to_sign_in(data: Any) -> None:
    before = everything()
    for path in DELETE_URLS:
        response = Client().post(url(path))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    assert everything() == before


# --------------------------------------------------------------------------- queries


def grow(workspace: Any, size: int) -> None:
    """`size` more KRs under `retain` with 3 check-ins each, on NRR, linked to onboarding; and
    `size` more NRR measurements."""
    system = system_actor(workspace)
    retain = Objective.objects.get(key="retain")
    for n in range(size):
        kr = goals.key_result_create(actor=system, objective=retain, key=f"extra-{n}-{size}",
                                     owner="bob@acme.test", title=f"Extra {n}", baseline=0,
                                     target=10, kpi="nrr", initiatives=["onboarding"])  # fmt: skip
        for day in (4, 11, 18):
            goals.checkin_create(actor=system, kr=kr, value=day, author=kr.owner,
                                 at=dt.date(2027, 1, day))  # fmt: skip
    kpis.kpi_measure_bulk(actor=system, points=[
        kpis.Point("nrr", dt.date(2025, 1, 1) + dt.timedelta(days=n + 40 * size), 100)
        for n in range(size)
    ])  # fmt: skip


def queries_of(client: Any, method: str, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url(path))
    assert response.status_code in (200, 302), (path, response.status_code)
    return len(captured)


@pytest.mark.parametrize("path", DELETE_URLS + ["objectives/grow/delete/", "kr/nrr-up/delete/"])
def test_a_confirmation_page_reads_in_as_many_queries_with_more_data(data: Any, path: str) -> None:
    alice = signed_in(data.alice)
    grow(data.workspace, 2)
    small = queries_of(alice, "get", path)
    grow(data.workspace, 8)
    assert queries_of(alice, "get", path) == small
    assert small <= 20, small


def objective_with(workspace: Any, key: str, size: int) -> None:
    """A growth objective with `size` KRs, each with 3 check-ins, on NRR, linked to onboarding."""
    system = system_actor(workspace)
    objective = goals.objective_create(actor=system, key=key, title=f"Objective {key}",
                                       cycle="2027-Q1", owner="growth")  # fmt: skip
    for n in range(size):
        kr = goals.key_result_create(actor=system, objective=objective, key=f"{key}-{n}",
                                     owner="bob@acme.test", title=f"KR {n}", baseline=0,
                                     target=10, kpi="nrr", initiatives=["onboarding"])  # fmt: skip
        for day in (4, 11, 18):
            goals.checkin_create(actor=system, kr=kr, value=day, author=kr.owner,
                                 at=dt.date(2027, 1, day))  # fmt: skip


def test_deleting_takes_as_many_queries_with_more_data(data: Any) -> None:
    alice = signed_in(data.alice)
    objective_with(data.workspace, "small", 2)
    objective_with(data.workspace, "big", 10)
    small = queries_of(alice, "post", "objectives/small/delete/")
    assert queries_of(alice, "post", "objectives/big/delete/") == small
    objective_with(data.workspace, "pair", 2)
    for day in range(19, 29):
        goals.checkin_create(actor=system_actor(data.workspace),
                             kr=KeyResult.objects.get(key="pair-1"), value=day, author=data.bob,
                             at=dt.date(2027, 1, day))  # fmt: skip
    small = queries_of(alice, "post", "kr/pair-0/delete/")  # 3 check-ins
    assert queries_of(alice, "post", "kr/pair-1/delete/") == small  # 13 check-ins
