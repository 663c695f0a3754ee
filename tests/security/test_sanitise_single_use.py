"""bleach is used only through consult.text.sanitize_html (one strict allow-list), and what a
citizen writes stays plain text: stored as typed (NFC) and escaped in every page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from consult.text import sanitize_html
from tests.livechat.test_services import publish, unique_email, unique_ip

BASE = Path(settings.BASE_DIR)
CODE_DIRS = ("consult", "livechat", "drafts", "moderation", "asgi.py")


def _python_files() -> list[Path]:
    files: list[Path] = []
    for entry in CODE_DIRS:
        path = BASE / entry
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def test_bleach_is_imported_only_by_consult_text():
    importers = []
    for path in _python_files():
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "bleach" or name.startswith("bleach.") for name in names):
                importers.append(str(path.relative_to(BASE)))
    assert importers == ["consult/text.py"]
    # Nor reached around the import (importlib, __import__).
    for path in _python_files():
        if path.name != "text.py":
            assert not re.search(
                r"""import_module\(\s*["']bleach|__import__\(\s*["']bleach""",
                path.read_text("utf-8"),
            ), path


def test_no_template_marks_text_safe():
    """Templates escape everything; the one way around it (|safe, autoescape off) is absent."""
    offenders = []
    for template in sorted((BASE / "templates").rglob("*.html")):
        text = template.read_text("utf-8")
        if re.search(r"\|\s*safe\b|\{%\s*autoescape\s+off", text):
            offenders.append(str(template.relative_to(BASE)))
    assert offenders == []


def test_sanitize_html_keeps_only_the_allow_list():
    dirty = (
        '<p onclick="x()">Xin <strong>chào</strong> <a href="javascript:alert(1)">a</a>'
        '<a href="https://binhan.gov.vn" style="color:red">b</a><script>alert(1)</script>'
        "<img src=x onerror=alert(1)><iframe src=//evil></iframe></p>"
    )
    clean = sanitize_html(dirty)
    assert "<script" not in clean and "onclick" not in clean and "onerror" not in clean
    assert "javascript:" not in clean and "<img" not in clean and "<iframe" not in clean
    assert "style=" not in clean
    assert '<a href="https://binhan.gov.vn">b</a>' in clean
    assert "<strong>chào</strong>" in clean


@pytest.mark.django_db
def test_citizen_text_stays_plain_in_the_page_and_the_api(dialogue, moderator):
    payload = '<b>in đậm</b> <script>alert("x")</script> & <a href="https://x">liên kết</a>'
    question = publish(
        dialogue,
        moderator,
        body=payload,
        asker_name="<i>An</i>",
        email=unique_email(),
        client_ip=unique_ip(),
    )
    question.refresh_from_db()
    assert question.body == payload  # stored as typed: nothing stripped, nothing added
    page = Client().get(f"/dialogues/{dialogue.slug}/").content.decode()
    assert "&lt;b&gt;in đậm&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(" in page
    assert "<b>in đậm</b>" not in page and '<script>alert("x")' not in page
    assert "&lt;i&gt;An&lt;/i&gt;" in page
    api = Client().get(f"/api/v1/dialogues/{dialogue.slug}").json()
    bodies = [q["body"] for q in api["questions"]]
    assert payload in bodies  # JSON carries the text itself, for clients to show as text
