"""Reaching KPIs for an actor."""

from __future__ import annotations

from okapi.errors import NotFound
from okapi.kpis.models import Kpi
from okapi.workspaces.access import Actor, require_owns


def get_kpi_for_user(actor: Actor, key: str, *, write: bool = False) -> Kpi:
    kpi = (
        Kpi.objects.select_related("owner_team", "owner_user", "data_source")
        .filter(workspace=actor.workspace, key=key)
        .first()
    )
    if kpi is None:
        raise NotFound(f"no KPI '{key}'")
    if write:
        require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    return kpi
