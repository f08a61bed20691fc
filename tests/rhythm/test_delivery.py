"""The outbox sends for real: e-mails to an SMTP server, chat messages and signed webhook
events to an HTTP server, on loopback; failures are retried with back-off, then given up."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
import time_machine

from okapi import secrets
from okapi.rhythm import delivery
from okapi.rhythm.models import (
    DeliveryStatus,
    Notification,
    RhythmSettings,
    Status,
    TeamChannel,
    WebhookDelivery,
    WebhookEndpoint,
)
from okapi.workspaces.models import Team

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 2, 15, 9, 0, tzinfo=dt.UTC)


def _endpoint(acme: Any, url: str, events: list[str] | None = None) -> tuple[Any, str]:
    secret = delivery.new_signing_secret()
    endpoint = WebhookEndpoint.objects.create(
        workspace=acme.workspace, url=url, events=events or [],
        secret=secrets.encrypt(secret), prefix=secret[:10],
    )  # fmt: skip
    return endpoint, secret


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_it_sends_an_email_with_text_and_html_parts(acme: Any, smtp_server: Any) -> None:
    delivery.notify(
        workspace=acme.workspace, kind="reminder", dedupe_key="k1", recipient=acme.bob,
        subject="Time to check in", text="Plain body", html="<p>HTML body</p>",
    )  # fmt: skip
    assert delivery.deliver_due() == 1
    [message] = smtp_server.to("bob@acme.test")
    assert message["Subject"] == "Time to check in"
    assert smtp_server.text(message).strip() == "Plain body"
    assert "<p>HTML body</p>" in smtp_server.html(message)
    sent = Notification.objects.get()
    assert sent.status == Status.SENT and sent.attempts == 1 and sent.sent_at is not None


def test_it_announces_each_key_once(acme: Any) -> None:
    first = delivery.notify(workspace=acme.workspace, kind="kpi_alert", dedupe_key="kpi:1:red",
                            recipient=acme.bob, subject="s", text="t")  # fmt: skip
    again = delivery.notify(workspace=acme.workspace, kind="kpi_alert", dedupe_key="kpi:1:red",
                            recipient=acme.bob, subject="s", text="t")  # fmt: skip
    assert first is not None and again is None
    assert Notification.objects.count() == 1


def test_it_posts_chat_messages_to_the_team_channel_before_the_workspace_one(
    acme: Any, receiver: Any
) -> None:
    RhythmSettings.objects.create(
        workspace=acme.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/workspace")
    )
    growth = Team.objects.get(workspace=acme.workspace, key="growth")
    TeamChannel.objects.create(workspace=acme.workspace, team=growth,
                               chat_webhook=secrets.encrypt(f"{receiver.url}/growth"))  # fmt: skip
    delivery.notify(workspace=acme.workspace, kind="digest", dedupe_key="d1", channel="chat",
                    subject="Weekly digest", text="What moved")  # fmt: skip
    delivery.notify(workspace=acme.workspace, kind="digest", dedupe_key="d2", channel="chat",
                    team=growth, subject="Growth digest", text="What moved")  # fmt: skip
    delivery.deliver_due()
    assert sorted(r.path for r in receiver.requests) == ["/growth", "/workspace"]
    body = receiver.requests[0].json()
    assert "What moved" in body["text"] and body["blocks"][0]["type"] == "section"


def test_it_signs_webhook_events_with_hmac_sha256(acme: Any, receiver: Any) -> None:
    _, secret = _endpoint(acme, f"{receiver.url}/hook")
    event_id = delivery.emit(workspace=acme.workspace, event="checkin.created",
                             data={"key_result": "arr", "value": 1.5})  # fmt: skip
    delivery.deliver_due()
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    expected = hmac.new(secret.encode(), headers["x-okapi-timestamp"].encode() + b"." + request.body,
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert headers["x-okapi-signature"] == f"sha256={expected}"
    assert headers["x-okapi-event"] == "checkin.created"
    assert headers["x-okapi-delivery"] == event_id
    payload = request.json()
    assert payload["id"] == event_id and payload["type"] == "checkin.created"
    assert payload["workspace"] == "acme" and payload["data"] == {"key_result": "arr", "value": 1.5}
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_it_only_sends_the_events_an_endpoint_listens_to(acme: Any, receiver: Any) -> None:
    _endpoint(acme, f"{receiver.url}/closed-only", events=["cycle.closed"])
    _endpoint(acme, f"{receiver.url}/all")
    delivery.emit(workspace=acme.workspace, event="checkin.created", data={})
    delivery.deliver_due()
    assert [r.path for r in receiver.requests] == ["/all"]


def test_it_retries_a_failing_endpoint_with_back_off(acme: Any, receiver: Any) -> None:
    _endpoint(acme, f"{receiver.url}/hook")
    receiver.statuses = [500, 503]
    with time_machine.travel(START, tick=False) as clock:
        delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
        delivery.deliver_due()
        row = WebhookDelivery.objects.get()
        assert (row.status, row.attempts, row.response_status) == ("pending", 1, 500)
        assert row.next_attempt_at == START + dt.timedelta(minutes=1)
        clock.shift(dt.timedelta(seconds=59))
        assert delivery.deliver_due() == 0  # not yet
        clock.shift(dt.timedelta(seconds=1))
        delivery.deliver_due()
        row.refresh_from_db()
        assert (row.attempts, row.last_error) == (2, "HTTP 503")
        assert row.next_attempt_at == START + dt.timedelta(minutes=1 + 5)
        clock.shift(dt.timedelta(minutes=5))
        delivery.deliver_due()
        row.refresh_from_db()
        assert (row.status, row.attempts, row.response_status) == ("delivered", 3, 200)
    assert len(receiver.requests) == 3
    assert len({r.headers["X-Okapi-Delivery"] for r in receiver.requests}) == 1


def test_it_gives_up_after_the_last_retry(acme: Any) -> None:
    _endpoint(acme, f"http://127.0.0.1:{_closed_port()}/hook")
    with time_machine.travel(START, tick=False) as clock:
        delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
        for _ in range(delivery.MAX_ATTEMPTS):
            delivery.deliver_due()
            clock.shift(dt.timedelta(days=1))
        assert delivery.deliver_due() == 0
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.FAILED and row.attempts == delivery.MAX_ATTEMPTS
    assert row.response_status is None and row.last_error.startswith("no answer")


def test_it_does_not_follow_redirects(acme: Any, receiver: Any) -> None:
    _endpoint(acme, f"{receiver.url}/hook")
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data"
    delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
    delivery.deliver_due()
    row = WebhookDelivery.objects.get()
    assert row.status == "pending" and row.response_status == 302
    assert len(receiver.requests) == 1


def test_it_keeps_the_chat_url_out_of_the_error(acme: Any) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/services/T000/B000/XXXXsecretXXXX"
    RhythmSettings.objects.create(workspace=acme.workspace, chat_webhook=secrets.encrypt(url))
    delivery.notify(workspace=acme.workspace, kind="digest", dedupe_key="d", channel="chat",
                    subject="s", text="t")  # fmt: skip
    delivery.deliver_due()
    row = Notification.objects.get()
    assert row.status == "pending" and row.attempts == 1
    assert "XXXXsecretXXXX" not in row.last_error and row.last_error


def test_a_claimed_row_is_not_sent_twice(acme: Any, smtp_server: Any) -> None:
    delivery.notify(workspace=acme.workspace, kind="reminder", dedupe_key="once",
                    recipient=acme.bob, subject="s", text="t")  # fmt: skip
    claimed = delivery.claim_due_notifications()
    assert delivery.claim_due_notifications() == []
    for pk, token in claimed:
        assert delivery.send_notification_by_id(pk, token) == "sent"
        assert delivery.send_notification_by_id(pk, token) == "skipped"
    assert len(smtp_server.messages) == 1
    assert json.loads(json.dumps(Notification.objects.get().chat))["text"]


def test_a_malformed_answer_is_a_failed_attempt_and_the_next_row_still_goes(
    acme: Any, receiver: Any
) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(5)

        def answer_garbage() -> None:
            for _ in range(2):
                conn, _ = server.accept()
                with conn:
                    conn.recv(65536)
                    conn.sendall(b"hello there\r\n\r\n")  # not HTTP

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        port = server.getsockname()[1]
        _endpoint(acme, f"http://127.0.0.1:{port}/hook")
        _endpoint(acme, f"{receiver.url}/fine")
        delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
        delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
        delivery.deliver_due()
        thread.join(timeout=5)
    broken = WebhookDelivery.objects.filter(endpoint__url__endswith="/hook")
    assert [(d.status, d.attempts) for d in broken] == [("pending", 1)] * 2
    assert all(d.last_error.startswith("not an HTTP answer") for d in broken)
    assert len(receiver.requests) == 2  # the other endpoint got both events


@contextmanager
def _raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on loopback that reads one request and answers it with `answer`."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def serve() -> None:
            conn, _ = server.accept()
            with conn, suppress(OSError):  # the client hangs up early, as it should
                conn.recv(65536)
                answer(conn)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
        thread.join(timeout=10)


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_deadline(
    acme: Any, monkeypatch: Any
) -> None:
    """Each byte comes well within the timeout, but the whole answer would take 7 s: the
    attempt ends at the deadline, however slowly the bytes come."""
    monkeypatch.setattr(delivery, "HTTP_TIMEOUT", 1.5)

    def trickle(conn: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: bbbbbbbb\r\n\r\n":
            conn.sendall(bytes([byte]))
            time.sleep(0.2)

    with _raw_server(trickle) as url:
        _endpoint(acme, url)
        delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
        started = time.monotonic()
        delivery.deliver_due()
        took = time.monotonic() - started
    row = WebhookDelivery.objects.get()
    assert took < 3, took
    assert (row.status, row.attempts, row.response_status) == ("pending", 1, None)
    assert row.last_error == "no answer within 1.5 seconds"
    assert 1400 <= row.duration_ms < 3000


def test_an_answer_with_endless_headers_is_not_read_to_the_end(acme: Any) -> None:
    """90 headers of 8 KB (what http.client alone would take) are more than Okapi reads."""

    def bloat(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for n in range(90):
            conn.sendall(f"X-Bloat-{n}: {'b' * 8000}\r\n".encode())
        conn.sendall(b"\r\n")

    with _raw_server(bloat) as url:
        _endpoint(acme, url)
        delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
        delivery.deliver_due()
    row = WebhookDelivery.objects.get()
    assert (row.status, row.response_status) == ("pending", None)
    assert row.last_error == (
        f"not an HTTP answer: its status line and headers are over {delivery.MAX_ANSWER_HEAD} bytes"
    )


def test_a_line_break_in_a_title_does_not_break_the_subject(acme: Any, smtp_server: Any) -> None:
    delivery.notify(workspace=acme.workspace, kind="drift_alert", dedupe_key="nl",
                    recipient=acme.bob, subject="Grow ARR\r\nBcc: evil@x.test is drifting",
                    text="t")  # fmt: skip
    delivery.deliver_due()
    [message] = smtp_server.messages
    assert message["Subject"] == "Grow ARR Bcc: evil@x.test is drifting"
    assert message["Bcc"] is None
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["bob@acme.test"]]


def test_an_import_writes_history_without_flooding_the_webhooks(
    acme: Any, receiver: Any, frozen: Any
) -> None:
    from pathlib import Path

    from okapi.core.okrfile import load_okr_yaml
    from okapi.goals import services as goals
    from okapi.goals.models import CheckIn, Cycle, KeyResult
    from okapi.transfer import okr_import
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.models import Workspace

    example = (Path(__file__).parents[1] / "data" / "formats_example.yaml").read_text()
    doc = load_okr_yaml(example.replace("end: 2027-03-31}", "end: 2027-03-31, closed: true}"))
    fresh = Workspace.objects.create(key="fresh", name="Fresh", timezone="UTC")
    _endpoint(type("Acme", (), {"workspace": fresh}), f"{receiver.url}/hook")
    okr_import(doc, workspace_key="fresh")
    assert Cycle.objects.get(workspace=fresh, key="2027-Q1").closed_at is not None
    assert CheckIn.objects.filter(workspace=fresh).count() == 1
    assert WebhookDelivery.objects.count() == 0  # no checkin.created, no cycle.closed

    # A check-in made after the import (in the cycle, reopened) is news again.
    system = system_actor(fresh)
    goals.cycle_reopen(actor=system, cycle=Cycle.objects.get(workspace=fresh, key="2027-Q1"))
    kr = KeyResult.objects.get(workspace=fresh, key="retention-nrr")
    maria = CheckIn.objects.filter(workspace=fresh).first().author
    goals.checkin_create(actor=system, kr=kr, value=110, author=maria)
    events = WebhookDelivery.objects.order_by("id").values_list("event", flat=True)
    assert list(events) == ["cycle.reopened", "checkin.created"]
