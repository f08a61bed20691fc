"""The settings pages: workspace, teams, members and invitations, cycles, API tokens, audit log.

alice is Acme's owner, bob a member, vera a viewer; charlie belongs to Globex only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from okapi.goals.models import Cycle
from okapi.workspaces import services
from okapi.workspaces.access import actor_for, system_actor
from okapi.workspaces.models import ApiToken, AuditEvent, Invitation, Membership, Team
from tests.conftest import signed_in

ADMIN_PAGES = ["teams/", "members/", "cycles/", "audit/", "share/"]
ALL_PAGES = ["", "tokens/", *ADMIN_PAGES]


def url(page: str) -> str:
    return f"/w/acme/settings/{page}"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def error_beside(response: Any, field: str) -> str:
    """The error Django rendered beside a field (its id is the field's aria-describedby)."""
    match = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', text(response), re.S
    )
    assert match, f"no error beside {field}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


# --------------------------------------------------------------------------- who may see what


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("person", ["bob", "vera"])
def test_it_refuses_admin_pages_to_members_and_viewers(acme: Any, page: str, person: str) -> None:
    client = signed_in(getattr(acme, person))
    assert client.get(url(page)).status_code == 403
    assert client.post(url(page), {}).status_code == 403


@pytest.mark.parametrize("page", ALL_PAGES)
def test_it_does_not_show_another_workspace_to_charlie(acme: Any, page: str) -> None:
    assert signed_in(acme.charlie).get(url(page)).status_code == 404


@pytest.mark.parametrize("page", ALL_PAGES)
def test_it_sends_a_stranger_to_sign_in(acme: Any, client: Any, page: str) -> None:
    response = client.get(url(page))
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.parametrize("page", ALL_PAGES)
def test_it_shows_alice_every_page_with_the_settings_navigation(acme: Any, page: str) -> None:
    response = signed_in(acme.alice).get(url(page))
    assert response.status_code == 200
    nav = re.search(r'<nav class="subnav" aria-label="Settings">(.*?)</nav>', text(response), re.S)
    assert nav and nav.group(1).count("<a ") == 10
    assert nav.group(1).count('aria-current="page"') == 1


def test_it_shows_vera_the_overview_read_only_and_only_her_own_pages(acme: Any) -> None:
    response = signed_in(acme.vera).get(url(""))
    assert response.status_code == 200
    assert "Acme Inc." in text(response) and '<form method="post" novalidate' not in text(response)
    nav = re.search(r'<nav class="subnav" aria-label="Settings">(.*?)</nav>', text(response), re.S)
    assert nav and re.findall(r">([^<>]+)</a>", nav.group(1)) == [
        "Workspace",
        "API tokens",
        "My notifications",
    ]
    refused = signed_in(acme.vera).post(url(""), {"name": "Mine", "timezone": "UTC"})
    assert refused.status_code == 403
    acme.workspace.refresh_from_db()
    assert acme.workspace.name == "Acme Inc."


# --------------------------------------------------------------------------- workspace


def test_it_lets_alice_rename_the_workspace_and_change_its_time_zone(acme: Any) -> None:
    response = signed_in(acme.alice).post(url(""), {"name": "Acme", "timezone": "Europe/Berlin"})
    assert response.status_code == 302
    acme.workspace.refresh_from_db()
    assert (acme.workspace.name, acme.workspace.timezone) == ("Acme", "Europe/Berlin")
    event = AuditEvent.objects.filter(entity_type="workspace").first()
    assert event.before == {"name": "Acme Inc.", "timezone": "UTC"}


