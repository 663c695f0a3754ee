"""ASGI entry point: HTTP goes to Django, WebSockets to the livechat and moderation routing
behind session authentication and an Origin check. Serve it with daphne (default) or any ASGI server:
`daphne asgi:application`, `uvicorn asgi:application`."""

import os
import sys

from django.core.asgi import get_asgi_application

from consult.env import env_int

# One process runs Python one thread at a time. Its event loop delivers a live event to every
# socket with one system call each, and each call hands the interpreter to a waiting request
# thread, which may keep it for the whole switch interval (Python's default: 5 ms) before the
# loop gets it back. While questions were being posted, an approval took seconds to reach
# 5,000 viewers; with 1 ms it took a fraction of one (bench intake: p99 6.1 s -> 1.3 s, about
# 10 % fewer questions accepted per second). docs/performance.md, "Question intake".
sys.setswitchinterval(max(env_int("CONSULT_SWITCH_INTERVAL_US", 1000), 100) / 1_000_000)

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
