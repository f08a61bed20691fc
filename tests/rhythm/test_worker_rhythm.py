"""`okapi worker --once` plans the rhythm's due jobs, runs them through the task library's own
database queue and sends what they queued: a reminder reaches a real SMTP server end to end. One
workspace's broken settings or failing job never stops another's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from okapi.cli import main
from okapi.rhythm import planning
from okapi.rhythm.models import Notification, RhythmSettings, Status
from okapi.workspaces.models import Workspace

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture(autouse=True)
def keep_the_test_transaction(monkeypatch: Any) -> None:
    """The database worker closes stale connections between tasks; inside a test's transaction
    that would end the transaction, so it is a no-op here."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def test_okapi_worker_once_delivers_the_due_reminders(
    okrs: Any, frozen: Any, smtp_server: Any, capsys: Any, settings: Any
) -> None:
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    Workspace.objects.filter(pk=okrs.workspace.pk).update(timezone="Europe/Berlin")
    frozen.move_to(dt.datetime(2027, 2, 22, 8, 0, 5, tzinfo=UTC))  # Monday 09:00:05 in Berlin
    assert main(["worker", "--once"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    # The tick queued: the sources (none), acme's reminders and scan, globex's scan; the second
    # pass queued the two e-mails the reminder job wrote.
    assert err == (
        "Queued 0 due source(s) and 5 rhythm task(s) (reminders, digests, alerts, messages, "
        "webhooks); the queue is empty.\n"
    )
    [bob] = smtp_server.to("bob@acme.test")
    assert bob["Subject"] == "2 key results to check in on this week (Acme Inc.)"
    assert "/w/acme/kr/churn/checkin/" in smtp_server.text(bob)
    assert len(smtp_server.to("alice@acme.test")) == 1
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    results = DBTaskResult.objects.all()
    assert results.count() == 5 and {r.status for r in results} == {"SUCCESSFUL"}
    # Run again a minute later: nothing new is due.
    frozen.move_to(dt.datetime(2027, 2, 22, 8, 1, tzinfo=UTC))
    assert main(["worker", "--once"]) == 0
    _, err = capsys.readouterr()
    assert err.startswith("Queued 0 due source(s) and 0 rhythm task(s)")
    assert len(smtp_server.messages) == 2


def test_the_digest_is_scheduled_for_the_workspace_and_its_led_teams(
    okrs: Any, frozen: Any, smtp_server: Any, capsys: Any
) -> None:
    frozen.move_to(dt.datetime(2027, 2, 19, 16, 0, tzinfo=UTC))  # Friday 16:00 UTC
    assert main(["worker", "--once"]) == 0
    digests = Notification.objects.filter(workspace=okrs.workspace, kind="digest", channel="email")
    # The workspace's digest to its three members, growth's (led by alice) to alice and bob;
    # product has no lead and no channel: no digest of its own.
    assert sorted(n.recipient.email for n in digests if n.team is None) == [
        "alice@acme.test", "bob@acme.test", "vera@acme.test",
    ]  # fmt: skip
    assert sorted(n.recipient.email for n in digests if n.team is not None) == [
        "alice@acme.test", "bob@acme.test",
    ]  # fmt: skip
    assert len(smtp_server.to("vera@acme.test")) == 1
    assert RhythmSettings.objects.get(workspace=okrs.workspace).digest_done_for == dt.datetime(
        2027, 2, 19, 16, 0, tzinfo=UTC
    )
    queued = Notification.objects.filter(kind="digest").count()
    frozen.move_to(dt.datetime(2027, 2, 19, 17, 0, tzinfo=UTC))
    assert main(["worker", "--once"]) == 0
    assert Notification.objects.filter(kind="digest").count() == queued  # once a week


def test_a_team_digest_is_posted_only_to_the_teams_own_channel(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any, capsys: Any
) -> None:
    from okapi import secrets
    from okapi.rhythm.models import TeamChannel
    from okapi.workspaces.models import Team

    RhythmSettings.objects.create(
        workspace=okrs.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/workspace")
    )
    frozen.move_to(dt.datetime(2027, 2, 19, 16, 0, tzinfo=UTC))  # Friday 16:00 UTC
    assert main(["worker", "--once"]) == 0
    # growth has a lead but no channel: its digest is e-mailed, not posted to the workspace's.
    assert [r.path for r in receiver.requests] == ["/workspace"]
    growth = Team.objects.get(workspace=okrs.workspace, key="growth")
    TeamChannel.objects.create(workspace=okrs.workspace, team=growth,
                               chat_webhook=secrets.encrypt(f"{receiver.url}/growth"))  # fmt: skip
    frozen.move_to(dt.datetime(2027, 2, 26, 16, 0, tzinfo=UTC))
    assert main(["worker", "--once"]) == 0
    assert sorted(r.path for r in receiver.requests[1:]) == ["/growth", "/workspace"]


def test_a_broken_workspace_does_not_stop_the_others(
    okrs: Any, frozen: Any, smtp_server: Any, capsys: Any
) -> None:
    Workspace.objects.filter(pk=okrs.globex.pk).update(timezone="Mars/Olympus_Mons")
    frozen.move_to(dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert main(["worker", "--once"]) == 0
    _, err = capsys.readouterr()
    assert "could not plan the rhythm of workspace globex" in err  # logged, not raised
    assert len(smtp_server.to("bob@acme.test")) == 1


def test_a_failing_job_fails_its_task_only(
    okrs: Any, frozen: Any, smtp_server: Any, capsys: Any, monkeypatch: Any
) -> None:
    from okapi.rhythm import alerts

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the KPI scan broke")

    monkeypatch.setattr(alerts, "scan_kpis", broken)
    frozen.move_to(dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert main(["worker", "--once"]) == 0
    statuses = sorted(
        (r.args_kwargs["args"][1], r.status)
        for r in DBTaskResult.objects.filter(task_path__endswith="run_rhythm_job")
    )
    # Each workspace's reminders and scan: the scans failed, the reminders were sent.
    assert statuses == [
        ("reminders", "SUCCESSFUL"), ("reminders", "SUCCESSFUL"), ("scan", "FAILED"),
        ("scan", "FAILED"),
    ]  # fmt: skip
    assert len(smtp_server.to("bob@acme.test")) == 1


def test_the_planner_leases_a_scan_for_ten_minutes(okrs: Any, frozen: Any) -> None:
    at = dt.datetime(2027, 2, 16, 12, 0, tzinfo=UTC)  # Tuesday: no reminder, no digest due
    jobs = [(d.workspace_id, d.job) for d in planning.plan_due(at)]
    assert sorted(jobs) == sorted([(okrs.workspace.pk, "scan"), (okrs.globex.pk, "scan")])
    assert planning.plan_due(at + dt.timedelta(minutes=9)) == []
    assert len(planning.plan_due(at + dt.timedelta(minutes=10))) == 2
