"""Read the structure of a Vietnamese legal draft (law, decree, resolution, decision).

A draft arrives as ``.docx``, ``.txt`` or ``.md``. :func:`read_blocks` turns the file into
lines of text (Word paragraphs and table rows, or text lines), and :func:`parse_blocks` builds
the tree Phần > Chương > Mục > Điều > Khoản > Điểm that comments are attached to, with stable
anchors (``dieu-5-khoan-2``) and Vietnamese citations (``Khoản 2 Điều 5``).

Two promises shape the code:

* **Never lose text.** Anything that is not recognised stays in the body of the node it
  follows (or in a "preamble" / "text" node). The only lines ever dropped are page furniture
  (page numbers, repeated running headers), and each of those is reported as a warning and
  listed in :attr:`ParsedDocument.dropped`. :meth:`ParsedDocument.all_text` renders every
  piece of kept text so this can be checked.
* **Warn, don't guess silently.** Gaps, duplicates and restarts in numbering, headings run
  into their text, flattened tables and so on are kept as written and reported as
  :class:`ImportWarning` with a Vietnamese message for the drafting officer.

This module is pure Python (standard library plus python-docx) and must not import Django,
so that it can be tested and reused on its own.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import docx

__all__ = [
    "ARTICLE",
    "CHAPTER",
    "CLAUSE",
    "PART",
    "POINT",
    "PREAMBLE",
    "SECTION",
    "TEXT",
    "WARNING_CODES",
    "Block",
    "ImportFormatError",
    "ImportWarning",
    "Node",
    "ParsedDocument",
    "fold",
    "normalize_text",
    "parse_blocks",
    "parse_file",
    "read_blocks",
]

# --------------------------------------------------------------------------------------------
# Public data model
# --------------------------------------------------------------------------------------------

PART: Final = "part"  # Phần
CHAPTER: Final = "chapter"  # Chương
SECTION: Final = "section"  # Mục
ARTICLE: Final = "article"  # Điều
CLAUSE: Final = "clause"  # Khoản
POINT: Final = "point"  # Điểm
PREAMBLE: Final = "preamble"  # everything before the first heading: motto, agency, "Căn cứ ..."
TEXT: Final = "text"  # loose text: signature block, attachments' title blocks, no-article text

# Depth of each structural kind; a heading closes every open node at its depth or deeper.
_LEVEL: Final[dict[str, int]] = {
    PART: 0,
    CHAPTER: 1,
    SECTION: 2,
    ARTICLE: 3,
    CLAUSE: 4,
    POINT: 5,
}

# Points are lettered with the Vietnamese alphabet, which has đ and no f, j, w, z.
POINT_LETTERS: Final = tuple("abcdđeghiklmnopqrstuvxy")


@dataclass
class Node:
    """One element of the document tree (a Chương, an Điều, a Khoản, ...).

    ``heading`` is the heading exactly as written (for a Khoản or Điểm, just its marker, such
    as ``"1."`` or ``"a)"``); ``heading_sep`` is what separated it from the first paragraph
    of ``body`` (``" "`` when the text continues on the heading line, ``"\\n"`` otherwise).
    Together they let :meth:`ParsedDocument.all_text` give back the text as written.
    """

    kind: str
    number: str
    title: str
    body: str
    children: list[Node] = field(default_factory=list)
    anchor: str = ""
    citation: str = ""
    heading: str = ""
    heading_sep: str = field(default="\n", repr=False)
    line: int | None = None

    def walk(self) -> Iterator[Node]:
        """Yield this node and all its descendants in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def own_text(self) -> str:
        """Return the heading and body of this node (not its children) as written."""
        if not self.heading:
            return self.body
        if not self.body:
            return self.heading
        return f"{self.heading}{self.heading_sep}{self.body}"


@dataclass
class ImportWarning:
    """Something the drafting officer should check after an import."""

    code: str
    message: str
    line: int | None = None


# Every warning code with what it tells the drafting officer (a legend for the UI and docs).
WARNING_CODES: Final[dict[str, str]] = {
    "page_furniture_removed": "Đã bỏ một dòng số trang hoặc tiêu đề lặp lại của bản in.",
    "table_flattened": "Bảng đã được chuyển thành văn bản, mỗi hàng một dòng.",
    "heading_run_in": "Tiêu đề điều bị viết liền với nội dung.",
    "numbering_gap": "Số thứ tự bị nhảy (thiếu điều, khoản, điểm, chương...).",
    "duplicate_number": "Số thứ tự bị trùng.",
    "numbering_out_of_order": "Số thứ tự không tăng dần.",
    "numbering_restart": "Việc đánh số bắt đầu lại: phần sau là văn bản ban hành kèm theo.",
    "unexpected_number": "Điểm được đánh bằng chữ không có trong bảng chữ cái tiếng Việt.",
    "text_before_first_article": "Có nội dung giữa tiêu đề phần, chương, mục và điều đầu tiên.",
    "no_articles": "Không tìm thấy điều nào; nội dung được giữ dưới dạng văn bản thường.",
    "legacy_encoding": "Văn bản dùng bảng mã cũ (TCVN3/VNI), chữ tiếng Việt bị sai.",
}


@dataclass
class ParsedDocument:
    """The result of parsing a draft: a title guess, the node tree and the warnings."""

    title: str
    nodes: list[Node]
    warnings: list[ImportWarning]
    # (line, text) of every line dropped as page furniture; each also has a warning.
    dropped: list[tuple[int, str]] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        """Yield every node of the document in document order."""
        for node in self.nodes:
            yield from node.walk()

    def articles(self) -> list[Node]:
        """Return every Điều in document order, wherever it sits in the tree."""
        return [node for node in self.walk() if node.kind == ARTICLE]

    def find(self, anchor: str) -> Node | None:
        """Return the node with this anchor, or ``None``."""
        return next((node for node in self.walk() if node.anchor == anchor), None)

    def all_text(self) -> str:
        """Return every piece of text kept, headings included, one node after another."""
        return "\n".join(text for node in self.walk() if (text := node.own_text()))

    def warning_codes(self) -> list[str]:
        """Return the codes of the warnings, in order (handy for checks and summaries)."""
        return [warning.code for warning in self.warnings]


class ImportFormatError(ValueError):
    """The file cannot be read as a draft; the message is Vietnamese and shown to the user."""


class Block(str):
    """A line or paragraph read from a file, remembering where it came from.

    It is a ``str`` so that :func:`parse_blocks` also takes plain strings. ``line`` is the
    line (text files) or paragraph/row number (Word) used in warnings; ``table`` numbers the
    table a row belongs to; ``joinable`` says whether a line may be a soft-wrapped piece of
    the previous one (true for text files, false for Word paragraphs, which are real ones).
    """

    line: int | None
    table: int | None
    joinable: bool

    def __new__(
        cls,
        text: str,
        *,
        line: int | None = None,
        table: int | None = None,
        joinable: bool = True,
    ) -> Block:
        block = super().__new__(cls, text)
        block.line = line
        block.table = table
        block.joinable = joinable
        return block


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_CHAR_FIXES: Final = str.maketrans(
    {
        # Look-alikes of Đ/đ produced by some keyboards and old font converters. No Vietnamese
        # text means the Icelandic eth or the African D, and search would miss "Điều".
        "\u00d0": "\u0110",
        "\u00f0": "\u0111",
        "\u0189": "\u0110",
        "\u0256": "\u0111",
        # Invisible characters that break keyword matching and search but carry no text.
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_WS_RE: Final = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Return ``text`` in NFC, with Đ look-alikes fixed and whitespace collapsed and trimmed."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFC", text.translate(_CHAR_FIXES))).strip()


