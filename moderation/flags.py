"""Auto-flags: hints for moderators about what a citizen wrote. They never decide.

`flags_compute(text)` returns a list of `Flag`s; nothing here rejects, hides or changes an item.
The kinds of flag (`Flag.code`):

- ``term``: a prohibited or sensitive term of the administrators' list (`FlagTerm`), found
  regardless of diacritics, case, Unicode form (NFC/NFD) and spacing tricks ("l.ừ.a  đ-ả-o",
  "LUADAO", "l ừ a đ ả o"), but only as whole words ("hoa" does not match inside "hoàng").
- ``personal_data``: a phone number, an e-mail address or an ID-card number (CCCD/CMND) in the
  text, to be removed before publishing. The detail is masked ("số điện thoại 0912 ***").
- ``duplicate``: the same text as an earlier item (with or without diacritics, other spacing or
  punctuation), or a near duplicate. The detail starts with "#<id of the earlier item>".
- ``all_caps``: at least 70 % of at least 20 letters are capitals.
- ``link_spam``: web addresses; one is "low", two "medium", three or more or a link shortener
  "high".

Spans are character offsets into the NFC form of the text (`unicodedata.normalize("NFC", text)`,
which is the text itself for everything stored through `consult.text.normalize_text`), so the
inbox can highlight the match in the text it shows.
"""

from __future__ import annotations

import functools
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consult.text import fold

HIGH, MEDIUM, LOW = "high", "medium", "low"
_SEVERITY_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}

# One stable label per code, for filters and legends (a Flag's own label can be more precise).
FLAG_KINDS = {
    "term": gettext_lazy("Từ ngữ bị cấm hoặc nhạy cảm"),
    "personal_data": gettext_lazy("Thông tin cá nhân trong nội dung"),
    "duplicate": gettext_lazy("Trùng hoặc gần giống nội dung đã gửi"),
    "all_caps": gettext_lazy("Viết toàn chữ in hoa"),
    "link_spam": gettext_lazy("Có đường dẫn"),
}


@dataclass(frozen=True)
class Flag:
    """One hint for the moderator. `span` is (start, end) in the NFC text, or None."""

    code: str  # "term" | "personal_data" | "duplicate" | "all_caps" | "link_spam"
    label: str  # Vietnamese, for moderators
    detail: str  # the matched term, the masked personal data, "#<id>" of the earlier item…
    severity: str  # "high" | "medium" | "low"
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class TermSpec:
    """A term to look for: `category` is "prohibited" (high) or "sensitive" (medium)."""

    term: str
    category: str = "sensitive"


# --- folding with a map back to the original text ------------------------------------------------

