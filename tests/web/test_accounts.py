"""Accounts: password reset by e-mail, invitations to a workspace, the workspace switcher.

alice is Acme's owner, bob a member; charlie owns Globex and has no place in Acme.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from typing import Any

import time_machine
from django.core import mail
from django.test import Client

from okapi.accounts.models import User
from okapi.workspaces import services
from okapi.workspaces.access import actor_for
from okapi.workspaces.models import AuditEvent, Invitation, Membership
from tests.conftest import signed_in


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def link_in(message: Any, pattern: str) -> str:
    match = re.search(rf"https?://[^/\s]+({pattern})", message.body)
    assert match, message.body
    return match.group(1)


def error_beside(response: Any, field: str) -> str:
    match = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', text(response), re.S
    )
    assert match, f"no error beside {field}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def can_sign_in(email: str, password: str) -> bool:
    return Client().login(username=email, password=password)


# --------------------------------------------------------------------------- password reset


def test_the_sign_in_page_links_to_password_reset(client: Any) -> None:
    assert 'href="/password-reset/"' in text(client.get("/login/"))


def test_it_resets_a_password_through_the_e_mailed_link(acme: Any, client: Any) -> None:
    assert client.get("/password-reset/").status_code == 200
    response = client.post("/password-reset/", {"email": "Bob@acme.test"})
    assert response.status_code == 302 and response.url == "/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@acme.test"]
    assert mail.outbox[0].subject == "Reset your Okapi password"
    link = link_in(mail.outbox[0], r"/password-reset/[\w-]+/[\w-]+/")
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in text(form_page)
    set_url = form_page.redirect_chain[-1][0]
    too_short = client.post(set_url, {"new_password1": "abc", "new_password2": "abc"})
    assert too_short.status_code == 422
    assert "too short" in error_beside(too_short, "new_password2")
    done = client.post(
        set_url, {"new_password1": "okapi-river-42", "new_password2": "okapi-river-42"}
    )
    assert done.status_code == 302 and done.url == "/password-reset/done/"
    assert can_sign_in("bob@acme.test", "okapi-river-42")
    assert not can_sign_in("bob@acme.test", "bob-pw")
    again = Client().get(link, follow=True)
    assert "This link does not work" in text(again)


def test_it_says_the_same_for_an_unknown_address_and_sends_nothing(acme: Any, client: Any) -> None:
    response = client.post("/password-reset/", {"email": "nobody@acme.test"})
    assert response.status_code == 302 and response.url == "/password-reset/sent/"
    assert mail.outbox == []


def test_it_answers_422_to_a_malformed_address(client: Any, db: Any) -> None:
    response = client.post("/password-reset/", {"email": "not-an-address"})
    assert response.status_code == 422
    assert error_beside(response, "email") == "Enter a valid email address."


# --------------------------------------------------------------------------- invitations


def invite(acme: Any, email: str, role: str = "member") -> str:
    """Alice invites `email` through the members page; returns the path in the e-mail."""
    response = signed_in(acme.alice).post(
        "/w/acme/settings/members/", {"email": email, "role": role}
    )
    assert response.status_code == 302
    return link_in(mail.outbox[-1], r"/invite/[\w-]+/")


def test_a_new_person_joins_through_the_e_mailed_link(acme: Any) -> None:
    path = invite(acme, "dana@acme.test", role="admin")
    message = mail.outbox[0]
    assert message.subject == "Alice invited you to Acme Inc. on Okapi"
    assert "as admin" in message.body
    secret = path.split("/")[2]
    assert Invitation.objects.get().token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(AuditEvent.objects.values()))

    dana = Client()
    page = dana.get(path)
    assert page.status_code == 200
    assert "Join Acme Inc." in text(page) and 'value="dana@acme.test" readonly' in text(page)
    response = dana.post(path, {"name": "Dana", "password": "okapi-river-42",
                                "password_again": "okapi-river-43"})  # fmt: skip
    assert response.status_code == 422
    assert error_beside(response, "password_again") == "The two passwords differ."
    response = dana.post(path, {"name": "", "password": "1234", "password_again": "1234"})
    assert response.status_code == 422
    assert error_beside(response, "name") == "This field is required."
    assert not User.objects.filter(email="dana@acme.test").exists()
    response = dana.post(path, {"name": "Dana", "password": "password",
                                "password_again": "password"})  # fmt: skip
    assert response.status_code == 422
    assert "too common" in error_beside(response, "password")
    assert not User.objects.filter(email="dana@acme.test").exists()

    response = dana.post(path, {"name": "Dana", "password": "okapi-river-42",
                                "password_again": "okapi-river-42"})  # fmt: skip
    assert response.status_code == 302 and response.url == "/?w=acme"
    user = User.objects.get(email="dana@acme.test")
    assert user.name == "Dana" and Membership.objects.get(user=user).role == "admin"
    assert dana.get("/w/acme/settings/").status_code == 200  # signed in
    assert can_sign_in("dana@acme.test", "okapi-river-42")
    events = AuditEvent.objects.filter(entity_key="dana@acme.test").order_by("id")
    assert [(e.entity_type, e.action) for e in events] == [
        ("invitation", "created"), ("membership", "created"), ("invitation", "accepted"),
    ]  # fmt: skip

    used = Client().get(path)
    assert used.status_code == 410 and "already been used" in text(used)
    assert Client().post(path, {"name": "Eve", "password": "okapi-river-44",
                                "password_again": "okapi-river-44"}).status_code == 410  # fmt: skip


def test_someone_with_an_account_signs_in_and_joins(acme: Any) -> None:
    path = invite(acme, "charlie@globex.test", role="viewer")
    page = Client().get(path)
    assert page.status_code == 200 and "Sign in to accept" in text(page)
    assert f"/login/?next={path.replace('/', '%2F')}" in text(page)
    charlie = signed_in(acme.charlie)
    assert "Join Acme Inc." in text(charlie.get(path))
    response = charlie.post(path)
    assert response.status_code == 302 and response.url == "/?w=acme"
    assert Membership.objects.get(workspace=acme.workspace, user=acme.charlie).role == "viewer"
    assert Membership.objects.get(workspace=acme.globex, user=acme.charlie).role == "owner"


def test_someone_signed_in_with_another_address_is_told_so(acme: Any) -> None:
    path = invite(acme, "dana@acme.test")
    response = signed_in(acme.charlie).post(path)
    assert response.status_code == 403
    assert "This invitation is for someone else" in text(response)
    assert not Membership.objects.filter(workspace=acme.workspace, user=acme.charlie).exists()
    assert Invitation.objects.get().state == "pending"


def test_an_expired_invitation_says_so(acme: Any) -> None:
    path = invite(acme, "dana@acme.test")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)):
        response = Client().get(path)
    assert response.status_code == 410 and "This invitation has expired." in text(response)


def test_a_revoked_invitation_says_so(acme: Any) -> None:
    path = invite(acme, "dana@acme.test")
    services.invitation_revoke(actor=actor_for(acme.alice, "acme"),
                               invitation=Invitation.objects.get())  # fmt: skip
    response = Client().get(path)
    assert response.status_code == 410 and "withdrawn" in text(response)


def test_an_unknown_invitation_is_not_found(db: Any) -> None:
    response = Client().get("/invite/not-a-real-secret/")
    assert response.status_code == 404
    assert "We do not know this link" in text(response)


def test_an_invitation_is_used_once_even_by_its_own_person(acme: Any) -> None:
    path = invite(acme, "charlie@globex.test")
    charlie = signed_in(acme.charlie)
    assert charlie.post(path).status_code == 302
    assert charlie.post(path).status_code == 410


# --------------------------------------------------------------------------- workspace switcher


def test_the_workspace_switcher_lists_my_workspaces_and_switches(acme: Any) -> None:
    services.membership_set(actor=None, workspace=acme.globex, user=acme.alice, role="member")
    alice = signed_in(acme.alice)
    page = text(alice.get("/w/acme/settings/"))
    switcher = re.search(r'<form class="switcher" method="get" action="/">(.*?)</form>', page, re.S)
    assert switcher, "no switcher"
    assert re.findall(r'<option value="(\w+)"', switcher.group(1)) == ["acme", "globex"]
    assert re.search(r'<option value="acme"\s+selected>', switcher.group(1))
    response = alice.get("/", {"w": "globex"})
    assert response.status_code == 302 and response.url.startswith("/w/globex/")
    assert alice.get(response.url).status_code == 200


def test_the_switcher_does_not_open_a_workspace_i_do_not_belong_to(acme: Any) -> None:
    response = signed_in(acme.alice).get("/", {"w": "globex"})
    assert response.status_code == 302 and response.url.startswith("/w/acme/")


def test_a_single_workspace_shows_its_name_without_a_switcher(acme: Any) -> None:
    page = text(signed_in(acme.bob).get("/w/acme/settings/"))
    assert 'class="switcher"' not in page
    assert '<span class="workspace-name">Acme Inc.</span>' in page
