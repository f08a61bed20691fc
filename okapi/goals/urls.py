"""The OKR pages, under /w/<ws>/ (okapi/urls.py)."""

from django.urls import path

from okapi.goals import coach_views, views

app_name = "goals"

urlpatterns = [
    path("", views.my_week, name="my_week"),
    path("kr/<str:key>/checkin/", views.checkin, name="checkin"),
    path("kr/<str:key>/edit/", views.kr_edit, name="kr_edit"),
    path("kr/<str:key>/delete/", views.kr_delete, name="kr_delete"),
    path("okrs/", views.tracker_current, name="tracker_current"),
    path("okrs/<str:cycle>/", views.tracker, name="tracker"),
    path("okrs/<str:cycle>/alignment/", views.alignment, name="alignment"),
    path("okrs/<str:cycle>/close/", views.cycle_close, name="cycle_close"),
    path("okrs/<str:cycle>/reopen/", views.cycle_reopen, name="cycle_reopen"),
    path("okrs/<str:cycle>/carry-over/", views.carry_over, name="carry_over"),
    path("okrs/<str:cycle>/objectives/new/", views.objective_new, name="objective_new"),
    path("okrs/<str:cycle>/coach/", coach_views.coach, name="coach"),
    path("coach/kr/", coach_views.coach_kr, name="coach_kr"),
    path("kr/<str:key>/to-kpi/", coach_views.kr_to_kpi, name="kr_to_kpi"),
    path("alignment/", views.alignment_current, name="alignment_current"),
    path("objectives/<str:key>/", views.objective, name="objective"),
    path("objectives/<str:key>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<str:key>/delete/", views.objective_delete, name="objective_delete"),
    path("objectives/<str:key>/key-results/new/", views.kr_new, name="kr_new"),
    path("initiatives/new/", views.initiative_new, name="initiative_new"),
    path("initiatives/<str:key>/edit/", views.initiative_edit, name="initiative_edit"),
    path("initiatives/<str:key>/delete/", views.initiative_delete, name="initiative_delete"),
]