# Zero-width characters and the soft hyphen are dropped before matching, so "l\u200bừa đảo"
# still matches; they never split or join words.
_IGNORABLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
# A "word" is a run of letters and digits; everything else (spaces, punctuation) separates.
_TOKEN = re.compile(r"[^\W_]+")
_NOT_WORD_BEFORE = r"(?<![^\W_])"
_NOT_WORD_AFTER = r"(?![^\W_])"
# Between the words (or, spaced out, the letters) of a term: up to a few separators.
_GAP = r"[\W_]{0,5}"


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One character folded like consult.text.fold: lower case, no diacritics, đ → d."""
    if ch in _IGNORABLE:
        return ""
    out = "".join(
        c for c in unicodedata.normalize("NFD", ch.lower()) if not unicodedata.combining(c)
    )
    return out.replace("đ", "d")


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """`text` folded character by character, with for each folded character the offset of the
    original character it came from (spacing is kept, unlike consult.text.fold)."""
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        folded = _fold_char(ch)
        chars.append(folded)
        origin.extend([index] * len(folded))
    return "".join(chars), origin


def _span_back(origin: list[int], start: int, end: int) -> tuple[int, int]:
    return origin[start], origin[end - 1] + 1


# Kept: every text is searched for every term, so a term's key was folded again for each text.
@functools.lru_cache(maxsize=4096)
def term_key(term: str) -> str:
    """The folded words of a term ("Lừa  đảo!" → "lua dao"): two terms with one key match the
    same texts."""
    return " ".join(_TOKEN.findall(fold("".join(ch for ch in term if ch not in _IGNORABLE))))


# --- prohibited and sensitive terms -------------------------------------------------------------

# Spelled-out matching ("l ừ a đ ả o") only for terms of at least this many letters: a short
# term spread over several words is found inside ordinary phrases far too often.
SQUEEZE_MIN_LETTERS = 5


@functools.lru_cache(maxsize=1024)
def _term_patterns(key: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """For a term key: the whole-word pattern (words separated by a few non-letters or by
    nothing, so "lừa-đảo" and "LUADAO" match) and the spelled-out pattern (every letter
    separated by a few non-letters), or None for a short term."""
    words = key.split()
    whole = re.compile(_NOT_WORD_BEFORE + _GAP.join(map(re.escape, words)) + _NOT_WORD_AFTER)
    letters = key.replace(" ", "")
    spelled = None
    if len(letters) >= SQUEEZE_MIN_LETTERS:
        spelled = re.compile(
            _NOT_WORD_BEFORE + _GAP.join(map(re.escape, letters)) + _NOT_WORD_AFTER
        )
    return whole, spelled


# Tone marks (huyền, sắc, ngã, hỏi, nặng) and the marks that make another vowel (â ă ê ô ơ ư).
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


@functools.lru_cache(maxsize=4096)
def _letter_marks(ch: str) -> tuple[str, str]:
    """(letter without its tone, tone mark or "") of one lower-case character:
    "ậ" → ("â", "\u0323"), "a" → ("a", ""), "đ" → ("đ", "")."""
    parts = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in parts if c in _TONES)
    return unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES)), tone


def _diacritics_agree(written: list[str], term: str) -> bool:
    """Whether the diacritics of a match are the term's or missing, syllable by syllable.

    Text written without diacritics (wholly or partly: "lua dao", "lừa dao") matches; text whose
    diacritics spell another word does not: "Hòa" is not "hoa", "đồ ngũ kim" not "đồ ngu",
    "nhân quả" not "nhận quà". Tones are compared per syllable, so both placements ("hoà",
    "hòa") agree.
    """
    syllables = [list(word) for word in _TOKEN.findall(unicodedata.normalize("NFC", term.lower()))]
    if sum(map(len, syllables)) != len(written):
        return True  # a letter that folds to two (rare scripts): no finer check
    position = 0
    for syllable in syllables:
        written_tones = set()
        for expected in syllable:
            got = written[position].lower()
            position += 1
            got_letter, got_tone = _letter_marks(got)
            want_letter = _letter_marks(expected)[0]
            if got_letter not in (want_letter, _fold_char(got)):
                return False
            if got_tone:
                written_tones.add(got_tone)
        term_tones = {_letter_marks(c)[1] for c in syllable} - {""}
        if written_tones and written_tones != term_tones:
            return False
    return True


def _written_letters(text: str, origin: list[int], start: int, end: int, folded: str) -> list[str]:
    """The original characters behind the letters and digits of folded[start:end]."""
    letters: list[str] = []
    last = -1
    for index in range(start, end):
        if folded[index].isalnum() and origin[index] != last:
            last = origin[index]
            letters.append(text[last])
    return letters


def _spelled_out(matched: str, words: int) -> bool:
    """A spelled-out match counts only when the letters really were spread out: more pieces
    than the term has words, at least half of them single letters ("l.ừ.a đ-ả-o", not
    "Trung thu, ông…" for "trúng thưởng")."""
    pieces = _TOKEN.findall(matched)
    singles = sum(1 for piece in pieces if len(piece) == 1)
    return len(pieces) > words and singles * 2 >= len(pieces)


def _as_spec(term: TermSpec | str) -> TermSpec:
    return term if isinstance(term, TermSpec) else TermSpec(term=str(term))


def terms_find(
    text: str, terms: Iterable[TermSpec | str]
) -> list[tuple[TermSpec, tuple[int, int]]]:
    """Every occurrence of every term in `text`, as (term, span in the NFC text), in text order.

    A term matches whole words of the folded text (no diacritics, lower case); a term of at
    least SQUEEZE_MIN_LETTERS letters also matches when spelled out letter by letter.
    """
    nfc = unicodedata.normalize("NFC", text or "")
    folded, origin = _fold_with_map(nfc)
    found: list[tuple[TermSpec, tuple[int, int]]] = []
    for spec in map(_as_spec, terms):
        key = term_key(spec.term)
        if not key:
            continue
        whole, spelled = _term_patterns(key)
        taken: list[tuple[int, int]] = []
        for match in whole.finditer(folded):
            taken.append((match.start(), match.end()))
        if spelled is not None:
            words = key.count(" ") + 1
            for match in spelled.finditer(folded):
                overlaps = any(match.start() < e and s < match.end() for s, e in taken)
                if not overlaps and _spelled_out(match.group(), words):
                    taken.append((match.start(), match.end()))
        taken = [
            (s, e)
            for s, e in taken
            if _diacritics_agree(_written_letters(nfc, origin, s, e, folded), spec.term)
        ]
        found.extend((spec, _span_back(origin, s, e)) for s, e in taken)
    found.sort(key=lambda pair: (pair[1], pair[0].term))
    return found


def _term_flags(text: str, terms: Iterable[TermSpec | str]) -> list[Flag]:
    """One flag per term found (at its first occurrence; the detail says how often)."""
    by_term: dict[str, list[tuple[TermSpec, tuple[int, int]]]] = {}
    for spec, span in terms_find(text, terms):
        by_term.setdefault(spec.term, []).append((spec, span))
    flags = []
    for matches in by_term.values():
        spec, span = matches[0]
        written = text[span[0] : span[1]]
        detail = spec.term
        # Show the writing when it is more than the term without diacritics ("LUADAO", "l.ừ.a").
        respelled = term_key(written) != term_key(spec.term)
        if respelled or len(matches) > 1:
            extras = []
            if respelled:
                extras.append(_("viết “%(written)s”") % {"written": written})
            if len(matches) > 1:
                extras.append(_("%(count)d lần") % {"count": len(matches)})
            detail = f"{spec.term} ({', '.join(extras)})"
        prohibited = spec.category == "prohibited"
        flags.append(
            Flag(
                code="term",
                label=_("Có từ ngữ bị cấm") if prohibited else _("Có từ ngữ nhạy cảm"),
                detail=detail,
                severity=HIGH if prohibited else MEDIUM,
                span=span,
            )
        )
    return flags


# --- the administrators' list, cached briefly ----------------------------------------------------

_cache_lock = threading.Lock()
_cache: tuple[float, list[TermSpec]] | None = None


def _cache_seconds() -> float:
    return float(getattr(settings, "CONSULT", {}).get("FLAG_TERMS_CACHE_SECONDS", 60))


def terms_active() -> list[TermSpec]:
    """The active terms of the FlagTerm table.

    Kept in this process for FLAG_TERMS_CACHE_SECONDS (default 60): an edit in the admin
    clears this process's copy at once (signals) and reaches the other processes within that
    time. Reads the database, so call it from synchronous code (sync_to_async in a consumer).
    """
    global _cache
    cached = _cache
    if cached is not None and time.monotonic() - cached[0] < _cache_seconds():
        return list(cached[1])
    from moderation.models import FlagTerm

    rows = FlagTerm.objects.filter(is_active=True).order_by("term")
    specs = [
        TermSpec(term=term, category=cat) for term, cat in rows.values_list("term", "category")
    ]
    with _cache_lock:
        _cache = (time.monotonic(), specs)
    return list(specs)


def terms_cache_clear() -> None:
    """Forget the cached term list (the next terms_active() reads the table)."""
    global _cache
    with _cache_lock:
        _cache = None


def _term_changed(**kwargs: Any) -> None:
    terms_cache_clear()
    # Again after commit: a read inside the same transaction may have cached the new row
    # before other connections can see it.
    transaction.on_commit(terms_cache_clear)


post_save.connect(_term_changed, sender="moderation.FlagTerm", dispatch_uid="flagterm-saved")
post_delete.connect(_term_changed, sender="moderation.FlagTerm", dispatch_uid="flagterm-deleted")


# --- personal data --------------------------------------------------------------------------------

_EMAIL = re.compile(
    # The name part may carry Vietnamese letters ("trần.lan@…"): people write it so, by mistake.
    r"(?<![\w.+%-])[\w%+-][\w.%+-]*"
    r"(?:@|\s?(?:\[at\]|\(at\)|\[@\]|\(@\))\s?)"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,}(?![\w-])",
    re.IGNORECASE,
)
_AT_WRITTEN_OUT = re.compile(r"\s?(?:\[at\]|\(at\)|\[@\]|\(@\))\s?", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
# What may sit between the digit groups of one number: "0912 345 678", "0912.345.678",
# "(028) 3823-4567", "+84-912-345-678".
_GROUP_SEPARATOR = re.compile(r"[ .\-()\u00a0]{1,3}")
# Vietnamese numbering since 2018: mobile 0 + 9 digits (prefixes of the networks), landline
# 02 + area code + subscriber = 11 digits; the old 11-digit mobile prefixes (01x) still appear.
_PHONE = re.compile(r"0(?:3[2-9]|5[25689]|7[06-9]|8[1-9]|9\d)\d{7}|02\d{9}|01[2689]\d{8}")
# Money, areas and other quantities right after a number: never an ID number.
_UNIT_AFTER = re.compile(
    r"\s?(?:đồng|đ\b|vnđ|vnd|usd|triệu|tỷ|tỉ|nghìn|ngàn|m2|m²|m\b|ha\b|km|kg|%|người|hộ)",
    re.IGNORECASE,
)
# "CMND số", "căn cước công dân:", "chứng minh nhân dân là" just before a number (folded text).
_ID_WORDS = re.compile(
    r"(?:cccd|cmnd|can cuoc(?: cong dan)?|chung minh(?: nhan dan)?|dinh danh(?: ca nhan)?)"
    r"\W*(?:(?:so|la)\b\W*)?$"
)


@dataclass(frozen=True)
class _Found:
    kind: str  # "phone" | "email" | "id_number"
    span: tuple[int, int]
    value: str  # digits (national form for phones) or the address


def _digit_chains(text: str) -> Iterator[list[tuple[int, int, str]]]:
    """Runs of digit groups separated only by number punctuation, each group (start, end)."""
    chain: list[tuple[int, int, str]] = []
    for match in _DIGITS.finditer(text):
        group = (match.start(), match.end(), match.group())
        if chain and _GROUP_SEPARATOR.fullmatch(text[chain[-1][1] : match.start()]):
            chain.append(group)
            continue
        if chain:
            yield chain
        chain = [group]
    if chain:
        yield chain


def _classify(
    digits: str, *, plus: bool, contiguous: bool, id_context: bool, quantity: bool
) -> tuple[str, str]:
    """("phone", national number) | ("id_number", digits) | ("", "") for a run of digits."""
    national = digits
    if digits.startswith("84") and (plus or len(digits) in (11, 12)):
        national = digits[2:] if digits[2:3] == "0" else "0" + digits[2:]
    if _PHONE.fullmatch(national):
        return "phone", national
    if plus or quantity:
        return "", ""
    # CCCD: 12 digits, the first three a province code 001–096.
    if len(digits) == 12 and digits[0] == "0" and 1 <= int(digits[:3]) <= 96:
        return "id_number", digits
    # Old CMND: 9 digits written as one number (or grouped right after "CMND").
    if len(digits) == 9 and (contiguous or id_context):
        return "id_number", digits
    return "", ""


def _numbers_find(text: str, folded_before: Any) -> list[_Found]:
    found: list[_Found] = []
    for chain in _digit_chains(text):
        # "400000000 đồng", "1.200 m²": an amount, never an ID number.
        quantity = bool(_UNIT_AFTER.match(text, chain[-1][1]))
        i = 0
        while i < len(chain):
            start = chain[i][0]
            # Start a number only at the start of the chain or after a space: never inside
            # "1.001.234.567.890" (money) at "001…".
            if (
                i > 0
                and " " not in text[chain[i - 1][1] : start]
                and "(" not in text[chain[i - 1][1] : start]
            ):
                i += 1
                continue
            lead = text[max(0, start - 3) : start]
            plus = "+" in lead
            id_context = bool(_ID_WORDS.search(folded_before(start)))
            best: tuple[int, str, str] | None = None
            digits = ""
            for j in range(i, min(len(chain), i + 6)):
                digits += chain[j][2]
                if len(digits) > 13:
                    break
                kind, value = _classify(
                    digits, plus=plus, contiguous=(i == j), id_context=id_context, quantity=quantity
                )
                if kind:
                    best = (j, kind, value)
            if best is None:
                i += 1
                continue
            j, kind, value = best
            span_start = start - (len(lead) - lead.rindex("+")) if plus else start
            found.append(_Found(kind, (span_start, chain[j][1]), value))
            i = j + 1
    return found


def _personal_data(text: str) -> list[_Found]:
    emails = [_Found("email", m.span(), m.group()) for m in _EMAIL.finditer(text)]

    def folded_before(offset: int) -> str:
        # The folded text of the 40 characters before `offset`, to spot "CMND số".
        window = text[max(0, offset - 40) : offset]
        return fold(window)

    numbers = [
        found
        for found in _numbers_find(text, folded_before)
        if not any(e.span[0] <= found.span[0] < e.span[1] for e in emails)
    ]
    return sorted(emails + numbers, key=lambda f: f.span)


def personal_data_find(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Personal data in `text`: ("phone" | "email" | "id_number", span in the NFC text).

    Phones: Vietnamese mobile (10 digits) and landline (11 digits, 02…) numbers, with +84 or 84,
    spaces, dots, dashes or brackets inside. ID numbers: a 12-digit CCCD starting with a
    province code 001–096, or a 9-digit CMND written as one number. Years, dates, money and
    areas ("400.000 đồng", "1.200 m²"), article numbers and short numbers are not personal data.
    """
    nfc = unicodedata.normalize("NFC", text or "")
    return [(found.kind, found.span) for found in _personal_data(nfc)]


