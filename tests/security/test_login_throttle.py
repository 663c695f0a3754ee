"""Staff login throttling: django-axes locks a username from one address after
AXES_FAILURE_LIMIT wrong passwords for AXES_COOLOFF_TIME (a friendly 429 page with
Retry-After), and every login post from one address is capped (password spraying)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import AsyncClient, Client, override_settings

from tests.conftest import make_user
from tests.livechat.test_services import unique_ip

pytestmark = pytest.mark.django_db(transaction=False)

LOGIN = "/accounts/login/"
PASSWORD = "pw-secret-123"  # tests/conftest.py make_user


# The per-address login cap counts in the shared cache (Redis in CI), which a test never
# flushes: each test logs in from addresses of its own (unique_ip).
_ADDRESS = unique_ip()


def attempt(client: Client, username: str, password: str, ip: str = "") -> Any:
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip or _ADDRESS
    )


def test_the_lockout_settings_are_the_documented_ones():
    assert settings.AXES_FAILURE_LIMIT == 5
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == dt.timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_moderator_can_log_in_after_a_few_typos():
    user = make_user("moderator")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, user.username, "sai-mat-khau")
        assert response.status_code == 200
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_moderator_cannot_log_in_after_five_wrong_passwords_even_with_the_right_one():
    user = make_user("moderator")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, user.username, "sai-mat-khau")
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    body = response.content.decode()
    assert "Tạm khóa đăng nhập" in body
    assert "Vui lòng thử lại sau 15 phút." in body
    assert "_auth_user_id" not in client.session  # not logged in
    assert client.get("/staff/").status_code == 302


def test_the_fifth_wrong_password_already_shows_the_lockout_page():
    user = make_user("moderator")
    client = Client()
    responses = [attempt(client, user.username, "sai") for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]


def test_moderator_can_still_log_in_from_another_address_while_one_address_is_locked():
    """Lock by username AND address: someone typing a moderator's username elsewhere cannot
    lock the real moderator out in the middle of a live dialogue."""
    user = make_user("moderator")
    attacker, attacker_ip = Client(), unique_ip()
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        attempt(attacker, user.username, "doan-mo", ip=attacker_ip)
    assert attempt(attacker, user.username, PASSWORD, ip=attacker_ip).status_code == 429
    response = attempt(Client(), user.username, PASSWORD, ip=unique_ip())
    assert response.status_code == 302


def test_other_usernames_from_the_locked_address_are_not_locked():
    locked, colleague = make_user("moderator"), make_user("leader")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, locked.username, "sai")
    assert attempt(Client(), colleague.username, PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off():
    from axes.models import AccessAttempt

    user = make_user("moderator")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, user.username, "sai")
    assert attempt(client, user.username, PASSWORD).status_code == 429
    # Fifteen minutes and a second later (the attempts' clock moved back, not the test's).
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too():
    admin = make_user("", is_superuser=True, is_staff=True)
    client, ip = Client(), unique_ip()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/admin/login/?next=/admin/",
            {"username": admin.username, "password": "sai"},
            REMOTE_ADDR=ip,
        )
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin.username, "password": PASSWORD},
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "900"


def test_force_login_is_not_affected_by_a_lockout():
    """Tests log staff in with force_login, which never goes through authenticate()."""
    user = make_user("moderator")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), user.username, "sai")
    client = Client()
    client.force_login(user)
    assert client.get("/staff/").status_code == 200


@override_settings(CONSULT={**settings.CONSULT, "LOGIN_POSTS_PER_IP_PER_HOUR": 3})
def test_one_address_cannot_try_a_password_on_every_username():
    users = [make_user("moderator") for _ in range(4)]
    client, ip = Client(), unique_ip()
    codes = [attempt(client, u.username, "123456", ip=ip).status_code for u in users]
    assert codes == [200, 200, 200, 429]
    refused = attempt(client, users[0].username, PASSWORD, ip=ip)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    # Another address is not concerned.
    assert attempt(Client(), users[0].username, PASSWORD, ip=unique_ip()).status_code == 302


@pytest.mark.django_db(transaction=True)
async def test_the_lockout_works_under_asgi():
    """Through Django's ASGI handler (daphne's path): the async branch of axes' middleware
    calls the lockout page with other arguments, and still gets the 429 page."""
    user = await sync_to_async(make_user)("moderator")
    client, ip = AsyncClient(), unique_ip()
    codes = []
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = await client.post(
            LOGIN, {"username": user.username, "password": "sai"}, REMOTE_ADDR=ip
        )
        codes.append(response.status_code)
    assert codes[-2:] == [429, 429]
    assert response["Retry-After"] == "900"
    assert "Tạm khóa đăng nhập" in response.content.decode()
