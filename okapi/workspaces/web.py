"""What every page of a workspace shares: the gate that makes `request.actor`, and the
navigation context for the layout."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from okapi.errors import Invalid
from okapi.workspaces.access import Actor, actor_for
from okapi.workspaces.models import Membership


def workspace_view(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """For views under /w/<ws>/: signed in, a member of <ws> (else 404), `actor` passed on.

    Views then reach rows only through the `access.py` helpers with that actor.
    """

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, ws: str, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = actor_for(request.user, ws)  # NotFound -> 404 (ServiceErrorsMiddleware)
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, actor, *args, **kwargs)

    return wrapper


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The layout's context: the current workspace, the user's other workspaces, the role."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or not request.user.is_authenticated:
        return {}
    workspaces = (
        Membership.objects.filter(user=request.user)
        .select_related("workspace")
        .order_by("workspace__name")
    )
    return {
        "actor": actor,
        "workspace": actor.workspace,
        "my_workspaces": [m.workspace for m in workspaces],
        "can_write": actor.can_write,
        "is_admin": actor.is_admin,
    }


def add_service_errors(form: Any, exc: Invalid) -> None:
    """Put a service's refusal beside the fields it names (others on the whole form)."""
    for field, message in exc.errors.items():
        name = field.split(".")[0]
        form.add_error(name if name in form.fields else None, message)


def render_form(
    request: HttpRequest, template: str, context: dict[str, Any], form: Any
) -> HttpResponse:
    """Render a page with a form; an invalid form answers 422 (linkding's convention)."""
    status = 422 if form.is_bound and form.errors else 200
    return render(request, template, {**context, "form": form}, status=status)
