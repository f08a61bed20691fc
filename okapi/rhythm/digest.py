"""The weekly digest of a workspace or a team: what moved, what is blocked, KRs at risk or off
pace, KPIs needing attention and objectives nobody checked in on, over the 7 days before a
moment (in the workspace's time zone).

`digest_data` reads it in a constant number of queries and returns a JSON-ready dict (the
`okapi digest --json` output and the `GET /api/digest` answer); `digest_text`, `digest_email_html`
and `digest_chat` render it; `digest_send` queues it to the people and the chat channel.

A team's digest covers the objectives the team owns, the KRs of those objectives and every KR a
member or the lead of the team owns (as My week's "team" does), and the KPIs owned by the team,
a member or the lead. Sub-teams are not folded in: each team has its own digest.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.timezone import now

from okapi.core import scoring
from okapi.core.kpi import HEALTH_ORDER, Health
from okapi.core.schedule import week_key
from okapi.goals.models import CheckIn, KeyResult, Objective
from okapi.goals.queries import KR_COLUMNS, key_result_dicts, label_key_result, number_text
from okapi.kpis.queries import (
    format_value,
    kpi_dict,
    kpis_queryset,
    target_text,
    with_previous_value,
)
from okapi.rhythm import delivery
from okapi.rhythm.models import Channel, Kind, Notification, TeamChannel
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import Team, Workspace

WINDOW_DAYS = 7
# KPI health that the digest reports (green ones are fine).
KPI_ATTENTION = (Health.RED, Health.AMBER, Health.STALE, Health.NO_DATA)
# Why a KR is listed as at risk, worst first, with the words people read.
REASONS = {
    "off_track": "off track",
    "drifting": "forecast drifting",
    "at_risk": "at risk",
    "behind": "behind pace",
    "stuck": "stuck for 4+ weeks",
    "stale": "no check-in for 2 weeks",
}
HEALTH_WORDS = {
    "red": "in breach",
    "amber": "amber",
    "stale": "stale",
    "no_data": "no data yet",
}
CONFIDENCE_WORDS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track"}
# Chat messages: items per section before "and N more", and Slack's limit per text block.
CHAT_ITEMS = 5
CHAT_BLOCK_CHARS = 2900


def _f(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Window:
    """The digest's week: its days (`start`…`last`, local), the instant it ends (`until`), and
    the moment KPI health is judged at (`judged_at`: `until`, or now if that is sooner)."""

    start: dt.date
    last: dt.date
    until: dt.datetime
    judged_at: dt.datetime


def _window(workspace: Workspace, until: dt.datetime | dt.date | None) -> Window:
    """The week ending at `until` (default now). A datetime's local date (workspace time zone)
    is the last day; a date is the last day itself, ending at its local midnight."""
    zone = zoneinfo.ZoneInfo(workspace.timezone)
    current = now()
    if until is None:
        until = current
    if isinstance(until, dt.datetime):
        if until.tzinfo is None:
            raise ValueError("until must be timezone-aware")
        last = until.astimezone(zone).date()
        end = until
    else:
        last = until
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        end -= dt.timedelta(microseconds=1)
    start = last - dt.timedelta(days=WINDOW_DAYS - 1)
    return Window(start, last, end, min(end, current))


def _team_member_ids(team: Team) -> list[int]:
    """The team's members and its lead: one query."""
    ids = set(Team.members.through.objects.filter(team=team).values_list("user_id", flat=True))
    if team.lead_id is not None:
        ids.add(team.lead_id)
    return sorted(ids)


def _objective_path(workspace: Workspace, objective_key: str) -> str:
    return reverse("goals:objective", args=[workspace.key, objective_key])


def _kr_url(workspace: Workspace, objective_key: str, kr_key: str) -> str:
    return delivery.absolute_url(f"{_objective_path(workspace, objective_key)}#kr-{kr_key}-h")


def digest_path(workspace: Workspace, team: Team | None = None) -> str:
    path = reverse("rhythm:digest", args=[workspace.key])
    return f"{path}?team={team.key}" if team is not None else path


