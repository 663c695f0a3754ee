"""Settings shared by every environment. Environment-specific modules override only what differs."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from consult.env import env_bool, env_int, env_list, env_str

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
    "consult",
    "moderation",
    "livechat",
    "drafts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "consult.middleware.LanguageQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "consult.middleware.DomainErrorMiddleware",
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
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
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
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "consult@localhost")

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Consult's own settings -------------------------------------------------------------
CONSULT = {
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
    },
}

# Feature loaders called by `manage.py loaddemo`, in order (each takes the DemoContext).
CONSULT_DEMO_LOADERS = ["livechat.demo.demo_load", "drafts.demo.demo_load"]
