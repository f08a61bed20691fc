from django.urls import path

from okapi.kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.kpi_new, name="kpi_new"),
    path("billing/", views.billing, name="billing"),
    path("<str:key>/", views.kpi, name="kpi"),
    path("<str:key>/edit/", views.kpi_edit, name="kpi_edit"),
    path("<str:key>/delete/", views.kpi_delete, name="kpi_delete"),
    path("<str:key>/measurements/", views.kpi_measure, name="kpi_measure"),
    path("<str:key>/csv/", views.kpi_csv, name="kpi_csv"),
]
