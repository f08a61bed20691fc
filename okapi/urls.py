from django.contrib import admin
from django.urls import include, path

from okapi.accounts import views as accounts_views
from okapi.api import api
from okapi.workspaces import views as workspaces_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("w/<slug:ws>/", include("okapi.goals.urls")),
    path("w/<slug:ws>/kpis/", include("okapi.kpis.urls")),
    path("w/<slug:ws>/settings/", include("okapi.workspaces.urls")),
    path("w/<slug:ws>/rhythm/", include("okapi.rhythm.urls")),
    # Public pages reached by a secret link: no sign-in needed.
    path("share/<str:secret>/", workspaces_views.share, name="share"),
    path("invite/<str:secret>/", accounts_views.invitation, name="invitation"),
    path("", include("okapi.accounts.urls")),
]
