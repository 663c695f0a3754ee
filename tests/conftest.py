"""Shared fixtures: staff accounts per role, reference data and dialogue builders."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone, translation

from consult.models import Agency, Leader, User
from livechat.models import Dialogue

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    # A request in English (Accept-Language, ?lang=en) leaves English active in the thread
    # that served it, which may be the test's own; every test starts from the site's language.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def agency(db: Any) -> Agency:
    return Agency.objects.create(code="ubnd", name="Ủy ban nhân dân tỉnh Bình An")


@pytest.fixture
def other_agency(db: Any) -> Agency:
    return Agency.objects.create(code="sxd", name="Sở Xây dựng tỉnh Bình An")


@pytest.fixture
def chair(agency: Agency) -> Leader:
    return Leader.objects.create(name="Nguyễn Văn Hùng", title="Chủ tịch UBND tỉnh", agency=agency)


@pytest.fixture
def vice_chair(agency: Agency) -> Leader:
    return Leader.objects.create(name="Trần Thị Mai", title="Phó Chủ tịch UBND tỉnh", agency=agency)


def make_user(role: str, **extra: Any) -> User:
    n = next(_counter)
    return User.objects.create_user(
        username=f"{role or 'user'}{n}", password="pw-secret-123", role=role, **extra
    )


@pytest.fixture
def moderator(db: Any) -> User:
    return make_user("moderator", full_name="Lê Biên Tập")


@pytest.fixture
def moderator2(db: Any) -> User:
    return make_user("moderator", full_name="Phạm Biên Tập")


@pytest.fixture
def leader_user(chair: Leader) -> User:
    return make_user("leader", leader=chair, full_name="Thư ký Chủ tịch")


@pytest.fixture
def agency_staff(agency: Agency) -> User:
    return make_user("agency_staff", agency=agency)


@pytest.fixture
def admin_user(db: Any) -> User:
    return User.objects.create_superuser(
        username=f"admin{next(_counter)}", password="pw-secret-123"
    )


def make_dialogue(chair: Leader, *, status: str = Dialogue.Status.LIVE, **extra: Any) -> Dialogue:
    now = timezone.now()
    n = next(_counter)
    dialogue = Dialogue.objects.create(
        slug=extra.pop("slug", f"doi-thoai-{n}"),
        topic=extra.pop("topic", "Giải phóng mặt bằng dự án đường vành đai 4"),
        description="Đối thoại trực tuyến với Chủ tịch UBND tỉnh.",
        host_agency=chair.agency,
        chair=chair,
        starts_at=extra.pop("starts_at", now - dt.timedelta(minutes=30)),
        ends_at=extra.pop("ends_at", now + dt.timedelta(minutes=90)),
        status=status,
        **extra,
    )
    return dialogue


@pytest.fixture
def dialogue(chair: Leader, vice_chair: Leader) -> Dialogue:
    d = make_dialogue(chair)
    d.participants.add(vice_chair)
    return d


QUESTION_DEFAULTS = {
    "asker_name": "Nguyễn Văn An",
    "locality": "Phường Tân Phong, thành phố Bình An",
    "email": "an.nguyen@example.vn",
    "body": "Khi nào gia đình tôi nhận được tiền bồi thường đất nông nghiệp bị thu hồi cho đường vành đai?",
    "consent": True,
    "publish_name": True,
}


# --- Real server processes (tests/servers.py) -------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing test that started servers shows their logs in its report."""
    report = yield
    if report.failed:
        for server in getattr(item, "asgi_servers", []):
            report.sections.append(
                (f"daphne on port {server.port} (log {server.log_path})", server.log())
            )
    return report


@pytest.fixture
def asgi_server(request: pytest.FixtureRequest, transactional_db: Any) -> Any:
    """Starts real daphne processes on the test database (committed data, hence the
    transactional database): `server = asgi_server()`; each is stopped by its pid afterwards."""
    from tests.servers import AsgiServer, asgi_server_start

    started: list[AsgiServer] = []
    request.node.asgi_servers = started

    def start(**kwargs: Any) -> AsgiServer:
        server = asgi_server_start(**kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
