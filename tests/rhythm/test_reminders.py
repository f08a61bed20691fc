"""Check-in reminders on the workspace's schedule: the worker's tick crosses the reminder time
in the workspace's time zone (DST included) and each owner gets one e-mail, received by a real
SMTP server; the chat channels one summary; the team lead hears after two missed weeks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from okapi import secrets
from okapi.goals import services as goals
from okapi.goals.models import KeyResult, Objective
from okapi.rhythm import delivery, planning
from okapi.rhythm.models import Notification, Preference, RhythmSettings, TeamChannel
from okapi.rhythm.tasks import enqueue_due
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import Membership, Team, Workspace

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture(autouse=True)
def run_tasks_where_queued(settings: Any) -> None:
    """The worker's tasks run as they are queued: one tick plans, handles and sends."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def in_zone(acme: Any, zone: str) -> None:
    Workspace.objects.filter(pk=acme.workspace.pk).update(timezone=zone)
    acme.workspace.refresh_from_db()


def tick(frozen: Any, at: dt.datetime) -> None:
    frozen.move_to(at)
    enqueue_due()


def reminders(mailbox: Any, address: str) -> list[Any]:
    return [m for m in mailbox.to(address) if "to check in on" in str(m["Subject"])]


def lead_mails(mailbox: Any, address: str) -> list[Any]:
    return [m for m in mailbox.to(address) if "without a check-in" in str(m["Subject"])]


