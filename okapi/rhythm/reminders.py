"""Check-in reminders: at the workspace's reminder time, each KR owner with KRs that need this
week's check-in gets one e-mail listing them, each with a link straight to its check-in; the chat
channels get one summary of who has KRs due; a KR two or more weeks without a check-in is also
reported to the owner's team lead, once a week.

A KR needs a check-in when its cycle is open and running (the workspace's local date), it has
no check-in this ISO week (`okapi.goals.queries.checked_in_this_week`, as My week) and its owner
is still in the workspace. People who muted reminders get no e-mail and are left out of the
chat summary; their lead still hears about weeks missed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.timezone import now

from okapi.accounts.models import User
from okapi.core.cycles import week_start
from okapi.core.schedule import missed_weeks, week_key
from okapi.goals.models import KeyResult
from okapi.goals.queries import KR_COLUMNS, checked_in_this_week, key_result_dicts
from okapi.rhythm import delivery
from okapi.rhythm.models import Channel, Kind, TeamChannel
from okapi.workspaces.models import Membership, Role, Team, Workspace

LEAD_AFTER_WEEKS = 2  # missed weeks in a row before the team lead hears
CHAT_NAMES = 30  # people listed in one chat summary before "and N more"


@dataclass
class DueKr:
    """One KR that needs a check-in, as the messages show it."""

    key: str
    title: str
    objective_title: str
    owner_id: int
    owner_name: str
    objective_team_id: int | None
    last_checkin_at: dt.date | None
    stale: bool
    stuck: bool
    missed: int  # whole weeks in a row without a check-in
    url: str  # the check-in page

    @property
    def last_checkin_text(self) -> str:
        return self.last_checkin_at.isoformat() if self.last_checkin_at else "never"

    @property
    def flags(self) -> str:
        words = []
        if self.stale:
            words.append("stale")
        if self.stuck:
            words.append("stuck")
        return ", ".join(words)


@dataclass
class TeamPeople:
    id: int
    lead_id: int | None
    member_ids: set[int] = field(default_factory=set)


def _local_date(workspace: Workspace, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(workspace.timezone)).date()


def checkin_url(workspace: Workspace, kr_key: str) -> str:
    return delivery.absolute_url(reverse("goals:checkin", args=[workspace.key, kr_key]))


def my_week_url(workspace: Workspace) -> str:
    return delivery.absolute_url(reverse("goals:my_week", args=[workspace.key]))


def preferences_url(workspace: Workspace) -> str:
    """Where a person mutes reminders and alerts (My week when that page is not there)."""
    try:
        return delivery.absolute_url(reverse("rhythm:preferences", args=[workspace.key]))
    except NoReverseMatch:
        return my_week_url(workspace)


def due_key_results(workspace: Workspace, today: dt.date) -> list[DueKr]:
    """The KRs of the running, open cycles that have no check-in this week and whose owner is
    still in the workspace: three queries (the KRs, their initiative links, the members)."""
    rows = list(
        KeyResult.objects.filter(
            workspace=workspace,
            objective__cycle__closed_at__isnull=True,
            objective__cycle__start__lte=today,
            objective__cycle__end__gte=today,
        )
        .order_by(
            "objective__cycle__start", "objective__position", "objective_id", "position", "id"
        )
        .values(
            *KR_COLUMNS,
            "objective__title",
            "objective__owner_team_id",
            "owner_id",
            "owner__name",
        )
    )
    # Viewers cannot check in, so a KR a viewer owns is nobody's to remind about (nor missed);
    # nor is one of a deactivated account.
    members = set(
        Membership.objects.filter(workspace=workspace, user__is_active=True)
        .exclude(role=Role.VIEWER)
        .values_list("user_id", flat=True)
    )
    monday = week_start(today)
    zone = zoneinfo.ZoneInfo(workspace.timezone)
    out = []
    for row, kr in zip(rows, key_result_dicts(rows, today), strict=True):
        if row["owner_id"] not in members or checked_in_this_week(kr, monday):
            continue
        # Weeks before the KR existed are not missed (a KR added on Monday has missed none).
        since = max(row["objective__cycle__start"], row["created_at"].astimezone(zone).date())
        out.append(
            DueKr(
                key=row["key"],
                title=row["title"],
                objective_title=row["objective__title"],
                owner_id=row["owner_id"],
                owner_name=row["owner__name"] or row["owner__email"].split("@")[0],
                objective_team_id=row["objective__owner_team_id"],
                last_checkin_at=row["last_checkin_at"],
                stale=kr["stale"],
                stuck=kr["stuck"],
                missed=missed_weeks(last_checkin=row["last_checkin_at"], since=since, today=today),
                url=checkin_url(workspace, row["key"]),
            )
        )
    return out


def _teams(workspace: Workspace) -> dict[int, TeamPeople]:
    """Every team with its lead and members: two queries."""
    teams = {
        pk: TeamPeople(pk, lead_id)
        for pk, lead_id in Team.objects.filter(workspace=workspace).values_list("id", "lead_id")
    }
    for team_id, user_id in Team.members.through.objects.filter(
        team__workspace=workspace
    ).values_list("team_id", "user_id"):
        teams[team_id].member_ids.add(user_id)
    return teams


def leads_of(kr: DueKr, teams: dict[int, TeamPeople]) -> set[int]:
    """Who hears about a KR its owner neglects: the lead of the team that owns the objective,
    else the leads of the owner's teams; never the owner themself."""
    leads = set()
    owning = teams.get(kr.objective_team_id) if kr.objective_team_id else None
    if owning is not None and owning.lead_id is not None:
        leads.add(owning.lead_id)
    else:
        leads = {t.lead_id for t in teams.values() if kr.owner_id in t.member_ids and t.lead_id}
    leads.discard(kr.owner_id)
    return {lead for lead in leads if lead is not None}


