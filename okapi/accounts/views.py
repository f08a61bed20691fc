from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from okapi.accounts.forms import JoinForm, SetPasswordForm
from okapi.accounts.models import User, normalize_email
from okapi.errors import Invalid
from okapi.workspaces import services
from okapi.workspaces.models import Membership
from okapi.workspaces.web import add_service_errors


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


class InvalidFormStatusMixin:
    """Django's auth views answer 200 to an invalid form; Okapi answers 422 (linkding's way)."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 422
        return response


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    pass


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm


GONE = {
    "accepted": "This invitation has already been used.",
    "revoked": "This invitation was withdrawn by the workspace's admins.",
    "expired": "This invitation has expired.",
}


def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """An invitation link: a signed-in person with the invited address joins with one click; a
    new person sets a name and a password; an existing account signs in first."""
    invite = services.invitation_find(secret)
    if invite is None:
        return render(request, "accounts/invitation_gone.html", {"reason": None}, status=404)
    if invite.state != "pending":
        context = {"reason": GONE[invite.state], "invitation": invite}
        return render(request, "accounts/invitation_gone.html", context, status=410)
    context: dict[str, Any] = {"invitation": invite}
    user = request.user if request.user.is_authenticated else None
    if user is not None and normalize_email(user.email) != invite.email:
        return render(request, "accounts/invitation_other_user.html", context, status=403)
    account_exists = user is None and User.objects.filter(email=invite.email).exists()
    if account_exists:
        login_url = reverse("accounts:login") + "?" + urlencode({"next": request.path})
        context["login_url"] = login_url
        return render(request, "accounts/invitation.html", context)
    form = JoinForm(request.POST if request.method == "POST" and user is None else None)
    if request.method == "POST" and (user is not None or form.is_valid()):
        try:
            if user is not None:
                membership = services.invitation_accept(invitation=invite, user=user)
            else:
                membership = services.invitation_accept(
                    invitation=invite,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password"],
                )
        except Invalid as exc:
            if "invitation" in exc.errors:  # used or withdrawn a moment ago
                invite.refresh_from_db()
                context = {"reason": GONE.get(invite.state), "invitation": invite}
                return render(request, "accounts/invitation_gone.html", context, status=410)
            add_service_errors(form, exc)
        else:
            if user is None:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(reverse("accounts:home") + "?" + urlencode({"w": invite.workspace.key}))
    context["form"] = form
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "accounts/invitation.html", context, status=status)
