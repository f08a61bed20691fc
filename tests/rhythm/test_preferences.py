"""Each person's own notification preferences: the page (everyone, viewers too) and the API.

A muted person drops out of `delivery.muted_user_ids`, which the reminders and the digest use
to leave them out.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from okapi.rhythm import delivery
from okapi.rhythm.models import Notification, Preference
from tests.api.conftest import bad_fields
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("person", ["alice", "bob", "vera"])
def test_anyone_mutes_reminders_from_the_page(acme: Any, person: str, frozen: Any) -> None:
    user = getattr(acme, person)
    client = signed_in(user)
    page = client.get("/w/acme/rhythm/preferences/")
    assert page.status_code == 200 and "Mute check-in reminders" in page.content.decode()
    response = client.post("/w/acme/rhythm/preferences/", {"mute_reminders": "on"}, follow=True)
    assert "Your notification preferences were saved." in response.content.decode()
    found = Preference.objects.get(workspace=acme.workspace, user=user)
    assert found.mute_reminders and not found.mute_digest and not found.mute_alerts
    assert found.updated_at.isoformat() == "2027-02-15T12:00:00+00:00"
    assert delivery.muted_user_ids(acme.workspace, "reminders") == {user.pk}
    assert delivery.muted_user_ids(acme.workspace, "digest") == set()
    # The form shows the choice and undoes it.
    assert re.search(r'<input[^>]*name="mute_reminders"[^>]*checked', response.content.decode())
    client.post("/w/acme/rhythm/preferences/", {})
    assert delivery.muted_user_ids(acme.workspace, "reminders") == set()


def test_a_preference_stays_in_its_workspace(acme: Any) -> None:
    from okapi.workspaces.services import membership_set

    membership_set(actor=None, workspace=acme.globex, user=acme.bob, role="member")
    signed_in(acme.bob).post("/w/acme/rhythm/preferences/", {"mute_alerts": "on"})
    assert delivery.muted_user_ids(acme.workspace, "alerts") == {acme.bob.pk}
    assert delivery.muted_user_ids(acme.globex, "alerts") == set()
    assert signed_in(acme.charlie).get("/w/acme/rhythm/preferences/").status_code == 404


def test_it_sends_a_stranger_to_sign_in(acme: Any, client: Any) -> None:
    response = client.get("/w/acme/rhythm/preferences/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_muted_owner_gets_no_reminder(okrs: Any) -> None:
    """The weekly reminder job leaves out whoever muted reminders on the page."""
    reminders = pytest.importorskip("okapi.rhythm.reminders")
    signed_in(okrs.bob).post("/w/acme/rhythm/preferences/", {"mute_reminders": "on"})
    reminders.send_reminders(okrs.workspace)
    to = set(
        Notification.objects.filter(kind="reminder").values_list("recipient__email", flat=True)
    )
    assert to == {"alice@acme.test"}  # bob owns churn and nps-page, both due, but muted


@pytest.mark.parametrize("who", ["alice_api", "bob_api", "vera_api"])
def test_anyone_reads_and_changes_their_preferences_by_api(
    request: Any, who: str, acme: Any
) -> None:
    api = request.getfixturevalue(who)
    body = api.get("/me/preferences").json()
    assert body == {"mute_reminders": False, "mute_digest": False, "mute_alerts": False,
                    "updated_at": None}  # fmt: skip
    response = api.patch("/me/preferences", {"mute_digest": True})
    assert response.status_code == 200
    body = response.json()
    assert body["mute_digest"] is True and body["mute_reminders"] is False
    assert body["updated_at"] is not None
    assert api.patch("/me/preferences", {"mute_alerts": True}).json()["mute_digest"] is True
    assert len(delivery.muted_user_ids(acme.workspace, "digest")) == 1


def test_it_refuses_a_bad_preference_value(alice_api: Any) -> None:
    assert bad_fields(alice_api.patch("/me/preferences", {"mute_digest": "sometimes"})) == {
        "mute_digest"
    }
    assert not Preference.objects.exists()


def test_charlie_changes_only_his_own_workspace(acme: Any, charlie_api: Any) -> None:
    charlie_api.patch("/me/preferences", {"mute_reminders": True})
    assert delivery.muted_user_ids(acme.workspace, "reminders") == set()
    assert delivery.muted_user_ids(acme.globex, "reminders") == {acme.charlie.pk}
