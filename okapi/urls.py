from django.contrib import admin
from django.urls import include, path

from okapi.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("w/<slug:ws>/", include("okapi.goals.urls")),
    path("w/<slug:ws>/kpis/", include("okapi.kpis.urls")),
    path("w/<slug:ws>/settings/", include("okapi.workspaces.urls")),
    path("", include("okapi.accounts.urls")),
]