def digest_data(
    *,
    workspace: Workspace,
    team: Team | None = None,
    until: dt.datetime | dt.date | None = None,
    since: dt.datetime | None = None,
) -> dict[str, Any]:
    """The digest of the 7 days ending at `until` (default now), as a JSON-ready dict.

    What moved: the check-ins dated in those days; or, given `since` (when the previous digest
    was sent: `digest_send` passes it), those *recorded* after it up to `until` and dated at
    most a week before it — a check-in made after Friday's digest went out, or backdated on
    Monday to Thursday, is in the next digest rather than in none, and none is in two.

    Keys: workspace, team, period {start, end}, moved[], blocked[], at_risk[], kpis[],
    quiet_objectives[], counts{}, quiet, url, generated_at. Dates are ISO strings.
    Five queries for a workspace, six for a team, whatever the size."""
    window = _window(workspace, until)
    start, last, judged_at = window.start, window.last, window.judged_at
    member_ids = _team_member_ids(team) if team is not None else []

    kr_scope = Q(workspace=workspace)
    objective_scope = Q(workspace=workspace)
    kpi_scope = Q()
    if team is not None:
        kr_scope &= Q(objective__owner_team=team) | Q(owner_id__in=member_ids)
        objective_scope &= Q(owner_team=team)
        kpi_scope = Q(owner_team=team) | Q(owner_user_id__in=member_ids)
    running = Q(
        objective__cycle__closed_at__isnull=True,
        objective__cycle__start__lte=last,
        objective__cycle__end__gte=last,
    )

    # What moved: every check-in of the week (and those recorded since the last digest), newest
    # first.
    in_week = Q(at__gte=start, at__lte=last)
    if since is not None:
        # A sent digest: what was recorded since the previous one went out (dated at most a week
        # before it), and nothing that one already listed.
        backdated_from = since.astimezone(zoneinfo.ZoneInfo(workspace.timezone)).date()
        backdated_from -= dt.timedelta(days=WINDOW_DAYS)
        in_week = Q(created_at__gt=since, created_at__lte=window.until, at__gte=backdated_from)
    checkins = list(
        CheckIn.objects.filter(key_result__in=KeyResult.objects.filter(kr_scope))
        .filter(in_week, workspace=workspace)
        .order_by("-at", "-created_at", "-id")
        .values(
            "at",
            "value",
            "confidence",
            "moved",
            "blocked",
            "author__email",
            "author__name",
            "key_result__key",
            "key_result__title",
            "key_result__kind",
            "key_result__unit",
            "key_result__baseline",
            "key_result__target",
            "key_result__objective__key",
            "key_result__objective__title",
        )  # fmt: skip
    )
    moved = [_moved_entry(workspace, c) for c in checkins]

    # The KRs of running cycles, with their status (kr_status through key_result_dicts).
    order = ("objective__cycle__start", "objective__position", "objective_id", "position", "id")
    rows = list(
        KeyResult.objects.filter(kr_scope & running)
        .order_by(*order)
        .values(*KR_COLUMNS, "objective__title", "owner__name")
    )
    krs = []
    for row, kr in zip(rows, key_result_dicts(rows, last), strict=True):
        kr["objective_title"] = row["objective__title"]
        kr["owner_name"] = row["owner__name"] or row["owner__email"].split("@")[0]
        krs.append(kr)
    at_risk = [entry for kr in krs if (entry := _at_risk_entry(workspace, kr))]
    at_risk.sort(key=lambda e: min(list(REASONS).index(r) for r in e["reasons"]))

    blocked = _blocked(workspace, moved, krs)

    # KPIs that need attention, breaches first (kpi_dict holds the one health rule).
    kpi_rows = with_previous_value(kpis_queryset(system_actor(workspace)).filter(kpi_scope))
    kpis = []
    for kpi in kpi_rows:
        item = kpi_dict(kpi, at=judged_at)
        if Health(item["health"]) in KPI_ATTENTION:
            owner_name = (
                kpi.owner_team.name
                if kpi.owner_team
                else kpi.owner_user.display_name
                if kpi.owner_user
                else None
            )
            kpis.append(_kpi_entry(workspace, item, owner_name))
    kpis.sort(key=lambda k: (HEALTH_ORDER[Health(k["health"])], k["key"]))

    # Objectives of running cycles without any check-in this week.
    recent = CheckIn.objects.filter(
        key_result__objective=OuterRef("pk"), at__gte=start, at__lte=last
    )
    quiet_rows = (
        Objective.objects.filter(
            objective_scope,
            cycle__closed_at__isnull=True,
            cycle__start__lte=last,
            cycle__end__gte=last,
        )
        .annotate(
            checked_in=Exists(recent),
            kr_count=Count("key_results"),
            last_checkin=Max("key_results__last_checkin_at"),
        )
        .filter(checked_in=False)
        .order_by("cycle__start", "position", "id")
        .values(
            "key",
            "title",
            "cycle__key",
            "owner_team__key",
            "owner_team__name",
            "owner_user__email",
            "owner_user__name",
            "kr_count",
            "last_checkin",
        )  # fmt: skip
    )
    quiet_objectives = [_quiet_entry(workspace, o) for o in quiet_rows]

    return {
        "workspace": {"key": workspace.key, "name": workspace.name},
        "team": {"key": team.key, "name": team.name} if team is not None else None,
        "period": {"start": start.isoformat(), "end": last.isoformat()},
        "week": week_key(last),
        "generated_at": now().isoformat(),
        "url": delivery.absolute_url(digest_path(workspace, team)),
        "quiet": not moved,
        "moved": moved,
        "blocked": blocked,
        "at_risk": at_risk,
        "kpis": kpis,
        "quiet_objectives": quiet_objectives,
        "counts": {
            "moved": len(moved),
            "blocked": len(blocked),
            "at_risk": len(at_risk),
            "kpis": len(kpis),
            "kpis_red": sum(1 for k in kpis if k["health"] == Health.RED),
            "quiet_objectives": len(quiet_objectives),
        },
    }


