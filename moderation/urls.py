from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("moderation/audit/", views.audit_log, name="audit-log"),
]