def _mask(found: _Found) -> str:
    if found.kind == "phone":
        return _("số điện thoại %(start)s ***") % {"start": found.value[:4]}
    if found.kind == "email":
        address = _AT_WRITTEN_OUT.sub("@", found.value)  # "ten [at] mien.vn"
        local, _at, domain = address.partition("@")
        return _("thư điện tử %(start)s***@%(domain)s") % {"start": local[:1], "domain": domain}
    if len(found.value) == 12:
        return _("số CCCD %(start)s *** *** ***") % {"start": found.value[:3]}
    return _("số CMND %(start)s* *** ***") % {"start": found.value[:2]}


_PERSONAL_LABELS = {
    "phone": gettext_lazy("Có số điện thoại trong nội dung"),
    "email": gettext_lazy("Có địa chỉ thư điện tử trong nội dung"),
    "id_number": gettext_lazy("Có số căn cước/chứng minh nhân dân trong nội dung"),
}


def _personal_flags(text: str) -> list[Flag]:
    # An ID number identifies a person outright; a phone or an address is often the asker's own.
    return [
        Flag(
            code="personal_data",
            label=str(_PERSONAL_LABELS[found.kind]),
            detail=_mask(found),
            severity=HIGH if found.kind == "id_number" else MEDIUM,
            span=found.span,
        )
        for found in _personal_data(text)
    ]


