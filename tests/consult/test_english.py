"""The English translation is complete: every message of locale/en has an English text, and the
text of every page (navigation, headings, labels, buttons, table headers, help, notices,
error messages) reads in English under ?lang=en — only what people wrote (topics, titles, names, questions, comments)
and the lists staff keep in the database stay Vietnamese.

After changing UI strings: `python manage.py makemessages -l en --ignore '.venv/*'
--ignore 'tests/*' --ignore 'bench/*'`, translate the new entries, and `make messages`.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from consult.models import Agency, Leader, User
from drafts.models import Comment, DocumentKind, Draft, DraftNode, Sector
from livechat.models import Answer, Dialogue, Question
from moderation.models import AuditEntry, Item, RejectionReason

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
# Letters only Vietnamese uses (with its tone marks), lower and upper case.
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE
)


@pytest.fixture(autouse=True, scope="module")
def _compiled_catalogue() -> None:
    """`make test` compiles the catalogue first; a bare pytest run after a .po change does
    it here, so the pages are checked against the .po as it is now."""
    mo = PO.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= PO.stat().st_mtime:
        return
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compilemessages", locale=["en"], verbosity=0)
    trans_real._translations = {}  # type: ignore[attr-defined]  # drop the cached catalogues
    trans_real._default = None  # type: ignore[attr-defined]


# --- the catalogue -----------------------------------------------------------------------------


def _po_entries(text: str) -> list[dict[str, Any]]:
    """Each entry's flags, msgid and msgstr(s), with the continuation lines joined."""
    entries = []
    for block in text.strip().split("\n\n"):
        entry: dict[str, Any] = {"flags": "", "fields": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry["fields"][key] += _unquote(line)
            else:
                key, _space, value = line.partition(" ")
                entry["fields"][key] = _unquote(value)
        entries.append(entry)
    return entries


def _unquote(value: str) -> str:
    return value[1:-1].encode("latin-1", "backslashreplace").decode("unicode-escape")


def test_every_message_has_an_english_translation():
    entries = _po_entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 500  # the whole UI, not a stub
    header, messages = entries[0], entries[1:]
    assert "fuzzy" not in header["flags"]
    assert "Language: en" in header["fields"]["msgstr"]
    untranslated = []
    for entry in messages:
        fields = entry["fields"]
        msgid = fields["msgid"]
        if "fuzzy" in entry["flags"]:
            untranslated.append(f"fuzzy: {msgid}")
        strs = [v for k, v in fields.items() if k.startswith("msgstr")]
        if not strs or any(not s.strip() for s in strs):
            untranslated.append(msgid)
        if "msgid_plural" in fields:
            assert "msgstr[0]" in fields and "msgstr[1]" in fields, msgid
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"


def test_translations_keep_every_placeholder():
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sdn]|<[^>]+>")
    for entry in _po_entries(PO.read_text(encoding="utf-8"))[1:]:
        fields = entry["fields"]
        wanted = sorted(set(placeholder.findall(fields["msgid"])))
        for key, value in fields.items():
            if key.startswith("msgstr"):
                assert sorted(set(placeholder.findall(value))) == wanted, (fields["msgid"], value)


def test_translations_are_english_not_copies():
    """An msgstr still in Vietnamese (copied, not translated) is caught here; only the name of
    the language itself ("Tiếng Việt") stays as it is."""
    left = []
    for entry in _po_entries(PO.read_text(encoding="utf-8"))[1:]:
        fields = entry["fields"]
        if fields["msgid"] == "Tiếng Việt":
            continue
        for key, value in fields.items():
            if key.startswith("msgstr") and VIETNAMESE.search(_without_examples(value)):
                left.append(value)
    assert not left, left


def _without_examples(text: str) -> str:
    """Vietnamese place names and search examples are quoted on purpose in a few help texts."""
    for example in ("“hoà bình”", "Tân Phong ward, Bình An city", "Tiếng Việt"):
        text = text.replace(example, "")
    return text