def fold(text: str) -> str:
    """Return a lower-case ASCII skeleton of ``text`` (``"Điều"`` -> ``"dieu"``) for matching.

    Works on NFC or NFD input and on tone marks typed in any order.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_CHAR_FIXES))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.replace("đ", "d").replace("Đ", "D").lower()


def _slug(text: str) -> str:
    """Return an ASCII anchor fragment; đ becomes "dd" so that "diem-dd" differs from "diem-d"."""
    text = text.lower().replace("đ", "dd")
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _is_all_caps(text: str) -> bool:
    """Return whether ``text`` has letters and all of them are capitals."""
    return any(char.isalpha() for char in text) and text == text.upper()


_TRAILING_CLOSERS: Final = "\"'”’»)]*_ "


def _ends_sentence(text: str) -> bool:
    """Return whether ``text`` ends like a sentence (., ;, :, !, ?, …, or the final "./.")."""
    return text.rstrip(_TRAILING_CLOSERS).endswith((".", ";", ":", "!", "?", "…"))


def _strip_md_emphasis(text: str) -> str:
    """Remove Markdown heading marks and bold/italic markers around a heading or marker."""
    text = re.sub(r"^#{1,6}\s+", "", text)
    text = text.replace("**", "").replace("__", "")
    if text[:1] in "*_":
        text = text[1:].replace(text[0], "", 1) if text[0] in text[1:] else text[1:]
    return normalize_text(text)


# --------------------------------------------------------------------------------------------
# Recognising headings
# --------------------------------------------------------------------------------------------

_KEYWORDS: Final[dict[str, str]] = {
    "dieu": ARTICLE,
    "chuong": CHAPTER,
    "muc": SECTION,
    "phan": PART,
}
# The first word of a line, letters only; combining marks count as letters so that NFD text
# or tone marks typed in an odd order still form one word.
_LEAD_WORD_RE: Final = re.compile(r"((?:[^\W\d_]|[\u0300-\u036f])+)\s*")
_SEP = r"(?P<sep>\s*[.:)\-–—]+\s*|\s+|$)"
_ARTICLE_NUMBER_RE: Final = re.compile(r"(?P<num>\d{1,3})(?P<suffix>[a-zA-Z]?)(?![\w/,])" + _SEP)
_ORDER_NUMBER_RE: Final = re.compile(r"(?P<num>[IVXLC]+|\d{1,3})(?![\w/,])" + _SEP)
_ROMAN_RE: Final = re.compile(r"^C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_CLAUSE_RE: Final = re.compile(r"^(?P<num>\d{1,3}) ?[.)](?![\d.])(?P<sep>\s*)(?P<rest>.*)$", re.S)
_POINT_RE: Final = re.compile(r"^(?P<num>[a-zđ]|dd)\)(?P<sep>\s*)(?P<rest>.*)$", re.S)
_QUOTE_OPENERS: Final = "\"'“‘«„("

_ROMAN_VALUES: Final = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_VN_UNITS: Final = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}


def _roman_to_int(roman: str) -> int:
    """Return the value of a (validated) Roman numeral."""
    total = 0
    for index, char in enumerate(roman):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[roman[index + 1]] if index + 1 < len(roman) else 0
        total += -value if value < following else value
    return total


def _vn_ordinal(words: Sequence[str]) -> tuple[int, int] | None:
    """Parse folded Vietnamese ordinal words ("nhat", "hai", "muoi mot", ...).

    Returns (value, number of words used), or ``None``.
    """
    first = words[0] if words else ""
    second = words[1] if len(words) > 1 else ""
    third = words[2] if len(words) > 2 else ""
    if first == "nhat":
        return 1, 1
    if first == "muoi":
        if second in _VN_UNITS:
            return 10 + _VN_UNITS[second], 2
        return 10, 1
    if first in _VN_UNITS:
        if second == "muoi":
            if third in _VN_UNITS:
                return _VN_UNITS[first] * 10 + _VN_UNITS[third], 3
            return _VN_UNITS[first] * 10, 2
        return _VN_UNITS[first], 1
    return None


@dataclass
class _Heading:
    """A recognised Phần / Chương / Mục / Điều heading line."""

    kind: str
    number: str  # normalised: "I", "3", "12a"
    value: tuple[int, int]  # for ordering checks: (12, 1) for "12a"
    written: str  # the number as it should be cited: "II", "12a", "thứ nhất"
    text: str  # the heading line with Markdown emphasis removed
    head: str  # the part of ``text`` up to and including the separator
    rest: str  # the text after the number and separator (usually the title)


def _match_heading(text: str) -> _Heading | None:
    """Recognise a Phần, Chương, Mục or Điều heading at the start of a line."""
    if not text or text[0] in _QUOTE_OPENERS:
        # Quoted headings are the new wording inside an amending article, not structure.
        return None
    clean = _strip_md_emphasis(text) if text[0] in "*_#" else text
    word = _LEAD_WORD_RE.match(clean)
    if word is None:
        return None
    kind = _KEYWORDS.get(fold(word.group(1)))
    if kind is None:
        return None
    after = clean[word.end() :]
    if kind == PART and fold(after).startswith("thu "):
        return _match_ordinal_part(clean, word.end())
    if kind == ARTICLE:
        match = _ARTICLE_NUMBER_RE.match(after)
        if match is None:
            return None
        suffix = match["suffix"].lower()
        number = f"{int(match['num'])}{suffix}"
        value = (int(match["num"]), ord(suffix) - ord("a") + 1 if suffix else 0)
    else:
        match = _ORDER_NUMBER_RE.match(after)
        if match is None:
            return None
        raw = match["num"]
        if raw.isdigit():
            number, value = str(int(raw)), (int(raw), 0)
        elif _ROMAN_RE.match(raw):
            number, value = raw, (_roman_to_int(raw), 0)
        else:
            return None
    rest = after[match.end() :]
    # "Điều 5 của Luật này ..." is a sentence that mentions an article, not a heading: a real
    # heading has punctuation after the number or a capitalised title.
    if not match["sep"].strip() and rest[:1].islower():
        return None
    head_len = word.end() + match.end()
    return _Heading(kind, number, value, number, clean, clean[:head_len], rest)


def _match_ordinal_part(clean: str, start: int) -> _Heading | None:
    """Recognise "Phần thứ nhất", "PHẦN THỨ HAI MƯƠI" (``start`` is where "thứ" begins)."""
    after = clean[start:]
    words = after.split(" ")
    ordinal = _vn_ordinal([fold(w).strip(".:-–—") for w in words[1:4]])
    if ordinal is None:
        return None
    value, used = ordinal
    core = " ".join(words[: used + 1]).rstrip(".:-–—")
    remaining = after[len(core) :]
    sep_match = re.match(r"\s*[.:)\-–—]*\s*", remaining)
    sep = sep_match.group() if sep_match else ""
    rest = remaining[len(sep) :]
    if rest and not sep:
        return None  # "Phần thứ nhấtx": not a word boundary
    if not sep.strip() and rest[:1].islower():
        return None  # "Phần thứ hai của Bộ luật này ..." is a sentence
    head = clean[: start + len(core) + len(sep)]
    return _Heading(PART, str(value), (value, 0), core.lower(), clean, head, rest)


def _match_marker(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """Match a Khoản or Điểm marker, tolerating Markdown bold around it (``**1.**``)."""
    if text[:1] in "*_":
        text = _strip_md_emphasis(text)
    return pattern.match(text)


def _is_marker(text: str) -> bool:
    """Return whether a line starts like a heading, Khoản, Điểm or a dash/plus sub-point."""
    return bool(
        _match_heading(text)
        or _match_marker(_CLAUSE_RE, text)
        or _match_marker(_POINT_RE, text)
        or text[:1] in "-+•–—"
    )


def _is_signature_start(text: str) -> bool:
    """Return whether a line opens the closing block: recipients list or "TM./KT./TL." line."""
    # "Nơi nhận:" alone (or followed by its list), not "Nơi nhận hồ sơ: ..." in a clause.
    return bool(
        re.match(r"^(?:noi nhan\s*:?\s*(?:$|[-+•])|(?:tm|kt|tl|tuq)\s*\.\s*\S)", fold(text))
    )


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------

_MAX_BYTES: Final = 50 * 1024 * 1024
# python-docx loads every part of the package into memory, so a small zip that inflates to
# gigabytes must be refused before it is opened.
_MAX_DOCX_INFLATED: Final = 200 * 1024 * 1024
_SUPPORTED: Final = (".docx", ".txt", ".md", ".markdown")


def read_blocks(
    path_or_file: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes,
    *,
    filename: str,
    max_bytes: int = _MAX_BYTES,
) -> list[str]:
    """Read a draft file into a list of lines (:class:`Block` objects), in document order.

    * ``.docx``: every paragraph (auto-numbering such as "Điều %1." is rendered, tracked
      insertions are kept and deletions left out) and every table row, its cells joined with
      ``" | "``. Headers and footers are not read: they are page furniture.
    * ``.txt``: UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused
      because guessing between cp1258, TCVN3 and VNI would silently corrupt a legal text.
    * ``.md``: heading marks, emphasis, ``*`` bullets, links and table syntax are removed;
      numbering and the "-" / "+" sub-point dashes of Vietnamese drafts are kept.

    Text is normalised to NFC. Blank lines of text files are kept as empty strings so that
    paragraph breaks survive. ``filename`` gives the extension (uploads have no path).
    Raises :class:`ImportFormatError` with a Vietnamese message for anything unreadable.
    """
    extension = Path(filename).suffix.lower()
    if extension not in _SUPPORTED:
        raise ImportFormatError(_unsupported_message(filename, extension))
    data = _read_bytes(path_or_file, max_bytes=max_bytes)
    if extension == ".docx":
        return list(_docx_blocks(data, filename))
    text = _decode_text(data, filename)
    if extension == ".txt":
        return [
            Block(normalize_text(line), line=number)
            for number, line in enumerate(text.splitlines(), start=1)
        ]
    return list(_markdown_blocks(text))


def parse_file(
    path_or_file: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes,
    *,
    filename: str,
) -> ParsedDocument:
    """Read and parse a draft file; see :func:`read_blocks` and :func:`parse_blocks`."""
    return parse_blocks(read_blocks(path_or_file, filename=filename))


def _unsupported_message(filename: str, extension: str) -> str:
    """Return the Vietnamese message for a file type the importer does not read."""
    if extension == ".doc":
        return (
            f"Tệp “{filename}” là định dạng Word 97-2003 (.doc), chưa được hỗ trợ. "
            "Hãy mở tệp bằng Word và lưu lại dưới dạng .docx rồi tải lên lại."
        )
    if extension == ".pdf":
        return (
            f"Tệp “{filename}” là PDF, không đọc được cấu trúc văn bản. "
            "Hãy tải lên bản .docx, .txt hoặc .md của dự thảo."
        )
    shown = extension or "không có phần mở rộng"
    return f"Không hỗ trợ định dạng tệp “{filename}” ({shown}). Chỉ nhận tệp .docx, .txt hoặc .md."


def _read_bytes(source: Any, *, max_bytes: int) -> bytes:
    """Return the content of a path, a bytes object or an open (binary or text) file."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        data = Path(source).read_bytes()
    else:
        # Uploaded files may already have been read once (to sniff their type).
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)
        content = source.read(max_bytes + 1)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if len(data) > max_bytes:
        raise ImportFormatError(
            f"Tệp quá lớn (giới hạn {max_bytes // (1024 * 1024)} MB). "
            "Hãy bỏ bớt hình ảnh hoặc tách phụ lục rồi tải lên lại."
        )
    return data


