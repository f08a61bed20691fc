"""The weekly digest: its content over a frozen week, a team's digest, the page, the API, and
sending it for real (e-mails to an SMTP server, a chat post to an HTTP server on loopback)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from okapi import secrets
from okapi.goals import services as goals
from okapi.goals.models import KeyResult
from okapi.kpis import services as kpis
from okapi.rhythm import delivery
from okapi.rhythm.digest import (
    CHAT_ITEMS,
    digest_chat,
    digest_data,
    digest_email_html,
    digest_send,
    digest_text,
)
from okapi.rhythm.models import Notification, Preference, RhythmSettings, Status, TeamChannel
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(okrs: Any) -> Any:
    """Check-ins before and inside the week ending Monday 2027-02-15 (frozen), a red KPI and a
    product KPI. The week is 9–15 Feb."""
    system = system_actor(okrs.workspace)
    churn, arr, nps = (KeyResult.objects.get(key=k) for k in ("churn", "arr", "nps-page"))
    goals.checkin_create(actor=system, kr=churn, value=2.9, author=okrs.bob,
                         at=dt.date(2027, 2, 1), moved="Too old to show")  # fmt: skip
    goals.checkin_create(actor=system, kr=arr, value=1_100_000, author=okrs.alice,
                         at=dt.date(2027, 2, 8), moved="The day before the week")  # fmt: skip
    goals.checkin_create(actor=system, kr=churn, value=2.7, author=okrs.bob,
                         at=dt.date(2027, 2, 10), confidence="at_risk",
                         moved="Onboarding calls started",
                         blocked="Waiting for the CRM export")  # fmt: skip
    goals.checkin_create(actor=system, kr=nps, value=0, author=okrs.bob,
                         at=dt.date(2027, 2, 12), confidence="off_track",
                         moved="Survey drafted")  # fmt: skip
    recorded_on_the_day(okrs)
    kpis.kpi_measure(actor=system, kpi=okrs_kpi("nrr"), value=101, at=dt.date(2027, 2, 14))
    kpis.kpi_create(actor=system, key="uptime", name="Uptime", unit="%", direction="up",
                    target=99.9, warning=99.5, cadence="daily", owner="product")  # fmt: skip
    kpis.kpi_measure(actor=system, kpi=okrs_kpi("uptime"), value=99.95, at=dt.date(2027, 2, 15))
    return okrs


def recorded_on_the_day(okrs: Any) -> None:
    """As people do: each check-in recorded at noon UTC of the day it is dated."""
    from okapi.goals.models import CheckIn

    for checkin in CheckIn.objects.filter(workspace=okrs.workspace):
        noon = dt.datetime.combine(checkin.at, dt.time(12), tzinfo=dt.UTC)
        CheckIn.objects.filter(pk=checkin.pk).update(created_at=noon)


def okrs_kpi(key: str) -> Any:
    from okapi.kpis.models import Kpi

    return Kpi.objects.get(key=key)


# --------------------------------------------------------------------------- content


def test_it_lists_the_weeks_checkins_newest_first_with_their_notes(week: Any) -> None:
    data = digest_data(workspace=week.workspace)
    assert data["period"] == {"start": "2027-02-09", "end": "2027-02-15"}
    assert data["week"] == "2027-W07"
    assert [(c["kr"], c["at"]) for c in data["moved"]] == [
        ("nps-page", "2027-02-12"),
        ("churn", "2027-02-10"),
    ]
    churn = data["moved"][1]
    assert churn["objective"] == "retain" and churn["objective_title"] == "Make customers stay"
    assert churn["author"] == "bob@acme.test" and churn["author_name"] == "Bob"
    assert churn["value"] == 2.7 and churn["value_text"] == "2.7%"
    assert churn["progress"] == pytest.approx(0.2)  # 3 -> 1.5, at 2.7
    assert churn["moved"] == "Onboarding calls started"
    assert churn["blocked"] == "Waiting for the CRM export"
    assert churn["url"] == "http://localhost:8000/w/acme/objectives/retain/#kr-churn-h"
    assert data["moved"][0]["value_text"] == "not done"
    assert data["quiet"] is False
    json.dumps(data)  # JSON-ready as it is


def test_it_lists_what_is_blocked_and_the_krs_at_risk(week: Any) -> None:
    data = digest_data(workspace=week.workspace)
    blocked = {b["kr"]: b for b in data["blocked"]}
    assert blocked["churn"]["note"] == "Waiting for the CRM export"
    assert blocked["churn"]["off_track"] is False
    assert blocked["nps-page"]["note"] is None and blocked["nps-page"]["off_track"] is True
    assert "arr" not in blocked
    risk = {k["kr"]: k for k in data["at_risk"]}
    assert risk["nps-page"]["reasons"][0] == "off_track"
    assert "at_risk" in risk["churn"]["reasons"]
    assert risk["churn"]["reasons_text"].startswith("at risk")
    assert data["at_risk"][0]["kr"] == "nps-page"  # off track first
    assert risk["arr"]["reasons"] == ["behind"]  # 10% of the way, 50% of the cycle gone
    assert risk["arr"]["forecast"] is None or set(risk["arr"]["forecast"]) >= {"score"}
    assert data["counts"]["at_risk"] == len(data["at_risk"]) == 3


def test_it_shows_a_krs_forecast_and_flags_a_drifting_one(week: Any) -> None:
    KeyResult.objects.filter(key="arr").update(
        forecast_value=1_200_000, forecast_low=1_100_000, forecast_high=1_300_000
    )
    data = digest_data(workspace=week.workspace)
    arr = next(k for k in data["at_risk"] if k["kr"] == "arr")
    assert arr["forecast"]["score"] == pytest.approx(0.2)
    assert arr["forecast"]["drifting"] is True and 0 <= arr["forecast"]["chance"] < 0.1
    assert arr["reasons"] == ["drifting", "behind"]
    assert "forecast score 0.20" in digest_text(data)


def test_it_gives_no_chance_when_the_forecast_range_collapsed(client: Any, week: Any) -> None:
    """Check-ins on a line give a range of one point, which says nothing about the odds: the
    text, the e-mail and the page show the score and leave the chance out."""
    KeyResult.objects.filter(key="arr").update(
        forecast_value=1_200_000, forecast_low=1_200_000, forecast_high=1_200_000
    )
    data = digest_data(workspace=week.workspace)
    arr = next(k for k in data["at_risk"] if k["kr"] == "arr")
    assert arr["forecast"]["low"] == arr["forecast"]["high"]
    text = digest_text(data)
    assert "forecast score 0.20 (not enough spread to estimate a chance)" in text
    html = digest_email_html(data)
    assert "forecast score 0.20, not enough spread to estimate a chance" in html
    client.force_login(week.bob)
    page = client.get("/w/acme/rhythm/digest/").content.decode()
    assert "forecast score 0.20 (not enough spread to estimate a chance)" in page
    for shown in (text, html, page):
        assert not re.search(r"forecast score 0\.20\W+\d+% chance", shown)


def test_it_lists_kpis_needing_attention_and_objectives_nobody_checked_in_on(week: Any) -> None:
    data = digest_data(workspace=week.workspace)
    assert [(k["key"], k["health"]) for k in data["kpis"]] == [("nrr", "red")]  # uptime: green
    nrr = data["kpis"][0]
    assert nrr["value_text"] == "101 %" and nrr["owner"] == "growth"
    assert nrr["url"] == "http://localhost:8000/w/acme/kpis/nrr/"
    assert data["counts"]["kpis_red"] == 1
    # `grow` had its only check-in on 8 Feb, the day before the week.
    assert [o["objective"] for o in data["quiet_objectives"]] == ["grow"]
    assert data["quiet_objectives"][0]["last_checkin_at"] == "2027-02-08"


def test_it_reads_an_earlier_week_when_asked(week: Any) -> None:
    data = digest_data(workspace=week.workspace, until=dt.date(2027, 2, 8))
    assert data["period"] == {"start": "2027-02-02", "end": "2027-02-08"}
    assert [c["kr"] for c in data["moved"]] == ["arr"]
    assert data["quiet_objectives"][0]["objective"] == "retain"


def test_it_follows_the_workspace_time_zone(week: Any) -> None:
    week.workspace.timezone = "Pacific/Auckland"  # 2027-02-15 12:00 UTC is Tuesday 01:00 there
    week.workspace.save()
    data = digest_data(workspace=week.workspace)
    assert data["period"] == {"start": "2027-02-10", "end": "2027-02-16"}


def test_a_teams_digest_has_its_objectives_its_peoples_krs_and_its_kpis(week: Any) -> None:
    growth = Team.objects.get(key="growth")
    data = digest_data(workspace=week.workspace, team=growth)
    assert data["team"] == {"key": "growth", "name": "Growth"}
    assert {c["kr"] for c in data["moved"]} == {"churn", "nps-page"}
    assert {k["key"] for k in data["kpis"]} == {"nrr"}
    assert data["quiet_objectives"] == []  # `grow` is alice's, not the team's
    # alice leads growth: her KR is in the team's digest
    assert "arr" in {k["kr"] for k in data["at_risk"]}

    product = Team.objects.get(key="product")
    kpis.kpi_measure(actor=system_actor(week.workspace), kpi=okrs_kpi("uptime"), value=98,
                     at=dt.datetime(2027, 2, 15, 11, tzinfo=dt.UTC))  # fmt: skip
    empty = digest_data(workspace=week.workspace, team=product)
    assert (empty["moved"], empty["at_risk"], empty["quiet_objectives"]) == ([], [], [])
    assert [k["key"] for k in empty["kpis"]] == ["uptime"]
    assert empty["quiet"] is True


def test_its_text_says_when_the_week_was_quiet(okrs: Any) -> None:
    text = digest_text(digest_data(workspace=okrs.workspace))
    assert text.startswith("Weekly digest: Acme Inc., 9–15 Feb 2027\n")
    assert "A quiet week: nobody checked in between 2027-02-09 and 2027-02-15." in text


def test_its_chat_message_stays_short_with_and_n_more(okrs: Any) -> None:
    system = system_actor(okrs.workspace)
    churn = KeyResult.objects.get(key="churn")
    for day in range(9, 16):
        goals.checkin_create(actor=system, kr=churn, value=2.5, author=okrs.bob,
                             at=dt.date(2027, 2, day), moved="x" * 500)  # fmt: skip
    message = digest_chat(digest_data(workspace=okrs.workspace))
    moved = message["blocks"][1]["text"]["text"]
    assert moved.startswith("*What moved (7)*")
    assert moved.count("\n• ") == CHAT_ITEMS and f"_and {7 - CHAT_ITEMS} more_" in moved
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if "text" in b)
    assert len(message["blocks"][0]["text"]["text"]) <= 150
    assert len(message["blocks"]) <= 50


# --------------------------------------------------------------------------- the page


def test_the_page_shows_the_digest_with_links(client: Any, week: Any) -> None:
    client.force_login(week.bob)
    response = client.get("/w/acme/rhythm/digest/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Waiting for the CRM export" in page
    assert 'href="/w/acme/objectives/retain/#kr-churn-h"' in page
    assert 'href="/w/acme/kpis/nrr/"' in page
    assert 'href="/w/acme/objectives/grow/"' in page
    assert 'aria-current="page">Digest</a>' in page


def test_the_page_shows_a_team_and_an_earlier_week(client: Any, week: Any) -> None:
    client.force_login(week.vera)  # viewers read the digest too
    response = client.get("/w/acme/rhythm/digest/", {"team": "product", "until": "2027-02-08"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Weekly digest · Product" in page
    assert "A quiet week." in page and "The day before the week" not in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"until": "15/02/2027"}, "is not a date written YYYY-MM-DD"),
        ({"until": "2027-02-30"}, "is not a date written YYYY-MM-DD"),
        ({"until": "0001-01-01"}, "must be between"),
        ({"until": "x" * 5000}, "is not a date"),
        ({"team": "nope"}, "no team &#x27;nope&#x27;"),
        ({"team": "\x00"}, "no team"),
    ],
)
def test_the_page_answers_422_on_a_bad_parameter(
    client: Any, okrs: Any, params: dict[str, str], message: str
) -> None:
    client.force_login(okrs.alice)
    response = client.get("/w/acme/rhythm/digest/", params)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_charlie_cannot_see_acmes_digest(client: Any, week: Any) -> None:
    client.force_login(week.charlie)
    assert client.get("/w/acme/rhythm/digest/").status_code == 404
    assert client.get("/w/acme/rhythm/digest/", {"team": "growth"}).status_code == 404
    client.logout()
    assert client.get("/w/acme/rhythm/digest/").status_code == 302  # to the sign-in page


# --------------------------------------------------------------------------- the API


def test_the_api_answers_the_digest(alice_api: Any, week: Any) -> None:
    response = alice_api.get("/digest", team="growth", until="2027-02-15")
    assert response.status_code == 200
    body = response.json()
    data = digest_data(workspace=week.workspace, team=Team.objects.get(key="growth"),
                       until=dt.date(2027, 2, 15))  # fmt: skip
    for kpi in body["kpis"] + data["kpis"]:  # the same moment, written "Z" or "+00:00"
        kpi["latest_at"] = dt.datetime.fromisoformat(kpi["latest_at"])
    assert body == data | {"generated_at": body["generated_at"]}
    assert [c["kr"] for c in body["moved"]] == ["nps-page", "churn"]


def test_the_api_refuses_bad_input_and_other_workspaces(
    alice_api: Any, charlie_api: Any, client: Any, week: Any
) -> None:
    assert alice_api.get("/digest", until="2027-13-01").status_code == 422
    assert alice_api.get("/digest", until="0001-01-01").status_code == 422
    bad_team = alice_api.get("/digest", team="nope")
    assert bad_team.status_code == 422 and "team" in json.dumps(bad_team.json())
    # charlie's token acts in globex: acme's team is unknown there, acme's data is not shown
    answer = charlie_api.get("/digest", team="growth")
    assert answer.status_code == 422
    globex = charlie_api.get("/digest").json()
    assert globex["workspace"]["key"] == "globex" and globex["moved"] == []
    assert client.get("/api/digest").status_code == 401


def test_the_api_documents_the_digest(client: Any, db: Any) -> None:
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/digest"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"team", "until"}
    assert "DigestOut" in json.dumps(operation["responses"]["200"])


# --------------------------------------------------------------------------- sending


def test_it_emails_everyone_who_has_not_muted_it(week: Any, smtp_server: Any) -> None:
    Preference.objects.create(workspace=week.workspace, user=week.bob, mute_digest=True)
    assert digest_send(workspace=week.workspace) == 2  # alice and vera (viewers read too)
    assert delivery.deliver_due() == 2
    assert smtp_server.to("bob@acme.test") == []
    [message] = smtp_server.to("vera@acme.test")
    assert message["Subject"] == "Weekly digest: Acme Inc., 9–15 Feb 2027"
    text, html = smtp_server.text(message), smtp_server.html(message)
    assert "Waiting for the CRM export" in text and "Waiting for the CRM export" in html
    assert "http://localhost:8000/w/acme/objectives/retain/#kr-churn-h" in text
    assert 'href="http://localhost:8000/w/acme/objectives/retain/#kr-churn-h"' in html
    assert 'href="http://localhost:8000/w/acme/kpis/nrr/"' in html
    assert "http://localhost:8000/w/acme/rhythm/digest/" in text
    assert (
        "mute the digest in your notifications: http://localhost:8000/w/acme/rhythm/preferences/"
        in text
    )
    assert "charlie" not in text + html
    assert "Acme Inc.." not in text + html  # the name ends with its own full stop
    assert all(n.status == Status.SENT for n in Notification.objects.all())


def test_a_rerun_in_the_same_week_sends_nothing_new(
    week: Any, smtp_server: Any, frozen: Any
) -> None:
    assert digest_send(workspace=week.workspace) == 3
    frozen.move_to(dt.datetime(2027, 2, 19, 16, tzinfo=dt.UTC))  # Friday, same ISO week
    assert digest_send(workspace=week.workspace) == 0
    frozen.move_to(dt.datetime(2027, 2, 22, 16, tzinfo=dt.UTC))  # the next week
    assert digest_send(workspace=week.workspace) == 3
    delivery.deliver_due()
    assert len(smtp_server.to("alice@acme.test")) == 2


def test_a_teams_digest_goes_to_its_members_lead_and_channel(
    week: Any, smtp_server: Any, receiver: Any
) -> None:
    RhythmSettings.objects.create(
        workspace=week.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/workspace")
    )
    growth = Team.objects.get(key="growth")
    TeamChannel.objects.create(workspace=week.workspace, team=growth,
                               chat_webhook=secrets.encrypt(f"{receiver.url}/growth"))  # fmt: skip
    assert digest_send(workspace=week.workspace, team=growth) == 3  # bob, alice, the channel
    delivery.deliver_due()
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "alice@acme.test", "bob@acme.test",
    ]  # fmt: skip
    [post] = receiver.requests
    assert post.path == "/growth"
    body = post.json()
    assert body["blocks"][0]["text"]["text"].startswith("Weekly digest: Growth (Acme Inc.)")
    assert "<http://localhost:8000/w/acme/objectives/retain/#kr-churn-h|" in body["text"]
    assert "Waiting for the CRM export" in body["text"]
    assert "http://localhost:8000/w/acme/rhythm/digest/?team=growth" in body["text"]
    assert digest_send(workspace=week.workspace, team=growth) == 0


def test_a_quiet_week_is_sent_too_and_says_so(okrs: Any, smtp_server: Any, receiver: Any) -> None:
    RhythmSettings.objects.create(
        workspace=okrs.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/ws")
    )
    assert digest_send(workspace=okrs.workspace) == 4  # alice, bob, vera and the channel
    delivery.deliver_due()
    [message] = smtp_server.to("bob@acme.test")
    assert "A quiet week" in smtp_server.text(message)
    assert "A quiet week" in smtp_server.html(message)
    assert "A quiet week" in receiver.requests[0].json()["text"]


# --------------------------------------------------------------------------- no check-in left out

FRIDAY_16 = dt.datetime(2027, 2, 19, 16, tzinfo=dt.UTC)  # the digest time (UTC workspace)


def alice_digest_texts() -> list[str]:
    return [
        n.text
        for n in Notification.objects.filter(kind="digest", recipient__email="alice@acme.test")
    ]


def test_a_checkin_made_after_the_digest_or_backdated_is_in_the_next_one(
    okrs: Any, frozen: Any
) -> None:
    system = system_actor(okrs.workspace)
    churn = KeyResult.objects.get(key="churn")
    frozen.move_to(FRIDAY_16)
    assert digest_send(workspace=okrs.workspace, at=FRIDAY_16) > 0
    frozen.move_to(FRIDAY_16 + dt.timedelta(hours=1))  # an hour after the digest went out
    goals.checkin_create(actor=system, kr=churn, value=2.8, author=okrs.bob,
                         moved="Late on Friday")  # fmt: skip
    frozen.move_to(dt.datetime(2027, 2, 22, 9, tzinfo=dt.UTC))  # Monday, backdated to Thursday
    goals.checkin_create(actor=system, kr=churn, value=2.6, author=okrs.bob,
                         at=dt.date(2027, 2, 18), moved="Backfilled on Monday")  # fmt: skip
    next_friday = FRIDAY_16 + dt.timedelta(days=7)
    frozen.move_to(next_friday)
    digest_send(workspace=okrs.workspace, at=next_friday)
    first, second = sorted(alice_digest_texts(), key=lambda t: "Late on Friday" in t)
    assert "Late on Friday" not in first and "Backfilled" not in first
    assert "Late on Friday" in second and "Backfilled on Monday" in second


def test_a_manual_send_early_in_the_week_does_not_lose_the_rest_of_it(
    okrs: Any, frozen: Any
) -> None:
    system = system_actor(okrs.workspace)
    churn = KeyResult.objects.get(key="churn")
    tuesday = dt.datetime(2027, 2, 16, 10, tzinfo=dt.UTC)
    frozen.move_to(tuesday)
    assert digest_send(workspace=okrs.workspace) > 0  # `okapi digest --send`
    frozen.move_to(dt.datetime(2027, 2, 17, 10, tzinfo=dt.UTC))
    goals.checkin_create(actor=system, kr=churn, value=2.8, author=okrs.bob,
                         moved="Wednesday's news")  # fmt: skip
    frozen.move_to(FRIDAY_16)
    assert digest_send(workspace=okrs.workspace, at=FRIDAY_16) == 0  # this week's slot is taken
    next_friday = FRIDAY_16 + dt.timedelta(days=7)
    frozen.move_to(next_friday)
    digest_send(workspace=okrs.workspace, at=next_friday)
    assert sum("Wednesday's news" in text for text in alice_digest_texts()) == 1


def test_an_imported_history_is_not_news(okrs: Any, frozen: Any) -> None:
    system = system_actor(okrs.workspace)
    churn = KeyResult.objects.get(key="churn")
    goals.checkin_create(actor=system, kr=churn, value=2.9, author=okrs.bob,
                         at=dt.date(2027, 1, 20), moved="Old news, recorded today")  # fmt: skip
    data = digest_data(workspace=okrs.workspace)
    assert "Old news, recorded today" not in json.dumps(data)


def test_a_deactivated_account_gets_no_digest(week: Any) -> None:
    week.bob.is_active = False
    week.bob.save()
    digest_send(workspace=week.workspace)
    recipients = Notification.objects.filter(kind="digest").values_list(
        "recipient__email", flat=True
    )
    assert "bob@acme.test" not in recipients and "alice@acme.test" in recipients


def test_one_more_digest_later_in_the_week_does_not_hide_a_checkin(okrs: Any, frozen: Any) -> None:
    system = system_actor(okrs.workspace)
    churn = KeyResult.objects.get(key="churn")
    frozen.move_to(FRIDAY_16)
    digest_send(workspace=okrs.workspace, at=FRIDAY_16)
    frozen.move_to(FRIDAY_16 + dt.timedelta(hours=2))
    goals.checkin_create(actor=system, kr=churn, value=2.8, author=okrs.bob,
                         moved="Friday evening")  # fmt: skip
    frozen.move_to(FRIDAY_16 + dt.timedelta(days=1))  # Saturday: someone joins, a manual send
    from okapi.workspaces.services import membership_set, user_create

    dana = user_create(email="dana@acme.test", name="Dana")
    membership_set(actor=None, workspace=okrs.workspace, user=dana, role="member")
    assert digest_send(workspace=okrs.workspace) == 1  # Dana's only: the others had theirs
    next_friday = FRIDAY_16 + dt.timedelta(days=7)
    frozen.move_to(next_friday)
    digest_send(workspace=okrs.workspace, at=next_friday)
    assert sum("Friday evening" in text for text in alice_digest_texts()) == 1


def test_a_digest_sent_days_after_the_last_one_repeats_nothing(okrs: Any, frozen: Any) -> None:
    system = system_actor(okrs.workspace)
    churn = KeyResult.objects.get(key="churn")
    frozen.move_to(FRIDAY_16 - dt.timedelta(days=1))  # Thursday
    goals.checkin_create(actor=system, kr=churn, value=2.8, author=okrs.bob,
                         moved="Thursday's news")  # fmt: skip
    frozen.move_to(FRIDAY_16)
    digest_send(workspace=okrs.workspace, at=FRIDAY_16)
    monday = FRIDAY_16 + dt.timedelta(days=3)  # a new ISO week: `okapi digest --send`
    frozen.move_to(monday)
    goals.checkin_create(actor=system, kr=churn, value=2.7, author=okrs.bob,
                         moved="Monday's news")  # fmt: skip
    digest_send(workspace=okrs.workspace)
    friday, monday_text = sorted(alice_digest_texts(), key=lambda t: "Monday's news" in t)
    assert "Thursday's news" in friday and "Thursday's news" not in monday_text
    assert "Monday's news" in monday_text
