from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from okapi.workspaces.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to a workspace: the one chosen in the switcher, else their first."""
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    chosen = request.GET.get("w", "")
    membership = (
        memberships.filter(workspace__key=chosen).first() if chosen else None
    ) or memberships.order_by("workspace__name").first()
    if membership is None:
        return render(request, "accounts/no_workspace.html", status=200)
    return redirect("goals:my_week", membership.workspace.key)
