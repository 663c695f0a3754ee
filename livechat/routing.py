from django.urls import path

from livechat.consumers import DialogueConsumer

websocket_urlpatterns = [
    path("ws/dialogues/<slug:slug>/", DialogueConsumer.as_asgi()),
]