# --- duplicates ------------------------------------------------------------------------------------

# Cost bound: a new text is compared with at most MAX_EARLIER earlier texts (the caller passes
# the recent ones of the same dialogue or draft, newest first; moderation.services keeps 500),
# and for near duplicates only their first NEAR_MAX_WORDS words. Each comparison starts with
# linear upper bounds (word counts, words in common) that most unrelated texts fail; the rest
# get an order-aware comparison: difflib on the word lists up to LONG_TEXT_WORDS words,
# word-trigram sets (Jaccard) above. difflib runs most promising first and only while it can
# still beat the best match found (_duplicate_match), and the earlier texts' words are kept per
# process. Measured on one core: 500 earlier texts that all share the new text's words in
# another order (the worst case) take about 0.1 s for questions of 40 words and 0.5 s for
# comments of 1,000 words; unrelated texts, and a burst of texts from one template (500 earlier
# questions differing by a number: 10 ms before, 2 ms now), cost far less.
MAX_EARLIER = 1000
NEAR_RATIO = 0.8
NEAR_MIN_WORDS = 4
NEAR_MAX_WORDS = 400
LONG_TEXT_WORDS = 40


_DROP_IGNORABLE = dict.fromkeys(map(ord, _IGNORABLE))


def _words(text: str) -> list[str]:
    # The inbox hands over folded texts, which are ASCII: no need to fold them again.
    if text.isascii():
        return _TOKEN.findall(text.lower())
    return _TOKEN.findall(fold(text.translate(_DROP_IGNORABLE)))