# --- the pages ---------------------------------------------------------------------------------

# Attributes that are read out or shown.
SPOKEN_ATTRS = ("aria-label", "placeholder", "title", "alt")
VOID = {"input", "meta", "link", "br", "img", "hr", "col", "source", "wbr"}


class _Text(HTMLParser):
    """Every text a reader sees or hears: text nodes outside script/style, submit button
    values and the spoken attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.texts.extend(v for n, v in attrs if n in SPOKEN_ATTRS and v)
        if tag == "input" and values.get("type") == "submit" and values.get("value"):
            self.texts.append(values["value"] or "")
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def _user_content() -> list[str]:
    """What people and staff wrote, and the lists kept in the database: not translated."""
    values: list[str] = [settings.CONSULT["SITE_NAME"], settings.CONSULT["PROVINCE_NAME"]]
    fields = {
        Agency: ["name", "short_name", "address"],
        Leader: ["name", "title"],
        User: ["full_name", "username"],
        Dialogue: ["topic", "description", "how_to_take_part"],
        Question: ["asker_name", "locality", "body", "topic", "original_body"],
        Draft: [
            "title",
            "summary",
            "receiving_unit_name",
            "receiving_unit_address",
            "response_summary",
        ],
        DraftNode: ["heading", "title", "body", "citation"],
        Comment: ["name", "organization", "body"],
        DocumentKind: ["name"],
        Sector: ["name"],
        RejectionReason: ["title", "explanation"],
        Answer: ["body"],
        # The log and the inbox keep labels as they were written at the time (records).
        AuditEntry: ["actor_label", "item_label", "context_label", "note"],
        Item: ["context_label", "excerpt", "author_label"],
    }
    for model, names in fields.items():
        present = {f.name for f in model._meta.get_fields()}
        for row in model.objects.values(*[n for n in names if n in present]):
            values.extend(str(v) for v in row.values() if v)
    values = [unicodedata.normalize("NFC", v) for v in values]
    return sorted(set(values), key=len, reverse=True)


def _vietnamese_left(html: str, user_content: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    left = []
    for text in parser.texts:
        text = unicodedata.normalize("NFC", text)
        for value in user_content:
            text = text.replace(value, "")
        # The switcher names Vietnamese in Vietnamese, as switchers do; place names and the
        # search example in help texts are Vietnamese on purpose.
        if VIETNAMESE.search(_without_examples(text)):
            left.append(text)
    return left


@pytest.mark.django_db
def test_every_page_reads_in_english_under_lang_en(chair, vice_chair, agency):
    from tests.e2e.test_accessibility import PAGES, world_build

    world = world_build(chair, vice_chair, agency)
    user_content = _user_content()
    problems = {}
    for name, case in PAGES.items():
        if case.act is not None:
            continue  # the same templates as their page without errors
        client = Client()
        if case.who:
            client.force_login(world.users[case.who])
        path = case.path(world)
        response = client.get(path, {"lang": "en"})
        assert response.status_code == case.status, (name, response.status_code)
        html = response.content.decode()
        assert '<html lang="en"' in html, name
        left = _vietnamese_left(html, user_content)
        if left:
            problems[name] = left
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.django_db
def test_form_errors_read_in_english(agency):
    from tests.drafts.conftest import make_draft

    draft = make_draft(agency)
    client = Client()
    client.get("/?lang=en")
    response = client.post(f"/drafts/{draft.slug}/comments/", {"body": ""})
    assert response.status_code == 400
    left = _vietnamese_left(response.content.decode(), _user_content())
    assert not left, left
    text = response.content.decode()
    assert "Please fill in this field." in text


@pytest.mark.django_db
def test_vietnamese_stays_the_default(client):
    html = client.get("/drafts/").content.decode()
    assert '<html lang="vi"' in html
    assert "Lấy ý kiến dự thảo" in html
