from django.urls import path

from moderation import inbox_views, views

app_name = "moderation"

urlpatterns = [
    path("moderation/", inbox_views.inbox, name="inbox"),
    path("moderation/bulk-reject/", inbox_views.bulk_reject, name="bulk-reject"),
    path(
        "moderation/items/<str:kind>/<int:object_id>/<str:action>/",
        inbox_views.item_decide,
        name="item-decide",
    ),
    path("moderation/stats/", inbox_views.stats, name="stats"),
    path("moderation/audit/", views.audit_log, name="audit-log"),
    path("moderation/audit/export.csv", views.audit_export, name="audit-export"),
]
