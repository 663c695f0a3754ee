"""Tests: real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, the embedded default otherwise."""

import os as _os
import tempfile as _tempfile
from pathlib import Path

from .base import *  # noqa: F403 -- a settings module extends its base wholesale
from .base import BASE_DIR, CONSULT

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CONSULT = {
    **CONSULT,
    "SUBMISSIONS_PER_IP_PER_HOUR": 10_000,
    "SUBMISSIONS_PER_CONTACT_PER_HOUR": 10_000,
    "UPVOTES_PER_IP_PER_HOUR": 10_000,
}

# Each test run talks to the shared Redis under its own prefix, so runs never see each other.
# A server the run starts as a subprocess (tests/servers.py) is handed the run's prefixes
# through CHANNEL_PREFIX / CACHE_PREFIX so that it shares the run's channel layer and cache.
if REDIS_URL:  # noqa: F405
    import uuid as _uuid

    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _os.environ.get(  # noqa: F405
        "CHANNEL_PREFIX", f"consult-test-{_uuid.uuid4().hex[:8]}"
    )
    CACHES["default"]["KEY_PREFIX"] = _os.environ.get(  # noqa: F405
        "CACHE_PREFIX", f"consult-test-{_uuid.uuid4().hex[:8]}"
    )

# pytest-django's SQLite test database is in memory, which a server subprocess cannot open;
# a file per test run (the pid keeps parallel runs apart) lets it open the very same database.
# Not syncing a throwaway file to disk keeps it as fast as the in-memory one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(_tempfile.gettempdir()) / f"consult-test-{_os.getpid()}.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA synchronous=OFF"  # noqa: F405

# Servers started by tests (daphne subprocesses) serve static files from the app folders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
