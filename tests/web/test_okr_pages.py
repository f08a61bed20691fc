"""The OKR pages through the Django test client: My week and its check-in, the tracker, the
objective page, the alignment map, and the forms that create, edit, close and carry over.

People (tests/conftest.py): alice owns Acme, bob is a member in the growth team, vera a viewer,
charlie an outsider. The `okrs` fixture freezes today at Monday 2027-02-15, in 2027-Q1.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string

from okapi.goals import services
from okapi.goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective
from okapi.workspaces.access import actor_for, system_actor

PAGES = [
    "",
    "okrs/2027-Q1/",
    "okrs/2027-Q1/?status=stale&team=growth&owner=bob@acme.test",
    "okrs/2027-Q1/alignment/",
    "objectives/grow/",
    "objectives/retain/",
]
FORMS = [
    "okrs/2027-Q1/objectives/new/",
    "objectives/retain/edit/",
    "objectives/retain/key-results/new/",
    "kr/churn/edit/",
    "kr/churn/checkin/",
    "initiatives/new/",
    "initiatives/onboarding/edit/",
]
POSTS = FORMS + ["okrs/2027-Q1/close/", "okrs/2027-Q1/carry-over/"]


def url(path: str) -> str:
    return f"/w/acme/{path}"


def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def errors_of(response: Any, field_id: str) -> str:
    """The text of the error list rendered beside one field (Django's `<id>_error`)."""
    html = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', html, re.S)
    assert match, f"no errors beside {field_id}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("person", ["alice", "bob", "vera"])
@pytest.mark.parametrize("path", PAGES)
def test_it_shows_every_page_to_every_member(client: Any, okrs: Any, person: str, path: str):
    response = signed_in(client, getattr(okrs, person)).get(url(path))
    assert response.status_code == 200
    html = response.content.decode()
    assert ' style="' not in html  # the CSP allows no inline style
    assert "<script>" not in html  # nor any inline script


@pytest.mark.parametrize("path", PAGES + POSTS)
def test_it_answers_404_to_an_outsider(client: Any, okrs: Any, path: str):
    client = signed_in(client, okrs.charlie)
    assert client.get(url(path)).status_code == 404
    assert client.post(url(path), {}).status_code == 404


def test_it_sends_a_stranger_to_sign_in(client: Any, okrs: Any):
    response = client.get(url("okrs/2027-Q1/"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_answers_404_for_a_row_that_does_not_exist(client: Any, okrs: Any):
    client = signed_in(client, okrs.alice)
    for path in ("okrs/2099-Q9/", "objectives/nope/", "kr/nope/edit/", "initiatives/nope/edit/"):
        assert client.get(url(path)).status_code == 404


def test_a_viewer_finds_no_edit_control(client: Any, okrs: Any):
    client = signed_in(client, okrs.vera)
    for path in PAGES:
        html = client.get(url(path)).content.decode()
        assert "/edit/" not in html and "/new/" not in html and "/close/" not in html
        assert (
            "<form" not in html.split('id="main"')[1]
            or 'method="post"' not in html.split('id="main"')[1]
        )


@pytest.mark.parametrize("path", POSTS)
def test_a_viewer_is_refused_a_direct_post(client: Any, okrs: Any, path: str):
    before = (Objective.objects.count(), KeyResult.objects.count(), CheckIn.objects.count())
    response = signed_in(client, okrs.vera).post(
        url(path), {"title": "Sneaky", "value": "1", "objectives": ["grow"], "cycle": "2027-Q1"}
    )
    assert response.status_code == 403
    after = (Objective.objects.count(), KeyResult.objects.count(), CheckIn.objects.count())
    assert after == before


@pytest.mark.parametrize("path", FORMS + ["okrs/2027-Q1/close/"])
def test_a_viewer_cannot_open_a_form(client: Any, okrs: Any, path: str):
    assert signed_in(client, okrs.vera).get(url(path)).status_code == 403


def test_a_member_edits_what_their_team_owns_and_nothing_more(client: Any, okrs: Any):
    client = signed_in(client, okrs.bob)
    assert client.get(url("objectives/retain/edit/")).status_code == 200  # growth's
    assert client.get(url("objectives/grow/edit/")).status_code == 403  # alice's
    assert client.get(url("kr/arr/edit/")).status_code == 403
    assert client.get(url("kr/arr/checkin/")).status_code == 403
    assert client.get(url("okrs/2027-Q1/close/")).status_code == 403  # admins only
    tracker = client.get(url("okrs/2027-Q1/")).content.decode()
    assert url("objectives/retain/edit/") in tracker
    assert url("objectives/grow/edit/") not in tracker
    assert url("kr/churn/edit/") in tracker and url("kr/arr/edit/") not in tracker
    assert "Close cycle" not in tracker


# --------------------------------------------------------------------------- My week


def test_my_week_lists_my_krs_to_check_in_and_my_team_s(client: Any, okrs: Any):
    response = signed_in(client, okrs.bob).get(url(""))
    html = response.content.decode()
    due = html.split('id="due-h"')[1].split('id="team-h"')[0]
    team = html.split('id="team-h"')[1]
    assert "Reduce logo churn" in due and "Launch the NPS survey" in due
    assert due.count('class="checkin-form"') == 2
    assert 'hx-post="/w/acme/kr/churn/checkin/"' in due
    assert "Grow ARR" in team and "Grow ARR" not in due  # alice leads growth: a teammate's KR


def test_a_kr_checked_in_since_monday_moves_to_checked_in(client: Any, okrs: Any):
    churn = KeyResult.objects.get(key="churn")
    bob = actor_for(okrs.bob, "acme")
    services.checkin_create(actor=bob, kr=churn, value=2.5, at=dt.date(2027, 2, 12))  # Friday
    html = signed_in(client, okrs.bob).get(url("")).content.decode()
    assert "Reduce logo churn" in html.split('id="due-h"')[1].split('id="team-h"')[0]
    services.checkin_create(actor=bob, kr=churn, value=2.4, at=dt.date(2027, 2, 15))  # Monday
    html = client.get(url("")).content.decode()
    assert "Reduce logo churn" not in html.split('id="due-h"')[1].split('id="done-h"')[0]
    assert "Reduce logo churn" in html.split('id="done-h"')[1].split('id="team-h"')[0]


def test_a_check_in_with_htmx_answers_the_row_in_its_checked_in_state(client: Any, okrs: Any):
    response = signed_in(client, okrs.bob).post(
        url("kr/churn/checkin/"),
        {"value": "2.25", "confidence": "at_risk", "moved": "Onboarding calls", "blocked": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<article") and "<html" not in html
    assert 'id="kr-churn"' in html and "Checked in today" in html
    assert '<span id="due-count" hx-swap-oob="true">1 key result to check in</span>' in html
    assert "<form" not in html
    assert '<rect class="bar-fill" x="0" y="3" width="50%"' in html  # 3% -> 2.25% of 1.5%
    checkin = CheckIn.objects.get(key_result__key="churn")
    assert checkin.value == Decimal("2.25") and checkin.author == okrs.bob
    assert checkin.moved == "Onboarding calls" and checkin.confidence == "at_risk"


def test_a_check_in_without_js_redirects_back_to_my_week(client: Any, okrs: Any):
    response = signed_in(client, okrs.bob).post(
        url("kr/nps-page/checkin/"), {"value": "1", "confidence": "on_track"}
    )
    assert response.status_code == 302 and response["Location"] == url("")
    assert KeyResult.objects.get(key="nps-page").current_value == 1
    assert "Checked in on" in client.get(url("")).content.decode()


def test_a_check_in_returns_to_a_next_page_on_this_site_only(client: Any, okrs: Any):
    client = signed_in(client, okrs.bob)
    data = {"value": "2.9", "confidence": "on_track"}
    response = client.post(url("kr/churn/checkin/"), {**data, "next": url("objectives/retain/")})
    assert response["Location"] == url("objectives/retain/")
    response = client.post(url("kr/churn/checkin/"), {**data, "next": "https://evil.test/"})
    assert response["Location"] == url("")


@pytest.mark.parametrize(
    ("kr", "data", "message"),
    [
        ("churn", {"value": "abc", "confidence": "on_track"}, "Enter a number."),
        ("churn", {"value": "", "confidence": "on_track"}, "is required for a metric key result"),
        ("nps-page", {"value": "5", "confidence": "on_track"}, "Select a valid choice."),
    ],
)
def test_an_invalid_check_in_answers_422_with_the_error_beside_the_value(
    client: Any, okrs: Any, kr: str, data: dict[str, str], message: str
):
    response = signed_in(client, okrs.bob).post(url(f"kr/{kr}/checkin/"), data)
    assert response.status_code == 422
    assert message in errors_of(response, f"id_{kr}_value")
    assert 'aria-invalid="true"' in response.content.decode()
    assert CheckIn.objects.count() == 0


def test_an_invalid_check_in_with_htmx_swaps_the_row_with_its_errors(client: Any, okrs: Any):
    response = signed_in(client, okrs.bob).post(
        url("kr/churn/checkin/"), {"value": "", "confidence": "sure"}, HTTP_HX_REQUEST="true"
    )
    # 422, swapped in place: the layout's htmx-config lets htmx swap 422 answers.
    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith("<article")
    assert "Select a valid choice." in errors_of(response, "id_churn_confidence")
    assert CheckIn.objects.count() == 0


# --------------------------------------------------------------------------- the tracker


def test_the_tracker_opens_on_the_cycle_of_today(client: Any, okrs: Any):
    system = system_actor(okrs.workspace)
    services.cycle_create(actor=system, key="2027-Q2", start=dt.date(2027, 4, 1),
                          end=dt.date(2027, 6, 30))  # fmt: skip
    client = signed_in(client, okrs.alice)
    assert client.get(url("okrs/"))["Location"] == url("okrs/2027-Q1/")
    assert client.get(url("okrs/?cycle=2027-Q2&team=growth"))["Location"] == url(
        "okrs/2027-Q2/?team=growth"
    )
    assert client.get(url("alignment/"))["Location"] == url("okrs/2027-Q1/alignment/")


def test_a_workspace_without_cycles_says_so(client: Any, acme: Any):
    client = signed_in(client, acme.alice)
    assert "no cycle yet" in client.get(url("okrs/")).content.decode()
    assert "no cycle yet" in client.get(url("alignment/")).content.decode()
    assert "You own no key result in a running cycle." in client.get(url("")).content.decode()


def planned_before_the_cycle() -> None:
    """The fixture's KRs were written on the day it is frozen at; say they were planned in
    December, as a team would (a KR added mid-cycle is not stale on its first day)."""
    KeyResult.objects.update(created_at=dt.datetime(2026, 12, 15, 12, tzinfo=dt.UTC))


def test_the_tracker_shows_alignment_progress_pace_and_flags(client: Any, okrs: Any):
    planned_before_the_cycle()
    bob = actor_for(okrs.bob, "acme")
    churn = KeyResult.objects.get(key="churn")
    services.checkin_create(actor=bob, kr=churn, value=2.25, confidence="at_risk",
                            at=dt.date(2027, 2, 15))  # fmt: skip
    html = signed_in(client, okrs.alice).get(url("okrs/2027-Q1/")).content.decode()
    grow = html.index('id="obj-grow"')
    aligned = html.index('class="aligned"', grow)
    assert grow < aligned < html.index('id="obj-retain"')  # retain sits beneath grow
    churn_line = html[html.index("Reduce logo churn") :].split("</li>")[0]
    assert 'width="50%"' in churn_line and 'class="bar yellow"' in churn_line
    assert 'class="bar-expected" x="51%"' in churn_line  # 46 of 90 days on 15 Feb
    assert "At risk" in churn_line and "On pace" in churn_line
    assert "Bob" in churn_line
    arr_line = html[html.index("Grow ARR") :].split("</li>")[0]
    assert "No check-in 2+ weeks" in arr_line and "No check-in yet" not in arr_line


def test_a_key_result_added_today_is_not_flagged_stale_on_the_tracker(client: Any, okrs: Any):
    html = signed_in(client, okrs.alice).get(url("okrs/2027-Q1/")).content.decode()
    arr_line = html[html.index("Grow ARR") :].split("</li>")[0]
    assert "No check-in 2+ weeks" not in arr_line


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status=stale", ["Grow ARR", "Launch the NPS survey"], ["Reduce logo churn"]),
        ("status=at_risk", ["Reduce logo churn"], ["Grow ARR", "Launch the NPS survey"]),
        ("owner=bob@acme.test", ["Reduce logo churn", "Launch the NPS survey"], ["Grow ARR"]),
        ("team=growth", ["Reduce logo churn", "Launch the NPS survey"], ["Grow ARR"]),
        ("team=product", ["No key result matches these filters."], ["Reduce logo churn"]),
        ("status=bogus", ["Grow ARR", "Reduce logo churn"], []),
    ],
)
def test_the_tracker_filters_by_team_owner_and_status(
    client: Any, okrs: Any, query: str, shown: list[str], hidden: list[str]
):
    planned_before_the_cycle()
    services.checkin_create(actor=actor_for(okrs.bob, "acme"), kr=KeyResult.objects.get(key="churn"),
                            value=2.9, confidence="at_risk")  # fmt: skip
    html = signed_in(client, okrs.alice).get(url(f"okrs/2027-Q1/?{query}")).content.decode()
    for text in shown:
        assert text in html
    for text in hidden:
        assert text not in html


def test_a_filtered_tracker_keeps_the_company_objective_as_context(client: Any, okrs: Any):
    html = signed_in(client, okrs.alice).get(url("okrs/2027-Q1/?team=growth")).content.decode()
    assert "Grow revenue efficiently" in html and "is-context" in html
    assert "Make customers stay" in html


def test_the_tracker_partial_renders_read_only_from_the_raw_tree(okrs: Any):
    from okapi.goals.queries import cycle_tree

    actor = actor_for(okrs.alice, "acme")
    tree = cycle_tree(actor, Cycle.objects.get(key="2027-Q1"))
    html = render_to_string("goals/_tracker.html", {"tree": tree, "read_only": True})
    assert "Grow revenue efficiently" in html and "Reduce logo churn" in html
    assert "<a " not in html and "Edit" not in html
    assert "@acme.test" not in html  # no e-mail address on a public page, even without names


# --------------------------------------------------------------------------- objective page


def test_the_objective_page_charts_each_metric_kr_against_its_pace(client: Any, okrs: Any):
    bob = actor_for(okrs.bob, "acme")
    churn = KeyResult.objects.get(key="churn")
    services.checkin_create(actor=bob, kr=churn, value=2.8, at=dt.date(2027, 1, 15),
                            moved="First onboarding calls")  # fmt: skip
    services.checkin_create(actor=bob, kr=churn, value=2.5, at=dt.date(2027, 2, 12),
                            blocked="Waiting for the CRM export")  # fmt: skip
    response = signed_in(client, okrs.alice).get(url("objectives/retain/"))
    html = response.content.decode()
    assert 'data-chart="chart-churn"' in html
    assert '<script id="chart-churn" type="application/json">' in html
    assert "chart-nps-page" not in html  # a milestone has no line
    chart = next(kr["chart"] for kr in response.context["objective"]["key_results"]
                 if kr["key"] == "churn")  # fmt: skip
    labels, (actual, expected, *forecast) = chart["data"]["labels"], chart["data"]["datasets"]
    assert len(labels) == 90 and labels[0] == "1 Jan" and labels[-1] == "31 Mar"  # every day
    assert expected["data"][0] == 3.0 and expected["data"][-1] == 1.5
    assert expected["data"][45] == 2.241573  # a straight line: day 45 of 89, from 3 to 1.5
    values = dict(zip(labels, actual["data"], strict=True))
    assert values["1 Jan"] == 3.0 and values["15 Jan"] == 2.8 and values["12 Feb"] == 2.5
    assert values["13 Feb"] is None and values["31 Mar"] is None  # only days with a value
    # Then the projection from the last check-in to the cycle end (tests/web/test_forecast_pages.py)
    assert [d["label"] for d in forecast][:1] == ["Forecast"]
    notes = html.split('id="notes-h"')[1]
    assert notes.index("Waiting for the CRM export") < notes.index("First onboarding calls")
    assert "Rebuild onboarding" in html  # the initiative that drives churn


def test_the_objective_page_links_the_kpi_a_kr_targets(client: Any, okrs: Any):
    system = system_actor(okrs.workspace)
    services.key_result_update(actor=system, kr=KeyResult.objects.get(key="churn"), kpi="nrr")
    html = signed_in(client, okrs.alice).get(url("objectives/retain/")).content.decode()
    assert "Net revenue retention" in html
    assert 'href="/w/acme/kpis/nrr/"' in html


def test_the_objective_page_shows_edit_controls_only_to_editors(client: Any, okrs: Any):
    html = signed_in(client, okrs.bob).get(url("objectives/retain/")).content.decode()
    assert url("objectives/retain/edit/") in html and url("kr/churn/checkin/") in html
    html = client.get(url("objectives/grow/")).content.decode()
    assert url("objectives/grow/edit/") not in html and url("kr/arr/checkin/") not in html


# --------------------------------------------------------------------------- alignment map


def test_the_alignment_map_nests_aligned_objectives_in_details(client: Any, okrs: Any):
    html = signed_in(client, okrs.vera).get(url("okrs/2027-Q1/alignment/")).content.decode()
    grow = html.index('href="/w/acme/objectives/grow/"')
    branch = html.index("<details", grow)
    assert branch < html.index('href="/w/acme/objectives/retain/"')
    assert "1 aligned objective" in html and 'role="img"' in html


# --------------------------------------------------------------------------- editing


def test_alice_creates_an_objective_and_its_key_results_through_the_forms(client: Any, okrs: Any):
    client = signed_in(client, okrs.alice)
    response = client.post(url("okrs/2027-Q1/objectives/new/"), {
        "title": "Make onboarding effortless", "level": "team", "type": "aspirational",
        "owner": "growth", "parent": "grow", "cycle": "2027-Q1", "key": "",
    })  # fmt: skip
    objective = Objective.objects.get(title="Make onboarding effortless")
    assert objective.key == "make-onboarding-effortless" and objective.parent.key == "grow"
    assert response["Location"] == url("objectives/make-onboarding-effortless/key-results/new/")
    kr = {"kind": "metric", "baseline": "20", "target": "35", "unit": "%",
          "owner": "bob@acme.test", "weight": "1", "kpi": "", "initiatives": ["onboarding"]}  # fmt: skip
    response = client.post(response["Location"], {**kr, "title": "Increase activation from 20% to 35%",
                                                  "add_another": "1"})  # fmt: skip
    assert response["Location"] == url("objectives/make-onboarding-effortless/key-results/new/")
    client.post(response["Location"], {**kr, "title": "Increase week-1 retention from 40% to 55%"})
    created = objective.key_results.order_by("position")
    assert [k.key for k in created] == [
        "increase-activation-from-20-to-35",
        "increase-week-1-retention-from-40-to-55",
    ]
    assert created[0].owner == okrs.bob and created[0].target == 35
    assert list(created[0].initiatives.values_list("key", flat=True)) == ["onboarding"]


def test_a_new_objective_can_start_aligned_to_another(client: Any, okrs: Any):
    html = signed_in(client, okrs.bob).get(url("okrs/2027-Q1/objectives/new/?parent=retain"))
    assert '<option value="retain" selected>' in html.content.decode()


def test_an_invalid_objective_answers_422_beside_the_field_and_creates_nothing(
    client: Any, okrs: Any
):
    response = signed_in(client, okrs.alice).post(url("okrs/2027-Q1/objectives/new/"), {
        "title": "  ", "level": "team", "type": "aspirational", "owner": "growth",
        "cycle": "2027-Q1", "key": "ok",
    })  # fmt: skip
    assert response.status_code == 422
    assert "is required" in errors_of(response, "id_title")
    response = client.post(url("okrs/2027-Q1/objectives/new/"), {
        "title": "Again", "level": "team", "type": "aspirational", "owner": "growth",
        "cycle": "2027-Q1", "key": "grow",
    })  # fmt: skip
    assert response.status_code == 422
    assert "already exists" in errors_of(response, "id_key")
    assert Objective.objects.count() == 2


def test_a_member_may_only_pick_an_owner_they_may_own_for(client: Any, okrs: Any):
    response = signed_in(client, okrs.bob).post(url("okrs/2027-Q1/objectives/new/"), {
        "title": "Ship the product team's roadmap", "level": "team", "type": "aspirational",
        "owner": "product", "cycle": "2027-Q1",
    })  # fmt: skip
    assert response.status_code == 422
    assert "Select a valid choice." in errors_of(response, "id_owner")
    assert not Objective.objects.filter(owner_team__key="product").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"weight": "0"}, "weight", "must be greater than 0"),
        ({"key": "arr"}, "key", "already exists"),
        ({"owner": "charlie@globex.test"}, "owner", "Select a valid choice."),
        ({"baseline": "1e400"}, "baseline", "finite number"),
    ],
)
def test_an_invalid_key_result_answers_422_beside_the_field(
    client: Any, okrs: Any, data: dict[str, str], field: str, message: str
):
    form = {"title": "Grow NPS from 30 to 45", "kind": "metric", "baseline": "30",
            "target": "45", "owner": "bob@acme.test", "weight": "1", **data}  # fmt: skip
    response = signed_in(client, okrs.alice).post(url("objectives/retain/key-results/new/"), form)
    assert response.status_code == 422
    assert message in errors_of(response, f"id_{field}")
    assert KeyResult.objects.count() == 3