def test_it_answers_422_with_errors_beside_the_fields_and_changes_nothing(acme: Any) -> None:
    response = signed_in(acme.alice).post(url(""), {"name": " ", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert error_beside(response, "name") == "This field is required."
    assert "Mars/Olympus is not one of the available choices" in error_beside(response, "timezone")
    assert 'aria-invalid="true"' in text(response)
    acme.workspace.refresh_from_db()
    assert (acme.workspace.name, acme.workspace.timezone) == ("Acme Inc.", "UTC")


# --------------------------------------------------------------------------- teams


def test_it_creates_a_team_with_parent_lead_and_members(acme: Any) -> None:
    response = signed_in(acme.alice).post(url("teams/"), {
        "key": "sales", "name": "Sales", "parent": "growth", "lead": "bob@acme.test",
        "members": ["bob@acme.test", "vera@acme.test"],
    })  # fmt: skip
    assert response.status_code == 302
    team = Team.objects.get(workspace=acme.workspace, key="sales")
    assert (team.parent.key, team.lead.email) == ("growth", "bob@acme.test")
    assert sorted(u.email for u in team.members.all()) == ["bob@acme.test", "vera@acme.test"]
    page = text(signed_in(acme.alice).get(url("teams/")))
    assert "Sales" in page and "Growth" in page


def test_it_refuses_a_duplicate_team_key_beside_the_field(acme: Any) -> None:
    response = signed_in(acme.alice).post(url("teams/"), {"key": "growth", "name": "Again"})
    assert response.status_code == 422
    assert error_beside(response, "key") == "a team 'growth' already exists"
    assert Team.objects.filter(workspace=acme.workspace).count() == 2


def test_it_refuses_a_lead_who_is_not_a_member(acme: Any) -> None:
    response = signed_in(acme.alice).post(
        url("teams/"), {"key": "x", "name": "X", "lead": "charlie@globex.test"}
    )
    assert response.status_code == 422
    assert "not one of the available choices" in error_beside(response, "lead")
    assert not Team.objects.filter(key="x").exists()


def test_it_edits_a_team(acme: Any) -> None:
    alice = signed_in(acme.alice)
    assert alice.get(url("teams/product/")).status_code == 200
    response = alice.post(url("teams/product/"), {
        "name": "Product & Design", "parent": "growth", "lead": "", "members": ["vera@acme.test"],
    })  # fmt: skip
    assert response.status_code == 302
    team = Team.objects.get(workspace=acme.workspace, key="product")
    assert (team.name, team.parent.key, team.lead) == ("Product & Design", "growth", None)
    assert [u.email for u in team.members.all()] == ["vera@acme.test"]


def test_it_refuses_to_make_a_team_its_own_ancestor(acme: Any) -> None:
    alice = signed_in(acme.alice)
    alice.post(url("teams/product/"), {"name": "Product", "parent": "growth"})
    response = alice.post(url("teams/growth/"), {"name": "Growth", "parent": "product"})
    assert response.status_code == 422
    assert error_beside(response, "parent") == "team 'growth' cannot be its own ancestor"
    assert Team.objects.get(workspace=acme.workspace, key="growth").parent is None


def test_it_shows_why_a_team_cannot_be_deleted(acme: Any) -> None:
    system = system_actor(acme.workspace)
    services.team_create(actor=system, key="growth-emea", name="Growth EMEA", parent="growth")
    response = signed_in(acme.alice).post(url("teams/growth/delete/"))
    assert response.status_code == 422
    assert "team 'growth' still owns objectives, KPIs or initiatives, or has sub-teams" in text(
        response
    )
    assert Team.objects.filter(workspace=acme.workspace, key="growth").exists()


def test_it_deletes_a_team(acme: Any) -> None:
    response = signed_in(acme.alice).post(url("teams/product/delete/"))
    assert response.status_code == 302
    assert not Team.objects.filter(workspace=acme.workspace, key="product").exists()


def test_it_does_not_reach_another_workspace_s_team(acme: Any) -> None:
    services.team_create(actor=system_actor(acme.globex), key="ops", name="Ops")
    alice = signed_in(acme.alice)
    assert alice.get(url("teams/ops/")).status_code == 404
    assert alice.post(url("teams/ops/delete/")).status_code == 404
    assert Team.objects.filter(workspace=acme.globex, key="ops").exists()


def test_it_refuses_a_team_delete_by_get(acme: Any) -> None:
    assert signed_in(acme.alice).get(url("teams/product/delete/")).status_code == 405


# --------------------------------------------------------------------------- members


def membership(acme: Any, user: Any) -> Membership:
    return Membership.objects.get(workspace=acme.workspace, user=user)


def change_role(client: Client, member: Membership, role: str) -> Any:
    return client.post(url(f"members/{member.pk}/role/"), {f"m{member.pk}-role": role})


def test_it_lists_members_with_roles_and_lets_alice_change_one(acme: Any) -> None:
    alice = signed_in(acme.alice)
    page = text(alice.get(url("members/")))
    for name in ("Alice", "Bob", "Vera"):
        assert name in page
    bob = membership(acme, acme.bob)
    response = change_role(alice, bob, "admin")
    assert response.status_code == 302
    assert membership(acme, acme.bob).role == "admin"
    event = AuditEvent.objects.filter(entity_type="membership").first()
    assert (event.actor, event.before, event.after) == (acme.alice, {"role": "member"},
                                                         {"role": "admin"})  # fmt: skip


def test_it_keeps_at_least_one_owner(acme: Any) -> None:
    alice = membership(acme, acme.alice)
    response = change_role(signed_in(acme.alice), alice, "member")
    assert response.status_code == 422
    assert "the workspace needs at least one owner" in text(response)
    assert membership(acme, acme.alice).role == "owner"
    response = signed_in(acme.alice).post(url(f"members/{alice.pk}/remove/"))
    assert response.status_code == 422
    assert Membership.objects.filter(pk=alice.pk).exists()


def test_it_lets_only_an_owner_touch_an_owner(acme: Any) -> None:
    services.membership_set(actor=None, workspace=acme.workspace, user=acme.bob, role="admin")
    alice = membership(acme, acme.alice)
    bob = signed_in(acme.bob)
    page = text(bob.get(url("members/")))
    assert f"members/{alice.pk}/role/" not in page  # no control for the owner's row
    assert change_role(bob, alice, "viewer").status_code == 403
    assert bob.post(url(f"members/{alice.pk}/remove/")).status_code == 403
    vera = membership(acme, acme.vera)
    response = change_role(bob, vera, "owner")
    assert response.status_code == 422  # an admin is not offered the owner role
    assert membership(acme, acme.alice).role == "owner"
    assert membership(acme, acme.vera).role == "viewer"


def test_it_removes_a_member_with_their_teams_and_tokens(acme: Any) -> None:
    token, secret = services.token_create(workspace=acme.workspace, user=acme.bob)
    bob = membership(acme, acme.bob)
    response = signed_in(acme.alice).post(url(f"members/{bob.pk}/remove/"))
    assert response.status_code == 302
    assert not Membership.objects.filter(workspace=acme.workspace, user=acme.bob).exists()
    assert not Team.objects.filter(workspace=acme.workspace, members=acme.bob).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert signed_in(acme.bob).get(url("tokens/")).status_code == 404
    event = AuditEvent.objects.filter(entity_type="membership", action="deleted").get()
    assert event.before == {"role": "member", "teams": ["growth"]}


def test_it_does_not_reach_another_workspace_s_member(acme: Any) -> None:
    charlie = Membership.objects.get(workspace=acme.globex, user=acme.charlie)
    alice = signed_in(acme.alice)
    assert alice.post(url(f"members/{charlie.pk}/remove/")).status_code == 404
    assert change_role(alice, charlie, "viewer").status_code == 404
    assert Membership.objects.get(pk=charlie.pk).role == "owner"


def test_it_invites_someone_and_lists_the_invitation_until_revoked(acme: Any) -> None:
    alice = signed_in(acme.alice)
    response = alice.post(url("members/"), {"email": "Dana@Acme.test", "role": "admin"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(workspace=acme.workspace)
    assert (invitation.email, invitation.role, invitation.invited_by) == ("dana@acme.test", "admin",
                                                                          acme.alice)  # fmt: skip
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dana@acme.test"]
    secret = re.search(r"/invite/([\w-]+)/", mail.outbox[0].body).group(1)
    assert invitation.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    page = text(alice.get(url("members/")))
    assert "dana@acme.test" in page and "Pending invitations" in page
    response = alice.post(url(f"invitations/{invitation.pk}/revoke/"))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    assert "Pending invitations" not in text(alice.get(url("members/")))
    assert Client().get(f"/invite/{secret}/").status_code == 410


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not an address", "role": "member"}, "email", "Enter a valid email address."),
        ({"email": "bob@acme.test", "role": "member"}, "email",
         "'bob@acme.test' is already a member of this workspace"),
        ({"email": "dana@acme.test", "role": "emperor"}, "role",
         "Select a valid choice. emperor is not one of the available choices."),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_invitation_beside_the_field(
    acme: Any, data: dict[str, str], field: str, message: str
) -> None:
    response = signed_in(acme.alice).post(url("members/"), data)
    assert response.status_code == 422
    assert error_beside(response, field) == message
    assert not Invitation.objects.exists() and mail.outbox == []


def test_it_says_so_when_the_invitation_cannot_be_e_mailed(acme: Any, monkeypatch: Any) -> None:
    def refuse(**kwargs: Any) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(services, "send_mail", refuse)
    response = signed_in(acme.alice).post(
        url("members/"), {"email": "dana@acme.test", "role": "member"}
    )
    assert response.status_code == 502
    assert "The e-mail could not be sent ([Errno 111] Connection refused)" in text(response)
    assert Invitation.objects.get().state == "revoked"  # nobody holds a working link


def test_a_new_invitation_replaces_a_pending_one(acme: Any) -> None:
    alice = signed_in(acme.alice)
    alice.post(url("members/"), {"email": "dana@acme.test", "role": "member"})
    alice.post(url("members/"), {"email": "dana@acme.test", "role": "viewer"})
    first, second = (re.search(r"/invite/([\w-]+)/", m.body).group(1) for m in mail.outbox)
    assert Client().get(f"/invite/{first}/").status_code == 410
    assert Client().get(f"/invite/{second}/").status_code == 200


# --------------------------------------------------------------------------- cycles


def test_it_creates_and_edits_a_cycle(acme: Any) -> None:
    alice = signed_in(acme.alice)
    response = alice.post(
        url("cycles/"), {"key": "2027-Q2", "name": "", "start": "2027-04-01", "end": "2027-06-30"}
    )
    assert response.status_code == 302
    cycle = Cycle.objects.get(workspace=acme.workspace, key="2027-Q2")
    assert (cycle.name, cycle.start, cycle.end) == ("2027-Q2", dt.date(2027, 4, 1),
                                                    dt.date(2027, 6, 30))  # fmt: skip
    assert "2027-Q2" in text(alice.get(url("cycles/")))
    response = alice.post(
        url("cycles/2027-Q2/"), {"name": "Spring", "start": "2027-04-01", "end": "2027-07-15"}
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.name, cycle.end) == ("Spring", dt.date(2027, 7, 15))


def test_it_refuses_a_cycle_that_ends_before_it_starts(acme: Any) -> None:
    response = signed_in(acme.alice).post(
        url("cycles/"), {"key": "2027-Q2", "start": "2027-06-30", "end": "2027-04-01"}
    )
    assert response.status_code == 422
    assert error_beside(response, "end") == "The end is before the start."
    assert not Cycle.objects.exists()


def test_it_refuses_a_duplicate_cycle_key_beside_the_field(okrs: Any) -> None:
    response = signed_in(okrs.alice).post(
        url("cycles/"), {"key": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31"}
    )
    assert response.status_code == 422
    assert error_beside(response, "key") == "a cycle '2027-Q1' already exists"


# --------------------------------------------------------------------------- API tokens


def test_it_shows_a_new_token_once_and_stores_only_its_hash(acme: Any) -> None:
    bob = signed_in(acme.bob)
    response = bob.post(url("tokens/"), {"name": "BI export", "role": "viewer"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(
        r'id="new-secret" class="secret" value="(okapi_[\w-]+)"', text(response)
    ).group(1)
    assert "shown only this once" in text(response)
    token = ApiToken.objects.get(workspace=acme.workspace, user=acme.bob)
    assert (token.name, token.role) == ("BI export", "viewer")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = str(list(ApiToken.objects.values())) + str(list(AuditEvent.objects.values()))
    assert secret not in stored
    again = text(bob.get(url("tokens/")))
    assert secret not in again and token.prefix in again
    me = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert me.json()["email"] == "bob@acme.test" and me.json()["role"] == "viewer"


def test_it_offers_no_role_above_mine(acme: Any) -> None:
    response = signed_in(acme.bob).post(url("tokens/"), {"name": "", "role": "admin"})
    assert response.status_code == 422
    assert "admin is not one of the available choices" in error_beside(response, "role")
    assert not ApiToken.objects.exists()


def test_a_member_sees_and_revokes_only_their_own_tokens(acme: Any) -> None:
    alices, _ = services.token_create(workspace=acme.workspace, user=acme.alice, name="alice's")
    bobs, _ = services.token_create(workspace=acme.workspace, user=acme.bob, name="bob's")
    bob = signed_in(acme.bob)
    page = text(bob.get(url("tokens/")))
    assert bobs.prefix in page and alices.prefix not in page
    assert bob.post(url(f"tokens/{alices.pk}/revoke/")).status_code == 404
    assert bob.post(url(f"tokens/{bobs.pk}/revoke/")).status_code == 302
    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert alices.revoked_at is None and bobs.revoked_at is not None


def test_an_admin_sees_every_token_and_revokes_anyone_s(acme: Any) -> None:
    bobs, secret = services.token_create(workspace=acme.workspace, user=acme.bob, name="bob's")
    services.token_create(workspace=acme.globex, user=acme.charlie)
    alice = signed_in(acme.alice)
    page = text(alice.get(url("tokens/")))
    assert bobs.prefix in page and "Bob" in page and "Charlie" not in page
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC), tick=False):
        Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert "1 Mar 2027, 09:30" in text(alice.get(url("tokens/")))  # last used
    assert alice.post(url(f"tokens/{bobs.pk}/revoke/")).status_code == 302
    bobs.refresh_from_db()
    assert bobs.revoked_at is not None
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert "revoked" in text(alice.get(url("tokens/")))


def test_it_does_not_reach_another_workspace_s_token(acme: Any) -> None:
    charlies, _ = services.token_create(workspace=acme.globex, user=acme.charlie)
    assert signed_in(acme.alice).post(url(f"tokens/{charlies.pk}/revoke/")).status_code == 404
    charlies.refresh_from_db()
    assert charlies.revoked_at is None


# --------------------------------------------------------------------------- audit log


@pytest.fixture
def history(acme: Any) -> Any:
    """Events on three days: alice changes teams, bob makes a token, the system adds a cycle."""
    AuditEvent.objects.update(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))  # the fixture's own
    alice = actor_for(acme.alice, "acme")
    with time_machine.travel(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC), tick=False):
        services.team_update(actor=alice, team=Team.objects.get(key="product"), name="Product & Design",
                             lead="vera@acme.test")  # fmt: skip
    with time_machine.travel(dt.datetime(2027, 1, 20, 12, tzinfo=dt.UTC), tick=False):
        services.token_create(workspace=acme.workspace, user=acme.bob, name="cli")
    with time_machine.travel(dt.datetime(2027, 1, 30, 12, tzinfo=dt.UTC), tick=False):
        from okapi.goals.services import cycle_create

        cycle_create(actor=system_actor(acme.workspace), key="2027-Q2",
                     start=dt.date(2027, 4, 1), end=dt.date(2027, 6, 30))  # fmt: skip
    return acme


def rows(response: Any) -> list[str]:
    body = re.search(r'<table class="audit stack">.*?<tbody>(.*?)</tbody>', text(response), re.S)
    if body is None:
        return []
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r))).strip()
            for r in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)]  # fmt: skip


