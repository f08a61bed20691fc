"""The coach in the browser: its panel loads on the tracker, and a key result gets feedback
while it is typed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in
from tests.e2e.test_okr_journeys import quarter  # noqa: F401 - the shared fixture


def test_alice_sees_the_coach_and_gets_feedback_while_writing_a_kr(
    page: Any,
    live_server: Any,
    quarter: Any,  # noqa: F811
) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/okrs/")
    panel = page.locator("section.coach-panel")
    expect(panel.locator(".coach-item").first).to_be_visible()  # loaded by htmx
    expect(panel).to_contain_text("binary-kr")
    assert serious_accessibility_violations(page) == []
    page.goto(f"{live_server.url}/w/acme/objectives/retain/key-results/new/")
    page.get_by_label("Key result", exact=True).fill("Maintain 99.9% uptime")
    expect(page.locator("#kr-coach")).to_contain_text("A KPI in disguise")
    page.get_by_label("Key result", exact=True).fill("Reduce p95 page load from 3.2s to 1.5s")
    expect(page.locator("#kr-coach")).to_contain_text("A real key result")
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "kr-form-coach")
    page.goto(f"{live_server.url}/w/acme/okrs/{quarter.cycle}/coach/")
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "coach")
