from django.urls import path

from drafts import embed_views, export_job_views, export_views, feeds, views

app_name = "drafts"

urlpatterns = [
    path("drafts/", views.draft_list, name="draft-list"),
    path("drafts/rss.xml", feeds.OpenDraftFeed(), name="draft-feed-rss"),
    path("drafts/atom.xml", feeds.OpenDraftAtomFeed(), name="draft-feed-atom"),
    path("drafts/<slug:slug>/", views.draft_detail, name="draft-detail"),
    path("drafts/<slug:slug>/comments/", views.comment_submit, name="comment-submit"),
    path("drafts/<slug:slug>/comments/published/", views.comment_list, name="comment-list"),
    path(
        "drafts/<slug:slug>/comments/published/<int:pk>/",
        views.comment_permalink,
        name="comment-permalink",
    ),
    path(
        "drafts/<slug:slug>/files/<int:pk>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path("drafts/<slug:slug>/export.<str:fmt>", export_views.draft_export, name="draft-export"),
    path("staff/drafts/", views.staff_draft_list, name="staff-draft-list"),
    path("staff/drafts/new/", views.staff_draft_create, name="staff-draft-create"),
    path("staff/drafts/<slug:slug>/", views.staff_workspace, name="staff-workspace"),
    path("staff/drafts/<slug:slug>/edit/", views.staff_draft_edit, name="staff-draft-edit"),
    path("staff/drafts/<slug:slug>/import/", views.staff_draft_import, name="staff-import"),
    path(
        "staff/drafts/<slug:slug>/attachments/",
        views.staff_attachments,
        name="staff-attachments",
    ),
    path(
        "staff/drafts/<slug:slug>/attachments/<int:pk>/remove/",
        views.staff_attachment_remove,
        name="staff-attachment-remove",
    ),
    path("staff/drafts/<slug:slug>/publish/", views.staff_draft_publish, name="staff-publish"),
    path(
        "staff/drafts/<slug:slug>/comments/new/",
        views.staff_comment_offline,
        name="staff-comment-offline",
    ),
    path(
        "staff/drafts/<slug:slug>/comments/<int:pk>/disposition/",
        views.staff_comment_disposition,
        name="staff-comment-disposition",
    ),
    path(
        "staff/drafts/<slug:slug>/comments/<int:pk>/scan/",
        views.staff_comment_scan,
        name="staff-comment-scan",
    ),
    path("staff/drafts/<slug:slug>/moderate/", views.staff_moderate, name="staff-moderate"),
    path(
        "staff/drafts/<slug:slug>/moderate/<int:pk>/<str:action>/",
        views.staff_comment_decide,
        name="staff-comment-decide",
    ),
    path("staff/drafts/<slug:slug>/report/", views.staff_report, name="staff-report"),
    path("staff/drafts/<slug:slug>/embed/", embed_views.draft_embed, name="staff-embed"),
    # Prepared downloads of large drafts (drafts/export_jobs.py).
    path(
        "staff/drafts/<slug:slug>/exports/",
        export_job_views.export_job_list,
        name="staff-export-jobs",
    ),
    path(
        "staff/drafts/<slug:slug>/exports/<int:pk>/",
        export_job_views.export_job_detail,
        name="staff-export-job",
    ),
    path(
        "staff/drafts/<slug:slug>/exports/<int:pk>/download/",
        export_job_views.export_job_download,
        name="staff-export-job-download",
    ),
]
