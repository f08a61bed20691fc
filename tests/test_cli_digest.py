"""`okapi digest`: the readable text, --json (nothing else on stdout), --send (the e-mails
arrive at a real SMTP server on loopback) and exit 2 on an unknown workspace or team."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from okapi.cli import main
from okapi.goals import services as goals
from okapi.goals.models import KeyResult
from okapi.rhythm.models import Notification, Status
from okapi.workspaces.access import system_actor
from tests.rhythm.conftest import smtp_server  # noqa: F401 - the SMTP server fixture


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def checked_in(okrs: Any) -> Any:
    goals.checkin_create(actor=system_actor(okrs.workspace), kr=KeyResult.objects.get(key="churn"),
                         value=2.7, author=okrs.bob, at=dt.date(2027, 2, 12),
                         confidence="at_risk", moved="Onboarding calls started",
                         blocked="Waiting for the CRM export")  # fmt: skip
    return okrs


def test_it_prints_the_digest_as_text(checked_in: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "digest", "--workspace", "acme")
    assert (code, err) == (0, "")
    assert out.startswith("Weekly digest: Acme Inc., 9–15 Feb 2027\n")
    assert "WHAT MOVED\n- 12 Feb · Reduce logo churn from 3% to 1.5% (Make customers stay)" in out
    assert "  Blocked: Waiting for the CRM export" in out
    assert "http://localhost:8000/w/acme/objectives/retain/#kr-churn-h" in out
    assert Notification.objects.count() == 0  # printing sends nothing


def test_it_prints_only_json(checked_in: Any, capsys: Any) -> None:
    code, out, err = run(capsys, "digest", "--workspace", "acme", "--team", "growth", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) >= {"workspace", "team", "period", "moved", "blocked", "at_risk", "kpis",
                         "quiet_objectives", "counts"}  # fmt: skip
    assert data["team"] == {"key": "growth", "name": "Growth"}
    assert data["period"] == {"start": "2027-02-09", "end": "2027-02-15"}
    assert [c["kr"] for c in data["moved"]] == ["churn"]
    assert data["blocked"][0]["note"] == "Waiting for the CRM export"


def test_it_sends_the_digest_right_away(
    checked_in: Any,
    capsys: Any,
    smtp_server: Any,  # noqa: F811
) -> None:
    code, out, err = run(capsys, "digest", "--workspace", "acme", "--send", "--json")
    assert code == 0
    assert json.loads(out)["counts"]["moved"] == 1
    assert err == "Digest: 3 sent, 0 failed.\n"
    [message] = smtp_server.to("bob@acme.test")
    assert "Waiting for the CRM export" in smtp_server.text(message)
    assert "Waiting for the CRM export" in smtp_server.html(message)
    assert {n.status for n in Notification.objects.all()} == {Status.SENT}
    code, _, err = run(capsys, "digest", "--workspace", "acme", "--send")
    assert code == 0 and "already sent this week" in err
    assert len(smtp_server.messages) == 3


def test_it_sends_only_this_workspaces_messages(
    checked_in: Any,
    capsys: Any,
    smtp_server: Any,  # noqa: F811
) -> None:
    """--send delivers the workspace's due messages in this process; another workspace's
    messages and webhook events are left to the worker."""
    from okapi import secrets
    from okapi.rhythm import delivery
    from okapi.rhythm.models import WebhookDelivery, WebhookEndpoint

    globex = checked_in.globex
    delivery.notify(workspace=globex, kind="reminder", dedupe_key="g", recipient=checked_in.charlie,
                    subject="Globex reminder", text="t")  # fmt: skip
    WebhookEndpoint.objects.create(workspace=globex, url="http://127.0.0.1:9/hook",
                                   secret=secrets.encrypt("whsec_x"), prefix="whsec_x")  # fmt: skip
    delivery.emit(workspace=globex, event="cycle.closed", data={})
    delivery.notify(workspace=checked_in.workspace, kind="reminder", dedupe_key="a",
                    recipient=checked_in.vera, subject="Acme reminder", text="t")  # fmt: skip
    code, _, err = run(capsys, "digest", "--workspace", "acme", "--send")
    assert (code, err) == (0, "Digest: 3 sent, 0 failed.\n")
    assert smtp_server.to("charlie@globex.test") == []
    assert "Acme reminder" in [m["Subject"] for m in smtp_server.to("vera@acme.test")]
    waiting = Notification.objects.get(workspace=globex)
    assert (waiting.status, waiting.attempts) == (Status.PENDING, 0)
    assert WebhookDelivery.objects.get().attempts == 0


def test_it_reports_messages_that_could_not_be_sent(okrs: Any, capsys: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    code, _, err = run(capsys, "digest", "--workspace", "acme", "--send")
    assert code == 1
    assert "Digest: 0 sent, 3 failed." in err and "alice@acme.test:" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workspace", "nope"], "okapi: no workspace 'nope'\n"),
        (["--workspace", "acme", "--team", "nope"], "okapi: no team 'nope' in workspace 'acme'\n"),
        (["--workspace", "a\x00b"], "okapi: no workspace 'a\x00b'\n"),
        (["--workspace", "acme", "--team", "x" * 300], f"okapi: no team '{'x' * 64}'\n"),
        (["--workspace", "globex", "--team", "growth"],
         "okapi: no team 'growth' in workspace 'globex'\n"),
    ],
)  # fmt: skip
def test_it_exits_2_on_an_unknown_workspace_or_team(
    okrs: Any, capsys: Any, argv: list[str], message: str
) -> None:
    assert run(capsys, "digest", *argv, "--json") == (2, "", message)


def test_it_has_help(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["digest", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--workspace KEY" in out and "--send" in out and "muted" in out