def _decode_text(data: bytes, filename: str) -> str:
    """Decode a text file as UTF-8 (or UTF-16 with a BOM), refusing anything else."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"Tệp “{filename}” có dấu hiệu mã hoá UTF-16 nhưng nội dung bị lỗi."
            ) from exc
    if data.startswith(b"%PDF"):
        raise ImportFormatError(
            f"Tệp “{filename}” thực chất là tệp PDF, không phải văn bản thuần. "
            "Hãy tải lên bản .docx, .txt hoặc .md của dự thảo."
        )
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise ImportFormatError(
            f"Tệp “{filename}” không phải văn bản thuần (có thể là tệp Word hoặc tệp nén "
            "bị đổi tên). Hãy chọn đúng tệp hoặc đổi phần mở rộng cho đúng."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"Tệp “{filename}” không được mã hoá theo UTF-8 (lỗi ở byte thứ {exc.start + 1}); "
            "có thể tệp dùng bảng mã cũ như Windows-1258, TCVN3 hoặc VNI. Hãy mở tệp và lưu "
            "lại với bảng mã UTF-8 (Unicode) rồi tải lên lại."
        ) from exc


# ---- Markdown ------------------------------------------------------------------------------

_MD_TABLE_SEPARATOR_RE: Final = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_MD_RULE_RE: Final = re.compile(r"^(?:[-*_]\s*){3,}$|^=+$")
_MD_ESCAPE_RE: Final = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def _markdown_inline(text: str) -> str:
    """Remove inline Markdown (emphasis, code, links, escapes) and keep the words."""
    # Escaped characters (a blank written "\\_\\_\\_") are literal text: park them in the
    # private-use area so the emphasis rules below cannot eat them, then put them back.
    text = _MD_ESCAPE_RE.sub(lambda m: chr(0xE000 + ord(m.group(1))), text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?![\s_])(.+?)(?<![\s_])_(?![\w_])", r"\1", text)
    text = text.replace("**", "").replace("`", "")
    text = re.sub(r"\\$", "", text)  # a trailing backslash is a hard line break
    return re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group()) - 0xE000), text)


def _markdown_blocks(text: str) -> Iterator[Block]:
    """Turn Markdown into plain lines, keeping the numbering of Khoản and Điểm."""
    table = 0
    in_table = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = normalize_text(raw)
        if line.startswith("|") or (in_table and "|" in line):
            if not in_table:
                table += 1
                in_table = True
            if _MD_TABLE_SEPARATOR_RE.match(line):
                continue
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            row = " | ".join(_markdown_inline(c) for c in cells if c)
            if row:
                yield Block(normalize_text(row), line=number, table=table, joinable=False)
            continue
        in_table = False
        if line.startswith("```") or line.startswith("~~~") or _MD_RULE_RE.match(line):
            yield Block("", line=number)  # markup only; acts as a paragraph break
            continue
        while line.startswith(">"):
            line = line[1:].lstrip()
        line = re.sub(r"^#{1,6}\s+", "", line)
        line = re.sub(r"\s+#+$", "", line)
        # "*" bullets are Markdown markup; "-" and "+" are how Vietnamese drafts write
        # sub-points, so they are kept as text.
        line = re.sub(r"^\*\s+", "", line)
        yield Block(normalize_text(_markdown_inline(line)), line=number)


# ---- Word (.docx) ----------------------------------------------------------------------------

_W: Final = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK: Final = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_NUMBERING_REL: Final = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
)
# Subtrees whose text is not part of the document as shown: deleted or moved-away revisions,
# the duplicate fallback copy of text boxes, field codes, properties.
_SKIP_TAGS: Final = frozenset(
    {
        f"{_W}del",
        f"{_W}moveFrom",
        f"{_W}pPr",
        f"{_W}rPr",
        f"{_W}instrText",
        f"{_W}delText",
        f"{_W}sectPr",
        f"{_W}sdtPr",
        f"{_W}tblPr",
        f"{_W}trPr",
        f"{_W}tcPr",
        _MC_FALLBACK,
    }
)


# Elements that start another block; never looked through when searching for rows or cells.
_BLOCK_TAGS: Final = frozenset({f"{_W}tbl", f"{_W}tc", f"{_W}p"})


def _docx_blocks(data: bytes, filename: str) -> Iterator[Block]:
    """Yield the paragraphs and table rows of a Word document in document order."""
    document = _open_docx(data, filename)
    numbering = _Numbering(document)
    counter = 0
    table_count = 0

    def emit(text: str, table: int | None) -> Iterator[Block]:
        nonlocal counter
        for piece in text.split("\n"):
            piece = normalize_text(piece)
            if piece:
                counter += 1
                yield Block(piece, line=counter, table=table, joinable=False)

    for element in _iter_body(document.element.body):
        if element.tag == f"{_W}p":
            yield from emit(numbering.render(element) + _paragraph_text(element), None)
        else:
            table_count += 1
            for row in _table_rows(element, numbering):
                yield from emit(row, table_count)


def _open_docx(data: bytes, filename: str) -> Any:
    """Open Word bytes with python-docx, turning every failure into an ImportFormatError."""
    not_docx = (
        f"Tệp “{filename}” không phải tài liệu Word .docx hợp lệ. Hãy mở tệp bằng Word, "
        "chọn Lưu thành (Save As) định dạng .docx rồi tải lên lại."
    )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFormatError(
            f"Tệp “{filename}” là định dạng Word 97-2003 (.doc) được đặt tên .docx. "
            "Hãy mở tệp bằng Word và lưu lại dưới dạng .docx rồi tải lên lại."
        )
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFormatError(not_docx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportFormatError(not_docx) from exc
    if "[Content_Types].xml" not in names:
        raise ImportFormatError(not_docx)
    if inflated > _MAX_DOCX_INFLATED:
        raise ImportFormatError(
            f"Tệp “{filename}” khi giải nén quá lớn; hãy bỏ bớt hình ảnh rồi tải lên lại."
        )
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:
        # python-docx reports a damaged or foreign package with many exception types
        # (PackageNotFoundError, KeyError, ValueError for an .xlsx, lxml syntax errors);
        # for the user they all mean the same thing.
        raise ImportFormatError(not_docx) from exc


def _iter_body(parent: Any) -> Iterator[Any]:
    """Yield the paragraphs and tables of a body, looking inside content controls."""
    for child in parent:
        tag = child.tag
        if tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif isinstance(tag, str) and tag not in _SKIP_TAGS:
            yield from _iter_body(child)


def _paragraph_text(paragraph: Any) -> str:
    """Return the visible text of a paragraph, including insertions, text boxes and tabs."""
    parts: list[str] = []
    _collect_text(paragraph, parts)
    return "".join(parts)


def _collect_text(element: Any, parts: list[str]) -> None:
    """Append the text below ``element`` to ``parts`` (see :func:`_paragraph_text`)."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP_TAGS:
            continue
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
        elif tag == f"{_W}p":  # a paragraph inside a text box anchored here
            parts.append("\n")
            _collect_text(child, parts)
            parts.append("\n")
        else:
            _collect_text(child, parts)


def _table_rows(table: Any, numbering: _Numbering) -> Iterator[str]:
    """Yield each row of a table as its non-empty cells joined with " | "."""
    for row in _children(table, f"{_W}tr"):
        cells = []
        for cell in _children(row, f"{_W}tc"):
            pieces: list[str] = []
            for element in _iter_body(cell):
                if element.tag == f"{_W}p":
                    pieces.append(numbering.render(element) + _paragraph_text(element))
                else:  # a table nested in the cell
                    pieces.extend(r.replace(" | ", " / ") for r in _table_rows(element, numbering))
            text = normalize_text(" ".join(pieces))
            if text:
                cells.append(text)
        if cells:
            yield " | ".join(cells)


