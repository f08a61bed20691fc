"""The coach in the web app: the findings page and tracker panel, live feedback on a KR being
written, and turning a KPI in disguise into a KPI."""

from decimal import Decimal
from typing import Any

import pytest


def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


@pytest.fixture
def disguised(okrs: Any) -> Any:
    from okapi.goals import services as goals
    from okapi.goals.models import Objective
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    goals.key_result_create(actor=system, objective=Objective.objects.get(key="retain"),
                            key="uptime", owner="bob@acme.test", unit="%",
                            title="Maintain 99.9% uptime", baseline=99.9, target=99.9)  # fmt: skip
    return okrs


def test_the_coach_page_lists_findings_with_links_and_a_convert_button_for_the_owner(
    client, disguised
):
    page = signed_in(client, disguised.bob).get("/w/acme/okrs/2027-Q1/coach/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "kpi-in-disguise" in html and "Maintain 99.9% uptime" in html
    assert 'action="/w/acme/kr/uptime/to-kpi/"' in html
    assert 'href="/w/acme/objectives/retain/"' in html


def test_a_viewer_sees_findings_but_no_convert_button(client, disguised):
    html = signed_in(client, disguised.vera).get("/w/acme/okrs/2027-Q1/coach/").content.decode()
    assert "kpi-in-disguise" in html and "to-kpi" not in html
    assert signed_in(client, disguised.vera).post("/w/acme/kr/uptime/to-kpi/").status_code == 403


def test_a_closed_cycle_offers_no_convert_button(client, disguised):
    from okapi.goals import services as goals
    from okapi.goals.models import Cycle
    from okapi.workspaces.access import system_actor

    goals.cycle_close(
        actor=system_actor(disguised.workspace), cycle=Cycle.objects.get(key="2027-Q1")
    )
    page = signed_in(client, disguised.bob).get("/w/acme/okrs/2027-Q1/coach/")
    assert page.status_code == 200 and "to-kpi" not in page.content.decode()


def test_the_tracker_loads_the_coach_panel(client, disguised):
    html = signed_in(client, disguised.alice).get("/w/acme/okrs/2027-Q1/").content.decode()
    assert 'hx-get="/w/acme/okrs/2027-Q1/coach/?panel=1"' in html
    panel = signed_in(client, disguised.alice).get("/w/acme/okrs/2027-Q1/coach/?panel=1")
    assert panel.status_code == 200 and "<html" not in panel.content.decode()
    body = panel.content.decode()
    assert body.count('class="coach-item') == 5  # the panel is short; the page has them all
    assert 'href="/w/acme/okrs/2027-Q1/coach/">See all' in body


def test_an_outsider_gets_404(client, disguised):
    assert (
        signed_in(client, disguised.charlie).get("/w/acme/okrs/2027-Q1/coach/").status_code == 404
    )


def test_make_this_a_kpi_moves_the_kr_to_the_kpi_dashboard(client, disguised):
    from okapi.goals.models import KeyResult
    from okapi.kpis.models import Kpi

    r = signed_in(client, disguised.bob).post("/w/acme/kr/uptime/to-kpi/")
    assert r.status_code == 302 and r["Location"] == "/w/acme/kpis/uptime/"
    assert Kpi.objects.filter(key="uptime", target=Decimal("99.9")).exists()
    assert not KeyResult.objects.filter(key="uptime").exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [("Maintain 95% uptime", "A KPI in disguise"), ("Hold weekly marketing meetings", "A task"),
     ("Increase MQL-to-SQL conversion from 20% to 35%", "A real key result"), ("", "")],
)  # fmt: skip
def test_the_kr_form_gets_live_feedback(client, okrs, text, says):
    r = signed_in(client, okrs.bob).post(
        "/w/acme/coach/kr/", {"title": text}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200
    assert says in r.content.decode()
    form = (
        signed_in(client, okrs.alice)
        .get("/w/acme/objectives/retain/key-results/new/")
        .content.decode()
    )
    assert 'hx-post="/w/acme/coach/kr/"' in form


def test_settings_show_stage_advice_and_where_the_workspace_differs(client, okrs):
    html = signed_in(client, okrs.vera).get("/w/acme/settings/").content.decode()
    assert "Stage advice: " in html and "For 3 people" in html
    assert "KPIs only" in html  # 3 people: pre-seed / seed


def test_an_admin_sets_the_stage_and_headcount(client, okrs):
    from okapi.workspaces.models import AuditEvent, Workspace

    data = {"name": "Acme Inc.", "timezone": "UTC", "stage": "series-a", "headcount": "25"}
    r = signed_in(client, okrs.alice).post("/w/acme/settings/", data)
    assert r.status_code == 302
    ws = Workspace.objects.get(key="acme")
    assert (ws.stage, ws.headcount) == ("series-a", 25)
    assert AuditEvent.objects.filter(entity_type="workspace", action="updated").latest("id").after == {
        "stage": "series-a", "headcount": 25}  # fmt: skip
    html = signed_in(client, okrs.alice).get("/w/acme/settings/").content.decode()
    assert "KPIs plus light OKRs" in html


def test_a_bad_headcount_is_refused_beside_the_field(client, okrs):
    data = {"name": "Acme Inc.", "timezone": "UTC", "stage": "", "headcount": "0"}
    r = signed_in(client, okrs.alice).post("/w/acme/settings/", data)
    assert r.status_code == 422
    assert "greater than or equal to 1" in r.content.decode()


def test_the_settings_page_shows_the_stage_advice_once_and_keeps_its_title(client, okrs):
    html = signed_in(client, okrs.alice).get("/w/acme/settings/").content.decode()
    assert "<title>Workspace settings · Acme Inc.</title>" in html
    assert html.count("Stage advice: ") == 1


def test_the_coach_page_reads_the_same_number_of_queries_as_the_cycle_grows(client, disguised):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from okapi.goals import services as goals
    from okapi.workspaces.access import system_actor

    c = signed_in(client, disguised.alice)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get("/w/acme/okrs/2027-Q1/coach/").status_code == 200
            assert c.get("/w/acme/okrs/2027-Q1/coach/?panel=1").status_code == 200
        return len(queries)

    small = count()
    system = system_actor(disguised.workspace)
    for i in range(6):
        o = goals.objective_create(actor=system, key=f"more-{i}", title=f"Grow market {i}",
                                   cycle="2027-Q1", owner="growth", parent="grow")  # fmt: skip
        for j in range(3):
            goals.key_result_create(actor=system, objective=o, key=f"more-{i}-{j}",
                                    owner="bob@acme.test", title=f"Hold weekly sync {j}")  # fmt: skip
    assert count() == small
