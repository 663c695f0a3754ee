"""Consult's asgi:application with Channels' stock AuthMiddlewareStack for the WebSockets, for
comparison in the fan-out benchmark (`--app bench.asgi_channels_stack:application`): the
stock stack wraps the server's send for every frame (consult/asgi_stack.py says why Consult
does not)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consult.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  -- needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from consult.origin import OriginValidator  # noqa: E402
from livechat.routing import websocket_urlpatterns  # noqa: E402
from moderation.routing import websocket_urlpatterns as moderation_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns + moderation_urlpatterns)),
            allowed_hosts=settings.ALLOWED_HOSTS,
            extra_origins=settings.CONSULT["WS_ALLOWED_ORIGINS"],
        ),
    }
)