def _children(parent: Any, tag: str) -> Iterator[Any]:
    """Yield the ``tag`` children of ``parent``, looking through content controls only."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif isinstance(child.tag, str) and child.tag not in _SKIP_TAGS | _BLOCK_TAGS:
            yield from _children(child, tag)


@dataclass
class _Level:
    """One level of a Word list definition."""

    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    suffix: str = "tab"
    legal: bool = False


class _Numbering:
    """Render Word's automatic list numbering ("Điều %1.", "%1.", "%1)") as text.

    Many drafts number their Điều and Khoản with Word lists, so the numbers are not in the
    paragraph text. This follows the common part of the rules: lists share counters per
    abstract definition, a w:num may restart levels (startOverride), and a level restarts
    when a higher level advances.
    """

    def __init__(self, document: Any) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.style_levels: dict[str, tuple[str, int]] = {}  # pStyle linked from a level
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.styles: dict[str, tuple[str | None, int | None, str | None]] = {}
        self.default_style: str | None = None
        self.counters: dict[str, list[int | None]] = defaultdict(lambda: [None] * 9)
        self.started: set[str] = set()
        try:
            part = document.part.part_related_by(_NUMBERING_REL)
        except KeyError:
            return
        self._read_numbering(part.element)
        self._read_styles(document.styles.element)

    def _read_numbering(self, root: Any) -> None:
        """Load abstract list definitions and list instances."""
        for abstract in root.iterchildren(f"{_W}abstractNum"):
            abstract_id = abstract.get(f"{_W}abstractNumId")
            levels: dict[int, _Level] = {}
            for lvl in abstract.iterchildren(f"{_W}lvl"):
                ilvl = _to_int(lvl.get(f"{_W}ilvl"), 0)
                level = _Level()
                for child in lvl:
                    val = child.get(f"{_W}val")
                    if child.tag == f"{_W}start":
                        level.start = _to_int(val, 1)
                    elif child.tag == f"{_W}numFmt" and val:
                        level.fmt = val
                    elif child.tag == f"{_W}lvlText":
                        level.text = val or ""
                    elif child.tag == f"{_W}suff" and val:
                        level.suffix = val
                    elif child.tag == f"{_W}isLgl":
                        level.legal = val not in ("0", "false")
                    elif child.tag == f"{_W}pStyle" and val:
                        self.style_levels[val] = (abstract_id, ilvl)
                levels[ilvl] = level
            self.abstract[abstract_id] = levels
        for num in root.iterchildren(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            overrides: dict[int, int] = {}
            for override in num.iterchildren(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                if start is not None:
                    level_index = min(max(_to_int(override.get(f"{_W}ilvl"), 0), 0), 8)
                    overrides[level_index] = _to_int(start.get(f"{_W}val"), 1)
            self.nums[num.get(f"{_W}numId")] = (ref.get(f"{_W}val"), overrides)

    def _read_styles(self, root: Any) -> None:
        """Load the numbering and inheritance of paragraph styles."""
        for style in root.iterchildren(f"{_W}style"):
            style_id = style.get(f"{_W}styleId")
            if style.get(f"{_W}type") != "paragraph" or not style_id:
                continue
            if style.get(f"{_W}default") in ("1", "true"):
                self.default_style = style_id
            based = style.find(f"{_W}basedOn")
            num_id, ilvl = self._num_pr(style.find(f"{_W}pPr"))
            parent = based.get(f"{_W}val") if based is not None else None
            self.styles[style_id] = (num_id, ilvl, parent)

    @staticmethod
    def _num_pr(ppr: Any) -> tuple[str | None, int | None]:
        """Return (numId, ilvl) from a w:pPr, each ``None`` when not set."""
        if ppr is None:
            return None, None
        num_pr = ppr.find(f"{_W}numPr")
        if num_pr is None:
            return None, None
        num_el = num_pr.find(f"{_W}numId")
        lvl_el = num_pr.find(f"{_W}ilvl")
        num_id = num_el.get(f"{_W}val") if num_el is not None else None
        ilvl_raw = lvl_el.get(f"{_W}val") if lvl_el is not None else None
        return num_id, _to_int(ilvl_raw, 0) if ilvl_raw is not None else None

    def _resolve(self, paragraph: Any) -> tuple[str, int] | None:
        """Return (numId, ilvl) of a paragraph, from its own properties or its style."""
        ppr = paragraph.find(f"{_W}pPr")
        num_id, ilvl = self._num_pr(ppr)
        style_el = ppr.find(f"{_W}pStyle") if ppr is not None else None
        style_id = style_el.get(f"{_W}val") if style_el is not None else self.default_style
        seen: set[str] = set()
        while (num_id is None or ilvl is None) and style_id and style_id not in seen:
            seen.add(style_id)
            style_num, style_lvl, parent = self.styles.get(style_id, (None, None, None))
            if num_id is None and style_num is not None:
                num_id = style_num
                if ilvl is None and style_id in self.style_levels:
                    ilvl = self.style_levels[style_id][1]
            if ilvl is None and style_lvl is not None:
                ilvl = style_lvl
            style_id = parent
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return None
        return num_id, min(max(ilvl or 0, 0), 8)

    def render(self, paragraph: Any) -> str:
        """Advance the counters for a numbered paragraph and return its marker plus suffix."""
        if not self.nums:
            return ""
        resolved = self._resolve(paragraph)
        if resolved is None:
            return ""
        num_id, ilvl = resolved
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id, {})
        counters = self.counters[abstract_id]
        if num_id not in self.started:
            self.started.add(num_id)
            for level_index in overrides:
                counters[level_index] = overrides[level_index] - 1
        level = levels.get(ilvl, _Level())
        current = counters[ilvl]
        counters[ilvl] = level.start if current is None else current + 1
        for deeper in range(ilvl + 1, len(counters)):
            counters[deeper] = None
        if level.fmt == "bullet":
            marker = "+" if level.text.strip() == "+" else "-"
        elif level.fmt == "none":
            marker = level.text if "%" not in level.text else ""
        else:
            marker = re.sub(
                r"%([1-9])",
                lambda m: self._format(int(m.group(1)) - 1, levels, counters, legal=level.legal),
                level.text,
            )
        if not marker:
            return ""
        return marker + ("" if level.suffix == "nothing" else " ")

    @staticmethod
    def _format(
        index: int, levels: dict[int, _Level], counters: list[int | None], *, legal: bool
    ) -> str:
        """Format the counter of level ``index`` with that level's number format."""
        level = levels.get(index, _Level())
        value = counters[index]
        if value is None:
            value = level.start
        fmt = "decimal" if legal else level.fmt
        if fmt == "decimalZero":
            return f"{value:02d}"
        if fmt in ("lowerLetter", "upperLetter"):
            letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
            return letter if fmt == "lowerLetter" else letter.upper()
        if fmt in ("lowerRoman", "upperRoman"):
            roman = _int_to_roman(value)
            return roman if fmt == "upperRoman" else roman.lower()
        return str(value)