def _group(krs: list[DueKr], key: Any) -> dict[Any, list[DueKr]]:
    groups: dict[Any, list[DueKr]] = {}
    for kr in krs:
        groups.setdefault(key(kr), []).append(kr)
    return groups


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def send_reminders(workspace: Workspace, *, at: dt.datetime | None = None) -> int:
    """Queue this week's reminders (the week of `at`, default now, in the workspace's time zone):
    one e-mail per owner, one chat summary per channel, one e-mail per lead about KRs missed two
    weeks or more. Each once per week (dedupe keys "reminder:<user>:<week>",
    "lead:<lead>:<week>", "reminder-chat:<scope>:<week>"); how many were queued."""
    today = _local_date(workspace, at or now())
    week = week_key(today)
    krs = due_key_results(workspace, today)
    if not krs:
        return 0
    muted = delivery.muted_user_ids(workspace, "reminders")
    teams = _teams(workspace)
    lead_krs: dict[int, list[DueKr]] = {}
    for kr in krs:
        if kr.missed >= LEAD_AFTER_WEEKS:
            for lead in leads_of(kr, teams):
                lead_krs.setdefault(lead, []).append(kr)
    by_owner = _group([kr for kr in krs if kr.owner_id not in muted], lambda kr: kr.owner_id)
    members = set(Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True))
    wanted = set(by_owner) | {lead for lead in lead_krs if lead not in muted and lead in members}
    people = {u.pk: u for u in User.objects.filter(pk__in=wanted)}
    common = {
        "workspace": workspace,
        "week": week,
        "monday": week_start(today),
        "my_week_url": my_week_url(workspace),
        "preferences_url": preferences_url(workspace),
    }
    queued = 0
    for owner_id, owned in by_owner.items():
        person = people.get(owner_id)
        if person is None or not person.email:
            continue
        context = {**common, "person": person, "krs": owned}
        subject = f"{_plural(len(owned), 'key result')} to check in on this week ({workspace.name})"
        queued += _queue(
            workspace,
            Kind.REMINDER,
            f"reminder:{owner_id}:{week}",
            subject,
            person,
            "rhythm/email/reminder",
            context,
        )
    for lead_id, neglected in sorted(lead_krs.items()):
        person = people.get(lead_id)
        if person is None or not person.email:
            continue
        context = {**common, "person": person, "krs": neglected, "after": LEAD_AFTER_WEEKS}
        subject = (
            f"{_plural(len(neglected), 'key result')} in your team without a check-in for "
            f"{LEAD_AFTER_WEEKS}+ weeks ({workspace.name})"
        )
        queued += _queue(
            workspace,
            Kind.LEAD_REMINDER,
            f"lead:{lead_id}:{week}",
            subject,
            person,
            "rhythm/email/lead_reminder",
            context,
        )
    queued += _chat_summaries(workspace, week, krs, muted, teams)
    return queued


