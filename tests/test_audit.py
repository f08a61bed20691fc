"""Every service write is in the audit log: who, when, what, before and after; never a secret."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from okapi.goals import services as goals
from okapi.kpis import services as kpis
from okapi.workspaces import services as workspaces
from okapi.workspaces.access import actor_for
from okapi.workspaces.models import AuditEvent
from tests.conftest import TODAY


def alice(acme: Any) -> Any:
    return actor_for(acme.alice, "acme")


def bob(acme: Any) -> Any:
    return actor_for(acme.bob, "acme")


def objective(acme: Any, key: str) -> Any:
    return goals.Objective.objects.get(workspace=acme.workspace, key=key)


def kr(acme: Any, key: str) -> Any:
    return goals.KeyResult.objects.get(workspace=acme.workspace, key=key)


def team(acme: Any, key: str) -> Any:
    return workspaces.Team.objects.get(workspace=acme.workspace, key=key)


def kpi(acme: Any, key: str) -> Any:
    return kpis.Kpi.objects.get(workspace=acme.workspace, key=key)


def cycle(acme: Any, key: str) -> Any:
    return goals.Cycle.objects.get(workspace=acme.workspace, key=key)


def initiative(acme: Any, key: str) -> Any:
    return goals.Initiative.objects.get(workspace=acme.workspace, key=key)


def a_checkin(acme: Any) -> Any:
    return goals.checkin_create(actor=bob(acme), kr=kr(acme, "churn"), value=2.5, moved="emails")


def q2(acme: Any) -> Any:
    return goals.cycle_create(actor=alice(acme), key="2027-Q2", start=dt.date(2027, 4, 1),
                              end=dt.date(2027, 6, 30))  # fmt: skip


Write = Callable[[Any], Any]

# (what happens, who does it, the event: action, entity type, entity key, before ⊇, after ⊇)
WRITES: list[tuple[str, Write, str, str, str, str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("team created",
     lambda a: workspaces.team_create(actor=alice(a), key="sales", name="Sales", lead="bob@acme.test"),
     "alice", "created", "team", "sales", None,
     {"key": "sales", "name": "Sales", "lead": "bob@acme.test", "members": []}),
    ("team updated",
     lambda a: workspaces.team_update(actor=alice(a), team=team(a, "product"), name="Product & Design"),
     "alice", "updated", "team", "product", {"name": "Product"}, {"name": "Product & Design"}),
    ("team members changed",
     lambda a: workspaces.team_update(actor=alice(a), team=team(a, "growth"),
                                      members=["vera@acme.test", "bob@acme.test"]),
     "alice", "updated", "team", "growth", {"members": ["bob@acme.test"]},
     {"members": ["bob@acme.test", "vera@acme.test"]}),
    ("team deleted",
     lambda a: workspaces.team_delete(actor=alice(a), team=team(a, "product")),
     "alice", "deleted", "team", "product", {"key": "product", "name": "Product"}, None),
    ("cycle created", q2,
     "alice", "created", "cycle", "2027-Q2", None, {"start": "2027-04-01", "end": "2027-06-30"}),
    ("cycle updated",
     lambda a: goals.cycle_update(actor=alice(a), cycle=cycle(a, "2027-Q1"), end=dt.date(2027, 4, 7)),
     "alice", "updated", "cycle", "2027-Q1", {"end": "2027-03-31"}, {"end": "2027-04-07"}),
    ("cycle closed",
     lambda a: goals.cycle_close(actor=alice(a), cycle=cycle(a, "2027-Q1"), note="Done"),
     "alice", "closed", "cycle", "2027-Q1", {"closed_at": None, "review_note": ""},
     {"closed_at": TODAY.isoformat(), "review_note": "Done"}),
    ("cycle deleted",
     lambda a: (q2(a), goals.cycle_delete(actor=alice(a), cycle=cycle(a, "2027-Q2"))),
     "alice", "deleted", "cycle", "2027-Q2", {"key": "2027-Q2"}, None),
    ("objective created",
     lambda a: goals.objective_create(actor=bob(a), key="activate", title="Activate users faster",
                                      cycle="2027-Q1", owner="growth", parent="grow"),
     "bob", "created", "objective", "activate", None,
     {"title": "Activate users faster", "owner_team": "growth", "parent": "grow", "cycle": "2027-Q1"}),
    ("objective updated",
     lambda a: goals.objective_update(actor=bob(a), objective=objective(a, "retain"), type="committed"),
     "bob", "updated", "objective", "retain", {"type": "aspirational"}, {"type": "committed"}),
    ("objective moved",
     lambda a: (q2(a), goals.objective_move(actor=bob(a), objective=objective(a, "retain"), cycle="2027-Q2")),
     "bob", "updated", "objective", "retain", {"cycle": "2027-Q1"}, {"cycle": "2027-Q2"}),
    ("objective copied",
     lambda a: (q2(a), goals.objective_copy(actor=bob(a), objective=objective(a, "retain"), cycle="2027-Q2")),
     "bob", "copied", "objective", "retain", None, {"copy": "retain-2027-Q2", "cycle": "2027-Q2"}),
    ("objective deleted",
     lambda a: goals.objective_delete(actor=bob(a), objective=objective(a, "retain")),
     "bob", "deleted", "objective", "retain", {"title": "Make customers stay",
                                               "key_results": ["churn", "nps-page"]}, None),
    ("key result created",
     lambda a: goals.key_result_create(actor=bob(a), objective=objective(a, "retain"), key="tickets",
                                       title="Cut tickets from 50 to 20", owner="bob@acme.test",
                                       baseline=50, target=20, initiatives=["onboarding"]),
     "bob", "created", "key_result", "tickets", None,
     {"baseline": "50", "target": "20", "owner": "bob@acme.test", "initiatives": ["onboarding"]}),
    ("key result updated",
     lambda a: goals.key_result_update(actor=bob(a), kr=kr(a, "churn"), target=1.25, initiatives=[]),
     "bob", "updated", "key_result", "churn", {"target": "1.5", "initiatives": ["onboarding"]},
     {"target": "1.25", "initiatives": []}),
    ("key result deleted",
     lambda a: goals.key_result_delete(actor=bob(a), kr=kr(a, "churn")),
     "bob", "deleted", "key_result", "churn", {"baseline": "3", "target": "1.5"}, None),
    ("initiative created",
     lambda a: goals.initiative_create(actor=bob(a), key="emails", title="Lifecycle emails",
                                       owner="growth", url="https://tracker.example/1"),
     "bob", "created", "initiative", "emails", None,
     {"title": "Lifecycle emails", "owner_team": "growth", "url": "https://tracker.example/1"}),
    ("initiative updated",
     lambda a: goals.initiative_update(actor=bob(a), initiative=initiative(a, "onboarding"),
                                       owner="bob@acme.test"),
     "bob", "updated", "initiative", "onboarding", {"owner_team": "growth", "owner_user": None},
     {"owner_team": None, "owner_user": "bob@acme.test"}),
    ("initiative deleted",
     lambda a: goals.initiative_delete(actor=bob(a), initiative=initiative(a, "onboarding")),
     "bob", "deleted", "initiative", "onboarding", {"title": "Rebuild onboarding"}, None),
    ("check-in",
     a_checkin,
     "bob", "created", "checkin", "churn#", None, {"value": "2.5", "moved": "emails", "at": "2027-02-15"}),
    ("correction",
     lambda a: goals.checkin_correct(actor=bob(a), checkin=a_checkin(a), value=2.4),
     "bob", "corrected", "checkin", "churn#", {"value": "2.5"}, {"value": "2.4"}),
    ("KPI created",
     lambda a: kpis.kpi_create(actor=bob(a), key="signups", name="Signups", target=100, owner="growth"),
     "bob", "created", "kpi", "signups", None, {"name": "Signups", "target": "100", "owner_team": "growth"}),
    ("KPI updated",
     lambda a: kpis.kpi_update(actor=bob(a), kpi=kpi(a, "nrr"), target=112),
     "bob", "updated", "kpi", "nrr", {"target": "110"}, {"target": "112"}),
    ("KPI deleted",
     lambda a: kpis.kpi_delete(actor=bob(a), kpi=kpi(a, "nrr")),
     "bob", "deleted", "kpi", "nrr", {"name": "Net revenue retention"}, None),
    ("KPI measured",
     lambda a: kpis.kpi_measure(actor=bob(a), kpi=kpi(a, "nrr"), value=108, at=dt.date(2027, 2, 1)),
     "bob", "measured", "kpi", "nrr", None, {"count": 1, "from": "2027-02-01T00:00:00+00:00"}),
    ("membership created",
     lambda a: workspaces.membership_set(actor=alice(a), workspace=a.workspace,
                                         user=workspaces.user_create(email="dana@acme.test"), role="member"),
     "alice", "created", "membership", "dana@acme.test", None, {"role": "member"}),
    ("membership changed",
     lambda a: workspaces.membership_set(actor=alice(a), workspace=a.workspace, user=a.vera, role="admin"),
     "alice", "updated", "membership", "vera@acme.test", {"role": "viewer"}, {"role": "admin"}),
    ("token created",
     lambda a: workspaces.token_create(workspace=a.workspace, user=a.bob, role="viewer", name="sync"),
     "bob", "created", "token", "okapi_", None, {"role": "viewer", "name": "sync", "user": "bob@acme.test"}),
    ("token revoked",
     lambda a: workspaces.token_revoke(actor=alice(a), token=workspaces.token_create(workspace=a.workspace, user=a.bob)[0]),
     "alice", "revoked", "token", "okapi_", None, None),
    ("workspace updated",
     lambda a: workspaces.workspace_update(actor=alice(a), name="Acme Corp", timezone="Europe/Paris"),
     "alice", "updated", "workspace", "acme", {"name": "Acme Inc.", "timezone": "UTC"},
     {"name": "Acme Corp", "timezone": "Europe/Paris"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("write", "who", "action", "entity_type", "key", "before", "after"),
    [w[1:] for w in WRITES],
    ids=[w[0] for w in WRITES],
)
def test_it_records_who_did_what_and_when(
    okrs: Any,
    write: Write,
    who: str,
    action: str,
    entity_type: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    latest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    write(okrs)
    events = AuditEvent.objects.filter(id__gt=latest, action=action, entity_type=entity_type)
    event = events.order_by("-id").select_related("actor").first()
    assert event is not None, f"no '{action}' event for a {entity_type}"
    assert event.workspace == okrs.workspace
    assert event.actor.email == f"{who}@acme.test"
    assert event.at == TODAY
    assert event.entity_key.startswith(key) if key.endswith(("#", "_")) else event.entity_key == key
    if before is None:
        assert event.before is None or action in ("created", "copied", "measured", "revoked")
    else:
        assert event.before is not None
        assert event.before | before == event.before, event.before
    if after is None:
        assert event.after is None
    else:
        assert event.after is not None
        assert event.after | after == event.after, event.after


def test_it_records_only_the_fields_that_changed(okrs: Any) -> None:
    goals.objective_update(actor=alice(okrs), objective=objective(okrs, "grow"),
                           title="Grow revenue efficiently", description="Twice the ARR")  # fmt: skip
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.before, event.after) == ({"description": ""}, {"description": "Twice the ARR"})


def test_it_does_not_record_an_unchanged_number_as_a_change(okrs: Any) -> None:
    checkin = a_checkin(okrs)
    checkin.refresh_from_db()  # 2.500000, as the database keeps it
    goals.checkin_correct(actor=bob(okrs), checkin=checkin, value=2.5, blocked="billing")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.before, event.after) == ({"blocked": ""}, {"blocked": "billing"})


def test_it_records_the_system_as_nobody(okrs: Any) -> None:
    event = AuditEvent.objects.get(entity_type="key_result", entity_key="arr")
    assert event.actor is None
    assert event.action == "created"


def test_it_records_a_check_in_written_on_bob_s_behalf_as_alice_s_act(okrs: Any) -> None:
    checkin = goals.checkin_create(
        actor=alice(okrs), kr=kr(okrs, "churn"), value=2, author=okrs.bob
    )
    assert checkin.author == okrs.bob
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor) == ("created", okrs.alice)


def test_it_records_nothing_for_a_refused_write(okrs: Any) -> None:
    from okapi.errors import Forbidden, Invalid

    count = AuditEvent.objects.count()
    with pytest.raises(Forbidden):
        goals.checkin_create(actor=bob(okrs), kr=kr(okrs, "arr"), value=1)
    with pytest.raises(Invalid):
        goals.checkin_create(actor=bob(okrs), kr=kr(okrs, "churn"), value=None)
    with pytest.raises(Invalid):
        kpis.kpi_update(actor=bob(okrs), kpi=kpi(okrs, "nrr"), warning=200)
    assert AuditEvent.objects.count() == count


def test_it_never_keeps_a_token_secret_or_a_password_hash(okrs: Any, client: Any) -> None:
    from okapi.accounts.models import User
    from tests.conftest import Api

    secrets = []
    for role in ("owner", "viewer"):
        token, secret = workspaces.token_create(workspace=okrs.workspace, user=okrs.alice,
                                                role=role, name=f"{role} token")  # fmt: skip
        secrets.append(secret)
        assert Api(client, secret).get("/me").status_code == 200
    workspaces.token_revoke(actor=alice(okrs), token=token)
    dana = workspaces.user_create(email="dana@acme.test", password="dana-secret-pw")
    workspaces.membership_set(actor=alice(okrs), workspace=okrs.workspace, user=dana, role="admin")
    log = json.dumps(list(AuditEvent.objects.values("entity_key", "before", "after")))
    hashes = [u.password for u in User.objects.all() if u.password]
    assert hashes
    for secret in secrets:
        assert secret not in log
        assert secret[len("okapi_") + 6 :] not in log  # not even the part after the prefix
    for value in [*hashes, "dana-secret-pw", "alice-pw", "md5$", "pbkdf2"]:
        assert value not in log