def _to_int(value: str | None, default: int) -> int:
    """Return ``value`` as an int, or ``default`` when it is missing or malformed."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _int_to_roman(value: int) -> str:
    """Return ``value`` (1..3999) as an upper-case Roman numeral."""
    pairs = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]
    out = []
    for amount, letters in pairs:
        count, value = divmod(value, amount)
        out.append(letters * count)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass
class _Line:
    """A normalised, non-empty line with where it came from."""

    text: str
    line: int  # for messages
    pos: int  # position among all input lines, blank ones included (to see paragraph breaks)
    table: int | None = None
    joinable: bool = True
    end_pos: int = -1  # last position covered after soft-wrapped lines are joined


@dataclass
class _Meta:
    """Parsing state kept beside a node (not part of the public model)."""

    series: int
    line_index: int
    has_article: bool = False
    head: str = ""  # articles: "Điều 5. "
    rest: str = ""  # articles: the text after the number on the heading line
    rest_on_next_line: bool = False
    written: str = ""  # the number as cited ("thứ nhất" for Phần thứ nhất)


@dataclass
class _Tracker:
    """Numbers already seen at one level of one scope, to report gaps and duplicates."""

    last: tuple[int, int] | None = None
    last_number: str = ""
    seen: dict[tuple[int, int], int] = field(default_factory=dict)


_LEGACY_RE: Final = re.compile(
    r"§iÒu|Ch\u00ad¬ng|ViÖt Nam|Céng hoµ|Ñieàu|Chöông|Vieät Nam|Coäng hoøa"
)
_PAGE_NUMBER_RES: Final = (
    re.compile(r"^[-–—]\s*\d{1,4}\s*[-–—]$"),  # - 3 -
    re.compile(r"^(?:trang|page)\s*\d{1,4}(?:\s*(?:/|trên|of)\s*\d{1,4})?$", re.IGNORECASE),
)
_PAGE_OF_RE: Final = re.compile(r"^(\d{1,4})\s*/\s*(\d{1,4})$")  # 3/12
_BARE_NUMBER_RE: Final = re.compile(r"^\d{1,3}$")
# Words that cannot end a title or a sentence in Vietnamese legal text.
_CONNECTORS: Final = frozenset(
    {
        "khi",
        "của",
        "và",
        "các",
        "với",
        "về",
        "theo",
        "tại",
        "cho",
        "đối",
        "trên",
        "trong",
        "được",
        "bằng",
        "những",
        "từ",
        "đến",
        "là",
        "nếu",
        "thì",
        "mà",
        "hoặc",
        "vì",
        "để",
        "có",
        "phải",
        "như",
        "giữa",
        "thuộc",
        "nhằm",
        "gồm",
        "ngày",
        "tháng",
        "số",
    }
)
_DOC_TYPES: Final = frozenset(
    {
        "luat",
        "bo luat",
        "phap lenh",
        "nghi quyet",
        "nghi quyet lien tich",
        "nghi dinh",
        "quyet dinh",
        "thong tu",
        "thong tu lien tich",
        "chi thi",
        "lenh",
        "quy dinh",
        "quy che",
        "dieu le",
        "ke hoach",
        "de an",
        "huong dan",
        "to trinh",
        "chuong trinh",
    }
)
# Document types of a regulation attached to (issued with) a decision or resolution.
_ATTACHMENT_TYPES: Final = frozenset(
    {"quy dinh", "quy che", "dieu le", "huong dan", "noi quy", "quy trinh", "chuong trinh"}
)
# First words of institutions and instruments, which start with a capital inside titles
# ("... khi Nhà nước thu hồi đất") and so are not where a run-in body text begins.
_PROPER_WORDS: Final = frozenset(
    {
        "nha",
        "uy",
        "hoi",
        "nhan",
        "viet",
        "chinh",
        "quoc",
        "luat",
        "bo",
        "nghi",
        "quyet",
        "thong",
        "chi",
        "so",
        "mat",
        "to",
        "dang",
        "cong",
        "toa",
        "vien",
        "kho",
        "ngan",
        "thu",
        "chu",
        "trung",
        "tinh",
        "thanh",
        "huyen",
        "xa",
        "phuong",
        "quy",
        "dieu",
        "khoan",
        "diem",
        "chuong",
        "muc",
        "phan",
        "ban",
        "doan",
    }
)


def parse_blocks(blocks: Sequence[str]) -> ParsedDocument:
    """Build the document tree from lines (as from :func:`read_blocks`, or plain strings).

    Steps: normalise every line; drop page furniture (with a warning per line); join lines
    of text files that were soft-wrapped mid-sentence; recognise Phần / Chương / Mục / Điều
    headings, Khoản ("1.", "2)") and Điểm ("a)", "đ)") markers; put everything else in the
    body of the node it follows; then decide article titles, anchors and citations.
    """
    warnings: list[ImportWarning] = []
    lines = _prepare(blocks, warnings)
    furniture = _find_furniture(lines)
    dropped = [(ln.line, ln.text) for ln in lines if ln.pos in furniture]
    for line_no, text in dropped:
        is_number = _is_page_number(text) or bool(_BARE_NUMBER_RE.match(text))
        reason = "số trang" if is_number else "tiêu đề lặp lại"
        warnings.append(
            ImportWarning(
                "page_furniture_removed",
                f"Đã bỏ dòng {line_no} “{text}” ({reason} của bản in, không phải nội dung).",
                line_no,
            )
        )
    kept = _join_wrapped([ln for ln in lines if ln.pos not in furniture], set(furniture))
    builder = _Builder(kept, warnings)
    builder.run()
    nodes = builder.finish()
    title = _guess_title(kept, builder.first_heading_index)
    return ParsedDocument(title=title, nodes=nodes, warnings=warnings, dropped=dropped)


def _prepare(blocks: Sequence[str], warnings: list[ImportWarning]) -> list[_Line]:
    """Normalise blocks into non-empty :class:`_Line` objects, splitting embedded newlines."""
    lines: list[_Line] = []
    position = 0
    legacy_seen = False
    for index, block in enumerate(blocks, start=1):
        line_no = getattr(block, "line", None) or index
        table = getattr(block, "table", None)
        joinable = bool(getattr(block, "joinable", True)) and table is None
        raw = str(block)
        if not legacy_seen and _LEGACY_RE.search(raw):
            legacy_seen = True
            warnings.append(
                ImportWarning(
                    "legacy_encoding",
                    f"Dòng {line_no}: văn bản có vẻ dùng phông chữ bảng mã cũ (TCVN3/ABC hoặc "
                    "VNI) nên chữ tiếng Việt bị sai. Hãy chuyển mã sang Unicode (ví dụ bằng "
                    "công cụ chuyển mã của Unikey) rồi nhập lại.",
                    line_no,
                )
            )
        for piece in raw.split("\n"):
            position += 1
            text = normalize_text(piece)
            if text:
                lines.append(_Line(text, line_no, position, table, joinable, position))
    return lines


def _is_page_number(text: str) -> bool:
    """Return whether a line is unmistakably a page number ("- 3 -", "Trang 3", "3/12")."""
    page_of = _PAGE_OF_RE.match(text)
    if page_of:
        return 0 < int(page_of[1]) <= int(page_of[2])
    return any(pattern.match(text) for pattern in _PAGE_NUMBER_RES)


def _bare_page_numbers(lines: list[_Line]) -> set[int]:
    """Return the positions of lines holding only a number that are page numbers.

    A lone "7" may be a table cell copied out of a PDF, so a bare number only counts when
    the next or previous page number also appears at least 10 lines away, as pages do.
    """
    bare = [
        (int(ln.text), ln.pos)
        for ln in lines
        if ln.table is None and _BARE_NUMBER_RE.match(ln.text)
    ]
    found: set[int] = set()
    for value, pos in bare:
        for other_value, other_pos in bare:
            if abs(other_value - value) == 1 and abs(other_pos - pos) >= 10:
                found.add(pos)
                break
    return found


def _find_furniture(lines: list[_Line]) -> set[int]:
    """Return the positions of page numbers and repeated running headers.

    A running header is a short, unnumbered line repeated near page numbers (or repeated
    four or more times, far apart). Its first occurrence is kept when it sits in the title
    block before the first heading: that is the "DỰ THẢO" stamp of page one.
    """
    page_positions = {ln.pos for ln in lines if ln.table is None and _is_page_number(ln.text)}
    page_positions |= _bare_page_numbers(lines)
    first_heading = next(
        (ln.pos for ln in lines if ln.table is None and _match_heading(ln.text)), None
    )
    occurrences: dict[str, list[_Line]] = defaultdict(list)
    for ln in lines:
        text = ln.text
        if ln.table is not None or ln.pos in page_positions or len(text) > 150:
            continue
        if _is_marker(text) or not any(char.isalpha() for char in text):
            continue
        occurrences[text.casefold()].append(ln)
    furniture = set(page_positions)
    for group in occurrences.values():
        count = len(group)
        if count < 2:
            continue
        near = sum(1 for ln in group if any(abs(ln.pos - p) <= 3 for p in page_positions))
        gaps = [b.pos - a.pos for a, b in itertools.pairwise(group)]
        header_like = not _ends_sentence(group[0].text) and len(group[0].text) <= 100
        if not (near >= max(2, count - 1) or (count >= 4 and min(gaps) >= 10 and header_like)):
            continue
        for number, ln in enumerate(group):
            keep_stamp = number == 0 and (first_heading is None or ln.pos < first_heading)
            if not keep_stamp:
                furniture.add(ln.pos)
    return furniture


def _join_wrapped(lines: list[_Line], furniture: set[int]) -> list[_Line]:
    """Join lines of text files that were wrapped mid-sentence (e.g. copied from a PDF).

    A line continues the previous one only when nothing but dropped furniture separates
    them, the previous line does not end a sentence and is not an all-caps heading, and the
    line starts with a lower-case letter or a digit without being a Khoản or Điểm marker.
    """
    out: list[_Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if prev is not None and _continues(prev, ln, furniture):
            prev.text = f"{prev.text} {ln.text}"
            prev.end_pos = ln.pos
            continue
        out.append(ln)
    return out


def _continues(prev: _Line, ln: _Line, furniture: set[int]) -> bool:
    """Return whether ``ln`` is the soft-wrapped continuation of ``prev``."""
    if not (prev.joinable and ln.joinable):
        return False
    if any(pos not in furniture for pos in range(prev.end_pos + 1, ln.pos)):
        return False  # a blank line (or anything else) separates them
    text = ln.text
    first = text[0]
    # A line ending in a word such as "khi" or "của" cannot be complete, so the next line
    # continues it even when it starts with a capital ("... khi" / "Nhà nước thu hồi đất").
    dangling = prev.text.rsplit(" ", 1)[-1].lower() in _CONNECTORS and not _is_all_caps(text)
    if not (first.islower() or first.isdigit() or dangling):
        return False
    if _match_marker(_CLAUSE_RE, text) or _match_marker(_POINT_RE, text):
        return False
    if _BARE_NUMBER_RE.match(text):
        return False  # a number alone on its line is an item of its own (a table cell)
    if _match_heading(text) or _ends_sentence(prev.text) or _is_all_caps(prev.text):
        return False
    # A short heading line ("Điều 9. Thời hạn") is complete unless it ends in "của", "và" ...
    return dangling or not (_match_heading(prev.text) and len(prev.text) < 60)


class _Builder:
    """Builds the node tree from the kept lines (see :func:`parse_blocks`)."""

    def __init__(self, lines: list[_Line], warnings: list[ImportWarning]) -> None:
        self.lines = lines
        self.warnings = warnings
        self.nodes: list[Node] = []
        self.stack: list[Node] = []
        self.loose: Node | None = None  # receives text while no heading is open
        self.bodies: dict[int, list[str]] = defaultdict(list)
        self.meta: dict[int, _Meta] = {}
        self.trackers: dict[tuple[Any, ...], _Tracker] = defaultdict(_Tracker)
        self.series = 1
        self.series_has_articles = False
        self.tables_seen: set[int] = set()
        self.warned_containers: set[int] = set()
        self.ended = False  # the last article ended with "./.", the closing mark
        self.first_heading_index: int | None = None
        self.last_body_node: Node | None = None
        self.table_rows = Counter(ln.table for ln in lines if ln.table is not None)

    # ---- main loop ---------------------------------------------------------------------

    def run(self) -> None:
        """Walk the lines once, opening nodes for headings and filling bodies."""
        index = 0
        while index < len(self.lines):
            index = self._step(index)

    def _step(self, index: int) -> int:
        """Handle the line at ``index``; return the index of the next unhandled line."""
        ln = self.lines[index]
        text = ln.text
        in_article = any(node.kind == ARTICLE for node in self.stack)
        if ln.table is not None:
            if ln.table not in self.tables_seen:
                self.tables_seen.add(ln.table)
                self._warn(
                    "table_flattened",
                    f"Dòng {ln.line}: bảng ({self.table_rows[ln.table]} hàng) đã được chuyển "
                    "thành văn bản, mỗi hàng một dòng, các ô ngăn cách bằng “ | ”. Hãy kiểm "
                    "tra lại cách trình bày.",
                    ln.line,
                )
            if in_article and (self.ended or _is_signature_start(text)):
                self._start_loose(ln, index)
            else:
                self._add_body(text, ln, index)
            return index + 1
        heading = _match_heading(text)
        if heading is not None:
            return self._open_heading(heading, ln, index)
        if in_article:
            clause = _match_marker(_CLAUSE_RE, text)
            if clause is not None:
                self._open_marker(CLAUSE, str(int(clause["num"])), clause, ln, index)
                return self._after_quote(index)
            point = _match_marker(_POINT_RE, text)
            if point is not None:
                letter = "đ" if point["num"] == "dd" else point["num"]
                self._open_marker(POINT, letter, point, ln, index)
                return self._after_quote(index)
            if self.ended or _is_signature_start(text):
                self._start_loose(ln, index)
                return index + 1
            end = self._quote_end(index)
            if end is not None:
                # New wording quoted by an amending article: its "Điều", "1." and "a)"
                # belong to the amended document, not to this one.
                for quoted in self.lines[index : end + 1]:
                    self._add_body(quoted.text, quoted, index)
                return end + 1
        self._add_body(text, ln, index)
        return index + 1

    def _after_quote(self, index: int) -> int:
        """Keep the lines of a quotation opened on a Khoản / Điểm line in its body.

        ("1. Điều 5 được sửa đổi như sau: “Điều 5. ..." goes on with the quoted "1.", "a)".)
        Returns the index of the next line to parse.
        """
        end = self._quote_end(index, anywhere=True)
        if end is None:
            return index + 1
        for quoted in self.lines[index + 1 : end + 1]:
            self._add_body(quoted.text, quoted, index)
        return end + 1

    def _quote_end(self, index: int, *, anywhere: bool = False) -> int | None:
        """Return the index of the line closing a quotation opened at ``index``, if any.

        The quotation must open at the start of the line (or, with ``anywhere``, with a
        typographic “ anywhere in it) and close within 200 lines; otherwise the lines are
        parsed normally.
        """
        text = self.lines[index].text
        if text[:1] not in '“"' and not (anywhere and "“" in text):
            return None
        balance = _quote_balance(text)
        if balance <= 0:
            return None
        for end in range(index + 1, min(index + 200, len(self.lines))):
            balance += _quote_balance(self.lines[end].text)
            if balance <= 0:
                return end
        return None

    # ---- headings ----------------------------------------------------------------------

    def _open_heading(self, heading: _Heading, ln: _Line, index: int) -> int:
        """Open a Phần / Chương / Mục / Điều node; return the next line index."""
        if self.first_heading_index is None:
            self.first_heading_index = index
        self.ended = False
        kind = heading.kind
        next_index = index + 1
        heading_text = heading.text
        title = heading.rest.strip(" .:-–—") if kind != ARTICLE else ""
        meta = _Meta(series=self.series, line_index=index, written=heading.written)
        if kind == ARTICLE:
            meta.head, meta.rest = heading.head, heading.rest
            if not heading.rest and next_index < len(self.lines):
                candidate = self.lines[next_index]
                if _title_candidate(candidate, caps_only=False, limit=150):
                    meta.rest = candidate.text
                    meta.rest_on_next_line = True
                    next_index += 1
        else:
            caps_only = kind == PART
            title_lines: list[str] = []
            if not title and next_index < len(self.lines):
                candidate = self.lines[next_index]
                if _title_candidate(candidate, caps_only=caps_only, limit=200):
                    title_lines.append(candidate.text)
                    next_index += 1
            # Long all-caps titles wrap onto a second or third line.
            while (
                (title_lines or title)
                and _is_all_caps(title_lines[-1] if title_lines else title)
                and len(title_lines) < 3
                and next_index < len(self.lines)
                and _is_all_caps(self.lines[next_index].text)
                and _title_candidate(self.lines[next_index], caps_only=True, limit=150)
            ):
                title_lines.append(self.lines[next_index].text)
                next_index += 1
            if title_lines:
                heading_text = "\n".join([heading_text, *title_lines])
                title = " ".join([title, *title_lines]).strip(" .:-–—")
        node = Node(kind, heading.number, title, "", heading=heading_text, line=ln.line)
        self._check_number(node, heading.value, meta, ln)
        meta.series = self.series
        self.meta[id(node)] = meta
        self._open(node)
        if kind == ARTICLE:
            # Text after a Chương heading may still be an attachment's title block that a
            # restart has to move (see _split_attachment_title), so only a Điều forgets it.
            self.last_body_node = None
            for open_node in self.stack:
                self.meta[id(open_node)].has_article = True
            self.series_has_articles = True
        return next_index

    def _open_marker(
        self, kind: str, number: str, match: re.Match[str], ln: _Line, index: int
    ) -> None:
        """Open a Khoản or Điểm node from its marker line."""
        marker_end = match.start("rest")
        text = match.string
        node = Node(
            kind,
            number,
            "",
            "",
            heading=text[: match.start("sep")],
            heading_sep=match["sep"] or ("" if match["rest"] else "\n"),
            line=ln.line,
        )
        value = (int(number), 0) if kind == CLAUSE else _point_value(number)
        meta = _Meta(series=self.series, line_index=index, written=number)
        self._check_number(node, value, meta, ln)
        self.meta[id(node)] = meta
        self._open(node)
        self.last_body_node = None
        if text[marker_end:]:
            self.bodies[id(node)].append(text[marker_end:])
        self._note_end_mark(text)

    def _open(self, node: Node) -> None:
        """Close open nodes at the same depth or deeper, then attach and open ``node``."""
        level = _LEVEL[node.kind]
        while self.stack and _LEVEL[self.stack[-1].kind] >= level:
            self.stack.pop()
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.nodes.append(node)
            self.loose = None
        self.stack.append(node)

    # ---- bodies ------------------------------------------------------------------------

    def _add_body(self, text: str, ln: _Line, index: int) -> None:
        """Append a paragraph to the open node, or to the preamble / loose text node."""
        if self.stack:
            target = self.stack[-1]
            if target.kind in (PART, CHAPTER, SECTION) and id(target) not in self.warned_containers:
                self.warned_containers.add(id(target))
                label = _label(target)
                self._warn(
                    "text_before_first_article",
                    f"Dòng {ln.line}: có nội dung nằm sau tiêu đề {label} nhưng trước Điều đầu "
                    f"tiên; nội dung này được giữ trong {label}.",
                    ln.line,
                )
        else:
            if self.loose is None:
                kind = PREAMBLE if not self.nodes else TEXT
                self.loose = Node(kind, "", "", "", line=ln.line)
                self.meta[id(self.loose)] = _Meta(series=self.series, line_index=index)
                self.nodes.append(self.loose)
            target = self.loose
        self.bodies[id(target)].append(text)
        self.last_body_node = target
        self._note_end_mark(text)

    def _note_end_mark(self, text: str) -> None:
        """Remember whether the open article ended with "./.", the end-of-text mark."""
        if any(node.kind == ARTICLE for node in self.stack):
            self.ended = text.rstrip().endswith("/.")

    def _start_loose(self, ln: _Line, index: int) -> None:
        """Close all nodes at the signature block and start a top-level "text" node.

        What follows the signature belongs to no article: recipients, signer, and often the
        title block of the regulation issued with the decision, whose Điều restart at 1.
        """
        self.stack.clear()
        self.ended = False
        self.loose = None
        if self.series_has_articles:
            self._new_series()
        self._add_body(ln.text, ln, index)

    def _new_series(self) -> None:
        """Start a new numbering series (an attached document such as a Quy định)."""
        self.series += 1
        self.series_has_articles = False

    # ---- numbering checks --------------------------------------------------------------

    def _scope(self, kind: str) -> tuple[Any, ...]:
        """Return the key of the numbering scope a new node of ``kind`` belongs to.

        Phần, Chương and Điều are numbered across the whole document (per series); a Mục
        within its Chương, a Khoản within its Điều, a Điểm within its Khoản (or Điều).
        """
        if kind in (PART, CHAPTER, ARTICLE):
            return (kind, self.series)
        parents = {SECTION: (CHAPTER, PART), CLAUSE: (ARTICLE,), POINT: (CLAUSE, ARTICLE)}[kind]
        for node in reversed(self.stack):
            if node.kind in parents:
                return (kind, id(node))
        return (kind, self.series, None)

    def _check_number(self, node: Node, value: tuple[int, int], meta: _Meta, ln: _Line) -> None:
        """Warn about gaps, duplicates, out-of-order numbers; start a series on a restart."""
        kind = node.kind
        tracker = self.trackers[self._scope(kind)]
        last = tracker.last
        restart = (
            kind in (PART, CHAPTER, ARTICLE)
            and value == (1, 0)
            and last is not None
            and last[0] >= 2
        )
        if restart:
            self._restart(node, ln, meta.line_index)
            tracker = self.trackers[self._scope(kind)]
            last = None
        context = self._context(kind)
        name = _label(node)
        if value in tracker.seen:
            self._warn(
                "duplicate_number",
                f"{name}{context} bị trùng số với {name} ở dòng {tracker.seen[value]}.",
                ln.line,
            )
        elif last is None:
            if value[0] > 1:
                missing = _missing(kind, 0, value[0], node.number)
                self._warn(
                    "numbering_gap",
                    f"{name}{context} là {_first_word(kind)} đầu tiên (thiếu {missing}).",
                    ln.line,
                )
        elif value < last:
            self._warn(
                "numbering_out_of_order",
                f"{name}{context} đứng sau {_label_of(kind, tracker.last_number)}: số thứ tự "
                "không tăng dần.",
                ln.line,
            )
        elif value[0] > last[0] + 1:
            missing = _missing(kind, last[0], value[0], node.number)
            self._warn(
                "numbering_gap",
                f"{name}{context} được đánh số sau {_label_of(kind, tracker.last_number)} "
                f"(thiếu {missing}).",
                ln.line,
            )
        if kind == POINT and node.number not in POINT_LETTERS:
            self._warn(
                "unexpected_number",
                f"{name}{context}: chữ “{node.number}” không dùng để đánh số điểm trong văn "
                "bản quy phạm pháp luật (bảng chữ cái tiếng Việt không có f, j, w, z).",
                ln.line,
            )
        tracker.seen.setdefault(value, ln.line)
        if last is None or value >= last:
            tracker.last = value
            tracker.last_number = node.number

    def _restart(self, node: Node, ln: _Line, line_index: int) -> None:
        """Handle numbering that starts again at 1 without a signature block before it."""
        self._new_series()
        # Open containers that have no article yet (e.g. "Chương I" just before the
        # restarting "Điều 1") belong to the new document.
        moved = [
            open_node
            for open_node in self.stack
            if not self.meta[id(open_node)].has_article
            and _LEVEL[open_node.kind] < _LEVEL[node.kind]
        ]
        self._split_attachment_title(node, moved, line_index)
        for open_node in moved:
            self.meta[id(open_node)].series = self.series
            tracker = self.trackers[self._scope(open_node.kind)]
            value = _number_value(open_node)
            tracker.seen.setdefault(value, open_node.line or 0)
            tracker.last = value
            tracker.last_number = open_node.number
        self._warn(
            "numbering_restart",
            f"{_label(node)} ở dòng {ln.line} bắt đầu lại việc đánh số; phần từ đây được coi "
            "là văn bản ban hành kèm theo (anchor có tiền tố "
            f"“van-ban-{self.series}-”).",
            ln.line,
        )

    def _split_attachment_title(self, node: Node, moved: list[Node], line_index: int) -> None:
        """Move the title block of an attached document out of the previous article.

        Without a signature block, "QUY ĐỊNH / Về ... / (Ban hành kèm theo ...)" lands in the
        body of the decision's last article. On a restart those lines are moved, unchanged
        and in order, to a top-level "text" node just before the new document.
        """
        source = self.last_body_node
        if source is None or source.kind in (PREAMBLE, TEXT):
            return
        body = self.bodies[id(source)]
        start = next(
            (
                i
                for i in range(len(body) - 1, -1, -1)
                if fold(body[i]).strip(" .:") in _ATTACHMENT_TYPES and _is_all_caps(body[i])
            ),
            None,
        )
        if start is None:
            return
        if moved:
            position = next((i for i, n in enumerate(self.nodes) if n is moved[0]), None)
            if position is None:
                return  # the new document sits inside an old container; leave it be
        elif all(_LEVEL[open_node.kind] >= _LEVEL[node.kind] for open_node in self.stack):
            position = len(self.nodes)  # the restarting heading will be top-level
        else:
            return
        first_line = next(
            (ln.line for ln in reversed(self.lines[:line_index]) if ln.text == body[start]), None
        )
        title_block = Node(TEXT, "", "", "", line=first_line)
        self.meta[id(title_block)] = _Meta(series=self.series, line_index=0)
        self.bodies[id(title_block)] = body[start:]
        del body[start:]
        self.nodes.insert(position, title_block)
        self.last_body_node = None

    def _context(self, kind: str) -> str:
        """Return " trong Điều 5" / " trong Khoản 2 Điều 5" / " trong Chương II"."""
        wanted = {CLAUSE: (ARTICLE,), POINT: (CLAUSE, ARTICLE), SECTION: (CHAPTER,)}.get(kind)
        if wanted is None:
            return ""
        labels: list[str] = []
        for node in reversed(self.stack):
            if node.kind in wanted and not any(
                label.startswith(_KIND_WORDS[node.kind]) for label in labels
            ):
                labels.append(_label(node))
        return f" trong {' '.join(labels)}" if labels else ""

    def _warn(self, code: str, message: str, line: int | None) -> None:
        """Record a warning."""
        self.warnings.append(ImportWarning(code, message, line))

    # ---- finishing ---------------------------------------------------------------------

    def finish(self) -> list[Node]:
        """Fill bodies, decide article titles, and give every node an anchor and citation."""
        for node in self._walk():
            node.body = "\n".join(self.bodies.get(id(node), []))
        self._set_article_titles()
        if not any(node.kind == ARTICLE for node in self._walk()):
            return self._no_articles()
        self._set_anchors()
        return self.nodes

    def _walk(self) -> Iterator[Node]:
        """Yield every node built so far in document order."""
        for node in self.nodes:
            yield from node.walk()

    def _no_articles(self) -> list[Node]:
        """Fold everything into one "text" node when no Điều was found."""
        text = "\n".join(t for node in self._walk() if (t := node.own_text()))
        # Numbering and layout warnings make no sense without articles; keep the rest.
        keep = {"page_furniture_removed", "table_flattened", "legacy_encoding"}
        self.warnings[:] = [w for w in self.warnings if w.code in keep]
        self.warnings.append(
            ImportWarning(
                "no_articles",
                "Không tìm thấy Điều nào (dòng bắt đầu bằng “Điều 1.”, “Điều 2.”...); toàn "
                "bộ nội dung được giữ dưới dạng văn bản thường. Hãy kiểm tra tệp có đúng là "
                "dự thảo văn bản quy phạm pháp luật không.",
                None,
            )
        )
        if not text:
            return []
        line = self.lines[0].line if self.lines else None
        return [Node(TEXT, "", "", text, anchor="noi-dung", line=line)]

    def _set_article_titles(self) -> None:
        """Split each article's heading line into title and body, series by series.

        Articles of a regulation have short titles ("Điều 1. Phạm vi điều chỉnh"); those of
        a decision are untitled sentences ("Điều 2. Quyết định này có hiệu lực ..."). The
        style of most articles in a series decides the ambiguous ones, and a very long
        heading in a titled series is a title run into its text.
        """
        series_articles: dict[int, list[Node]] = defaultdict(list)
        for node in self._walk():
            if node.kind == ARTICLE:
                series_articles[self._series_of(node)].append(node)
        for articles in series_articles.values():
            rests = [self.meta[id(node)].rest for node in articles]
            titled_votes = sum(
                1
                for rest in rests
                if rest
                and len(rest) <= 100
                and (not _ends_sentence(rest) or len(rest.split()) <= 8)
            )
            sentence_votes = sum(1 for rest in rests if _ends_sentence(rest) and len(rest) > 60)
            titled_style = titled_votes >= sentence_votes
            for node in articles:
                self._set_article_title(node, titled_style=titled_style)

    def _set_article_title(self, node: Node, *, titled_style: bool) -> None:
        """Decide title, heading and inline body of one article."""
        meta = self.meta[id(node)]
        head, rest = meta.head.rstrip(), meta.rest
        body = self.bodies.get(id(node), [])
        if not rest:
            node.heading = head
            return
        if meta.rest_on_next_line:
            node.heading = f"{head}\n{rest}"
            node.title = rest.strip(" .:-–—")
            return
        sep = meta.head[len(head) :] or ""
        # A lead-in ending with ":" ("... như sau:") is normal; a long sentence ending with
        # "." after a title is the title run into the text.
        long_sentence = rest.rstrip(_TRAILING_CLOSERS).endswith((".", ";", "!", "?", "…")) and (
            len(rest.split()) > 12
        )
        if titled_style and not (len(rest) > 160 or long_sentence):
            node.heading = f"{head}{sep}{rest}"
            node.title = rest.rstrip(" .:;").strip()
            return
        if not titled_style and (_ends_sentence(rest) or len(rest) > 100):
            node.heading, node.heading_sep = head, sep
            node.body = "\n".join([rest, *body])
            return
        if not titled_style:
            node.heading = f"{head}{sep}{rest}"
            node.title = rest.strip(" .:-–—")
            return
        # A titled series with a very long heading: the title ran into the text.
        split = _split_run_in(rest)
        if split is None:
            node.heading, node.heading_sep = head, sep
            node.body = "\n".join([rest, *body])
            detail = "không tách được tiêu đề; toàn bộ dòng được giữ trong nội dung điều"
        else:
            title_part = rest[:split].rstrip()
            node.heading = f"{head}{sep}{title_part}"
            node.heading_sep = rest[len(title_part) : split]
            node.title = title_part.rstrip(" .:;")
            node.body = "\n".join([rest[split:], *body])
            detail = f"đã lấy “{node.title}” làm tiêu đề, phần còn lại đưa vào nội dung điều"
        self.warnings.append(
            ImportWarning(
                "heading_run_in",
                f"{_label(node)} (dòng {node.line}): tiêu đề có vẻ bị viết liền với nội dung; "
                f"{detail}. Hãy kiểm tra lại.",
                node.line,
            )
        )

    def _series_of(self, node: Node) -> int:
        """Return the numbering series a node was assigned to."""
        return self.meta[id(node)].series

    def _set_anchors(self) -> None:
        """Give every node a unique anchor and a Vietnamese citation, in document order."""
        used: set[str] = set()
        labels = self._series_labels()

        def unique(base: str) -> str:
            anchor, counter = base, 1
            while anchor in used:
                counter += 1
                anchor = f"{base}-{counter}"
            used.add(anchor)
            return anchor

        def visit(node: Node, parent: Node | None, chapter: Node | None) -> None:
            meta = self.meta.get(id(node))
            series = meta.series if meta else 1
            prefix = "" if series == 1 else f"van-ban-{series}-"
            suffix = labels.get(series, "")
            kind = node.kind
            core = ""
            if kind == PREAMBLE:
                node.anchor = unique("mo-dau")
                node.citation = "Phần mở đầu"
            elif kind == TEXT:
                node.anchor = unique("noi-dung")
            elif kind == PART:
                written = meta.written if meta else node.number
                node.anchor = unique(f"{prefix}phan-{_slug(node.number)}")
                core = f"Phần {written}"
            elif kind == CHAPTER:
                node.anchor = unique(f"{prefix}chuong-{_slug(node.number)}")
                core = f"Chương {node.number}"
            elif kind == SECTION:
                base = f"{chapter.anchor}-muc-" if chapter else f"{prefix}muc-"
                node.anchor = unique(base + _slug(node.number))
                core = f"Mục {node.number}" + (f" Chương {chapter.number}" if chapter else "")
            elif kind == ARTICLE:
                node.anchor = unique(f"{prefix}dieu-{_slug(node.number)}")
                core = f"Điều {node.number}"
            elif parent is not None:  # clause or point
                word = "khoan" if kind == CLAUSE else "diem"
                node.anchor = unique(f"{parent.anchor}-{word}-{_slug(node.number)}")
                parent_core = parent.citation.removesuffix(suffix) if suffix else parent.citation
                core = f"{_label(node)} {parent_core}"
            if core:
                node.citation = core + suffix
            child_chapter = node if kind == CHAPTER else chapter
            for child in node.children:
                visit(child, node, child_chapter)

        for node in self.nodes:
            visit(node, None, None)

    def _series_labels(self) -> dict[int, str]:
        """Name each attached document for citations: " Quy định", " Quy chế", ...

        The name is the last all-caps document-type line ("QUY ĐỊNH") between the last
        article of the previous series and the first heading of this one; without one, the
        citation says " (văn bản kèm theo)".
        """
        first_heading: dict[int, int] = {}
        last_article: dict[int, int] = {}
        for node in self._walk():
            meta = self.meta.get(id(node))
            if meta is None or node.kind in (PREAMBLE, TEXT, CLAUSE, POINT):
                continue
            first_heading.setdefault(meta.series, meta.line_index)
            if node.kind == ARTICLE:
                last_article[meta.series] = meta.line_index
        labels: dict[int, str] = {}
        for series in first_heading:
            if series == 1:
                continue
            label = " (văn bản kèm theo)"
            start = last_article.get(series - 1, 0)
            for ln in self.lines[start : first_heading[series]]:
                if fold(ln.text).strip(" .:") in _ATTACHMENT_TYPES and _is_all_caps(ln.text):
                    words = ln.text.strip(" .:").lower()
                    label = " " + words[:1].upper() + words[1:]
            labels[series] = label
        return labels


def _quote_balance(text: str) -> int:
    """Return how many quotations ``text`` opens (positive) or closes (negative)."""
    straight = text.count('"') % 2
    if text.count("“") or text.count("”"):
        return text.count("“") - text.count("”")
    # Straight quotes carry no direction: an odd count opens at the start of a line and
    # closes anywhere else.
    return (1 if text.startswith('"') else -1) if straight else 0


def _title_candidate(ln: _Line, *, caps_only: bool, limit: int) -> bool:
    """Return whether a line can be the title of the heading on the line before it."""
    text = ln.text
    if ln.table is not None or len(text) > limit or text[0] in _QUOTE_OPENERS + "-+•*":
        return False
    if _is_marker(text) or _ends_sentence(text) or _is_signature_start(text):
        return False
    if _is_all_caps(text):
        return True
    return not caps_only and text[0].isupper() and len(text) <= 120


def _split_run_in(rest: str) -> int | None:
    """Find where the body starts in a heading run into its text; ``None`` if unclear.

    Prefers an explicit sentence end within the first 160 characters, then a capitalised
    word that repeats a word of the title ("Quyền của người dân Người dân có quyền ..."),
    then the first capitalised word after a lower-case one that is not an institution name.
    """
    for match in re.finditer(r"(?<=\w)[.:]\s+(?=\w)", rest):
        if match.start() > 160:
            break
        left = rest[: match.start()]
        if (
            rest[match.end()].isupper()
            and len(left.split()) >= 2
            and not re.search(r"\b(?:TP|Tp|TT|NĐ|QĐ|Q)$", left)
        ):
            return match.end()
    words = list(re.finditer(r"\S+", rest))
    fallback = None
    for k in range(2, len(words)):
        word, before = words[k], words[k - 1].group()
        if word.start() > 160:
            break
        if not (word.group()[0].isupper() and before[-1].islower()):
            continue
        folded = fold(word.group())
        if folded in fold(rest[: word.start()]).split():
            return word.start()
        if fallback is None and folded not in _PROPER_WORDS:
            fallback = word.start()
    return fallback


def _point_value(letter: str) -> tuple[int, int]:
    """Return the order of a point letter (a=1, b=2, ..., đ=5); unknown letters sort near."""
    if letter in POINT_LETTERS:
        return (POINT_LETTERS.index(letter) + 1, 0)
    # f, j, w, z: place them after the nearest real letter so order checks stay sensible.
    earlier = [c for c in POINT_LETTERS if c < letter]
    return (POINT_LETTERS.index(earlier[-1]) + 1 if earlier else 0, 1)


def _number_value(node: Node) -> tuple[int, int]:
    """Return the ordering value of a Phần / Chương / Mục node's number."""
    number = node.number
    if number.isdigit():
        return (int(number), 0)
    if _ROMAN_RE.match(number):
        return (_roman_to_int(number), 0)
    return (0, 0)


