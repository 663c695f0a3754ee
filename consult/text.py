"""Shared text tools: NFC normalisation, removal of misleading invisible characters,
Vietnamese search folding, and the one sanitising function for HTML."""

from __future__ import annotations

import re
import unicodedata

import bleach

# Zero-width characters and bidirectional controls can make a name or a question look different
# from what is stored (or hide text), so they never survive normalisation.
_INVISIBLE = dict.fromkeys(
    [
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x00AD,
        0x200E,
        0x200F,
        0x061C,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Unpaired UTF-16 surrogates (what a JSON "\ud800" escape decodes to) cannot be encoded as UTF-8
# for the database, and U+FFFE / U+FFFF cannot be written to XML (DOCX, XLSX exports): nobody
# typed them, and kept they would turn a submission or an export into a server error.
_UNSTORABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalize_text(value: str | None, *, multiline: bool = True) -> str:
    """Return `value` as NFC with invisible controls removed and whitespace tidied.

    Multi-line text keeps its line breaks (at most one blank line in a row); single-line text
    (names, localities, titles) has every run of whitespace collapsed to one space.
    """
    if not value:
        return ""
    # Removal first, composition after: a mark separated from its letter by a removed
    # character ("e\u200b\u0301") must still compose into one NFC character ("é").
    text = _UNSTORABLE.sub("", _CONTROL.sub("", str(value).translate(_INVISIBLE)))
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines))
    else:
        text = _SPACES.sub(" ", text.replace("\n", " "))
    return text.strip()


def fold(value: str | None) -> str:
    """Fold Vietnamese text for search: lower case, no diacritics, đ→d, single spaces.

    Both tone-mark placements ("hoà" and "hòa") and plain "hoa" fold to the same string.
    Control and unstorable characters go too: a search for "\x00" must not reach PostgreSQL,
    which refuses NUL in any text value (the moderators' inbox answered ?q=%00 with a 500).
    """
    if not value:
        return ""
    text = _UNSTORABLE.sub("", _CONTROL.sub("", str(value).translate(_INVISIBLE)))
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d").replace("Đ", "d")
    return " ".join(text.split())


ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def sanitize_html(value: str | None) -> str:
    """The only place bleach is used: clean staff-authored rich text with a strict allow-list.

    Everything a citizen writes is plain text and is escaped by templates instead.
    """
    if not value:
        return ""
    return bleach.clean(
        normalize_text(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
