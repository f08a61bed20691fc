"""Journeys through Settings → Webhooks, Settings → Notifications and My notifications, in
Chromium, with a real HTTP server on loopback receiving the webhook and the chat message."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from okapi.rhythm import delivery
from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in
from tests.rhythm.conftest import receiver  # noqa: F401  (the fixture)


def fresh_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_alice_creates_a_webhook_sees_its_secret_once_and_sends_a_test(
    page: Any,
    live_server: Any,
    acme: Any,
    receiver: Any,  # noqa: F811
) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/settings/")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Webhooks").click()
    page.get_by_label("Payload URL").fill(f"{receiver.url}/hook")
    page.get_by_label("Description").fill("CRM sync")
    page.get_by_label("checkin.created — someone checked in on a key result").check()
    page.get_by_role("button", name="Create webhook").click()
    secret = page.get_by_label("Signing secret (select it and copy it now)").input_value()
    assert secret.startswith("whsec_")
    assert "shown only this once" in page.get_by_role("status").inner_text()
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "rhythm_webhook_created")

    # Never again: not on the list, not on the webhook's page.
    page.goto(f"{live_server.url}/w/acme/rhythm/settings/webhooks/")
    assert secret not in page.content()
    page.get_by_role("link", name=f"{receiver.url}/hook").click()
    assert secret not in page.content()
    page.get_by_role("button", name="Send a test event").click()
    assert "Test event delivered (HTTP 200)." in page.get_by_role("status").inner_text()
    log = page.get_by_role("table", name="Deliveries to this webhook, newest first")
    assert "ping" in log.inner_text() and "delivered" in log.inner_text()
    [received] = receiver.requests
    signed = received.headers["X-Okapi-Timestamp"].encode() + b"." + received.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert received.headers["X-Okapi-Signature"] == f"sha256={expected}"
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "rhythm_webhook_log")

    # The delivery's own page shows the payload.
    log.get_by_role("link", name="ping").click()
    assert '"type": "ping"' in page.locator("pre").inner_text()
    save_screenshot(page, "rhythm_webhook_delivery")


def test_alice_sets_the_schedule_and_the_chat_channel_and_tests_it(
    page: Any,
    live_server: Any,
    acme: Any,
    receiver: Any,  # noqa: F811
) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/settings/")
    nav = page.get_by_role("navigation", name="Settings")
    nav.get_by_role("link", name="Notifications", exact=True).click()
    page.get_by_label("Reminder day").select_option("Tuesday")
    page.get_by_label("Reminder time").fill("08:30")
    page.get_by_role("button", name="Save schedule").click()
    assert "Notification settings saved." in page.get_by_role("status").inner_text()
    assert "Tuesday 08:30 UTC" in page.locator(".rhythm-next").inner_text()
    url = f"{receiver.url}/services/T1/B2/abcdefghijkl"
    page.get_by_label("Incoming webhook URL").first.fill(url)
    page.get_by_role("button", name="Save channel").click()
    assert url not in page.content() and f"{receiver.url}/…ijkl" in page.content()
    page.get_by_role("button", name="Send a test message").first.click()
    assert "Test message sent" in page.get_by_role("status").inner_text()
    assert len(receiver.requests) == 1 and "test message" in receiver.requests[0].json()["text"]
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "rhythm_notifications")


def test_bob_mutes_his_reminders(page: Any, live_server: Any, acme: Any) -> None:
    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    page.goto(f"{live_server.url}/w/acme/settings/")
    nav = page.get_by_role("navigation", name="Settings")
    assert nav.get_by_role("link", name="Webhooks").count() == 0
    nav.get_by_role("link", name="My notifications").click()
    page.get_by_label("Mute check-in reminders").check()
    page.get_by_role("button", name="Save preferences").click()
    assert "Your notification preferences were saved." in page.get_by_role("status").inner_text()
    assert page.get_by_label("Mute check-in reminders").is_checked()
    assert delivery.muted_user_ids(acme.workspace, "reminders") == {acme.bob.pk}
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "rhythm_preferences")
