"""`manage.py import_draft` on a small text sample."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from drafts.models import Draft, DraftNode
from tests.drafts.conftest import SAMPLE_TEXT


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "du-thao-trat-tu-xay-dung.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def setup(agency, admin_user):
    agency.email = "ubnd@binhan.gov.vn"
    agency.address = "Số 1 đường Trần Hưng Đạo"
    agency.save()
    return agency


def run(*args):
    out = io.StringIO()
    call_command("import_draft", *args, stdout=out)
    return out.getvalue()


def test_import_draft_prints_slug_articles_and_warnings(setup, sample):
    output = run(
        str(sample),
        "--agency", "ubnd",
        "--kind", "quyet-dinh",
        "--title", "Quy định quản lý trật tự xây dựng",
        "--opens", "2026-11-01T08:00",
        "--closes", "2026-12-01T08:00",
    )  # fmt: skip
    draft = Draft.objects.get()
    assert f"slug: {draft.slug}" in output
    assert "articles: 4" in output
    assert "warnings: " in output and "[" in output  # the Điều 4 gap is reported
    assert draft.status == Draft.Status.DRAFT
    assert DraftNode.objects.filter(draft=draft, kind="article").count() == 4


def test_import_draft_refuses_a_short_period_without_shortened(setup, sample):
    with pytest.raises(CommandError) as excinfo:
        run(
            str(sample),
            "--agency", "ubnd",
            "--kind", "quyet-dinh",
            "--title", "Quy định",
            "--opens", "2026-11-01T08:00",
            "--closes", "2026-11-10T08:00",
        )  # fmt: skip
    assert "30 ngày" in str(excinfo.value)
    assert not Draft.objects.exists()


def test_import_draft_accepts_a_short_period_with_a_reason(setup, sample):
    output = run(
        str(sample),
        "--agency", "ubnd",
        "--kind", "quyet-dinh",
        "--title", "Quy định khẩn cấp",
        "--opens", "2026-11-01T08:00",
        "--closes", "2026-11-10T08:00",
        "--shortened", "Phòng, chống dịch bệnh khẩn cấp",
        "--publish",
    )  # fmt: skip
    draft = Draft.objects.get()
    assert draft.shortened_procedure and draft.status == Draft.Status.PUBLISHED
    assert "status: published" in output


def test_import_draft_exits_non_zero_from_the_shell(setup, sample):
    """A command run by a script must fail visibly: CommandError means exit status 1."""
    from django.core.management import get_commands, load_command_class

    command = load_command_class(get_commands()["import_draft"], "import_draft")
    with pytest.raises(SystemExit) as excinfo:
        command.run_from_argv(
            [
                "manage.py", "import_draft", str(sample),
                "--agency", "khong-co", "--kind", "quyet-dinh", "--title", "X",
                "--opens", "2026-11-01T08:00", "--closes", "2026-12-01T08:00",
            ]
        )  # fmt: skip
    assert excinfo.value.code == 1


def test_import_draft_reports_a_missing_file(setup, tmp_path):
    with pytest.raises(CommandError):
        run(
            str(tmp_path / "khong-co.txt"),
            "--agency", "ubnd", "--kind", "quyet-dinh", "--title", "X",
            "--opens", "2026-11-01T08:00", "--closes", "2026-12-01T08:00",
        )  # fmt: skip
