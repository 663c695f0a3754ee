"""ASGI entry point: HTTP goes to Django, WebSockets to the livechat and moderation routing
behind session authentication and an Origin check. Serve it with daphne (default) or any ASGI server:
`daphne asgi:application`, `uvicorn asgi:application`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consult.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from consult.asgi_stack import WebSocketAuthMiddlewareStack  # noqa: E402  -- needs Django set up
from consult.origin import OriginValidator  # noqa: E402
from livechat.routing import websocket_urlpatterns  # noqa: E402
from moderation.routing import websocket_urlpatterns as moderation_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(
            WebSocketAuthMiddlewareStack(URLRouter(websocket_urlpatterns + moderation_urlpatterns)),
            allowed_hosts=settings.ALLOWED_HOSTS,
            extra_origins=settings.CONSULT["WS_ALLOWED_ORIGINS"],
        ),
    }
)