# The earlier texts of a dialogue or draft are the same for every text sent to it, so their
# words are kept per process instead of being split again for each new text (a burst of
# questions compared each one with the same 500). Only texts of ordinary length are kept, which
# bounds the memory (about 2 KB each).
_PREPARED_MAX_CHARS = 2000


class _Prepared(NamedTuple):
    words: tuple[str, ...]
    head: tuple[str, ...]  # the first NEAR_MAX_WORDS words
    counts: Counter[str]  # word counts of the first NEAR_MAX_WORDS words (the head)
    bits: int  # the head's distinct words that have a bit (_WORD_BITS), one bit each
    others: frozenset[str]  # the head's distinct words met after the table was full
    repeats: int  # head words that repeat an earlier one: len(head) - distinct words


# Every word a process meets gets a bit, so the distinct words two texts have in common are one
# AND and a bit count instead of a set intersection: that count is the bound most candidates
# are judged by, 500 times per new text. A bit, once given, never changes (a shared or reused
# bit would undercount and drop a real duplicate); past _WORD_BITS_MAX words (a long-running
# process that has seen very many texts) new words are kept as a set instead, which costs only
# the texts that have one.
_WORD_BITS: dict[str, int] = {}
_WORD_BITS_MAX = 100_000
_word_bits_lock = threading.Lock()


