"""Import and export of OKR files (FORMATS §3), through the same services as the API.

Import is all-or-nothing: the file is validated whole first (okapi.core.okrfile), then written
in one transaction; anything the database refuses rolls everything back and is reported with
its path in the file. Import is an upsert by key and safe to repeat: a check-in identical to one
already recorded is skipped, and a measurement at an existing instant replaces the value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.db import transaction

from okapi.accounts.models import User
from okapi.core import okrfile
from okapi.core.okrfile import OkrDocument, OkrFileError, Problem
from okapi.errors import Invalid
from okapi.goals import services as goals
from okapi.goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective
from okapi.kpis import services as kpis
from okapi.kpis.models import Kpi, Measurement
from okapi.rhythm import delivery as events
from okapi.workspaces import services as workspaces
from okapi.workspaces.access import Actor, system_actor
from okapi.workspaces.models import Membership, Team, Workspace

Progress = Callable[[int, int], None]


@contextlib.contextmanager
def at_path(path: str) -> Iterator[None]:
    """Report a service's refusal at its place in the file."""
    try:
        yield
    except Invalid as exc:
        problems = [Problem(f"{path}.{field}", msg) for field, msg in exc.errors.items()]
        raise OkrFileError(problems) from None


def _steps(doc: OkrDocument) -> int:
    checkins = sum(len(kr.checkins) for _, kr in doc.key_results())
    krs = sum(1 for _ in doc.key_results())
    return (
        len(doc.people)
        + len(doc.teams)
        + len(doc.cycles)
        + len(doc.kpis)
        + len(doc.initiatives)
        + len(doc.objectives)
        + krs
        + checkins
    )


@transaction.atomic
def okr_import(
    doc: OkrDocument, *, workspace_key: str, progress: Progress | None = None
) -> Workspace:
    """Write a validated document into the workspace `workspace_key` (created if missing).

    The file's own workspace key is ignored; its name and time zone are used for a new
    workspace. The file's people become members (with the file's role, if it gives one).
    An import sends no webhook events: it writes history, not news (docs/rhythm.md).
    """
    with events.quiet():
        return _okr_import(doc, workspace_key=workspace_key, progress=progress)


def _okr_import(doc: OkrDocument, *, workspace_key: str, progress: Progress | None) -> Workspace:
    total = _steps(doc)
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    workspace = Workspace.objects.filter(key=workspace_key).first()
    if workspace is None:
        with at_path("workspace"):
            workspace = _workspace_create(
                workspace_key, doc.workspace_name or workspace_key, doc.timezone or "UTC"
            )
    actor = system_actor(workspace)

    users: dict[str, User] = {}
    for i, person in enumerate(doc.people):
        with at_path(f"people[{i}]"):
            user = workspaces.user_get_or_create(email=person.email, name=person.name)
            existing = Membership.objects.filter(workspace=workspace, user=user).first()
            role = person.role or (existing.role if existing else "member")
            workspaces.membership_set(actor=None, workspace=workspace, user=user, role=role)
        users[person.email] = user
        tick()

    _import_teams(actor, doc)
    tick(len(doc.teams))

    for i, c in enumerate(doc.cycles):
        with at_path(f"cycles[{i}]"):
            cycle = Cycle.objects.filter(workspace=workspace, key=c.key).first()
            if cycle is None:
                goals.cycle_create(actor=actor, key=c.key, start=c.start, end=c.end, name=c.name)
            elif (cycle.start, cycle.end, cycle.name) != (c.start, c.end, c.name):
                goals.cycle_update(actor=actor, cycle=cycle, start=c.start, end=c.end, name=c.name)
        tick()

    for i, k in enumerate(doc.kpis):
        with at_path(f"kpis[{i}]"):
            fields = {
                "name": k.name,
                "description": k.description,
                "unit": k.unit,
                "direction": k.direction,
                "cadence": k.cadence,
                "owner": k.owner,
                **{name: getattr(k, name) for name in kpis.THRESHOLDS},
            }
            kpi = Kpi.objects.filter(workspace=workspace, key=k.key).first()
            if kpi is None:
                kpis.kpi_create(actor=actor, key=k.key, **fields)
            else:
                kpis.kpi_update(actor=actor, kpi=kpi, **fields)
        with at_path(f"kpis[{i}]"):
            kpis.kpi_measure_bulk(
                actor=actor,
                points=[kpis.Point(k.key, m.at, m.value) for m in k.measurements],
                where="measurements",
            )
        tick()

    for i, ini in enumerate(doc.initiatives):
        with at_path(f"initiatives[{i}]"):
            initiative = Initiative.objects.filter(workspace=workspace, key=ini.key).first()
            if initiative is None:
                goals.initiative_create(
                    actor=actor, key=ini.key, title=ini.title, owner=ini.owner, url=ini.url
                )
            else:
                goals.initiative_update(
                    actor=actor,
                    initiative=initiative,
                    title=ini.title,
                    owner=ini.owner,
                    url=ini.url,
                )
        tick()

    _import_objectives(actor, doc, users, tick)

    for i, c in enumerate(doc.cycles):
        cycle = Cycle.objects.get(workspace=workspace, key=c.key)
        if c.closed and cycle.closed_at is None:
            scores = {
                kr.key: kr.final_score
                for o, kr in doc.key_results()
                if o.cycle == c.key and kr.final_score is not None
            }
            with at_path(f"cycles[{i}]"):
                goals.cycle_close(actor=actor, cycle=cycle, note=c.review_note, final_scores=scores)
    workspaces.audit_record(
        workspace=workspace,
        actor=None,
        action="imported",
        entity_type="workspace",
        entity_key=workspace.key,
        after={"objectives": len(doc.objectives), "kpis": len(doc.kpis)},
    )
    return workspace


