"""Settings shared by every environment. Environment-specific modules override only what differs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from consult.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",  # Content-Security-Policy header (django-csp 4); see CONTENT_SECURITY_POLICY below
    "axes",  # staff login throttling (django-axes); see AXES_* below
    "consult",
    "moderation",
    "livechat",
    "drafts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "consult.middleware.NulPathMiddleware",
    # Near the outside, so every page, redirect and error response gets the header.
    "csp.middleware.CSPMiddleware",
    # Refuses a body announced larger than MAX_REQUEST_BYTES before anything reads it (413).
    "consult.security.RequestSizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "consult.middleware.LanguageQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside XFrameOptionsMiddleware so that it marks the embeddable public pages before
    # X-Frame-Options is added (consult/security.py, EMBEDDABLE_VIEWS).
    "consult.security.EmbeddingMiddleware",
    "consult.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes' backend first: it refuses a locked-out username+address before the password
# is even checked; ModelBackend then does the real work. `force_login` in tests and the
# WebSocket session lookup never call authenticate(), so neither is affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "consult.urls"
ASGI_APPLICATION = "asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "consult.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
# On PostgreSQL each process keeps a pool of open connections (psycopg's pool, Django 5.1+).
# Under ASGI every request and every socket's database work runs in a thread of its own, so
# without a pool each one opened and closed a PostgreSQL connection of its own: that bounded a
# process to a few dozen requests or socket openings per second (docs/performance.md).
# Persistent connections (DB_CONN_MAX_AGE > 0) are no substitute: they stay with the thread
# that opened it, so they leak one per request. A request or a socket's database call borrows a
# connection and gives it back when Django closes it (end of request, close_old_connections).
# DB_POOL_MAX_SIZE=0 turns the pool off (an external pooler such as PgBouncer instead).
# Small on purpose: a process runs Python one thread at a time, so more connections add no
# throughput, only more request threads running at once, and every one of them takes the
# interpreter from the event loop that delivers live events (bench intake: approvals reached
# 1,000 viewers in 0.1 s with 4 connections, 2.5 s with 6, 5 s with 10, same accepted rate).
# A streaming export or a background export job holds one connection while it runs.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 4)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
    if DATABASES["default"]["CONN_MAX_AGE"] != 0:
        raise ImproperlyConfiguredEnv(
            "DB_CONN_MAX_AGE must be 0 with the connection pool (DB_POOL_MAX_SIZE=0 turns it off)"
        )
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env_int("DB_POOL_MIN_SIZE", 2), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        # Waiting longer than this for a free connection fails the request (a 500), rather
        # than queueing without bound behind a stuck database.
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }
    # A borrowed connection is checked first (one empty query), so connections broken by a
    # database restart or a failover are replaced instead of failing one request each.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "consult.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "consult.layers.RedisChannelLayer",  # channels-redis, one fix: consult.layers
            "CONFIG": {
                # redis-py 8 defaults to 100 pooled connections and a 5 s socket timeout, which
                # break join bursts and kill idle blocking receives (channels-redis#422).
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000),
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                    }
                ],
                "capacity": 5000,
                "expiry": 60,
                "prefix": env_str("CHANNEL_PREFIX", "consult"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "consult"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A refused form says what to do in Vietnamese instead of Django's English page.
CSRF_FAILURE_VIEW = "consult.security.csrf_failure"
# Staff pages are never framed. The public live page and the draft pages may be framed by
# the origins in CONSULT_FRAME_ANCESTORS (consult/security.py EmbeddingMiddleware), which then
# drops this header for them and lets CSP frame-ancestors decide.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# A page opened from another site (or opening one) gets no handle on this window.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Content-Security-Policy (django-csp 4) --------------------------------------------------
# Everything comes from this site: scripts and styles are static files (no inline <script>,
# no on* handlers, no style="" attributes in the templates; tests/security/test_headers.py
# checks the templates stay that way). 'self' also covers ws:/wss: to the same host in
# current browsers (CSP Level 3), which is all the pages' sockets need.
# Stream embeds: YouTube (youtube-nocookie) and Facebook's video plugin, as produced by the
# stream_embed_url filter; a portal streaming from elsewhere adds its origin to CSP_FRAME_SRC.
# (Not named CSP_* here: django-csp 4 refuses to start when it sees its old 3.x setting names.)
CONSULT_FRAME_SRC = env_list(
    "CSP_FRAME_SRC",
    ["https://www.youtube-nocookie.com", "https://www.youtube.com", "https://www.facebook.com"],
)
# Who may frame the public live page and the draft pages (a provincial portal), env
# CSP_FRAME_ANCESTORS, e.g.
# "'self',https://binhan.gov.vn". Staff pages always answer frame-ancestors 'none'.
CONSULT_FRAME_ANCESTORS = env_list("CSP_FRAME_ANCESTORS", ["'self'"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *env_list("CSP_CONNECT_SRC", [])],
        "frame-src": CONSULT_FRAME_SRC,
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # Replaced by CONSULT_FRAME_ANCESTORS on the embeddable pages only.
        "frame-ancestors": ["'none'"],
    },
}

# --- Staff login throttling (django-axes) ----------------------------------------------------
# Five wrong passwords for one username from one address lock that pair for 15 minutes.
# The pair, not the username alone: otherwise anyone could lock the moderators out in the
# middle of a live dialogue by typing their usernames; not the address alone: a province's
# offices often share one public address. Each further try while locked restarts the 15
# minutes, so the lockout page's Retry-After is exact.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A friendly Vietnamese page with 429 and Retry-After (consult/security.py).
AXES_LOCKOUT_CALLABLE = "consult.security.login_lockout_response"
# The same client address as the submission rate limits: REMOTE_ADDR, which daphne sets from
# X-Forwarded-For behind the proxy (--proxy-headers, see docs/deployment.md).
AXES_CLIENT_IP_CALLABLE = "consult.security.client_ip"
# The attempts live in the database (shared by every process, visible to administrators).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "consult@localhost")

# --- Request size limits ------------------------------------------------------------------
# Non-file bodies (forms, JSON): past this Django refuses to read them (400 for a form, 413
# JSON for the API). A question or comment is at most a few tens of kilobytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# Uploads larger than this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
# Any request announcing a larger body is refused with 413 before it is read (the largest
# legitimate one is a draft attachment plus the form around it). The reverse proxy's
# client_max_body_size must not be larger; WebSocket limits are daphne's options
# (docs/deployment.md).
MAX_REQUEST_BYTES = env_int(
    "MAX_REQUEST_BYTES",
    env_int("DRAFT_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024) + 1024 * 1024,
)

# --- Consult's own settings -------------------------------------------------------------
CONSULT: dict[str, Any] = {
    "SITE_NAME": env_str("CONSULT_SITE_NAME", "Cổng thông tin điện tử tỉnh"),
    "PROVINCE_NAME": env_str("CONSULT_PROVINCE_NAME", "tỉnh Bình An"),
    # Origins allowed to open the dialogue WebSocket in addition to ALLOWED_HOSTS.
    "WS_ALLOWED_ORIGINS": env_list("WS_ALLOWED_ORIGINS", []),
    # Maximum characters of a citizen's question, counted after NFC normalisation.
    "QUESTION_MAX_LENGTH": env_int("QUESTION_MAX_LENGTH", 2000),
    "ANSWER_MAX_LENGTH": env_int("ANSWER_MAX_LENGTH", 20000),
    # Written answers are due this many working days after the dialogue ends (Decree 43/2011).
    "WRITTEN_ANSWER_WORKING_DAYS": env_int("WRITTEN_ANSWER_WORKING_DAYS", 15),
    # Public holidays (ISO dates) excluded from working days, in addition to weekends.
    "PUBLIC_HOLIDAYS": env_list("CONSULT_PUBLIC_HOLIDAYS", []),
    # A reconnecting client more than this many events behind gets a fresh snapshot.
    "REPLAY_LIMIT": env_int("REPLAY_LIMIT", 500),
    "SUBMISSIONS_PER_IP_PER_HOUR": env_int("SUBMISSIONS_PER_IP_PER_HOUR", 30),
    "SUBMISSIONS_PER_CONTACT_PER_HOUR": env_int("SUBMISSIONS_PER_CONTACT_PER_HOUR", 10),
    # Supports (upvotes) per client address: a browser counts once per question anyway, but
    # a script dropping its cookie would count again, so the address is the real fence.
    # Generous because many citizens may share an office or mobile-carrier address.
    "UPVOTES_PER_IP_PER_HOUR": env_int("UPVOTES_PER_IP_PER_HOUR", 300),
    # Login form posts per client address, whatever the username (password spraying); the
    # per-username lockout is django-axes' (AXES_* below).
    "LOGIN_POSTS_PER_IP_PER_HOUR": env_int("LOGIN_POSTS_PER_IP_PER_HOUR", 100),
    # A moderator's claim on an item expires by itself after this many seconds.
    "CLAIM_SECONDS": env_int("CLAIM_SECONDS", 120),
    # Draft consultation limits (characters after NFC; bytes for files).
    "COMMENT_MAX_LENGTH": env_int("COMMENT_MAX_LENGTH", 10000),
    "DRAFT_ATTACHMENT_MAX_BYTES": env_int("DRAFT_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024),
    # Guards against zip bombs in uploaded .docx/.xlsx files.
    "DRAFT_ATTACHMENT_MAX_UNZIPPED_BYTES": env_int(
        "DRAFT_ATTACHMENT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024
    ),
    "DRAFT_ATTACHMENT_MAX_ZIP_ENTRIES": env_int("DRAFT_ATTACHMENT_MAX_ZIP_ENTRIES", 2000),
    "DRAFT_ATTACHMENT_MAX_ZIP_RATIO": env_int("DRAFT_ATTACHMENT_MAX_ZIP_RATIO", 200),
    "DRAFT_IMPORT_MAX_BYTES": env_int("DRAFT_IMPORT_MAX_BYTES", 10 * 1024 * 1024),
    # From this many comments on, a draft's DOCX/XLSX is prepared in the background with a
    # progress page instead of one long request (drafts/export_jobs.py).
    "EXPORT_BACKGROUND_MIN_COMMENTS": env_int("EXPORT_BACKGROUND_MIN_COMMENTS", 5000),
    # How long citizens' contact details are kept after the dialogue or consultation ends.
    "CONTACT_RETENTION_DAYS": env_int("CONTACT_RETENTION_DAYS", 365),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Lockouts are warnings; each failed try and the start-up banner are only chatter.
        "axes": {"level": "WARNING"},
    },
}

# Feature loaders called by `manage.py loaddemo`, in order (each takes the DemoContext).
CONSULT_DEMO_LOADERS = ["livechat.demo.demo_load", "drafts.demo.demo_load"]
