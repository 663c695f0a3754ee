"""Tests: real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, the embedded default otherwise."""

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
}

# Each test run talks to the shared Redis under its own prefix, so runs never see each other.
if REDIS_URL:  # noqa: F405
    import uuid as _uuid

    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"consult-test-{_uuid.uuid4().hex[:8]}"  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = f"consult-test-{_uuid.uuid4().hex[:8]}"  # noqa: F405

# Servers started by tests (daphne subprocesses) serve static files from the app folders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
