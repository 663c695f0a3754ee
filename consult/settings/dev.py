"""Local development: SQLite and the in-memory channel layer unless the environment says otherwise."""

from consult.env import env_bool

from .base import *  # noqa: F403 -- a settings module extends its base wholesale

DEBUG = env_bool("DEBUG", True)

# Static files come straight from the app folders (WhiteNoise finders); no collectstatic needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
