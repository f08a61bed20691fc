"""Pages of the rhythm, under /w/<workspace>/rhythm/ (digest, review, settings)."""

from django.urls import path  # noqa: F401  (the pages add their paths below)

app_name = "rhythm"

urlpatterns: list = []

from okapi.rhythm import digest_views  # noqa: E402

urlpatterns += [path("digest/", digest_views.digest, name="digest")]

from okapi.rhythm import review_views  # noqa: E402

urlpatterns += [
    path("review/<str:cycle>/", review_views.review, name="review"),
    path("review/<str:cycle>.csv", review_views.review_csv_export, name="review_csv"),
]

from okapi.rhythm import settings_views  # noqa: E402

urlpatterns += [
    path("preferences/", settings_views.preferences, name="preferences"),
    path("settings/", settings_views.settings, name="settings"),
    path("settings/chat/", settings_views.settings_chat, name="settings_chat"),
    path("settings/webhooks/", settings_views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", settings_views.webhook, name="webhook"),
    path(
        "settings/webhooks/<int:pk>/active/", settings_views.webhook_active, name="webhook_active"
    ),
    path(
        "settings/webhooks/<int:pk>/delete/", settings_views.webhook_delete, name="webhook_delete"
    ),
    path("settings/webhooks/<int:pk>/test/", settings_views.webhook_test, name="webhook_test"),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_id>/",
        settings_views.webhook_delivery,
        name="webhook_delivery",
    ),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        settings_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
