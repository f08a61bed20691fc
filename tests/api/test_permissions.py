"""The role matrix of docs/permissions.md, through the API: owner, admin, member, viewer.

alice is the owner, adam an admin, bob a member of the growth team, vera a viewer.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import row_counts
from tests.conftest import Api


@pytest.fixture
def apis(alice_api: Api, adam_api: Api, bob_api: Api, vera_api: Api) -> dict[str, Api]:
    return {"alice": alice_api, "adam": adam_api, "bob": bob_api, "vera": vera_api}


@pytest.fixture
def product(okrs: Any) -> Any:
    """Things the product team owns (bob is not in it): an objective, a KR, a KPI, an initiative."""
    from okapi.goals import services as goals
    from okapi.kpis import services as kpis
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    ship = goals.objective_create(actor=system, key="ship", title="Ship a faster product",
                                  cycle="2027-Q1", owner="product")  # fmt: skip
    goals.key_result_create(actor=system, objective=ship, key="latency", owner="alice@acme.test",
                            title="Cut p95 latency from 800ms to 300ms", baseline=800,
                            target=300)  # fmt: skip
    goals.initiative_create(actor=system, key="cache", title="Add a cache", owner="product")
    kpis.kpi_create(actor=system, key="uptime", name="Uptime", unit="%", direction="up",
                    target=99.9, owner="product")  # fmt: skip
    return okrs


# --------------------------------------------------------------------------- viewers

VIEWER_WRITES = [
    ("post", "/teams", {"key": "sales", "name": "Sales"}),
    ("patch", "/teams/growth", {"name": "Growth!"}),
    ("delete", "/teams/product", None),
    ("post", "/cycles", {"key": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30"}),
    ("patch", "/cycles/2027-Q1", {"name": "Q1"}),
    ("delete", "/cycles/2027-Q1", None),
    ("post", "/cycles/2027-Q1/close", {}),
    ("post", "/objectives",
     {"key": "mine", "title": "Grow my reach", "cycle": "2027-Q1", "owner": "vera@acme.test"}),
    ("patch", "/objectives/grow", {"title": "Grow faster"}),
    ("delete", "/objectives/retain", None),
    ("post", "/objectives/retain/move", {"cycle": "2027-Q1"}),
    ("post", "/objectives/retain/copy", {"cycle": "2027-Q1", "key": "retain-again"}),
    ("post", "/key-results",
     {"objective": "grow", "key": "mine", "title": "Grow X from 1 to 2", "owner": "vera@acme.test",
      "baseline": 1, "target": 2}),
    ("patch", "/key-results/churn", {"title": "Reduce churn"}),
    ("delete", "/key-results/arr", None),
    ("post", "/key-results/churn/checkins", {"value": 2}),
    ("post", "/initiatives", {"key": "mine", "title": "My project", "owner": "vera@acme.test"}),
    ("patch", "/initiatives/onboarding", {"title": "Onboarding v2"}),
    ("delete", "/initiatives/onboarding", None),
    ("post", "/kpis",
     {"key": "mine", "name": "Mine", "target": 1, "owner": "vera@acme.test"}),
    ("patch", "/kpis/nrr", {"name": "NRR"}),
    ("delete", "/kpis/nrr", None),
    ("post", "/kpis/nrr/measurements", {"value": 111}),
    ("post", "/measurements", {"measurements": [{"kpi": "nrr", "at": "2027-02-01", "value": 1}]}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body"), VIEWER_WRITES)
def test_it_lets_vera_change_nothing(
    okrs: Any, vera_api: Api, method: str, path: str, body: Any
) -> None:
    before = row_counts()
    call = getattr(vera_api, method)
    response = call(path) if body is None else call(path, body)
    assert response.status_code == 403, response.content
    assert row_counts() == before


def test_it_does_not_let_vera_correct_a_check_in(okrs: Any, alice_api: Api, vera_api: Api) -> None:
    checkin = alice_api.post("/key-results/arr/checkins", {"value": 1_100_000}).json()
    assert vera_api.patch(f"/checkins/{checkin['id']}", {"value": 1}).status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/me", "/teams", "/members", "/cycles", "/cycles/2027-Q1/tree", "/objectives",
     "/objectives/grow", "/key-results", "/key-results/churn/checkins", "/initiatives", "/kpis",
     "/kpis/nrr/measurements", "/dashboard/kpis"],
)  # fmt: skip
def test_it_lets_vera_read_everything_but_the_audit_log(
    okrs: Any, vera_api: Api, path: str
) -> None:
    assert vera_api.get(path).status_code == 200


# --------------------------------------------------------------------------- admin-only areas


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 201), ("adam", 201), ("bob", 403), ("vera", 403)]
)
def test_it_lets_only_admins_create_teams(
    okrs: Any, apis: dict[str, Api], who: str, status: int
) -> None:
    response = apis[who].post("/teams", {"key": "sales", "name": "Sales"})
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("adam", 200), ("bob", 403), ("vera", 403)]
)
def test_it_lets_only_admins_edit_teams(
    okrs: Any, apis: dict[str, Api], who: str, status: int
) -> None:
    response = apis[who].patch("/teams/growth", {"name": "Growth & retention"})
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 204), ("adam", 204), ("bob", 403), ("vera", 403)]
)
def test_it_lets_only_admins_delete_teams(
    okrs: Any, apis: dict[str, Api], who: str, status: int
) -> None:
    assert apis[who].delete("/teams/product").status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 201), ("adam", 201), ("bob", 403), ("vera", 403)]
)
def test_it_lets_only_admins_create_cycles(
    okrs: Any, apis: dict[str, Api], who: str, status: int
) -> None:
    body = {"key": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30"}
    assert apis[who].post("/cycles", body).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("adam", 200), ("bob", 403), ("vera", 403)]
)
def test_it_lets_only_admins_edit_and_close_cycles(
    okrs: Any, apis: dict[str, Api], who: str, status: int
) -> None:
    assert apis[who].patch("/cycles/2027-Q1", {"name": "Q1"}).status_code == status
    assert apis[who].post("/cycles/2027-Q1/close", {}).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 204), ("adam", 204), ("bob", 403), ("vera", 403)]
)
def test_it_lets_only_admins_delete_cycles(
    okrs: Any, apis: dict[str, Api], who: str, status: int
) -> None:
    apis["alice"].post("/cycles", {"key": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30"})
    assert apis[who].delete("/cycles/2027-Q2").status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("adam", 200), ("bob", 403), ("vera", 403)]
)
def test_it_shows_the_audit_log_to_admins_only(
    okrs: Any, apis: dict[str, Api], who: str, status: int
) -> None:
    assert apis[who].get("/audit").status_code == status


# --------------------------------------------------------------------------- objectives


@pytest.mark.parametrize(
    ("who", "owner", "status"),
    [
        ("bob", "growth", 201),
        ("bob", "bob@acme.test", 201),
        ("bob", "product", 403),
        ("bob", "alice@acme.test", 403),
        ("adam", "product", 201),
        ("alice", "bob@acme.test", 201),
    ],
)
def test_it_lets_members_create_objectives_they_or_their_team_own(
    okrs: Any, apis: dict[str, Api], who: str, owner: str, status: int
) -> None:
    body = {"key": "new", "title": "Grow the community", "cycle": "2027-Q1", "owner": owner}
    response = apis[who].post("/objectives", body)
    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("who", "objective", "status"),
    [
        ("bob", "retain", 200),  # owned by growth, his team
        ("bob", "grow", 403),  # owned by alice
        ("bob", "ship", 403),  # owned by product
        ("adam", "ship", 200),
        ("alice", "retain", 200),
    ],
)
def test_it_lets_members_edit_objectives_they_or_their_team_own(
    product: Any, apis: dict[str, Api], who: str, objective: str, status: int
) -> None:
    response = apis[who].patch(f"/objectives/{objective}", {"title": "Do better"})
    assert response.status_code == status


def test_it_does_not_let_bob_give_his_objective_away_to_product(okrs: Any, bob_api: Api) -> None:
    assert bob_api.patch("/objectives/retain", {"owner": "product"}).status_code == 403
    assert bob_api.get("/objectives/retain").json()["owner"] == "growth"


@pytest.mark.parametrize(
    ("who", "objective", "status"),
    [("bob", "retain", 204), ("bob", "grow", 403), ("bob", "ship", 403), ("adam", "ship", 204)],
)
def test_it_lets_members_delete_objectives_they_or_their_team_own(
    product: Any, apis: dict[str, Api], who: str, objective: str, status: int
) -> None:
    assert apis[who].delete(f"/objectives/{objective}").status_code == status


# --------------------------------------------------------------------------- key results


@pytest.mark.parametrize(
    ("who", "objective", "owner", "status"),
    [
        ("bob", "retain", "alice@acme.test", 201),  # in an objective he may edit
        ("bob", "grow", "bob@acme.test", 201),  # owned by himself
        ("bob", "grow", "alice@acme.test", 403),
        ("bob", "ship", "alice@acme.test", 403),
        ("adam", "ship", "bob@acme.test", 201),
    ],
)
def test_it_lets_members_create_key_results_where_the_matrix_says(
    product: Any, apis: dict[str, Api], who: str, objective: str, owner: str, status: int
) -> None:
    body = {"objective": objective, "key": "new-kr", "title": "Grow signups from 10 to 20",
            "owner": owner, "baseline": 10, "target": 20}  # fmt: skip
    assert apis[who].post("/key-results", body).status_code == status


@pytest.mark.parametrize(
    ("who", "kr", "status"),
    [
        ("bob", "churn", 200),  # he owns it
        ("bob", "arr", 403),  # alice's, in alice's objective
        ("bob", "latency", 403),  # alice's, in product's objective
        ("adam", "latency", 200),
    ],
)
def test_it_lets_members_edit_and_delete_key_results_they_own(
    product: Any, apis: dict[str, Api], who: str, kr: str, status: int
) -> None:
    assert apis[who].patch(f"/key-results/{kr}", {"title": "Do better"}).status_code == status
    assert apis[who].delete(f"/key-results/{kr}").status_code == (204 if status == 200 else 403)


def test_it_lets_bob_edit_alice_s_key_result_in_his_team_s_objective(
    okrs: Any, alice_api: Api, bob_api: Api
) -> None:
    body = {"objective": "retain", "key": "tickets", "title": "Cut tickets from 50 to 20",
            "owner": "alice@acme.test", "baseline": 50, "target": 20}  # fmt: skip
    assert alice_api.post("/key-results", body).status_code == 201
    assert bob_api.patch("/key-results/tickets", {"target": 25}).status_code == 200


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"objective": "grow"}, 403),  # alice's objective: bob may not add alice's KR there
        ({"owner": "bob@acme.test", "objective": "grow"}, 200),  # his own KR, anywhere
        ({"objective": "retain", "owner": "vera@acme.test"}, 200),  # still his team's objective
    ],
)
def test_it_lets_bob_move_a_key_result_only_where_he_could_create_it(
    okrs: Any, alice_api: Api, bob_api: Api, change: dict[str, str], status: int
) -> None:
    body = {"objective": "retain", "key": "tickets", "title": "Cut tickets from 50 to 20",
            "owner": "alice@acme.test", "baseline": 50, "target": 20}  # fmt: skip
    assert alice_api.post("/key-results", body).status_code == 201
    response = bob_api.patch("/key-results/tickets", change)
    assert response.status_code == status, response.content
    expected = change["objective"] if status == 200 else "retain"
    assert alice_api.get("/key-results/tickets").json()["objective"] == expected


# --------------------------------------------------------------------------- check-ins


@pytest.mark.parametrize(
    ("who", "kr", "status"),
    [
        ("bob", "churn", 201),  # he owns it
        ("bob", "arr", 403),  # alice owns it
        ("alice", "churn", 201),
        ("adam", "churn", 201),
        ("vera", "churn", 403),
    ],
)
def test_it_lets_only_owners_and_admins_check_in(
    okrs: Any, apis: dict[str, Api], who: str, kr: str, status: int
) -> None:
    response = apis[who].post(f"/key-results/{kr}/checkins", {"value": 2})
    assert response.status_code == status


@pytest.mark.parametrize("who", ["alice", "adam"])
def test_it_lets_admins_check_in_on_bob_s_behalf(okrs: Any, apis: dict[str, Api], who: str) -> None:
    response = apis[who].post("/key-results/churn/checkins", {"value": 2.5, "by": "bob@acme.test"})
    assert response.status_code == 201
    assert response.json()["by"] == "bob@acme.test"


def test_it_does_not_let_bob_check_in_on_alice_s_behalf(okrs: Any, bob_api: Api) -> None:
    before = row_counts()
    response = bob_api.post("/key-results/churn/checkins", {"value": 2, "by": "alice@acme.test"})
    assert response.status_code == 403
    assert row_counts() == before


def test_it_answers_422_when_checking_in_on_behalf_of_a_stranger(okrs: Any, alice_api: Api) -> None:
    response = alice_api.post(
        "/key-results/churn/checkins", {"value": 2, "by": "charlie@globex.test"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "by"]


def test_it_does_not_let_bob_correct_alice_s_check_in(
    okrs: Any, alice_api: Api, bob_api: Api
) -> None:
    checkin = alice_api.post("/key-results/churn/checkins", {"value": 2.5}).json()
    response = bob_api.patch(f"/checkins/{checkin['id']}", {"value": 1})
    assert response.status_code == 403
    assert alice_api.get("/key-results/churn").json()["current"] == 2.5


def test_it_lets_bob_correct_his_own_check_in(okrs: Any, bob_api: Api) -> None:
    checkin = bob_api.post("/key-results/churn/checkins", {"value": 2.5}).json()
    assert bob_api.patch(f"/checkins/{checkin['id']}", {"value": 2.4}).status_code == 200


def test_it_lets_adam_correct_bob_s_check_in(okrs: Any, adam_api: Api, bob_api: Api) -> None:
    checkin = bob_api.post("/key-results/churn/checkins", {"value": 2.5}).json()
    response = adam_api.patch(f"/checkins/{checkin['id']}", {"value": 2.4})
    assert response.status_code == 200
    assert response.json()["corrected_by"] == "adam@acme.test"


def test_it_lets_bob_correct_the_check_in_alice_wrote_for_him(
    okrs: Any, alice_api: Api, bob_api: Api
) -> None:
    # The author of a check-in written on bob's behalf is bob: he may correct it.
    checkin = alice_api.post(
        "/key-results/churn/checkins", {"value": 2.5, "by": "bob@acme.test"}
    ).json()
    assert bob_api.patch(f"/checkins/{checkin['id']}", {"value": 2.4}).status_code == 200


# --------------------------------------------------------------------------- initiatives


@pytest.mark.parametrize(
    ("who", "owner", "status"),
    [
        ("bob", "growth", 201),
        ("bob", "bob@acme.test", 201),
        ("bob", "product", 403),
        ("adam", "product", 201),
    ],
)
def test_it_lets_members_create_initiatives_they_or_their_team_own(
    okrs: Any, apis: dict[str, Api], who: str, owner: str, status: int
) -> None:
    body = {"key": "new", "title": "A new project", "owner": owner}
    assert apis[who].post("/initiatives", body).status_code == status


@pytest.mark.parametrize(
    ("who", "initiative", "status"),
    [("bob", "onboarding", 200), ("bob", "cache", 403), ("adam", "cache", 200)],
)
def test_it_lets_members_edit_and_delete_initiatives_they_or_their_team_own(
    product: Any, apis: dict[str, Api], who: str, initiative: str, status: int
) -> None:
    response = apis[who].patch(f"/initiatives/{initiative}", {"title": "Do better"})
    assert response.status_code == status
    response = apis[who].delete(f"/initiatives/{initiative}")
    assert response.status_code == (204 if status == 200 else 403)


def test_it_does_not_let_bob_hand_an_initiative_to_product(okrs: Any, bob_api: Api) -> None:
    assert bob_api.patch("/initiatives/onboarding", {"owner": "product"}).status_code == 403


# --------------------------------------------------------------------------- KPIs


@pytest.mark.parametrize(
    ("who", "owner", "status"),
    [
        ("bob", "growth", 201),
        ("bob", "bob@acme.test", 201),
        ("bob", "product", 403),
        ("adam", "product", 201),
    ],
)
def test_it_lets_members_create_kpis_they_or_their_team_own(
    okrs: Any, apis: dict[str, Api], who: str, owner: str, status: int
) -> None:
    body = {"key": "signups", "name": "Signups", "target": 100, "owner": owner}
    assert apis[who].post("/kpis", body).status_code == status


@pytest.mark.parametrize(
    ("who", "kpi", "status"),
    [("bob", "nrr", 201), ("bob", "uptime", 403), ("adam", "uptime", 201)],
)
def test_it_lets_members_measure_kpis_they_or_their_team_own(
    product: Any, apis: dict[str, Api], who: str, kpi: str, status: int
) -> None:
    before = row_counts()["Measurement"]
    response = apis[who].post(f"/kpis/{kpi}/measurements", {"value": 99})
    assert response.status_code == status
    assert row_counts()["Measurement"] == before + (status == 201)
    bulk = {"measurements": [{"kpi": kpi, "at": "2027-02-01", "value": 99}]}
    assert apis[who].post("/measurements", bulk).status_code == status


@pytest.mark.parametrize(
    ("who", "kpi", "status"),
    [("bob", "nrr", 200), ("bob", "uptime", 403), ("adam", "uptime", 200)],
)
def test_it_lets_members_edit_and_delete_kpis_they_or_their_team_own(
    product: Any, apis: dict[str, Api], who: str, kpi: str, status: int
) -> None:
    assert apis[who].patch(f"/kpis/{kpi}", {"name": "Renamed"}).status_code == status
    assert apis[who].delete(f"/kpis/{kpi}").status_code == (204 if status == 200 else 403)


def test_it_does_not_let_bob_hand_a_kpi_to_product(okrs: Any, bob_api: Api) -> None:
    assert bob_api.patch("/kpis/nrr", {"owner": "product"}).status_code == 403
    assert bob_api.get("/kpis/nrr").json()["owner"] == "growth"


# --------------------------------------------------------------------------- roles


def test_it_lets_only_an_owner_grant_the_owner_role(acme: Any, adam: Any) -> None:
    from okapi.errors import Forbidden
    from okapi.workspaces.access import actor_for
    from okapi.workspaces.services import membership_set

    with pytest.raises(Forbidden):
        membership_set(
            actor=actor_for(adam, "acme"), workspace=acme.workspace, user=acme.bob, role="owner"
        )
    with pytest.raises(Forbidden):
        membership_set(
            actor=actor_for(adam, "acme"), workspace=acme.workspace, user=acme.alice, role="member"
        )
    membership_set(
        actor=actor_for(acme.alice, "acme"), workspace=acme.workspace, user=acme.bob, role="owner"
    )
    assert actor_for(acme.bob, "acme").role == "owner"


def test_it_does_not_let_bob_change_roles(acme: Any) -> None:
    from okapi.errors import Forbidden
    from okapi.workspaces.access import actor_for
    from okapi.workspaces.services import membership_set

    with pytest.raises(Forbidden):
        membership_set(
            actor=actor_for(acme.bob, "acme"), workspace=acme.workspace, user=acme.vera,
            role="admin",
        )  # fmt: skip


def test_it_lets_adam_revoke_bob_s_token_but_not_bob_revoke_alice_s(acme: Any, adam: Any) -> None:
    from okapi.errors import Forbidden
    from okapi.workspaces.access import actor_for
    from okapi.workspaces.services import token_create, token_revoke

    bobs, _ = token_create(workspace=acme.workspace, user=acme.bob)
    alices, _ = token_create(workspace=acme.workspace, user=acme.alice)
    with pytest.raises(Forbidden):
        token_revoke(actor=actor_for(acme.bob, "acme"), token=alices)
    token_revoke(actor=actor_for(adam, "acme"), token=bobs)
    bobs.refresh_from_db()
    assert bobs.revoked_at is not None


def test_it_does_not_let_charlie_grant_roles_in_acme(acme: Any) -> None:
    from okapi.errors import NotFound
    from okapi.workspaces.access import actor_for
    from okapi.workspaces.services import membership_set

    with pytest.raises(NotFound):
        membership_set(actor=actor_for(acme.charlie, "globex"), workspace=acme.workspace,
                       user=acme.charlie, role="owner")  # fmt: skip
    assert not acme.workspace.memberships.filter(user=acme.charlie).exists()


def test_it_does_not_let_charlie_revoke_an_acme_token(acme: Any) -> None:
    from okapi.errors import NotFound
    from okapi.workspaces.access import actor_for
    from okapi.workspaces.services import token_create, token_revoke

    token, _ = token_create(workspace=acme.workspace, user=acme.bob)
    with pytest.raises(NotFound):
        token_revoke(actor=actor_for(acme.charlie, "globex"), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_lets_the_command_line_revoke_any_token(acme: Any) -> None:
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.services import token_create, token_revoke

    token, _ = token_create(workspace=acme.workspace, user=acme.bob)
    token_revoke(actor=system_actor(acme.workspace), token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
