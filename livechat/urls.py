from django.urls import path

from livechat import count_views, embed_views, feeds, views

app_name = "livechat"

urlpatterns = [
    path("dialogues/", views.dialogue_list, name="dialogue-list"),
    # Before the detail route for clarity; a slug cannot contain a dot anyway.
    path("dialogues/rss.xml", feeds.DialogueFeed(), name="dialogue-feed-rss"),
    path("dialogues/atom.xml", feeds.DialogueAtomFeed(), name="dialogue-feed-atom"),
    path("dialogues/<slug:slug>/", views.dialogue_detail, name="dialogue-detail"),
    path(
        "dialogues/<slug:slug>/questions/<int:question_id>/upvote/",
        views.question_upvote,
        name="question-upvote",
    ),
    path("dialogues/<slug:slug>/moderate/", views.moderate, name="moderate"),
    path("dialogues/<slug:slug>/present/", views.present, name="present"),
    path("dialogues/<slug:slug>/written/", views.written, name="written"),
    path("dialogues/<slug:slug>/status/", views.dialogue_status, name="dialogue-status"),
    path("dialogues/<slug:slug>/counts/", count_views.live_counts, name="live-counts"),
    path("dialogues/<slug:slug>/embed/", embed_views.dialogue_embed, name="dialogue-embed"),
    path("dialogues/<slug:slug>/transcript.docx", views.transcript_docx, name="transcript-docx"),
    path("questions/track/", views.track_form, name="track-form"),
    path("questions/track/<str:code>/", views.track_detail, name="track-detail"),
    path("staff/dialogues/", views.staff_dialogues, name="staff-dialogues"),
]
