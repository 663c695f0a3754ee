from django.urls import path

from moderation.consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/moderation/", InboxConsumer.as_asgi()),
]
