"""Journeys through the OKR pages in Chromium: a weekly check-in (desktop and phone), writing an
objective with three key results, and a viewer who can look but not touch.

The live server runs in another thread, where frozen time does not reliably apply: the data is
built with the services around the real today (the quarter that contains it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in


@pytest.fixture
def quarter(acme: Any) -> Any:
    """This quarter (really: around today) with a company objective, a growth objective aligned
    to it, bob's two KRs (a metric and a milestone), alice's KR, an initiative and a KPI."""
    from okapi.core.cycles import quarter_period, week_start
    from okapi.goals import services as goals
    from okapi.kpis import services as kpis
    from okapi.workspaces.access import system_actor

    system = system_actor(acme.workspace)
    today = goals.workspace_today(acme.workspace)
    period = quarter_period(today)
    goals.cycle_create(actor=system, key=period.key, start=period.start, end=period.end,
                       name=f"This quarter ({period.key})")  # fmt: skip
    kpis.kpi_create(actor=system, key="nrr", name="Net revenue retention", unit="%",
                    direction="up", target=110, warning=105, cadence="monthly", owner="growth")  # fmt: skip
    company = goals.objective_create(actor=system, key="grow", title="Grow revenue efficiently",
                                     cycle=period.key, owner="alice@acme.test", level="company")  # fmt: skip
    growth = goals.objective_create(actor=system, key="retain", title="Make customers stay",
                                    cycle=period.key, owner="growth", parent="grow")  # fmt: skip
    goals.initiative_create(actor=system, key="onboarding", title="Rebuild onboarding",
                            owner="growth", url="https://tracker.example/onboarding")  # fmt: skip
    arr = goals.key_result_create(actor=system, objective=company, key="arr",
                                  owner="alice@acme.test", title="Grow ARR from $1M to $2M",
                                  baseline=1_000_000, target=2_000_000, unit="$")  # fmt: skip
    churn = goals.key_result_create(actor=system, objective=growth, key="churn",
                                    owner="bob@acme.test",
                                    title="Reduce logo churn from 3% to 1.5%", baseline=3,
                                    target=1.5, unit="%", initiatives=["onboarding"])  # fmt: skip
    goals.key_result_create(actor=system, objective=growth, key="nps-page", owner="bob@acme.test",
                            title="Launch the NPS survey", kind="milestone")  # fmt: skip
    # Last week's check-ins (before this Monday), so this week's are still due.
    last_week = max(period.start, week_start(today) - dt.timedelta(days=3))
    if last_week < week_start(today):
        goals.checkin_create(actor=system, kr=churn, value=2.8, author=acme.bob, at=last_week,
                             moved="Onboarding calls started")  # fmt: skip
        goals.checkin_create(actor=system, kr=arr, value=1_300_000, author=acme.alice,
                             at=last_week, blocked="Two deals wait on legal")  # fmt: skip
    acme.cycle = period.key
    return acme


def fill_width(row: Any) -> str | None:
    """The width of a row's progress fill (an SVG attribute), None while it is empty."""
    fill = row.locator("rect.bar-fill")
    return fill.get_attribute("width") if fill.count() else None


def test_bob_checks_in_on_a_kr_from_my_week_and_sees_the_bar_move(
    page: Any, live_server: Any, quarter: Any
) -> None:
    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    assert page.url == f"{live_server.url}/w/acme/"  # home is My week
    assert serious_accessibility_violations(page) == []
    row = page.locator("article", has=page.get_by_role("heading", name="Reduce logo churn"))
    before = fill_width(row)
    page.evaluate("window.okapiNoReload = true")
    row.get_by_label("New value (%)").fill("2.25")
    row.get_by_label("At risk").check()
    row.get_by_label("What moved?").fill("Onboarding calls for every new account")
    row.get_by_label("What is blocked?").fill("Waiting for the CRM export")
    row.get_by_role("button", name="Check in").click()
    expect(row.get_by_role("status")).to_contain_text("Checked in today")
    assert fill_width(row) == "50%" and before != "50%"  # 3% -> 2.25% of the way to 1.5%
    assert row.get_by_text("50%", exact=True).is_visible()
    assert page.evaluate("window.okapiNoReload") is True  # swapped in place, no reload
    assert row.locator("form").count() == 0
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "my-week")


