from django.urls import path

from drafts import views

app_name = "drafts"

urlpatterns = [
    path("drafts/", views.draft_list, name="draft-list"),
    path("staff/drafts/", views.staff_draft_list, name="staff-draft-list"),
]