def _workspace_create(key: str, name: str, timezone: str) -> Workspace:
    """A workspace for an import; its owners come from the file's people."""
    workspaces.validate_key(key)
    workspaces.validate_timezone(timezone)
    return Workspace.objects.create(key=key, name=name, timezone=timezone)


def _import_teams(actor: Actor, doc: OkrDocument) -> None:
    workspace = actor.workspace
    # Parents may come after their children in the file: create everything flat, then link.
    for i, t in enumerate(doc.teams):
        with at_path(f"teams[{i}]"):
            team = Team.objects.filter(workspace=workspace, key=t.key).first()
            if team is None:
                workspaces.team_create(
                    actor=actor, key=t.key, name=t.name, lead=t.lead, members=t.members
                )
            else:
                workspaces.team_update(
                    actor=actor, team=team, name=t.name, lead=t.lead, members=t.members
                )
    for i, t in enumerate(doc.teams):
        team = Team.objects.get(workspace=workspace, key=t.key)
        if (team.parent.key if team.parent else None) != t.parent:
            with at_path(f"teams[{i}]"):
                workspaces.team_update(actor=actor, team=team, parent=t.parent)


def _import_objectives(
    actor: Actor, doc: OkrDocument, users: dict[str, User], tick: Callable[[int], None]
) -> None:
    workspace = actor.workspace
    for oi, o in enumerate(doc.objectives):
        path = f"objectives[{oi}]"
        fields = {
            "title": o.title,
            "cycle": o.cycle,
            "owner": o.owner,
            "level": o.level,
            "type": o.type,
            "description": o.description,
        }
        with at_path(path):
            objective = Objective.objects.filter(workspace=workspace, key=o.key).first()
            if objective is None:
                objective = goals.objective_create(actor=actor, key=o.key, position=oi, **fields)
            else:
                objective.position = oi
                objective = goals.objective_update(actor=actor, objective=objective, **fields)
        tick(1)
        for ki, k in enumerate(o.key_results):
            kpath = f"{path}.key_results[{ki}]"
            kr_fields = {
                "title": k.title,
                "owner": k.owner,
                "kind": k.kind,
                "baseline": k.baseline,
                "target": k.target,
                "unit": k.unit,
                "weight": k.weight,
                "kpi": k.kpi,
                "initiatives": k.initiatives,
            }
            with at_path(kpath):
                kr = KeyResult.objects.filter(workspace=workspace, key=k.key).first()
                if kr is None:
                    kr = goals.key_result_create(
                        actor=actor,
                        objective=objective,
                        key=k.key,
                        position=ki,
                        final_score=k.final_score,
                        **kr_fields,
                    )
                else:
                    kr.position = ki
                    kr = goals.key_result_update(actor=actor, kr=kr, objective=o.key, **kr_fields)
            tick(1)
            seen = {
                (c.at, c.author_id, c.value, c.confidence, c.moved, c.blocked)
                for c in CheckIn.objects.filter(key_result=kr)
            }
            for ci, c in enumerate(k.checkins):
                author = users[c.by]
                value = c.value
                signature = (
                    c.at,
                    author.pk,
                    _dec(value),
                    c.confidence,
                    c.moved or "",
                    c.blocked or "",
                )
                if signature not in seen:
                    with at_path(f"{kpath}.checkins[{ci}]"):
                        goals.checkin_create(
                            actor=actor,
                            kr=kr,
                            value=value,
                            confidence=c.confidence,
                            moved=c.moved,
                            blocked=c.blocked,
                            at=c.at,
                            author=author,
                        )
                    seen.add(signature)
                tick(1)
    # Alignment last: a parent may come later in the file than its children.
    for oi, o in enumerate(doc.objectives):
        objective = Objective.objects.select_related("parent").get(workspace=workspace, key=o.key)
        if (objective.parent.key if objective.parent else None) != o.parent:
            with at_path(f"objectives[{oi}]"):
                goals.objective_update(actor=actor, objective=objective, parent=o.parent)


