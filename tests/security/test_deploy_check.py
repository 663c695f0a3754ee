"""Production settings pass `manage.py check --deploy --fail-level WARNING`, never run with
DEBUG, and refuse to start without a secret key. Each check runs in a subprocess so that the
production settings load exactly as in a deployment (not on top of the test settings)."""

from __future__ import annotations

import os
import secrets
import subprocess  # nosec B404 -- runs this project's own manage.py with fixed arguments
import sys
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)


def _env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing from the test run leaks into the deployment being checked.
        if not key.startswith(("DJANGO_", "DEBUG", "SECURE_", "CSP_", "PYTEST"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "consult.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "hoidap.binhan.gov.vn",
            "CSRF_TRUSTED_ORIGINS": "https://hoidap.binhan.gov.vn",
        }
    )
    env.update(overrides)
    return env


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603 -- fixed argument list, no shell
        [sys.executable, str(BASE / "manage.py"), *args],
        cwd=BASE,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_never_runs_with_debug_even_if_the_environment_asks():
    code = "from django.conf import settings; print(settings.DEBUG, settings.SECURE_HSTS_SECONDS)"
    result = _manage("shell", "-c", code, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "31536000"]


def test_production_refuses_to_start_without_a_secret_key():
    env = _env()
    del env["SECRET_KEY"]
    result = subprocess.run(  # nosec B603 -- fixed argument list, no shell
        [sys.executable, str(BASE / "manage.py"), "check"],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


TRANSPORT = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
)


def test_production_turns_on_each_transport_protection():
    names = ", ".join(f"settings.{name}" for name in TRANSPORT)
    result = _manage("shell", "-c", f"from django.conf import settings; print({names})")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["True"] * len(TRANSPORT)
