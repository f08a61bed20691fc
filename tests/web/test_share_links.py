"""Public share links: a read-only KPI dashboard or OKR tracker for anyone with the link.

alice (owner) makes and revokes links; bob (member) and vera (viewer) may not; charlie is an
outsider. The okrs fixture has the cycle 2027-Q1 with two objectives and the KPI nrr.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from okapi.goals import services as goals
from okapi.kpis import services as kpis
from okapi.workspaces import services
from okapi.workspaces.access import actor_for, system_actor
from okapi.workspaces.models import AuditEvent, ShareLink
from tests.conftest import signed_in

EDIT_CONTROLS = re.compile(
    r"<form|<input|<button|<select|<textarea|href=\"/w/|Edit|Add key result|New KPI|Check in",
    re.IGNORECASE,
)


@pytest.fixture
def shared(okrs: Any) -> Any:
    """The okrs fixture with a few measurements of nrr, so that a sparkline is drawn."""
    kpis.kpi_measure_bulk(actor=system_actor(okrs.workspace), points=[
        kpis.Point("nrr", dt.date(2027, 1, day), 100 + day) for day in (1, 15, 31)
    ])  # fmt: skip
    return okrs


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def main_content(response: Any) -> str:
    main = re.search(r'<main id="main" class="container">(.*)</main>', text(response), re.S)
    assert main
    return main.group(1)


def create(acme: Any, **data: str) -> tuple[Any, str]:
    """alice creates a link on the settings page; returns the response and the path shown."""
    response = signed_in(acme.alice).post("/w/acme/settings/share/", data)
    match = re.search(r'id="new-url" class="secret" value="https?://[^/"]+(/share/[\w-]+/)"',
                      text(response))  # fmt: skip
    return response, match.group(1) if match else ""


def test_it_shows_a_new_link_once_and_stores_only_its_hash(shared: Any) -> None:
    response, path = create(shared, kind="kpis", cycle="", label="Investors")
    assert response.status_code == 201 and path
    assert response.headers["Cache-Control"] == "no-store"
    assert "shown only this once" in text(response)
    secret = path.split("/")[2]
    assert len(secret) == 32  # secrets.token_urlsafe(24)
    link = ShareLink.objects.get()
    assert (link.kind, link.label, link.created_by) == ("kpis", "Investors", shared.alice)
    assert link.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = str(list(ShareLink.objects.values())) + str(list(AuditEvent.objects.values()))
    assert secret not in stored
    listing = text(signed_in(shared.alice).get("/w/acme/settings/share/"))
    assert secret not in listing and f"/share/{link.prefix}…" in listing and "Investors" in listing
    event = AuditEvent.objects.get(entity_type="share_link")
    assert (event.action, event.actor, event.after) == (
        "created", shared.alice, {"kind": "kpis", "cycle": None, "label": "Investors"})  # fmt: skip


def test_the_kpi_dashboard_link_works_signed_out_and_read_only(shared: Any) -> None:
    _, path = create(shared, kind="kpis", cycle="", label="")
    with time_machine.travel(dt.datetime(2027, 2, 15, 12, tzinfo=dt.UTC), tick=False):
        response = Client().get(path)
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = main_content(response)
    assert "Acme Inc." in page and "KPI dashboard" in page
    assert "Net revenue retention" in page and 'data-chart="kpi-spark-nrr"' in page
    assert not EDIT_CONTROLS.search(page), EDIT_CONTROLS.search(page)
    assert 'class="mainnav"' not in text(response) and "Sign out" not in text(response)
    assert ShareLink.objects.get().last_viewed_at == dt.datetime(2027, 2, 15, 12, tzinfo=dt.UTC)


def test_the_okr_tracker_link_shows_a_cycle_read_only_with_owners_named(shared: Any) -> None:
    _, path = create(shared, kind="okrs", cycle="2027-Q1", label="All hands")
    response = Client().get(path)
    assert response.status_code == 200
    page = main_content(response)
    assert "OKRs · 2027-Q1" in page
    for title in ("Grow revenue efficiently", "Make customers stay", "Reduce logo churn"):
        assert title in page
    assert "Bob" in page and "@acme.test" not in page  # names, never e-mail addresses
    assert not EDIT_CONTROLS.search(page), EDIT_CONTROLS.search(page)


def test_an_okr_link_without_a_cycle_follows_the_current_cycle(shared: Any) -> None:
    goals.cycle_create(actor=system_actor(shared.workspace), key="2027-Q2",
                       start=dt.date(2027, 4, 1), end=dt.date(2027, 6, 30))  # fmt: skip
    _, path = create(shared, kind="okrs", cycle="", label="")
    assert "OKRs · 2027-Q1" in text(Client().get(path))  # 15 Feb 2027 (frozen)
    with time_machine.travel(dt.datetime(2027, 4, 2, 12, tzinfo=dt.UTC), tick=False):
        assert "OKRs · 2027-Q2" in text(Client().get(path))


def test_a_signed_in_member_sees_the_same_public_page(shared: Any) -> None:
    _, path = create(shared, kind="kpis", cycle="", label="")
    response = signed_in(shared.bob).get(path)
    assert response.status_code == 200 and not EDIT_CONTROLS.search(main_content(response))
    assert 'class="mainnav"' not in text(response)


def test_a_revoked_link_stops_working(shared: Any) -> None:
    _, path = create(shared, kind="kpis", cycle="", label="Investors")
    link = ShareLink.objects.get()
    assert Client().get(path).status_code == 200
    response = signed_in(shared.alice).post(f"/w/acme/settings/share/{link.pk}/revoke/")
    assert response.status_code == 302
    gone = Client().get(path)
    assert gone.status_code == 404
    assert "This link does not work" in text(gone) and "Net revenue retention" not in text(gone)
    assert gone.headers["X-Robots-Tag"].startswith("noindex")
    assert "revoked" in text(signed_in(shared.alice).get("/w/acme/settings/share/"))
    event = AuditEvent.objects.filter(entity_type="share_link").first()
    assert (event.action, event.actor) == ("revoked", shared.alice)


def test_an_unknown_link_is_not_found(db: Any) -> None:
    response = Client().get("/share/this-is-not-a-real-link-secret00/")
    assert response.status_code == 404 and "This link does not work" in text(response)


@pytest.mark.parametrize("person", ["bob", "vera"])
def test_only_admins_make_or_revoke_links(shared: Any, person: str) -> None:
    link, _ = services.share_link_create(actor=actor_for(shared.alice, "acme"), kind="kpis")
    client = signed_in(getattr(shared, person))
    assert client.post("/w/acme/settings/share/", {"kind": "kpis"}).status_code == 403
    assert client.post(f"/w/acme/settings/share/{link.pk}/revoke/").status_code == 403
    assert ShareLink.objects.get().revoked_at is None and ShareLink.objects.count() == 1


def test_charlie_cannot_reach_acme_s_links(shared: Any) -> None:
    link, _ = services.share_link_create(actor=actor_for(shared.alice, "acme"), kind="kpis")
    charlie = signed_in(shared.charlie)
    assert charlie.get("/w/acme/settings/share/").status_code == 404
    assert charlie.post(f"/w/globex/settings/share/{link.pk}/revoke/").status_code == 404
    assert ShareLink.objects.get().revoked_at is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "kpis", "cycle": "2027-Q1"}, "cycle",
         "A cycle goes with the OKR tracker, not the KPI dashboard."),
        ({"kind": "secrets"}, "kind", "Select a valid choice. secrets is not one of the available choices."),
        ({"kind": "okrs", "cycle": "1999-Q1"}, "cycle",
         "Select a valid choice. 1999-Q1 is not one of the available choices."),
        ({"kind": "kpis", "label": "x" * 101}, "label",
         "Ensure this value has at most 100 characters (it has 101)."),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_link_beside_the_field(
    shared: Any, data: dict[str, str], field: str, message: str
) -> None:
    response, path = create(shared, **data)
    assert response.status_code == 422 and path == ""
    errors = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', text(response), re.S
    )
    assert errors and re.sub(r"<[^>]+>", "", errors.group(1)).strip() == message
    assert not ShareLink.objects.exists()