def _queue(
    workspace: Workspace,
    kind: str,
    key: str,
    subject: str,
    person: User,
    template: str,
    context: dict[str, Any],
) -> int:
    sent = delivery.notify(
        workspace=workspace,
        kind=kind,
        dedupe_key=key,
        subject=subject,
        text=render_to_string(f"{template}.txt", context).strip() + "\n",
        html=render_to_string(f"{template}.html", context),
        recipient=person,
    )
    return int(sent is not None)


def chat_summary(workspace: Workspace, krs: list[DueKr], *, title: str) -> dict[str, Any]:
    """Who has KRs due, one line per person (never one message per person)."""
    by_owner = _group(krs, lambda kr: kr.owner_name)
    lines = [
        f"• {delivery.chat_escape(name)}: {_plural(len(owned), 'key result')}"
        for name, owned in sorted(by_owner.items(), key=lambda item: (-len(item[1]), item[0]))
    ]
    if len(lines) > CHAT_NAMES:
        lines = lines[:CHAT_NAMES] + [f"…and {len(lines) - CHAT_NAMES} more"]
    text = "Key results waiting for this week's check-in:\n" + "\n".join(lines)
    return delivery.chat_message(text, title=title, url=my_week_url(workspace))


def _chat_summaries(
    workspace: Workspace,
    week: str,
    krs: list[DueKr],
    muted: set[int],
    teams: dict[int, TeamPeople],
) -> int:
    """One summary to the workspace's channel (everyone) and one to each team channel (the
    team's objectives and people)."""
    listed = [kr for kr in krs if kr.owner_id not in muted]
    if not listed:
        return 0
    title = f"Check-ins due this week in {workspace.name}"
    queued = 0
    if delivery.rhythm_settings(workspace).chat_webhook:
        chat = chat_summary(workspace, listed, title=title)
        sent = delivery.notify(
            workspace=workspace,
            kind=Kind.REMINDER,
            channel=Channel.CHAT,
            dedupe_key=f"reminder-chat:workspace:{week}",
            subject=title,
            text=chat["text"],
            chat=chat,
        )
        queued += sent is not None
    channels = TeamChannel.objects.filter(workspace=workspace).select_related("team")
    for channel in channels.order_by("team__key"):
        team = teams.get(channel.team_id)
        if team is None:
            continue
        people = team.member_ids | ({team.lead_id} if team.lead_id else set())
        mine = [kr for kr in listed if kr.objective_team_id == team.id or kr.owner_id in people]
        if not mine:
            continue
        team_title = f"Check-ins due this week in {channel.team.name}"
        chat = chat_summary(workspace, mine, title=team_title)
        sent = delivery.notify(
            workspace=workspace,
            kind=Kind.REMINDER,
            channel=Channel.CHAT,
            team=channel.team,
            dedupe_key=f"reminder-chat:team:{team.id}:{week}",
            subject=team_title,
            text=chat["text"],
            chat=chat,
        )
        queued += sent is not None
    return queued