def test_it_sends_one_reminder_per_owner_when_monday_09_00_berlin_passes(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    in_zone(okrs, "Europe/Berlin")
    tick(frozen, dt.datetime(2027, 2, 22, 7, 59, tzinfo=UTC))  # 08:59 in Berlin
    assert smtp_server.messages == []
    tick(frozen, dt.datetime(2027, 2, 22, 8, 0, 30, tzinfo=UTC))  # 09:00:30
    assert len(reminders(smtp_server, "alice@acme.test")) == 1
    [bob] = reminders(smtp_server, "bob@acme.test")
    assert bob["Subject"] == "2 key results to check in on this week (Acme Inc.)"
    text, html = smtp_server.text(bob), smtp_server.html(bob)
    assert "Reduce logo churn from 3% to 1.5%" in text and "Launch the NPS survey" in text
    assert "Make customers stay" in text  # the objective
    assert "Grow ARR" not in text  # alice's
    churn_link = delivery.absolute_url("/w/acme/kr/churn/checkin/")
    assert churn_link in text and f'href="{churn_link}"' in html
    assert delivery.absolute_url("/w/acme/rhythm/preferences/") in text
    assert "Last check-in: never" in text
    assert smtp_server.to("vera@acme.test") == [] and smtp_server.to("charlie@globex.test") == []
    assert len(smtp_server.messages) == 2
    tick(frozen, dt.datetime(2027, 2, 22, 8, 1, tzinfo=UTC))
    tick(frozen, dt.datetime(2027, 2, 22, 15, 0, tzinfo=UTC))
    assert len(smtp_server.messages) == 2  # handled once
    keys = set(Notification.objects.values_list("dedupe_key", flat=True))
    assert f"reminder:{okrs.bob.pk}:2027-W08" in keys


def test_it_stops_reminding_when_the_cycle_ends_even_before_it_is_closed(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    # 2027-Q1 ends on Wednesday 31 March: the Monday of that week still reminds, the Monday
    # after does not (the cycle is over, though nobody has closed it yet).
    tick(frozen, dt.datetime(2027, 3, 29, 9, 0, 30, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1
    tick(frozen, dt.datetime(2027, 4, 5, 9, 0, 30, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1
    assert len(reminders(smtp_server, "alice@acme.test")) == 1


def test_it_keeps_09_00_local_across_the_change_to_summer_time(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    in_zone(okrs, "Europe/Berlin")
    # Clocks spring forward on Sunday 2027-03-28: Monday 09:00 CEST is 07:00 UTC.
    tick(frozen, dt.datetime(2027, 3, 29, 6, 59, tzinfo=UTC))
    assert reminders(smtp_server, "bob@acme.test") == []
    tick(frozen, dt.datetime(2027, 3, 29, 7, 0, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1
    assert Notification.objects.filter(dedupe_key=f"reminder:{okrs.bob.pk}:2027-W13").exists()


def test_it_follows_a_custom_schedule_wednesday_14_30_new_york(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    in_zone(okrs, "America/New_York")
    RhythmSettings.objects.create(
        workspace=okrs.workspace, reminder_weekday=2, reminder_time=dt.time(14, 30)
    )
    tick(frozen, dt.datetime(2027, 2, 22, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    tick(frozen, dt.datetime(2027, 2, 24, 19, 29, tzinfo=UTC))  # Wednesday 14:29 EST
    assert reminders(smtp_server, "bob@acme.test") == []
    tick(frozen, dt.datetime(2027, 2, 24, 19, 30, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1
    assert len(reminders(smtp_server, "alice@acme.test")) == 1


def test_it_skips_an_occurrence_missed_by_more_than_a_day(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    # The worker was down from Monday morning until Tuesday afternoon: no day-late reminders.
    tick(frozen, dt.datetime(2027, 2, 23, 9, 1, tzinfo=UTC))
    assert reminders(smtp_server, "bob@acme.test") == []
    # ...but one that is only hours late is still sent.
    tick(frozen, dt.datetime(2027, 3, 1, 20, 0, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1


def test_it_does_not_send_last_mondays_reminder_to_a_new_workspace(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    Workspace.objects.filter(pk=okrs.workspace.pk).update(
        created_at=dt.datetime(2027, 2, 22, 10, 0, tzinfo=UTC)
    )
    tick(frozen, dt.datetime(2027, 2, 22, 11, 0, tzinfo=UTC))  # 09:00 UTC was before it existed
    assert smtp_server.messages == []


def test_it_skips_checked_in_krs_closed_cycles_and_people_who_left(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    system = system_actor(okrs.workspace)
    frozen.move_to(dt.datetime(2027, 2, 22, 7, 0, tzinfo=UTC))
    churn = KeyResult.objects.get(key="churn")
    goals.checkin_create(actor=system, kr=churn, value=2.8, author=okrs.bob)  # this week
    Membership.objects.filter(workspace=okrs.workspace, user=okrs.alice).delete()  # left
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    [bob] = reminders(smtp_server, "bob@acme.test")
    assert "Launch the NPS survey" in smtp_server.text(bob)
    assert "logo churn" not in smtp_server.text(bob)
    assert smtp_server.to("alice@acme.test") == []
    # A cycle that has ended asks for nothing.
    tick(frozen, dt.datetime(2027, 4, 5, 9, 0, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1


def test_an_owner_made_viewer_is_not_reminded(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    # A viewer cannot check in, so a reminder with check-in links would only frustrate.
    Membership.objects.filter(workspace=okrs.workspace, user=okrs.bob).update(role="viewer")
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert reminders(smtp_server, "bob@acme.test") == []
    assert len(reminders(smtp_server, "alice@acme.test")) == 1


def test_a_deactivated_account_is_not_reminded(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    okrs.bob.is_active = False
    okrs.bob.save()
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert smtp_server.to("bob@acme.test") == []
    assert len(reminders(smtp_server, "alice@acme.test")) == 1


def test_muted_people_get_no_reminder(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    Preference.objects.create(workspace=okrs.workspace, user=okrs.bob, mute_reminders=True)
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert smtp_server.to("bob@acme.test") == []
    assert len(reminders(smtp_server, "alice@acme.test")) == 1


def test_a_workspace_with_reminders_off_gets_none(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    RhythmSettings.objects.create(workspace=okrs.workspace, reminders_enabled=False)
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert reminders(smtp_server, "bob@acme.test") == []


def test_the_lead_hears_after_two_missed_weeks_not_after_one(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    KeyResult.objects.update(created_at=dt.datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    system = system_actor(okrs.workspace)
    frozen.move_to(dt.datetime(2027, 2, 3, 12, 0, tzinfo=UTC))  # the week of 1 February
    for key in ("churn", "nps-page"):
        kr = KeyResult.objects.get(key=key)
        value = 2.9 if key == "churn" else 0
        goals.checkin_create(actor=system, kr=kr, value=value, author=okrs.bob)
    # 15 February: only the week of 8 February was missed.
    tick(frozen, dt.datetime(2027, 2, 15, 9, 0, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1
    assert lead_mails(smtp_server, "alice@acme.test") == []
    # 22 February: two weeks missed: alice, growth's lead (the team owning the objective), hears.
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    [lead] = lead_mails(smtp_server, "alice@acme.test")
    assert lead["Subject"] == (
        "2 key results in your team without a check-in for 2+ weeks (Acme Inc.)"
    )
    text = smtp_server.text(lead)
    assert "Reduce logo churn from 3% to 1.5% (owner: Bob)" in text
    assert "Last check-in: 2027-02-03, 2 weeks missed" in text
    assert "Grow ARR" not in text  # alice's own KR: she is not her own lead
    tick(frozen, dt.datetime(2027, 2, 22, 12, 0, tzinfo=UTC))
    assert len(lead_mails(smtp_server, "alice@acme.test")) == 1  # once a week
    assert Notification.objects.filter(dedupe_key=f"lead:{okrs.alice.pk}:2027-W08").count() == 1


def test_a_lead_who_muted_reminders_is_not_told(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    KeyResult.objects.update(created_at=dt.datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    Preference.objects.create(workspace=okrs.workspace, user=okrs.alice, mute_reminders=True)
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert smtp_server.to("alice@acme.test") == []
    assert len(reminders(smtp_server, "bob@acme.test")) == 1


def test_a_brand_new_kr_does_not_send_the_lead_weeks_it_did_not_exist(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    # The KRs were created on Monday 15 February, six weeks into the cycle.
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    assert len(reminders(smtp_server, "bob@acme.test")) == 1
    assert lead_mails(smtp_server, "alice@acme.test") == []  # one week missed, not six
    tick(frozen, dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    assert len(lead_mails(smtp_server, "alice@acme.test")) == 1  # two weeks now


def test_the_lead_of_the_owners_team_hears_when_no_team_owns_the_objective(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    Objective.objects.filter(key="retain").update(owner_team=None, owner_user=okrs.bob)
    KeyResult.objects.update(created_at=dt.datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    [lead] = lead_mails(smtp_server, "alice@acme.test")  # bob is in growth, alice leads it
    assert "(owner: Bob)" in smtp_server.text(lead)


def test_it_posts_one_chat_summary_per_channel(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    RhythmSettings.objects.create(
        workspace=okrs.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/workspace")
    )
    growth = Team.objects.get(workspace=okrs.workspace, key="growth")
    TeamChannel.objects.create(
        workspace=okrs.workspace,
        team=growth,
        chat_webhook=secrets.encrypt(f"{receiver.url}/growth"),
    )
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    tick(frozen, dt.datetime(2027, 2, 22, 9, 5, tzinfo=UTC))
    posts = {r.path: r.json() for r in receiver.requests}
    assert sorted(r.path for r in receiver.requests) == ["/growth", "/workspace"]
    workspace_text = posts["/workspace"]["text"]
    assert "Check-ins due this week in Acme Inc." in workspace_text
    assert "• Bob: 2 key results" in workspace_text and "• Alice: 1 key result" in workspace_text
    assert "Check-ins due this week in Growth" in posts["/growth"]["text"]
    assert "• Bob: 2 key results" in posts["/growth"]["text"]
    assert len(smtp_server.messages) == 2  # and the e-mails, one per owner


def test_two_planners_claim_an_occurrence_once(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    frozen.move_to(dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    acme = okrs.workspace.pk
    first = [d for d in planning.plan_due() if (d.workspace_id, d.job) == (acme, "reminders")]
    second = [d for d in planning.plan_due() if (d.workspace_id, d.job) == (acme, "reminders")]
    assert len(first) == 1 and second == []  # leased: not queued twice
    [due] = first
    assert planning.claim(due.workspace_id, due.job, due.occurrence) is True
    assert planning.claim(due.workspace_id, due.job, due.occurrence) is False
    RhythmSettings.objects.update(reminders_done_for=None)
    assert planning.run_job(due.workspace_id, due.job, due.occurrence).startswith("reminders: 2")
    assert planning.run_job(due.workspace_id, due.job, due.occurrence) == "handled already"
    delivery.deliver_due()
    assert len(smtp_server.messages) == 2


def test_a_failed_job_leaves_the_occurrence_for_the_next_try(
    okrs: Any, frozen: Any, smtp_server: Any, monkeypatch: Any
) -> None:
    from okapi.rhythm import reminders as module

    def broken(*args: Any, **kwargs: Any) -> int:
        module.delivery.notify(
            workspace=okrs.workspace, kind="reminder", dedupe_key="half-done",
            recipient=okrs.bob, subject="s", text="t",
        )  # fmt: skip
        raise RuntimeError("the template is broken")

    monkeypatch.setattr(module, "send_reminders", broken)
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    settings_row = RhythmSettings.objects.get(workspace=okrs.workspace)
    assert settings_row.reminders_done_for is None  # rolled back with the rows it wrote
    assert not Notification.objects.filter(dedupe_key="half-done").exists()
    assert settings_row.scanned_at is not None  # the other jobs ran
    monkeypatch.undo()
    tick(frozen, dt.datetime(2027, 2, 22, 9, 5, tzinfo=UTC))
    assert reminders(smtp_server, "bob@acme.test") == []  # still leased
    tick(frozen, dt.datetime(2027, 2, 22, 9, 11, tzinfo=UTC))  # the lease expired
    assert len(reminders(smtp_server, "bob@acme.test")) == 1


def test_names_reach_the_chat_escaped_so_they_cannot_ping_a_channel(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    Workspace.objects.filter(pk=okrs.workspace.pk).update(name="Acme <!channel> & Co")
    Team.objects.filter(workspace=okrs.workspace, key="growth").update(name="<!here> Growth")
    okrs.bob.name = "Bob <@U123>"
    okrs.bob.save()
    RhythmSettings.objects.create(
        workspace=okrs.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/workspace")
    )
    TeamChannel.objects.create(
        workspace=okrs.workspace,
        team=Team.objects.get(workspace=okrs.workspace, key="growth"),
        chat_webhook=secrets.encrypt(f"{receiver.url}/growth"),
    )
    tick(frozen, dt.datetime(2027, 2, 22, 9, 0, tzinfo=UTC))
    posts = {r.path: r.json() for r in receiver.requests}
    assert sorted(posts) == ["/growth", "/workspace"]
    for post in posts.values():
        sent = post["text"] + str(post["blocks"])
        assert "<!channel>" not in sent and "<!here>" not in sent and "<@U123>" not in sent
    assert "Acme &lt;!channel&gt; &amp; Co" in posts["/workspace"]["text"]
    assert "Bob &lt;@U123&gt;" in posts["/workspace"]["text"]
    assert "&lt;!here&gt; Growth" in posts["/growth"]["text"]