def _word_bits(distinct: set[str]) -> tuple[int, frozenset[str]]:
    bits, others = 0, []
    for word in distinct:
        bit = _WORD_BITS.get(word)
        if bit is None and len(_WORD_BITS) < _WORD_BITS_MAX:
            with _word_bits_lock:  # two threads must never give two words the same bit
                if len(_WORD_BITS) < _WORD_BITS_MAX:
                    bit = _WORD_BITS.setdefault(word, len(_WORD_BITS))
        if bit is None:
            others.append(word)
        else:
            bits |= 1 << bit
    return bits, frozenset(others)


def _prepare(text: str) -> _Prepared:
    words = tuple(_words(text))
    head = words[:NEAR_MAX_WORDS]
    distinct = set(head)
    bits, others = _word_bits(distinct)
    return _Prepared(words, head, Counter(head), bits, others, len(head) - len(distinct))


_prepare_cached = functools.lru_cache(maxsize=4096)(_prepare)


def _prepared(text: str) -> _Prepared:
    return _prepare_cached(text) if len(text) <= _PREPARED_MAX_CHARS else _prepare(text)


def _shingles(words: Sequence[str]) -> set[tuple[str, ...]]:
    return set(zip(words, words[1:], words[2:], strict=False))


def _common(a_count: Counter[str], b_count: Counter[str]) -> int:
    """Words two texts have in common, counted with multiplicity (the size of `a & b`)."""
    if len(a_count) > len(b_count):
        a_count, b_count = b_count, a_count
    return sum(min(n, b_count[word]) for word, n in a_count.items() if word in b_count)


