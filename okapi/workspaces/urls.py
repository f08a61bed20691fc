from django.urls import path

from okapi.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("", views.settings, name="settings"),
    path("teams/", views.settings_teams, name="settings_teams"),
    path("teams/<slug:key>/", views.settings_team, name="settings_team"),
    path("teams/<slug:key>/delete/", views.settings_team_delete, name="settings_team_delete"),
    path("members/", views.settings_members, name="settings_members"),
    path(
        "members/<int:membership_id>/role/", views.settings_member_role, name="settings_member_role"
    ),  # fmt: skip
    path(
        "members/<int:membership_id>/remove/",
        views.settings_member_remove,
        name="settings_member_remove",
    ),  # fmt: skip
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.settings_invitation_revoke,
        name="settings_invitation_revoke",
    ),  # fmt: skip
    path("cycles/", views.settings_cycles, name="settings_cycles"),
    path("cycles/<str:key>/", views.settings_cycle, name="settings_cycle"),
    path("tokens/", views.settings_tokens, name="settings_tokens"),
    path(
        "tokens/<int:token_id>/revoke/", views.settings_token_revoke, name="settings_token_revoke"
    ),  # fmt: skip
    path("audit/", views.settings_audit, name="settings_audit"),
    path("share/", views.settings_share, name="settings_share"),
    path(
        "share/<int:link_id>/revoke/", views.settings_share_revoke, name="settings_share_revoke"
    ),  # fmt: skip
]
