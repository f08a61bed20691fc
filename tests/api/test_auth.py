"""Bearer tokens: who may call the API, and which workspace a token sees."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from okapi.workspaces.models import ApiToken, Membership
from okapi.workspaces.services import token_create, token_revoke
from tests.api.conftest import api_as
from tests.conftest import Api

READS = ["/me", "/teams", "/cycles", "/objectives", "/key-results", "/kpis", "/dashboard/kpis"]


@pytest.mark.parametrize("path", READS)
def test_it_answers_401_without_a_token(client: Any, acme: Any, path: str) -> None:
    response = Api(client, None).get(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "missing, unknown or revoked API token"}


@pytest.mark.parametrize(
    "token",
    [
        "okapi_not-a-real-token",
        "not-even-the-prefix",
        "okapi_" + "x" * 300,
        "okapi_abc\x00def",
    ],
)
def test_it_answers_401_for_an_unknown_token(client: Any, acme: Any, token: str) -> None:
    assert Api(client, token).get("/me").status_code == 401


def test_it_answers_401_for_another_scheme(client: Any, acme: Any) -> None:
    _, secret = token_create(workspace=acme.workspace, user=acme.alice)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 401


def test_it_answers_401_for_a_revoked_token(client: Any, acme: Any) -> None:
    from okapi.workspaces.access import actor_for

    token, secret = token_create(workspace=acme.workspace, user=acme.bob)
    api = Api(client, secret)
    assert api.get("/me").status_code == 200
    token_revoke(actor=actor_for(acme.alice, "acme"), token=token)
    assert api.get("/me").status_code == 401


def test_it_answers_401_once_the_membership_is_gone(client: Any, acme: Any, bob_api: Api) -> None:
    assert bob_api.get("/me").status_code == 200
    Membership.objects.filter(workspace=acme.workspace, user=acme.bob).delete()
    assert bob_api.get("/me").status_code == 401


def test_it_answers_401_for_a_deactivated_user(client: Any, acme: Any, bob_api: Api) -> None:
    acme.bob.is_active = False
    acme.bob.save()
    assert bob_api.get("/me").status_code == 401


def test_it_tells_who_the_token_acts_for(alice_api: Api) -> None:
    response = alice_api.get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "email": "alice@acme.test",
        "name": "Alice",
        "workspace": "acme",
        "workspace_name": "Acme Inc.",
        "timezone": "UTC",
        "role": "owner",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/teams/growth",
        "/cycles/2027-Q1",
        "/cycles/2027-Q1/tree",
        "/objectives/grow",
        "/key-results/churn",
        "/key-results/churn/checkins",
        "/initiatives/onboarding",
        "/kpis/nrr",
        "/kpis/nrr/measurements",
    ],
)
def test_it_hides_every_acme_row_from_charlie(okrs: Any, charlie_api: Api, path: str) -> None:
    response = charlie_api.get(path)
    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/teams/growth", {"name": "Mine"}),
        ("delete", "/teams/product", None),
        ("patch", "/cycles/2027-Q1", {"name": "Mine"}),
        ("patch", "/objectives/grow", {"title": "Mine now"}),
        ("delete", "/objectives/retain", None),
        ("patch", "/key-results/churn", {"title": "Mine now"}),
        ("post", "/key-results/churn/checkins", {"value": 1}),
        ("patch", "/initiatives/onboarding", {"title": "Mine now"}),
        ("patch", "/kpis/nrr", {"name": "Mine"}),
        ("post", "/kpis/nrr/measurements", {"value": 1}),
        ("delete", "/kpis/nrr", None),
    ],
)
def test_it_answers_404_when_charlie_writes_to_acme(
    okrs: Any, charlie_api: Api, method: str, path: str, body: Any
) -> None:
    from tests.api.conftest import row_counts

    before = row_counts()
    call = getattr(charlie_api, method)
    response = call(path) if body is None else call(path, body)
    assert response.status_code == 404, response.content
    assert row_counts() == before


def test_it_answers_404_when_charlie_names_acme_rows_in_his_own_workspace(
    okrs: Any, charlie_api: Api
) -> None:
    response = charlie_api.post(
        "/measurements", {"measurements": [{"kpi": "nrr", "at": "2027-02-01", "value": 1}]}
    )
    assert response.status_code == 422  # an unknown KPI in his workspace
    response = charlie_api.post(
        "/objectives",
        {"key": "steal", "title": "Steal", "cycle": "2027-Q1", "owner": "charlie@globex.test"},
    )
    assert response.status_code == 422  # no such cycle in Globex


@pytest.mark.parametrize(
    "path",
    ["/teams", "/cycles", "/objectives", "/key-results", "/initiatives", "/kpis", "/members",
     "/audit"],
)  # fmt: skip
def test_it_lists_no_acme_rows_to_charlie(okrs: Any, charlie_api: Api, path: str) -> None:
    response = charlie_api.get(path)
    assert response.status_code == 200
    body = response.json()
    text = response.content.decode()
    assert "acme" not in text.lower()
    if path == "/members":
        assert [m["email"] for m in body["items"]] == ["charlie@globex.test"]
    elif path == "/audit":
        charlie_tokens = ApiToken.objects.filter(user__email="charlie@globex.test")
        assert {e["entity_key"] for e in body["items"]} == {
            "globex",
            *charlie_tokens.values_list("prefix", flat=True),
        }
    else:
        assert body == {"count": 0, "items": []}


def test_it_shows_charlie_an_empty_dashboard(okrs: Any, charlie_api: Api) -> None:
    body = charlie_api.get("/dashboard/kpis").json()
    assert body["kpis"] == []


def test_it_refuses_writes_with_alice_s_viewer_token(client: Any, okrs: Any) -> None:
    viewer = api_as(client, okrs.workspace, okrs.alice, role="viewer")
    assert viewer.get("/me").json()["role"] == "viewer"
    assert viewer.get("/objectives/grow").status_code == 200
    assert viewer.post("/teams", {"key": "sales", "name": "Sales"}).status_code == 403
    assert viewer.patch("/objectives/grow", {"title": "Grow faster"}).status_code == 403
    assert viewer.post("/key-results/arr/checkins", {"value": 1_200_000}).status_code == 403
    assert viewer.post("/kpis/nrr/measurements", {"value": 111}).status_code == 403


def test_it_lowers_bob_s_token_when_his_role_is_lowered(okrs: Any, bob_api: Api) -> None:
    from okapi.workspaces.services import membership_set

    assert bob_api.post("/key-results/churn/checkins", {"value": 2.5}).status_code == 201
    membership_set(actor=None, workspace=okrs.workspace, user=okrs.bob, role="viewer")
    assert bob_api.get("/me").json()["role"] == "viewer"
    assert bob_api.post("/key-results/churn/checkins", {"value": 2}).status_code == 403


def test_it_never_makes_a_token_above_the_user_s_role(acme: Any) -> None:
    from okapi.errors import Invalid

    with pytest.raises(Invalid) as caught:
        token_create(workspace=acme.workspace, user=acme.bob, role="admin")
    assert "role" in caught.value.errors


def test_it_sets_last_used_at(client: Any, acme: Any) -> None:
    token, secret = token_create(workspace=acme.workspace, user=acme.bob)
    assert token.last_used_at is None
    Api(client, secret).get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert dt.datetime.now(dt.UTC) - token.last_used_at < dt.timedelta(minutes=1)


def test_it_stores_only_a_hash_of_the_token(acme: Any) -> None:
    token, secret = token_create(workspace=acme.workspace, user=acme.bob, name="billing sync")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(secret not in str(value) for value in row.values())
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(row["prefix"])
    assert len(secret) > len(row["prefix"]) + 20


def test_it_answers_404_when_charlie_corrects_an_acme_check_in(
    okrs: Any, bob_api: Api, charlie_api: Api
) -> None:
    checkin = bob_api.post("/key-results/churn/checkins", {"value": 2.5}).json()
    assert charlie_api.patch(f"/checkins/{checkin['id']}", {"value": 1}).status_code == 404
    assert bob_api.get("/key-results/churn").json()["current"] == 2.5