def test_it_shows_the_audit_log_newest_first_with_before_and_after(history: Any) -> None:
    found = rows(signed_in(history.alice).get(url("audit/")))
    assert found[0].startswith("30 Jan 2027") and "system created cycle 2027-Q2" in found[0]
    assert "Bob created token" in found[1]
    product = next(r for r in found if "updated team product" in r)
    assert "name Product → became Product & Design" in product
    assert "lead none → became vera@acme.test" in product


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"entity_type": "team"}, ["team product"]),
        ({"actor": "bob@acme.test"}, ["token"]),
        ({"actor": "system"}, ["cycle 2027-Q2"]),
        ({"date_from": "2027-01-15", "date_to": "2027-01-25"}, ["token"]),
        ({"date_from": "2027-01-25"}, ["cycle 2027-Q2"]),
        ({"entity_type": "team", "actor": "bob@acme.test"}, []),
    ],
)
def test_it_filters_the_audit_log(history: Any, query: dict[str, str], expected: list[str]) -> None:
    response = signed_in(history.alice).get(url("audit/"), query)
    assert response.status_code == 200
    found = [r for r in rows(response) if "2027" in r.split(" ")[2]]  # the events of the fixture
    assert len(found) == len(expected)
    for row, what in zip(found, expected, strict=True):
        assert what in row
    if not expected:
        assert "Nothing matches these filters." in text(response)


def test_it_refuses_a_backwards_date_range_in_the_audit_filter(history: Any) -> None:
    response = signed_in(history.alice).get(
        url("audit/"), {"date_from": "2027-02-01", "date_to": "2027-01-01"}
    )
    assert response.status_code == 422
    assert error_beside(response, "date_to") == "The end is before the start."


def test_it_pages_the_audit_log(acme: Any) -> None:
    alice = actor_for(acme.alice, "acme")
    team = Team.objects.get(workspace=acme.workspace, key="product")
    for n in range(60):
        services.team_update(actor=alice, team=team, name=f"Product {n}")
    first = signed_in(acme.alice).get(url("audit/"), {"entity_type": "team"})
    assert len(rows(first)) == 50 and "Product 59" in rows(first)[0]
    assert "Page 1 of 2" in text(first)
    assert "?entity_type=team&page=2" in text(first)  # the filters are kept
    second = signed_in(acme.alice).get(url("audit/"), {"entity_type": "team", "page": 2})
    assert len(rows(second)) == 12  # 60 renames, the created product and growth teams