def _dec(value: Decimal | None) -> Decimal | None:
    return value.quantize(Decimal("0.000001")) if value is not None else None


# --------------------------------------------------------------------------- export


def _local_at(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.date | dt.datetime:
    local = value.astimezone(tz)
    if local.time() == dt.time(0, 0):
        return local.date()
    return local


def okr_export(workspace: Workspace, *, measurements: bool = True) -> OkrDocument:
    """The whole workspace as a document; importing it gives the same workspace.

    `measurements=False` leaves the KPIs' history out (the coach needs only the KPIs)."""
    tz = zoneinfo.ZoneInfo(workspace.timezone)
    memberships = (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__email")
    )
    doc = OkrDocument(
        workspace_key=workspace.key,
        workspace_name=workspace.name,
        timezone=workspace.timezone if workspace.timezone != "UTC" else None,
        people=[
            okrfile.Person(email=m.user.email, name=m.user.name, role=m.role) for m in memberships
        ],
    )
    teams = (
        Team.objects.filter(workspace=workspace)
        .select_related("parent", "lead")
        .prefetch_related("members")
        .order_by("key")
    )
    doc.teams = [
        okrfile.Team(
            key=t.key,
            name=t.name,
            lead=t.lead.email if t.lead else None,
            parent=t.parent.key if t.parent else None,
            members=sorted(u.email for u in t.members.all()),
        )
        for t in teams
    ]
    doc.cycles = [
        okrfile.Cycle(
            key=c.key,
            start=c.start,
            end=c.end,
            name=c.name,
            closed=c.closed_at is not None,
            review_note=c.review_note,
        )
        for c in Cycle.objects.filter(workspace=workspace).order_by("start", "key")
    ]
    history: dict[int, list[okrfile.Measurement]] = {}
    points = Measurement.objects.filter(kpi__workspace=workspace)
    if not measurements:
        points = points.none()
    for kpi_id, at, value in points.order_by("kpi_id", "at").values_list("kpi_id", "at", "value"):
        history.setdefault(kpi_id, []).append(okrfile.Measurement(_local_at(at, tz), value))
    doc.kpis = [
        okrfile.Kpi(
            key=k.key,
            name=k.name,
            unit=k.unit,
            direction=k.direction,
            cadence=k.cadence,
            owner=workspaces.owner_ref(k.owner_user, k.owner_team),
            description=k.description,
            measurements=history.get(k.pk, []),
            **{name: getattr(k, name) for name in kpis.THRESHOLDS},
        )
        for k in Kpi.objects.filter(workspace=workspace)
        .select_related("owner_user", "owner_team")
        .order_by("key")
    ]
    doc.initiatives = [
        okrfile.Initiative(
            key=i.key,
            title=i.title,
            owner=workspaces.owner_ref(i.owner_user, i.owner_team),
            url=i.url or None,
        )
        for i in Initiative.objects.filter(workspace=workspace)
        .select_related("owner_user", "owner_team")
        .order_by("key")
    ]
    checkins: dict[int, list[okrfile.CheckIn]] = {}
    for c in (
        CheckIn.objects.filter(workspace=workspace)
        .select_related("author")
        .order_by("key_result_id", "at", "id")
    ):
        checkins.setdefault(c.key_result_id, []).append(
            okrfile.CheckIn(
                at=c.at,
                by=c.author.email,
                value=c.value,
                confidence=c.confidence,
                moved=c.moved or None,
                blocked=c.blocked or None,
            )
        )
    krs: dict[int, list[okrfile.KeyResult]] = {}
    for kr in (
        KeyResult.objects.filter(workspace=workspace)
        .select_related("owner", "kpi")
        .prefetch_related("initiatives")
        .order_by("objective_id", "position", "id")
    ):
        krs.setdefault(kr.objective_id, []).append(
            okrfile.KeyResult(
                key=kr.key,
                title=kr.title,
                owner=kr.owner.email,
                kind=kr.kind,
                baseline=kr.baseline,
                target=kr.target,
                unit=kr.unit,
                weight=kr.weight,
                kpi=kr.kpi.key if kr.kpi else None,
                initiatives=sorted(i.key for i in kr.initiatives.all()),
                final_score=kr.final_score,
                checkins=checkins.get(kr.pk, []),
            )
        )
    doc.objectives = [
        okrfile.Objective(
            key=o.key,
            title=o.title,
            level=o.level,
            owner=workspaces.owner_ref(o.owner_user, o.owner_team),
            cycle=o.cycle.key,
            parent=o.parent.key if o.parent else None,
            type=o.type,
            description=o.description,
            key_results=krs.get(o.pk, []),
        )
        for o in Objective.objects.filter(workspace=workspace)
        .select_related("cycle", "owner_user", "owner_team", "parent")
        .order_by("cycle__start", "position", "id")
    ]
    return doc