def _duplicate_match(text: str, earlier: Iterable[tuple[int, str]]) -> tuple[int, float] | None:
    """(id, similarity) of the earlier item this text duplicates: 1.0 for the same words.

    An exact duplicate wins, the newest first; else the most similar near duplicate, the newest
    of equals. Order-aware comparisons (difflib) are the expensive part, so they run last and
    most promising first: words in common give an upper bound of difflib's ratio, and a
    candidate whose bound cannot beat the best found so far is never compared. A burst of
    texts written from one template (a petition, a campaign) then costs one comparison each,
    not one per earlier text.
    """
    words, head, count, bits, others, repeats = _prepare(text)
    if not words:
        return None
    size = len(head)
    near = len(words) >= NEAR_MIN_WORDS
    # Candidates rank by (similarity, -position): the most similar, then the newest.
    best: tuple[float, int, int] | None = None  # (score, -position, id)
    ordered: list[tuple[float, int, int, tuple[str, ...]]] = []  # (bound, -position, id, head)
    for n, (item_id, other) in enumerate(earlier):
        if n >= MAX_EARLIER:
            break
        other_words, other_head, other_count, other_bits, other_others, other_repeats = _prepared(
            other
        )
        if other_words == words:
            return item_id, 1.0
        if not near or len(other_words) < NEAR_MIN_WORDS:
            continue
        other_size = len(other_head)
        total = size + other_size
        needed = NEAR_RATIO * total  # twice the words in common a near duplicate needs
        # Upper bounds first, so most unrelated texts cost a length test or one word count.
        if 2 * min(size, other_size) < needed:
            continue
        # Words in common, counted with multiplicity: the distinct words in common, plus at
        # most the repeats of either text (exactly that when one text repeats no word).
        common = (bits & other_bits).bit_count() + min(repeats, other_repeats)
        if others and other_others:
            common += len(others & other_others)
        if 2 * common < needed:
            continue
        if repeats and other_repeats:
            common = _common(count, other_count)
            if 2 * common < needed:
                continue
        if size > LONG_TEXT_WORDS or other_size > LONG_TEXT_WORDS:
            sa, sb = _shingles(head), _shingles(other_head)
            score = len(sa & sb) / len(sa | sb)
            if score >= NEAR_RATIO and (best is None or (score, -n) > best[:2]):
                best = (score, -n, item_id)
        else:
            # difflib's ratio is 2 M / total with M matched words, never more than in common.
            ordered.append((2 * common / total, -n, item_id, other_head))
    # Best rank first (positions are distinct, so the tuples never compare further).
    ordered.sort(reverse=True)
    for bound, neg_n, item_id, other_head in ordered:
        if best is not None and (bound, neg_n) < best[:2]:
            break  # neither this candidate nor any later one can rank above the best
        score = SequenceMatcher(None, head, other_head, autojunk=False).ratio()
        if score >= NEAR_RATIO and (best is None or (score, neg_n) > best[:2]):
            best = (score, neg_n, item_id)
    return None if best is None else (best[2], best[0])


def duplicate_find(text: str, earlier: Iterable[tuple[int, str]]) -> int | None:
    """The id of an earlier item with the same text (with or without diacritics, whatever the
    case, spacing and punctuation), or else of the most similar near duplicate (at least
    NEAR_RATIO of the words in the same order); None when there is none.

    `earlier` is (id, text) pairs (folded text is fine), newest first; only the first
    MAX_EARLIER are looked at.
    """
    match = _duplicate_match(text, earlier)
    return match[0] if match else None


def _duplicate_flags(text: str, earlier: Iterable[tuple[int, str]]) -> list[Flag]:
    match = _duplicate_match(text, earlier)
    if match is None:
        return []
    item_id, score = match
    if score >= 1.0:
        return [Flag("duplicate", _("Trùng với nội dung đã gửi trước"), f"#{item_id}", MEDIUM)]
    detail = _("#%(id)s (giống %(percent)d %%)") % {"id": item_id, "percent": int(score * 100)}
    return [Flag("duplicate", _("Gần giống nội dung đã gửi trước"), detail, LOW)]


# --- all capitals ------------------------------------------------------------------------------------

CAPS_MIN_LETTERS = 20
CAPS_RATIO = 0.7


def _caps_flags(text: str) -> list[Flag]:
    # On NFC text "Ố" is one letter (an NFD "O" + marks would count the same: marks are no letters).
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < CAPS_MIN_LETTERS:
        return []
    upper = sum(1 for ch in letters if ch.isupper())
    ratio = upper / len(letters)
    if ratio < CAPS_RATIO:
        return []
    detail = _("%(percent)d %% chữ cái viết hoa") % {"percent": int(ratio * 100)}
    return [Flag("all_caps", _("Viết toàn chữ in hoa"), detail, LOW)]


# --- links ----------------------------------------------------------------------------------------------