def _moved_entry(workspace: Workspace, c: dict[str, Any]) -> dict[str, Any]:
    value = c["value"]
    progress = None
    if value is not None:
        progress = scoring.kr_progress(
            kind=c["key_result__kind"],
            baseline=c["key_result__baseline"],
            target=c["key_result__target"],
            current=value,
        ).value
    if c["key_result__kind"] == "milestone":
        value_text = "—" if value is None else "done" if value else "not done"
    else:
        value_text = number_text(value, c["key_result__unit"])
    objective = c["key_result__objective__key"]
    return {
        "at": c["at"].isoformat(),
        "kr": c["key_result__key"],
        "kr_title": c["key_result__title"],
        "objective": objective,
        "objective_title": c["key_result__objective__title"],
        "author": c["author__email"],
        "author_name": c["author__name"] or c["author__email"].split("@")[0],
        "value": _f(value),
        "value_text": value_text,
        "progress": _f(progress),
        "confidence": c["confidence"],
        "moved": c["moved"],
        "blocked": c["blocked"],
        "url": _kr_url(workspace, objective, c["key_result__key"]),
    }


def _forecast(kr: dict[str, Any]) -> dict[str, Any] | None:
    """The KR's forecast (score, chance, drifting), when the KR dicts carry one."""
    forecast = kr.get("forecast")
    if not isinstance(forecast, dict):
        return None
    names = ("value", "low", "high", "score", "chance", "chance_of", "drifting")
    return {name: forecast.get(name) for name in names}


def _reasons(kr: dict[str, Any], forecast: dict[str, Any] | None) -> list[str]:
    found = {
        "off_track": kr["confidence"] == "off_track",
        "drifting": bool(forecast and forecast.get("drifting")),
        "at_risk": kr["confidence"] == "at_risk",
        "behind": kr["pace"] == scoring.Pace.BEHIND,
        "stuck": bool(kr["stuck"]),
        "stale": bool(kr["stale"]),
    }
    return [reason for reason in REASONS if found[reason]]


