"""The weekly digest page, /w/<ws>/rhythm/digest/?team=KEY&until=YYYY-MM-DD."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from okapi.apitypes import KEY_PATTERN
from okapi.errors import Invalid, NotFound
from okapi.rhythm.digest import digest_data, page_context
from okapi.workspaces.access import Actor, get_team_for_user
from okapi.workspaces.models import Team
from okapi.workspaces.web import workspace_view

FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def parse_until(text: str) -> dt.date:
    """A day written YYYY-MM-DD (the last day of the digest's week); Invalid otherwise."""
    try:
        if len(text) != 10:
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid({"until": f"'{text[:40]}' is not a date written YYYY-MM-DD"}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid({"until": "must be between 1970-01-01 and 2999-12-31"})
    return day


def team_for_digest(actor: Actor, key: str) -> Team:
    """The workspace's team with this key; Invalid (a bad parameter, 422) when none."""
    if not re.fullmatch(KEY_PATTERN, key):
        raise Invalid({"team": f"no team '{key[:64]}' in this workspace"})
    try:
        return get_team_for_user(actor, key)
    except NotFound:
        raise Invalid({"team": f"no team '{key[:64]}' in this workspace"}) from None


@require_GET
@workspace_view
def digest(request: HttpRequest, actor: Actor) -> HttpResponse:
    team_key = request.GET.get("team", "").strip()
    until_text = request.GET.get("until", "").strip()
    teams = list(Team.objects.filter(workspace=actor.workspace).order_by("name", "key"))
    context: dict[str, Any] = {"teams": teams, "team_key": team_key, "until": until_text}
    try:
        team = team_for_digest(actor, team_key) if team_key else None
        until = parse_until(until_text) if until_text else None
    except Invalid as exc:
        context["errors"] = exc.errors
        return render(request, "rhythm/digest.html", context, status=422)
    data = digest_data(workspace=actor.workspace, team=team, until=until)
    context.update(page_context(data))
    return render(request, "rhythm/digest.html", context)