SHORTENERS = frozenset(
    {
        "bit.ly", "bitly.com", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "v.gd",
        "cutt.ly", "shorturl.at", "rb.gy", "tiny.cc", "s.id", "t.ly", "rebrand.ly", "buff.ly",
        "bom.so", "shorte.st", "adf.ly", "tiny.one",
    }
)  # fmt: skip
# Top-level domains seen in spam and ordinary links; a closed list keeps "TP.HCM", "v.v." and
# "Điều 3.a" from looking like addresses. The weak ones are also Vietnamese words written
# without diacritics ("co", "me", "so"): "du an.Co the" is no address, so a bare "x.co" counts
# only with a path after it or as a known shortener.
_STRONG_TLDS = (
    "com|net|org|vn|info|biz|xyz|top|io|shop|online|site|club|asia|tk|ml|ga|cf|gq|store|vip|"
    "icu|edu|gov|ru|cn|website|click|cloud|tech|link"
)
_WEAK_TLDS = frozenset(
    {
        "me", "co", "so", "at", "id", "st", "us", "one", "ly", "gl", "gd", "gy", "ws", "tv", "cc",
        "win", "bet", "fun", "pro", "page", "blog", "news", "group", "space", "live", "app", "dev",
        "uk", "today",
    }
)  # fmt: skip
_TLDS = _STRONG_TLDS + "|" + "|".join(sorted(_WEAK_TLDS))
_LINK = re.compile(
    r"https?://[^\s<>\"]+"
    r"|(?<![\w@.])www\.[^\s<>\"]+"
    r"|(?<![\w@.\-])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")"
    r"(?![\w\-])(?:[/?#][^\s<>\"]*)?",
    re.IGNORECASE,
)
_URL_PARTS = re.compile(r"((?:https?://)?(?:www\.)?)([^/?#:\s]+)(.*)", re.IGNORECASE | re.DOTALL)
_TRAILING = ".,;:!?)]}»”’'\""


def _links_find(text: str, emails: list[tuple[int, int]]) -> list[tuple[str, tuple[int, int]]]:
    links = []
    for match in _LINK.finditer(text):
        start = match.start()
        if any(s <= start < e for s, e in emails):
            continue  # the domain of an e-mail address
        url = match.group().rstrip(_TRAILING)
        parts = _URL_PARTS.match(url)
        if parts is None:
            continue
        scheme, host, rest = parts.group(1), parts.group(2).lower(), parts.group(3)
        weak = host.rsplit(".", 1)[-1] in _WEAK_TLDS
        if not scheme and weak and not rest and host not in SHORTENERS:
            continue  # "du an.Co the…": a sentence without its space, not an address
        links.append((host, (start, start + len(url))))
    return links


def _link_flags(text: str, emails: list[tuple[int, int]]) -> list[Flag]:
    links = _links_find(text, emails)
    if not links:
        return []
    hosts = list(dict.fromkeys(host for host, _span in links))
    shortened = [host for host in hosts if host in SHORTENERS]
    if shortened:
        label, severity = _("Có đường dẫn rút gọn (che địa chỉ thật)"), HIGH
    elif len(links) >= 3:
        label, severity = _("Có nhiều đường dẫn"), HIGH
    elif len(links) == 2:
        label, severity = _("Có nhiều đường dẫn"), MEDIUM
    else:
        label, severity = _("Có đường dẫn trong nội dung"), LOW
    # A host can be as long as the spammer likes; the detail stays readable.
    detail = ", ".join(host if len(host) <= 60 else host[:59] + "…" for host in hosts[:3])
    if len(hosts) > 3:
        detail += _(" và %(count)d địa chỉ khác") % {"count": len(hosts) - 3}
    return [Flag("link_spam", label, detail, severity, span=links[0][1])]


# --- all together ------------------------------------------------------------------------------------------


def flags_compute(
    text: str,
    *,
    terms: Iterable[TermSpec | str] | None = None,
    earlier: Iterable[tuple[int, str]] = (),
) -> list[Flag]:
    """Every auto-flag of `text`, most severe first, then in text order.

    `terms` defaults to terms_active() (the FlagTerm table; a database read). `earlier` is the
    recent (id, text) pairs of the same dialogue or draft, newest first, for duplicates (see
    MAX_EARLIER for the cost bound). Flags only inform the moderator: nothing is rejected here.
    """
    nfc = unicodedata.normalize("NFC", text or "")
    if not nfc.strip():
        return []
    if terms is None:
        terms = terms_active()
    emails = [m.span() for m in _EMAIL.finditer(nfc)]
    flags = [
        *_term_flags(nfc, terms),
        *_personal_flags(nfc),
        *_duplicate_flags(nfc, earlier),
        *_caps_flags(nfc),
        *_link_flags(nfc, emails),
    ]
    flags.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.span or (len(nfc), 0)))
    return flags