def _at_risk_entry(workspace: Workspace, kr: dict[str, Any]) -> dict[str, Any] | None:
    forecast = _forecast(kr)
    reasons = _reasons(kr, forecast)
    if not reasons:
        return None
    label_key_result(kr)
    if kr["kind"] == "milestone":
        kr["current_text"] = "done" if kr["current"] else "not done"
        kr["target_text"] = "done"
    return {
        "kr": kr["key"],
        "kr_title": kr["title"],
        "objective": kr["objective"],
        "objective_title": kr["objective_title"],
        "owner": kr["owner"],
        "owner_name": kr["owner_name"],
        "kind": kr["kind"],
        "current": kr["current"],
        "current_text": kr["current_text"],
        "target_text": kr["target_text"],
        "progress": kr["progress"],
        "pace": kr["pace"],
        "confidence": kr["confidence"],
        "last_checkin_at": _iso(kr["last_checkin_at"]),
        "reasons": reasons,
        "reasons_text": ", ".join(REASONS[r] for r in reasons),
        "forecast": forecast,
        "url": _kr_url(workspace, kr["objective"], kr["key"]),
    }


def _blocked(
    workspace: Workspace, moved: list[dict[str, Any]], krs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One entry per KR: its newest "blocked" note of the week, and/or its last confidence
    being off track."""
    entries: dict[str, dict[str, Any]] = {}
    for c in moved:  # newest first: the first note of a KR is its latest
        if c["blocked"].strip() and c["kr"] not in entries:
            entries[c["kr"]] = {
                "kr": c["kr"],
                "kr_title": c["kr_title"],
                "objective": c["objective"],
                "objective_title": c["objective_title"],
                "owner": c["author"],
                "owner_name": c["author_name"],
                "note": c["blocked"],
                "at": c["at"],
                "confidence": c["confidence"],
                "off_track": False,
                "url": c["url"],
            }
    for kr in krs:
        if kr["confidence"] != "off_track":
            continue
        entry = entries.get(kr["key"])
        if entry is not None:
            entry["off_track"] = True
            entry["owner"], entry["owner_name"] = kr["owner"], kr["owner_name"]
            continue
        entries[kr["key"]] = {
            "kr": kr["key"],
            "kr_title": kr["title"],
            "objective": kr["objective"],
            "objective_title": kr["objective_title"],
            "owner": kr["owner"],
            "owner_name": kr["owner_name"],
            "note": None,
            "at": _iso(kr["last_checkin_at"]),
            "confidence": kr["confidence"],
            "off_track": True,
            "url": _kr_url(workspace, kr["objective"], kr["key"]),
        }
    return list(entries.values())


def _kpi_entry(
    workspace: Workspace, item: dict[str, Any], owner_name: str | None
) -> dict[str, Any]:
    return {
        "key": item["key"],
        "name": item["name"],
        "health": item["health"],
        "health_text": HEALTH_WORDS[item["health"]],
        "value": item["latest_value"],
        "value_text": format_value(item["latest_value"], item["unit"]),
        "unit": item["unit"],
        "latest_at": _iso(item["latest_at"]),
        "target_text": target_text(item),
        "owner": item["owner"],
        "owner_name": owner_name,
        "url": delivery.absolute_url(reverse("kpis:kpi", args=[workspace.key, item["key"]])),
    }


def _quiet_entry(workspace: Workspace, o: dict[str, Any]) -> dict[str, Any]:
    owner = o["owner_team__key"] or o["owner_user__email"]
    owner_name = o["owner_team__name"] or o["owner_user__name"]
    if not owner_name and o["owner_user__email"]:
        owner_name = o["owner_user__email"].split("@")[0]
    return {
        "objective": o["key"],
        "title": o["title"],
        "cycle": o["cycle__key"],
        "owner": owner,
        "owner_name": owner_name,
        "key_results": o["kr_count"],
        "last_checkin_at": _iso(o["last_checkin"]),
        "url": delivery.absolute_url(_objective_path(workspace, o["key"])),
    }


# --------------------------------------------------------------------------- renderings


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso[:10])
    return f"{day.day} {day:%b}"


def period_text(data: dict[str, Any]) -> str:
    """ "9–15 Feb 2027", "27 Feb – 5 Mar 2027", "28 Dec 2026 – 3 Jan 2027"."""
    start = dt.date.fromisoformat(data["period"]["start"])
    end = dt.date.fromisoformat(data["period"]["end"])
    if start.year != end.year:
        return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    if start.month != end.month:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day}–{end.day} {end:%b %Y}"


def digest_title(data: dict[str, Any]) -> str:
    scope = data["workspace"]["name"]
    if data["team"] is not None:
        scope = f"{data['team']['name']} ({scope})"
    return f"Weekly digest: {scope}, {period_text(data)}"


def summary_text(data: dict[str, Any]) -> str:
    """One line: "3 check-ins · 1 blocked · 2 KRs at risk · 1 KPI needs attention · …"."""
    counts = data["counts"]

    def plural(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    if data["quiet"]:
        first = "A quiet week: no check-ins"
    else:
        first = plural(counts["moved"], "check-in", "check-ins")
    return " · ".join(
        [
            first,
            f"{counts['blocked']} blocked",
            plural(counts["at_risk"], "KR at risk or off pace", "KRs at risk or off pace"),
            plural(counts["kpis"], "KPI needs attention", "KPIs need attention"),
            plural(
                counts["quiet_objectives"],
                "objective without a check-in",
                "objectives without a check-in",
            ),
        ]
    )


def _context(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": data,
        "title": digest_title(data),
        "period": period_text(data),
        "summary": summary_text(data),
        "preferences_url": delivery.absolute_url(
            reverse("rhythm:preferences", args=[data["workspace"]["key"]])
        ),
        "moved": [
            {**c, "day": _day(c["at"]), "confidence_text": CONFIDENCE_WORDS[c["confidence"]]}
            for c in data["moved"]
        ],
        "blocked": [{**b, "day": _day(b["at"]) if b["at"] else ""} for b in data["blocked"]],
    }


def page_context(data: dict[str, Any]) -> dict[str, Any]:
    """What the digest page shows: the renderings' context, and the period's days as dates."""
    return {
        **_context(data),
        "start": dt.date.fromisoformat(data["period"]["start"]),
        "end": dt.date.fromisoformat(data["period"]["end"]),
    }


def digest_text(data: dict[str, Any]) -> str:
    """The digest as plain text (the CLI's output and the e-mail's text part)."""
    return render_to_string("rhythm/email/digest.txt", _context(data)).strip() + "\n"


def digest_email_html(data: dict[str, Any]) -> str:
    """The digest as simple HTML for mail clients: headings, lists and tables, no styles."""
    return render_to_string("rhythm/email/digest.html", _context(data))


def _chat_section(title: str, lines: list[str]) -> str:
    shown = lines[:CHAT_ITEMS]
    more = len(lines) - len(shown)
    body = "\n".join(shown)
    if more:
        body += f"\n_and {more} more_"
    text = f"*{title}*\n{body}"
    if len(text) > CHAT_BLOCK_CHARS:
        text = text[: CHAT_BLOCK_CHARS - 1] + "…"
    return text


def digest_chat(data: dict[str, Any]) -> dict[str, Any]:
    """A Slack-compatible message: `text` for every client and Block Kit sections for Slack;
    each list shows its first few items, then "and N more"."""
    e = delivery.chat_escape

    def link(url: str, label: str) -> str:
        return f"<{url}|{e(label)}>"

    sections = []
    if data["quiet"]:
        sections.append(("What moved", ["A quiet week: nobody checked in."]))
    else:
        sections.append(
            (
                f"What moved ({len(data['moved'])})",
                [
                    f"• {link(c['url'], c['kr_title'])}: {e(c['value_text'])} "
                    f"({CONFIDENCE_WORDS.get(c['confidence'], c['confidence'])}, "
                    f"{e(c['author_name'])})" + (f" — {e(c['moved'][:200])}" if c["moved"] else "")
                    for c in data["moved"]
                ],
            )
        )
    if data["blocked"]:
        sections.append(
            (
                f"Blocked ({len(data['blocked'])})",
                [
                    f"• {link(b['url'], b['kr_title'])}: "
                    + (e(b["note"][:200]) if b["note"] else "off track")
                    for b in data["blocked"]
                ],
            )
        )
    if data["at_risk"]:
        sections.append(
            (
                f"At risk or off pace ({len(data['at_risk'])})",
                [
                    f"• {link(k['url'], k['kr_title'])} ({e(k['owner_name'])}): {k['reasons_text']}"
                    for k in data["at_risk"]
                ],
            )
        )
    if data["kpis"]:
        sections.append(
            (
                f"KPIs needing attention ({len(data['kpis'])})",
                [
                    f"• {link(k['url'], k['name'])}: {e(k['value_text'])}, {k['health_text']}"
                    for k in data["kpis"]
                ],
            )
        )
    if data["quiet_objectives"]:
        sections.append(
            (
                f"Objectives without a check-in ({len(data['quiet_objectives'])})",
                [f"• {link(o['url'], o['title'])}" for o in data["quiet_objectives"]],
            )
        )
    title = digest_title(data)
    texts = [_chat_section(name, lines) for name, lines in sections]
    footer = f"{e(summary_text(data))}\n<{data['url']}|Open the digest in Okapi>"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        *({"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]},
    ]
    return {"text": "\n\n".join([f"*{e(title)}*", *texts, footer]), "blocks": blocks}


# --------------------------------------------------------------------------- sending


def digest_recipients(workspace: Workspace, team: Team | None = None) -> list[Any]:
    """Who gets the digest by e-mail: every member of the workspace (viewers too: they read),
    or the team's members and lead; minus those who muted the digest, deactivated accounts and
    those without an address. Two queries."""
    from okapi.accounts.models import User

    people = User.objects.filter(memberships__workspace=workspace, is_active=True)
    if team is not None:
        people = people.filter(Q(teams=team) | Q(pk=team.lead_id or 0))
    muted = delivery.muted_user_ids(workspace, "digest")
    return [u for u in people.distinct().order_by("email") if u.email and u.pk not in muted]


def _last_sent(workspace: Workspace, scope: str, at: dt.datetime | None) -> dt.datetime | None:
    """When this scope's previous week's digest first went out (within a month before `at`):
    the next digest lists every check-in recorded since, none twice. The first send of that
    week counts, so that one more e-mail queued later that week (a new member's, a manual
    `--send`) does not move the mark past a check-in nobody was told about."""
    until = at or now()
    this_week = week_key(until.astimezone(zoneinfo.ZoneInfo(workspace.timezone)).date())
    first_by_week: dict[str, dt.datetime] = {}
    for key, created_at in Notification.objects.filter(
        workspace=workspace,
        kind=Kind.DIGEST,
        dedupe_key__startswith=f"digest:{scope}:",
        created_at__lt=until,
        created_at__gte=until - dt.timedelta(days=31),
    ).values_list("dedupe_key", "created_at"):
        week = key.rsplit(":", 1)[-1]
        if week != this_week and (week not in first_by_week or created_at < first_by_week[week]):
            first_by_week[week] = created_at
    return first_by_week[max(first_by_week)] if first_by_week else None


def digest_send(
    *, workspace: Workspace, team: Team | None = None, at: dt.datetime | None = None
) -> int:
    """Queue the week's digest (ending at `at`, default now) by e-mail to every recipient and
    to the team's (or workspace's) chat channel when one is set; how many were queued.

    Each message is queued once per ISO week (`dedupe_key` "digest:<scope>:<user id>:<week>"),
    so running it again in the same week queues nothing new. A quiet week is sent too, saying
    so: the digest is the team's rhythm."""
    scope = workspace.key if team is None else f"{workspace.key}.{team.key}"
    data = digest_data(
        workspace=workspace, team=team, until=at, since=_last_sent(workspace, scope, at)
    )
    week = data["week"]
    subject = digest_title(data)
    text = digest_text(data)
    html = digest_email_html(data)
    queued = 0
    for person in digest_recipients(workspace, team):
        sent = delivery.notify(
            workspace=workspace,
            kind=Kind.DIGEST,
            dedupe_key=f"digest:{scope}:{person.pk}:{week}",
            subject=subject,
            text=text,
            html=html,
            recipient=person,
            team=team,
        )
        queued += sent is not None
    # A team's digest goes to its own channel only: the workspace's channel gets the
    # workspace's digest, not one more per team.
    own_channel = team is None or TeamChannel.objects.filter(team=team).exists()
    if own_channel and delivery.chat_webhook_for(workspace, team):
        sent = delivery.notify(
            workspace=workspace,
            kind=Kind.DIGEST,
            dedupe_key=f"digest:{scope}:chat:{week}",
            subject=subject,
            text=text,
            team=team,
            channel=Channel.CHAT,
            chat=digest_chat(data),
        )
        queued += sent is not None
    return queued