def test_editing_a_key_result_changes_it_and_its_initiatives(client: Any, okrs: Any):
    services.initiative_create(actor=system_actor(okrs.workspace), key="exit-survey",
                               title="Exit survey", owner="growth")  # fmt: skip
    client = signed_in(client, okrs.bob)
    form = client.get(url("kr/churn/edit/")).content.decode()
    assert 'value="1.5"' in form and 'value="3"' in form  # numbers as typed, not 1.500000
    response = client.post(url("kr/churn/edit/"), {
        "title": "Reduce logo churn from 3% to 1%", "kind": "metric", "baseline": "3",
        "target": "1", "unit": "%", "owner": "bob@acme.test", "weight": "2", "kpi": "nrr",
        "initiatives": ["onboarding", "exit-survey"],
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == url("objectives/retain/")
    churn = KeyResult.objects.get(key="churn")
    assert churn.target == 1 and churn.weight == 2 and churn.kpi.key == "nrr"
    assert set(churn.initiatives.values_list("key", flat=True)) == {"onboarding", "exit-survey"}


def test_editing_an_objective_moves_its_alignment(client: Any, okrs: Any):
    response = signed_in(client, okrs.bob).post(url("objectives/retain/edit/"), {
        "title": "Make customers stay longer", "description": "Churn hurts.", "level": "team",
        "type": "committed", "owner": "growth", "parent": "", "cycle": "2027-Q1",
    })  # fmt: skip
    assert response.status_code == 302
    retain = Objective.objects.get(key="retain")
    assert retain.title == "Make customers stay longer" and retain.parent is None
    assert retain.type == "committed"


def test_initiatives_are_created_and_edited_with_a_checked_url(client: Any, okrs: Any):
    client = signed_in(client, okrs.bob)
    response = client.post(url("initiatives/new/?next=/w/acme/kr/churn/edit/"),
                           {"title": "Win-back e-mails", "owner": "growth", "url": "ftp://x"})  # fmt: skip
    assert response.status_code == 422
    assert "is not an http(s) URL" in errors_of(response, "id_url")
    response = client.post(url("initiatives/new/"), {
        "title": "Win-back e-mails", "owner": "growth", "url": "https://tracker.test/42",
        "next": "/w/acme/kr/churn/edit/",
    })  # fmt: skip
    assert response["Location"] == "/w/acme/kr/churn/edit/"
    initiative = Initiative.objects.get(key="win-back-e-mails")
    assert initiative.url == "https://tracker.test/42" and initiative.owner_team.key == "growth"
    response = client.post(url("initiatives/win-back-e-mails/edit/"),
                           {"title": "Win-back e-mail series", "owner": "growth", "url": ""})  # fmt: skip
    assert response.status_code == 302
    assert Initiative.objects.get(key="win-back-e-mails").title == "Win-back e-mail series"


# --------------------------------------------------------------------------- closing, carrying over


def test_closing_a_cycle_prefills_progress_and_keeps_the_scores_given(client: Any, okrs: Any):
    services.checkin_create(actor=actor_for(okrs.bob, "acme"), kr=KeyResult.objects.get(key="churn"),
                            value=2.25)  # fmt: skip
    client = signed_in(client, okrs.alice)
    form = client.get(url("okrs/2027-Q1/close/")).content.decode()
    assert 'name="score_churn" value="0.50"' in form
    response = client.post(url("okrs/2027-Q1/close/"), {
        "score_arr": "0.3", "score_churn": "0.50", "score_nps-page": "", "note": "Hiring slowed us.",
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == url("okrs/2027-Q1/")
    cycle = Cycle.objects.get(key="2027-Q1")
    assert cycle.closed_at is not None and cycle.review_note == "Hiring slowed us."
    scores = dict(KeyResult.objects.values_list("key", "final_score"))
    assert scores == {"arr": Decimal("0.3"), "churn": Decimal("0.5"), "nps-page": 0}
    html = client.get(url("okrs/2027-Q1/")).content.decode()
    assert "Hiring slowed us." in html and "Final 0.30" in html
    assert client.get(url("okrs/2027-Q1/close/")).status_code == 302  # already closed


def test_a_final_score_above_one_answers_422_beside_it_and_closes_nothing(client: Any, okrs: Any):
    response = signed_in(client, okrs.alice).post(
        url("okrs/2027-Q1/close/"), {"score_arr": "1.5", "score_churn": "", "note": ""}
    )
    assert response.status_code == 422
    assert "must be between 0 and 1" in errors_of(response, "id_score_arr")
    assert Cycle.objects.get(key="2027-Q1").closed_at is None


def test_unfinished_objectives_are_carried_into_the_next_cycle(client: Any, okrs: Any):
    alice = actor_for(okrs.alice, "acme")
    services.cycle_create(actor=alice, key="2027-Q2", start=dt.date(2027, 4, 1),
                          end=dt.date(2027, 6, 30))  # fmt: skip
    services.checkin_create(actor=alice, kr=KeyResult.objects.get(key="churn"), value=2.25)
    services.cycle_close(actor=alice, cycle=Cycle.objects.get(key="2027-Q1"))
    client = signed_in(client, okrs.alice)
    tracker = client.get(url("okrs/2027-Q1/")).content.decode()
    assert "Carry unfinished objectives" in tracker
    assert 'value="2027-Q2" selected' in tracker
    response = client.post(url("okrs/2027-Q1/carry-over/"),
                           {"objectives": ["retain"], "cycle": "2027-Q2"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == url("okrs/2027-Q2/")
    copy = Objective.objects.get(key="retain-2027-Q2")
    assert copy.cycle.key == "2027-Q2" and copy.parent.key == "grow"
    churn = copy.key_results.get(key="churn-2027-Q2")
    assert churn.baseline == Decimal("2.25")  # starts from where it stood
    assert "Make customers stay" in client.get(response["Location"]).content.decode()
    # Again: the copy exists, so nothing is copied and the error shows beside the choice.
    response = client.post(url("okrs/2027-Q1/carry-over/"),
                           {"objectives": ["grow", "retain"], "cycle": "2027-Q2"})  # fmt: skip
    assert response.status_code == 422
    assert "already exists" in errors_of(response, "id_objectives")
    assert not Objective.objects.filter(key="grow-2027-Q2").exists()


def test_a_member_carries_over_only_what_they_may_edit(client: Any, okrs: Any):
    system = system_actor(okrs.workspace)
    services.cycle_create(actor=system, key="2027-Q2", start=dt.date(2027, 4, 1),
                          end=dt.date(2027, 6, 30))  # fmt: skip
    services.cycle_close(actor=system, cycle=Cycle.objects.get(key="2027-Q1"))
    client = signed_in(client, okrs.bob)
    form = client.get(url("okrs/2027-Q1/")).content.decode().split('id="carry-h"')[1]
    assert 'value="retain"' in form and 'value="grow"' not in form
    response = client.post(url("okrs/2027-Q1/carry-over/"),
                           {"objectives": ["grow"], "cycle": "2027-Q2"})  # fmt: skip
    assert response.status_code == 422
    assert not Objective.objects.filter(key="grow-2027-Q2").exists()