_KIND_WORDS: Final = {
    PART: "Phần",
    CHAPTER: "Chương",
    SECTION: "Mục",
    ARTICLE: "Điều",
    CLAUSE: "Khoản",
    POINT: "Điểm",
}


def _label_of(kind: str, number: str) -> str:
    """Return "Điều 5", "Khoản 2", "Điểm a" for a kind and number."""
    return f"{_KIND_WORDS.get(kind, '')} {number}".strip()


def _label(node: Node) -> str:
    """Return the short label of a node ("Chương II", "Điều 5", "Điểm đ")."""
    return _label_of(node.kind, node.number)


def _first_word(kind: str) -> str:
    """Return the lower-case Vietnamese word for a kind ("điều", "khoản")."""
    return _KIND_WORDS[kind].lower()


def _missing(kind: str, after: int, before: int, current: str) -> str:
    """Describe the numbers missing strictly between ``after`` and ``before``."""
    roman = bool(_ROMAN_RE.match(current)) and not current.isdigit()
    names: list[str] = []
    for value in range(after + 1, before):
        if kind == POINT:
            shown = POINT_LETTERS[value - 1] if 0 < value <= len(POINT_LETTERS) else str(value)
        elif roman:
            shown = _int_to_roman(value)
        else:
            shown = str(value)
        names.append(_label_of(kind, shown))
    if len(names) > 3:
        return f"{names[0]} đến {names[-1]}"
    return ", ".join(names)


def _guess_title(lines: list[_Line], first_heading: int | None) -> str:
    """Guess the document title from the title block ("QUYẾT ĐỊNH" + its subject line)."""
    block = lines[: first_heading if first_heading is not None else 40]
    stop_prefixes = ("can cu", "theo de nghi", "xet ", "so:", "so ", "(", "du thao")
    authorities = ("uy ban", "hoi dong", "chinh phu", "quoc hoi", "bo ", "chu tich", "thu tuong")
    for index, ln in enumerate(block):
        if ln.table is not None:
            continue
        folded = fold(ln.text).strip(" \"'“”")
        core = folded.removeprefix("du thao").strip(" ()-:")
        if core not in _DOC_TYPES or ln.text.rstrip().endswith(":"):
            continue
        parts = [ln.text]
        for follower in block[index + 1 : index + 4]:
            folded_next = fold(follower.text)
            if follower.table is not None or folded_next.startswith(stop_prefixes):
                break
            if _is_all_caps(follower.text) and folded_next.startswith(authorities):
                break
            if len(parts) > 1 and not follower.text[0].islower():
                break
            parts.append(follower.text)
        return " ".join(parts)
    return ""