def test_the_check_in_works_under_the_real_content_security_policy(
    browser: Any, live_server: Any, quarter: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # CSP enforced
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    row = page.locator("article", has=page.get_by_role("heading", name="Launch the NPS survey"))
    row.get_by_label("Done", exact=True).check()
    row.get_by_role("button", name="Check in").click()
    expect(row.get_by_role("status")).to_contain_text("Checked in today")
    assert fill_width(row) == "100%"
    page.goto(f"{live_server.url}/w/acme/objectives/retain/")
    page.wait_for_function("document.querySelector('canvas[data-chart]').dataset.drawn === '1'")
    assert errors == []
    context.close()


def test_alice_writes_an_objective_with_three_key_results_and_finds_it_everywhere(
    page: Any, live_server: Any, quarter: Any
) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="OKRs").click()
    page.get_by_role("link", name="New objective").click()
    page.get_by_label("Objective", exact=True).fill("Make onboarding effortless")
    page.get_by_label("Level").select_option("team")
    page.get_by_label("Owner").select_option("growth")
    page.get_by_label("Aligned to").select_option("grow")
    page.get_by_role("button", name="Create objective").click()
    expect(page.get_by_role("heading", name="New key result")).to_be_visible()
    key_results = [
        ("Increase activation from 20% to 35%", "20", "35", "%"),
        ("Reduce time to first dashboard from 3 days to 1 day", "3", "1", "days"),
        ("Increase week-1 retention from 40% to 55%", "40", "55", "%"),
    ]
    for n, (title, baseline, target, unit) in enumerate(key_results):
        page.get_by_label("Key result", exact=True).fill(title)
        page.get_by_label("Baseline", exact=True).fill(baseline)
        page.get_by_label("Target", exact=True).fill(target)
        page.get_by_label("Unit", exact=True).fill(unit)
        page.get_by_label("Owner").select_option("bob@acme.test")
        page.get_by_label("Rebuild onboarding").check()
        last = n == len(key_results) - 1
        name = "Add key result" if last else "Add and write another"
        page.get_by_role("button", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make onboarding effortless")
    for title, *_ in key_results:
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    page.reload()  # without the flash message (base.html's <ul role="status">, see settings)
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "objective")

    page.get_by_role("link", name=re.compile("^OKRs · ")).click()
    grow = page.locator("section.objective-card", has=page.locator("#obj-grow"))
    aligned = grow.locator(".aligned").get_by_role(
        "link", name="Make onboarding effortless", exact=True
    )
    expect(aligned).to_be_visible()
    for title, *_ in key_results:
        expect(page.get_by_text(title, exact=True)).to_be_visible()
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "tracker")

    page.get_by_role("link", name="Alignment map").click()
    branch = page.locator("li.map-node", has=page.get_by_role("link", name="Grow revenue"))
    node = branch.get_by_role("link", name="Make onboarding effortless", exact=True)
    expect(node).to_be_visible()
    branch.locator("summary").first.click()  # fold the branch: no JS needed
    expect(node).to_be_hidden()
    branch.locator("summary").first.click()
    expect(node).to_be_visible()
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "alignment-map")
    node.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make onboarding effortless")


def test_vera_the_viewer_finds_no_edit_control_and_is_refused_a_direct_post(
    page: Any, live_server: Any, quarter: Any
) -> None:
    sign_in(page, live_server, "vera@acme.test", "vera-pw")
    pages = ["", f"okrs/{quarter.cycle}/", "objectives/retain/", f"okrs/{quarter.cycle}/alignment/"]
    for path in pages:
        page.goto(f"{live_server.url}/w/acme/{path}")
        main = page.locator("main")
        assert main.locator("form[method=post]").count() == 0
        assert (
            main.get_by_role("link", name=re.compile(r"^(Edit|Add|New|Close|Check in)")).count()
            == 0
        )
        assert main.get_by_role("button", name=re.compile(r"^(Check in|Close|Carry)")).count() == 0
    page.goto(f"{live_server.url}/w/acme/okrs/{quarter.cycle}/")
    save_screenshot(page, "tracker-viewer")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/w/acme/kr/churn/checkin/",
        form={"value": "1", "confidence": "on_track"},
        headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/w/acme/"},
    )
    assert response.status == 403
    response = page.request.post(
        f"{live_server.url}/w/acme/okrs/{quarter.cycle}/objectives/new/",
        form={"title": "Sneaky", "owner": "vera@acme.test", "cycle": quarter.cycle},
        headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/w/acme/"},
    )
    assert response.status == 403
    from okapi.goals.models import CheckIn, Objective

    assert not CheckIn.objects.filter(author=quarter.vera).exists()
    assert not Objective.objects.filter(title="Sneaky").exists()


def test_bob_checks_in_on_a_phone(phone: Any, live_server: Any, quarter: Any) -> None:
    sign_in(phone, live_server, "bob@acme.test", "bob-pw")
    row = phone.locator("article", has=phone.get_by_role("heading", name="Reduce logo churn"))
    value = row.get_by_label("New value (%)")
    box = value.bounding_box()
    assert box is not None and box["width"] > 300  # the field takes the phone's width
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    value.fill("2.4")
    row.get_by_label("On track").tap()
    row.get_by_label("What moved?").fill("Two saves this week")
    button = row.get_by_role("button", name="Check in")
    assert button.bounding_box()["height"] >= 40  # a thumb-sized target
    button.tap()
    expect(row.get_by_role("status")).to_contain_text("Checked in today")
    assert fill_width(row) == "40%"
    assert serious_accessibility_violations(phone) == []
    save_screenshot(phone, "my-week-phone")


def test_a_check_in_without_a_value_shows_its_error_in_place(
    page: Any, live_server: Any, quarter: Any
) -> None:
    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    row = page.locator("article", has=page.get_by_role("heading", name="Reduce logo churn"))
    row.get_by_label("New value (%)").fill("")  # the form offers the current value; take it away
    row.get_by_label("What moved?").fill("Nothing to report")
    with page.expect_response(re.compile(r"/checkin/$")) as answer:
        row.get_by_role("button", name="Check in").click()
    assert answer.value.status == 422
    expect(row.locator(".field-error").first).to_be_visible()  # swapped in place, beside the field
    assert page.url == f"{live_server.url}/w/acme/"
    expect(row.get_by_label("What moved?")).to_have_value("Nothing to report")
