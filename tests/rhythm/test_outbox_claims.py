"""Each outbox row is sent once, even when the task queue falls behind by more than the lease
(a later tick claims the row again and queues a second task), when two workers run those tasks
at the same time, or when the queue runs one task twice: only the task holding the row's newest
claim sends it, and its attempts are counted once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
import time_machine
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django_tasks_db.models import DBTaskResult

from okapi import secrets
from okapi.commands.worker import _db_worker, _run_queue
from okapi.rhythm import delivery, tasks
from okapi.rhythm.models import (
    DeliveryStatus,
    Notification,
    Status,
    WebhookDelivery,
    WebhookEndpoint,
)

START = dt.datetime(2027, 2, 15, 9, 0, tzinfo=dt.UTC)
LATER = START + delivery.LEASE + dt.timedelta(minutes=1)  # the first task is still queued


@pytest.fixture(autouse=True)
def keep_the_test_transaction(monkeypatch: Any) -> None:
    """The database worker closes stale connections between tasks; inside a test's transaction
    that would end the transaction, so it is a no-op here."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def _email(acme: Any, key: str = "k") -> Notification:
    found = delivery.notify(workspace=acme.workspace, kind="reminder", dedupe_key=key,
                            recipient=acme.bob, subject="Check in", text="t")  # fmt: skip
    assert found is not None
    return found


def _webhook(acme: Any, url: str) -> WebhookDelivery:
    secret = delivery.new_signing_secret()
    WebhookEndpoint.objects.create(workspace=acme.workspace, url=url,
                                   secret=secrets.encrypt(secret), prefix=secret[:10])  # fmt: skip
    delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
    return WebhookDelivery.objects.get()


@pytest.mark.django_db
def test_a_stale_task_does_not_skip_a_failing_webhooks_back_off(acme: Any, receiver: Any) -> None:
    """With one worker: the stale task and the fresh one run one after the other; a receiver
    that fails is tried once, then after the back-off, not twice in a row."""
    receiver.statuses = [500, 500]
    row = _webhook(acme, f"{receiver.url}/hook")
    with time_machine.travel(START, tick=False) as clock:
        assert tasks.enqueue_messages() == 1
        clock.move_to(LATER)
        assert tasks.enqueue_messages() == 1
        _run_queue("database")
    assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
    assert row.next_attempt_at == LATER + dt.timedelta(minutes=delivery.BACKOFF_MINUTES[0])


@pytest.mark.django_db
def test_a_task_run_twice_sends_once(acme: Any, receiver: Any) -> None:
    row = _webhook(acme, f"{receiver.url}/hook")
    [claim] = delivery.claim_due_deliveries()
    assert tasks.send_webhook.call(*claim) == DeliveryStatus.DELIVERED
    assert tasks.send_webhook.call(*claim) == "skipped"
    assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 1)


@pytest.mark.django_db
def test_a_task_queued_without_a_claim_sends_nothing_and_the_row_goes_later(
    acme: Any, mailoutbox: Any
) -> None:
    """A task queued before claims had tokens (an upgrade with a full queue) leaves its row to a
    later tick, which claims it anew when the lease has run out."""
    row = _email(acme)
    with time_machine.travel(START, tick=False) as clock:
        [claim] = delivery.claim_due_notifications()
        assert tasks.send_notification.call(row.pk) == "skipped"
        assert mailoutbox == [] and delivery.claim_due_notifications() == []
        clock.move_to(LATER)
        assert delivery.deliver_due() == 1
    assert len(mailoutbox) == 1
    assert delivery.send_notification_by_id(row.pk, claim.token) == "skipped"


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_a_backlogged_queue_send_an_email_once(
    acme: Any, monkeypatch: Any
) -> None:
    """The tick queues a task for a due e-mail; the queue is behind and the lease runs out, so
    the next tick claims the row again and queues a second task; two workers then run both
    tasks at the same moment."""
    if connection.vendor == "sqlite":
        # The test database is SQLite in memory, shared between threads: a second writer gets
        # "database table is locked" instead of waiting (a real SQLite file serialises writers).
        pytest.skip("two workers writing at once need PostgreSQL here")
    sent: list[Any] = []

    def slow_send(message: Any, fail_silently: bool = False) -> int:
        time.sleep(0.3)
        sent.append(message.to)
        return 1

    monkeypatch.setattr(EmailMultiAlternatives, "send", slow_send)
    both_running = threading.Barrier(2, timeout=10)
    send_by_id = delivery.send_notification_by_id

    def together(*args: Any) -> str:
        both_running.wait()  # each worker holds one of the two tasks
        return send_by_id(*args)

    monkeypatch.setattr(delivery, "send_notification_by_id", together)
    row = _email(acme)
    with time_machine.travel(START, tick=False) as clock:
        assert tasks.enqueue_messages() == 1
        clock.move_to(LATER)
        assert tasks.enqueue_messages() == 1  # claimed anew: the first task may have died

    def work() -> None:
        try:
            _db_worker(batch=True, interval=0).run()
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    assert sent == [["bob@acme.test"]]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
