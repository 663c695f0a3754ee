"""Hostile text: every string of the Big List of Naughty Strings (tests/data/blns.json, npm
`blns` 2.0.4) and our XSS payloads (tests/data/xss.json), plus a few Unicode oddities neither
list has, sent wherever a citizen or an officer types text: question (body, name, locality),
comment (body, name, organisation), draft (title, summary) and answer.

Each one is either refused with a clear Invalid naming the field (empty once normalised, too
long) and creates nothing, or stored exactly as `consult.text.normalize_text` makes it: NFC,
no zero-width or bidirectional controls, nothing visible lost. It then comes back unchanged as
a JSON string from the API and as text in the exports (formula-like cells quoted with ').
Malformed HTTP requests (bad JSON, wrong types, unknown fields, absurd ids) and WebSocket
frames the other test files do not cover get a 400 / an error frame and change nothing.

The browser half (the pages render all of it escaped, nothing runs) is test_hostile_pages.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from docx import Document

from consult.errors import Invalid
from consult.text import normalize_text
from drafts import exports as draft_exports
from drafts import services as draft_services
from drafts.models import Comment, Draft, DraftNode
from livechat import services
from livechat.exports import transcript_docx
from livechat.models import Answer, Dialogue, Question
from moderation.models import AuditEntry, Item
from tests.conftest import QUESTION_DEFAULTS

DATA = Path(__file__).resolve().parent.parent / "data"
BLNS: list[str] = json.loads((DATA / "blns.json").read_text(encoding="utf-8"))
XSS: list[str] = json.loads((DATA / "xss.json").read_text(encoding="utf-8"))
# What neither list has: characters that cannot be stored or written to XML (lone surrogates,
# the non-characters U+FFFE/U+FFFF, NUL), C1 controls, line/paragraph separators, a body that
# is only invisible characters, and a combining-mark pile-up.
EXTRA: list[str] = [
    "Câu hỏi \ud800 có nửa cặp thay thế",
    "\udfff",
    "Giá trị \uffff và \ufffe",
    "Dòng\x00NUL",
    "C1 \x85 NEL \x9b31m CSI",
    "Dòng một\u2028dòng hai\u2029đoạn ba",
    "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    "a" + "\u0301" * 300,
    "Thu\u200b\u0309 tu\u0323c",  # marks cut off their letter by a zero-width space
    "\r\n\r\n\r\n",
]
HOSTILE: list[str] = list(dict.fromkeys([*BLNS, *XSS, *EXTRA]))

ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
FORBIDDEN = ZERO_WIDTH | BIDI | {chr(c) for c in range(0x20) if chr(c) not in "\n\t"} | {"\x7f"}


def visible(text: str) -> str:
    """The characters a reader sees, in order: no whitespace, no invisible or control
    characters, no unpaired surrogates or non-characters."""
    kept = "".join(
        ch
        for ch in text
        if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Cn", "Zl", "Zp")
    )
    return unicodedata.normalize("NFC", kept)


def expected(value: str, *, max_length: int, multiline: bool) -> str | None:
    """What the services must store for `value` in a field of `max_length` (None: refused)."""
    text = normalize_text(value, multiline=multiline)
    if not text or len(text) > max_length:
        return None
    return text


def assert_clean(stored: str, original: str, *, multiline: bool) -> None:
    """`stored` is `original` as NFC, without invisible or control characters, trimmed, and
    without losing one visible character."""
    assert unicodedata.is_normalized("NFC", stored), repr(original)
    assert not set(stored) & FORBIDDEN, repr(original)
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in stored), repr(original)
    assert stored == stored.strip(), repr(original)
    if not multiline:
        assert "\n" not in stored, repr(original)
    # Visible characters survive (unless the input cannot be stored, e.g. a lone surrogate).
    assert visible(stored) == visible(stored_form(original)), repr(original)


def stored_form(value: str) -> str:
    """`value` without what cannot be stored at all (lone surrogates, U+FFFE/U+FFFF)."""
    return "".join(ch for ch in value if not (0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff"))


def refused_fields(exc: Invalid) -> set[str]:
    assert exc.code == "invalid"
    assert exc.message
    assert all(message for message in exc.fields.values())
    return set(exc.fields)


def submit_all(
    submit: Callable[[str], Any], fields: dict[str, tuple[int, bool]], values: Iterable[str]
) -> tuple[list[tuple[str, Any]], int]:
    """Call `submit(value)` for each value; check it is refused exactly for the fields whose
    expected value is None. Returns the accepted (value, result) pairs and the refusal count."""
    accepted: list[tuple[str, Any]] = []
    refused = 0
    for value in values:
        want = {
            name
            for name, (max_length, multiline) in fields.items()
            if expected(value, max_length=max_length, multiline=multiline) is None
        }
        try:
            result = submit(value)
        except Invalid as exc:
            assert refused_fields(exc) == want, (value, exc.fields)
            refused += 1
            continue
        assert not want, (value, want)
        accepted.append((value, result))
    return accepted, refused


# --- questions ---------------------------------------------------------------------------------


QUESTION_FIELDS = {
    "asker_name": (120, False),
    "locality": (120, False),
    "body": (2000, True),
}


@pytest.mark.django_db
def test_citizen_hostile_question_text_is_refused_clearly_or_stored_clean_and_served_verbatim(
    dialogue: Dialogue, moderator: Any, leader_user: Any
) -> None:
    assert settings.CONSULT["QUESTION_MAX_LENGTH"] == QUESTION_FIELDS["body"][0]
    before = Question.objects.count()

    def submit(value: str) -> Question:
        question, created = services.question_submit(
            dialogue_id=dialogue.pk,
            **{**QUESTION_DEFAULTS, "asker_name": value, "locality": value, "body": value},
            request_id=uuid.uuid4().hex,
        )
        assert created
        return question

    accepted, refused = submit_all(submit, QUESTION_FIELDS, HOSTILE)
    assert Question.objects.count() == before + len(accepted)
    assert len(accepted) > len(HOSTILE) * 0.8 and refused > 0

    # A value refused as a name (too long) is still checked as a body on its own.
    body_only = [
        v
        for v in HOSTILE
        if expected(v, max_length=120, multiline=False) is None
        and expected(v, max_length=2000, multiline=True) is not None
    ]
    for value in body_only:
        question, _created = services.question_submit(
            dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "body": value}
        )
        accepted.append((value, question))

    stored = {q.pk: q for q in Question.objects.filter(dialogue=dialogue)}
    for value, question in accepted:
        fresh = stored[question.pk]
        assert fresh.body == expected(value, max_length=2000, multiline=True)
        assert_clean(fresh.body, value, multiline=True)
        if value not in body_only:
            for field in ("asker_name", "locality"):
                assert getattr(fresh, field) == expected(value, max_length=120, multiline=False)
                assert_clean(getattr(fresh, field), value, multiline=False)
        # The moderators' inbox keeps the same clean text.
        item = Item.objects.get(kind="question", object_id=fresh.pk)
        assert item.excerpt == fresh.body[: len(item.excerpt)]

    # Published, they come back from the public API as the same JSON strings.
    for _value, question in accepted:
        services.question_approve(actor=moderator, question_id=question.pk)
    answered = accepted[0][1]
    answers = answer_all(leader_user, answered.pk, [*XSS, *EXTRA])
    response = Client().get(f"/api/v1/dialogues/{dialogue.slug}")
    assert response.status_code == 200
    public = {q["id"]: q for q in json.loads(response.content)["questions"]}
    for _value, question in accepted:
        fresh = stored[question.pk]
        served = public[question.pk]
        assert served["body"] == fresh.body
        assert served["locality"] == fresh.locality
        assert served["display_name"] == fresh.asker_name
    served_answers = {a["id"]: a["body"] for a in public[answered.pk]["answers"]}
    assert served_answers == {a.pk: a.body for a in answers}

    # The asker's tracking page data (API) too.
    response = Client().get(f"/api/v1/questions/track/{answered.tracking_code}")
    assert json.loads(response.content)["body"] == stored[answered.pk].body

    # And the transcript (DOCX) carries every one as text, nothing dropped or altered.
    document = Document(io.BytesIO(transcript_docx(dialogue=dialogue)))
    text = "\n".join(p.text for p in document.paragraphs)
    for _value, question in accepted:
        fresh = stored[question.pk]
        for line in fresh.body.split("\n"):
            assert line in text, repr(fresh.body)
        assert f"{fresh.asker_name} — {fresh.locality}" in text
    for answer in answers:
        for line in answer.body.split("\n"):
            assert line in text


def answer_all(leader_user: Any, question_id: int, values: list[str]) -> list[Answer]:
    """Posts every value as an answer; checks refusals and the stored text."""

    def post(value: str) -> Answer:
        return services.answer_post(actor=leader_user, question_id=question_id, body=value)

    limit = settings.CONSULT["ANSWER_MAX_LENGTH"]
    accepted, _refused = submit_all(post, {"body": (limit, True)}, values)
    answers = []
    for value, answer in accepted:
        fresh = Answer.objects.get(pk=answer.pk)
        assert fresh.body == expected(value, max_length=limit, multiline=True)
        assert_clean(fresh.body, value, multiline=True)
        answers.append(fresh)
    return answers


@pytest.mark.django_db
def test_leader_hostile_answers_are_refused_clearly_or_stored_clean(
    dialogue: Dialogue, moderator: Any, leader_user: Any
) -> None:
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    services.question_approve(actor=moderator, question_id=question.pk)
    answers = answer_all(leader_user, question.pk, HOSTILE)
    assert Answer.objects.filter(question=question).count() == len(answers)
    assert len(answers) > len(HOSTILE) * 0.8


# --- comments ----------------------------------------------------------------------------------


COMMENT_FIELDS = {
    "name": (120, False),
    "organization": (255, False),
    "body": (10000, True),
}


@pytest.mark.django_db
def test_citizen_hostile_comment_text_is_refused_clearly_or_stored_clean_and_exported_as_text(
    agency: Any, moderator: Any
) -> None:
    from tests.drafts.conftest import make_draft

    draft = make_draft(agency)
    before = Comment.objects.count()

    def submit(value: str) -> Comment:
        comment, created = draft_services.comment_submit(
            draft_id=draft.pk,
            name=value,
            commenter_type=Comment.CommenterType.ORGANIZATION,
            organization=value,
            email="gop.y@example.vn",
            body=value,
            consent=True,
            publish_name=True,
            request_id=uuid.uuid4().hex,
        )
        assert created
        return comment

    accepted, refused = submit_all(submit, COMMENT_FIELDS, HOSTILE)
    assert Comment.objects.count() == before + len(accepted)
    assert len(accepted) > len(HOSTILE) * 0.8 and refused > 0
    comments = {c.pk: c for c in Comment.objects.filter(draft=draft)}
    for value, comment in accepted:
        fresh = comments[comment.pk]
        for field, (max_length, multiline) in COMMENT_FIELDS.items():
            assert getattr(fresh, field) == expected(
                value, max_length=max_length, multiline=multiline
            )
            assert_clean(getattr(fresh, field), value, multiline=multiline)
        draft_services.comment_approve(actor=moderator, comment_id=fresh.pk)

    # The public API returns them as the same JSON strings.
    response = Client().get(f"/api/v1/drafts/{draft.slug}")
    assert response.status_code == 200
    served = {c["id"]: c for c in json.loads(response.content)["comments"]}
    for pk, fresh in comments.items():
        assert served[pk]["body"] == fresh.body
        assert fresh.name in served[pk]["author"]

    # CSV and XLSX: each cell is the stored text, formula-like text behind a leading '.
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    draft_exports.csv_stream(draft=draft, viewer=moderator, with_contacts=False)
                )
                .decode("utf-8-sig")
                .replace("\r\n", "\n")
            )
        )
    )
    csv_cells = {cell for row in rows[1:] for cell in row}
    out = io.BytesIO()
    draft_exports.write_xlsx(draft=draft, viewer=moderator, out=out, with_contacts=False)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    xlsx_cells = {
        str(c.value) for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None
    }
    for fresh in comments.values():
        for field in COMMENT_FIELDS:
            value = getattr(fresh, field)
            cell = draft_exports.neutralize_formula(value)
            assert cell in csv_cells, repr(value)
            assert cell in xlsx_cells, repr(value)
            if cell != value:
                assert cell == "'" + value
    for cell in csv_cells | xlsx_cells:
        assert cell[:1] not in "=+-@\t\r\uff1d\uff0b\uff0d\uff20" or not cell, repr(cell)

    # DOCX synthesis table: each body is there as text.
    out = io.BytesIO()
    draft_exports.write_docx(draft=draft, viewer=moderator, out=out)
    document = Document(io.BytesIO(out.getvalue()))
    text = "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    for fresh in comments.values():
        for line in fresh.body.split("\n"):
            assert line in text, repr(fresh.body)


# --- drafts ------------------------------------------------------------------------------------


DRAFT_FIELDS = {"title": (500, False), "summary": (5000, True)}


@pytest.mark.django_db
def test_agency_staff_hostile_draft_title_and_summary_are_refused_clearly_or_stored_clean(
    agency: Any, agency_staff: Any
) -> None:
    from tests.drafts.conftest import kind_get

    kind = kind_get(days=30)
    opens = timezone.now() - dt.timedelta(days=1)
    before = Draft.objects.count()

    def create(value: str) -> Draft:
        return draft_services.draft_create(
            actor=agency_staff,
            agency=agency,
            kind=kind,
            title=value,
            summary=value,
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=30),
            receiving_unit_address="Số 1 đường Trần Hưng Đạo",
            receiving_unit_email="gopy@binhan.gov.vn",
        )

    # `summary` is optional: only the title can make an empty value refused.
    fields = {"title": DRAFT_FIELDS["title"]}
    accepted, refused = submit_all(create, fields, HOSTILE)
    assert Draft.objects.count() == before + len(accepted)
    assert refused > 0
    slugs = set()
    for value, draft in accepted:
        fresh = Draft.objects.get(pk=draft.pk)
        assert fresh.title == expected(value, max_length=500, multiline=False)
        assert_clean(fresh.title, value, multiline=False)
        summary = normalize_text(value)
        assert fresh.summary == (summary if len(summary) <= 5000 else fresh.summary)
        if fresh.summary:
            assert_clean(fresh.summary, value, multiline=True)
        # A usable, unique, ASCII slug whatever the title.
        assert fresh.slug and fresh.slug.isascii() and fresh.slug not in slugs
        assert all(ch.isalnum() or ch in "-_" for ch in fresh.slug), fresh.slug
        slugs.add(fresh.slug)

    # Published (with a text), the XSS ones come back from the public API unchanged.
    for value, draft in accepted:
        if value not in XSS:
            continue
        DraftNode.objects.create(
            draft=draft,
            kind=DraftNode.Kind.ARTICLE,
            number="1",
            heading="Điều 1.",
            title="Phạm vi",
            body="Nội dung.",
            anchor="dieu-1",
            citation="Điều 1",
            position=1,
        )
        draft_services.draft_publish(actor=agency_staff, draft_id=draft.pk)
        fresh = Draft.objects.get(pk=draft.pk)
        response = Client().get(f"/api/v1/drafts/{fresh.slug}")
        assert response.status_code == 200, fresh.slug
        body = json.loads(response.content)
        assert (body["title"], body["summary"]) == (fresh.title, fresh.summary)
        # The download's file name is a clean header value (no CR/LF, quotes kept out).
        header = draft_exports.content_disposition(fresh, "csv")
        assert "\r" not in header and "\n" not in header
        assert header.isascii()


@pytest.mark.django_db
def test_staff_hostile_search_queries_are_harmless(client: Client, agency: Any, moderator: Any):
    """Hostile text typed into every search box: a normal page or JSON, never an error."""
    client.force_login(moderator)
    # A URL carries bytes: invalid UTF-8 and encoded surrogates are what reaches the server
    # (NUL has its own test below).
    raw = ["%ED%A0%80", "%FF%FE", "%C0%BC", "%E2%80%AE", "%01%1B"]
    queries = [urllib.parse.quote(v) for v in [*XSS, *EXTRA[2:]]] + raw
    for query in queries:
        for url in ("/api/v1/drafts", "/drafts/", "/moderation/", "/moderation/audit/"):
            response = client.get(f"{url}?q={query}")
            value = query
            assert response.status_code == 200, (url, value)
            if url.startswith("/api/"):
                json.loads(response.content)
            else:
                assert b"<script>alert(1)" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/drafts",
        "/drafts/",
        "/moderation/",
        "/moderation/audit/",
    ],
)
def test_staff_search_for_a_nul_character_is_harmless(
    client: Client, moderator: Any, url: str
) -> None:
    client.force_login(moderator)
    response = client.get(f"{url}?q=%00")
    assert response.status_code == 200


# --- the HTTP API: hostile text through JSON, then malformed requests ---------------------------


def post_json(client: Client, url: str, payload: Any, *, raw: bytes | None = None) -> Any:
    data = raw if raw is not None else json.dumps(payload)
    return client.post(url, data=data, content_type="application/json")


@pytest.mark.django_db
def test_citizen_hostile_text_through_the_json_api_is_refused_with_400_or_stored_clean(
    dialogue: Dialogue,
) -> None:
    """The JSON layer adds its own tricks: \\u escapes of lone surrogates and NUL."""
    client = Client()
    url = f"/api/v1/dialogues/{dialogue.slug}/questions"
    for value in [*XSS, *EXTRA]:
        count = Question.objects.count()
        payload = {
            **QUESTION_DEFAULTS,
            "asker_name": value,
            "body": value,
            "request_id": uuid.uuid4().hex,
        }
        response = post_json(client, url, payload)
        body = json.loads(response.content)
        want_body = expected(value, max_length=2000, multiline=True)
        want_name = expected(value, max_length=120, multiline=False)
        if want_body is None or want_name is None:
            assert response.status_code == 400, (value, body)
            assert body["error"]["code"] == "invalid" and body["error"]["fields"]
            assert Question.objects.count() == count
            continue
        assert response.status_code == 201, (value, body)
        question = Question.objects.get(pk=body["id"])
        assert question.body == want_body
        assert question.asker_name == want_name
        assert_clean(question.body, value, multiline=True)


def _api_targets(dialogue: Dialogue, draft: Draft) -> dict[str, dict[str, Any]]:
    """Every public POST endpoint with a valid payload."""
    question, _created = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    return {
        f"/api/v1/dialogues/{dialogue.slug}/questions": {
            **QUESTION_DEFAULTS,
            "request_id": "ok-question",
        },
        f"/api/v1/drafts/{draft.slug}/comments": {
            "name": "Trần Thị Bình",
            "commenter_type": "individual",
            "email": "binh.tran@example.vn",
            "body": "Đề nghị bổ sung thời hạn giải quyết hồ sơ.",
            "consent": True,
            "request_id": "ok-comment",
        },
        f"/api/v1/questions/{question.pk}/upvote": {},
    }


MALFORMED_BODIES = [
    b"{not json",
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"123",
    b"{" * 5000,
    b'{"a": 1,}',
    b"\xff\xfe\x00{",
    json.dumps({"x": 1}).encode("utf-16"),
    b'{"body": NaN}',
]


def _row_counts() -> tuple[int, ...]:
    from drafts.models import Comment as C
    from livechat.models import Upvote

    return (
        Question.objects.count(),
        C.objects.count(),
        Upvote.objects.count(),
        AuditEntry.objects.count(),
        Item.objects.count(),
    )


@pytest.mark.django_db
def test_malformed_json_to_every_public_post_endpoint_is_400_and_changes_nothing(
    dialogue: Dialogue, agency: Any
) -> None:
    from tests.drafts.conftest import make_draft

    targets = _api_targets(dialogue, make_draft(agency))
    client = Client()
    before = _row_counts()
    for url, payload in targets.items():
        if not payload:  # upvote takes no body: what it gets is ignored
            continue
        for raw in MALFORMED_BODIES:
            response = post_json(client, url, None, raw=raw)
            assert response.status_code == 400, (url, raw[:20], response.content[:200])
            error = json.loads(response.content)["error"]
            assert error["code"] == "invalid" and error["message"], (url, raw[:20])
    assert _row_counts() == before


def _wrong_payloads(valid: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(field named in the error, payload) for wrong types, missing and unknown fields."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for field, value in valid.items():
        wrong: list[Any] = [None, ["x"], {"$gt": ""}, 12345] if isinstance(value, str) else []
        if isinstance(value, bool):
            wrong = ["true", 1, 0, "yes", None, [True], {"v": True}]
        for bad in wrong:
            if field in ("email", "phone") and bad is None:
                continue  # the other contact field is given; null means "not given"
            if field == "request_id" and bad is None and "commenter_type" in valid:
                continue  # optional on comments
            cases.append((field, {**valid, field: bad}))
        if field not in ("publish_name", "email", "phone", "request_id"):
            cases.append((field, {k: v for k, v in valid.items() if k != field}))
    cases.append(("is_admin", {**valid, "is_admin": True}))
    cases.append(("status", {**valid, "status": "published"}))
    cases.append(("request_id", {**valid, "request_id": "x" * 65}))
    cases.append(("request_id", {**valid, "request_id": "có dấu"}))
    cases.append(("request_id", {**valid, "request_id": "a;DROP TABLE"}))
    cases.append(("request_id", {**valid, "request_id": "a\nb"}))
    return cases


@pytest.mark.django_db
def test_wrong_types_missing_and_unknown_fields_are_400_naming_the_field_and_change_nothing(
    dialogue: Dialogue, agency: Any
) -> None:
    from tests.drafts.conftest import make_draft

    targets = _api_targets(dialogue, make_draft(agency))
    client = Client()
    before = _row_counts()
    for url, valid in targets.items():
        if not valid:  # upvote reads no body at all
            continue
        for field, payload in _wrong_payloads(valid):
            response = post_json(client, url, payload)
            assert response.status_code == 400, (url, field, payload, response.content[:300])
            error = json.loads(response.content)["error"]
            assert error["code"] == "invalid", (url, payload)
            assert any(key.split(".")[0] == field for key in error.get("fields", {})), (
                url,
                field,
                error,
            )
    assert _row_counts() == before
    # The valid payloads still work afterwards (the endpoints are not broken, only strict).
    for url, valid in targets.items():
        if valid:
            assert post_json(client, url, valid).status_code == 201, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "question_id", ["0", "-1", str(2**63), str(2**64), "99999999999999999999999", "1e3", "١٢"]
)
def test_absurd_question_ids_are_refused_cleanly(dialogue: Dialogue, question_id: str) -> None:
    client = Client()
    before = _row_counts()
    response = client.post(
        f"/api/v1/questions/{question_id}/upvote", data="{}", content_type="application/json"
    )
    assert response.status_code in (400, 404), response.content[:200]
    error = json.loads(response.content)["error"]
    assert error["code"] in ("invalid", "not_found") and error["message"]
    response = client.get(f"/api/v1/questions/track/{question_id}")
    assert response.status_code == 404
    assert _row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "slug",
    [
        "khong-co",
        "đối-thoại",
        "%F0%9F%98%80",
        "a" * 300,
        "..%2f..%2fetc",
        "%00",
    ],
)
def test_unknown_or_non_ascii_slugs_are_404_json_and_change_nothing(
    dialogue: Dialogue, slug: str
) -> None:
    client = Client()
    before = _row_counts()
    for url, payload in [
        (f"/api/v1/dialogues/{slug}/questions", {**QUESTION_DEFAULTS, "request_id": "s"}),
        (
            f"/api/v1/drafts/{slug}/comments",
            {
                "name": "Bình",
                "commenter_type": "individual",
                "email": "b@example.vn",
                "body": "Góp ý.",
                "consent": True,
            },
        ),
    ]:
        response = post_json(client, url, payload)
        assert response.status_code == 404, (url, response.status_code)
        assert json.loads(response.content)["error"]["code"] == "not_found"
        assert client.get(url.rsplit("/", 1)[0]).status_code == 404
    assert _row_counts() == before


# --- WebSocket frames the consumer tests do not cover ------------------------------------------


WS_FRAMES = [
    # a type naming an internal handler or a channel-layer message
    ('{"type": "websocket.receive", "request_id": "w1", "text": "{}"}', "unknown_action", "w1"),
    ('{"type": "websocket.connect", "request_id": "w2"}', "unknown_action", "w2"),
    ('{"type": "hub.x", "request_id": "w3"}', "unknown_action", "w3"),
    ('{"type": "hub.event", "request_id": "w4", "seq": 1}', "unknown_action", "w4"),
    ('{"type": "dialogue.doorbell", "request_id": "w5"}', "unknown_action", "w5"),
    ('{"type": "send", "request_id": "w6", "text_data": "x"}', "unknown_action", "w6"),
    ('{"type": "__init__", "request_id": "w7"}', "unknown_action", "w7"),
    ('{"type": "receive_json", "request_id": "w8"}', "unknown_action", "w8"),
    # a type that is not a string
    ('{"type": null, "request_id": "w9"}', "unknown_action", "w9"),
    ('{"type": 1, "request_id": "w10"}', "unknown_action", "w10"),
    ('{"type": ["ping"], "request_id": "w11"}', "unknown_action", "w11"),
    ('{"type": {"ping": 1}, "request_id": "w12"}', "unknown_action", "w12"),
    ('{"request_id": "w13"}', "unknown_action", "w13"),
    # wrong field types on the public action
    ('{"type": "upvote", "request_id": "w14", "question_id": "1"}', "invalid", "w14"),
    ('{"type": "upvote", "request_id": "w15", "question_id": 1.5}', "invalid", "w15"),
    ('{"type": "upvote", "request_id": "w16", "question_id": null}', "invalid", "w16"),
    ('{"type": "upvote", "request_id": "w17", "question_id": [1]}', "invalid", "w17"),
    ('{"type": "upvote", "request_id": "w18", "question_id": {"id": 1}}', "invalid", "w18"),
    ('{"type": "upvote", "request_id": "w19", "question_id": false}', "invalid", "w19"),
    ('{"type": "upvote", "request_id": "w20", "question_id": -5}', "invalid", "w20"),
    ('{"type": "upvote", "request_id": "w21", "question_id": 1e400}', "invalid", "w21"),
    ('{"type": "upvote", "request_id": "w22", "question_id": 9007199254740992}', "invalid", "w22"),
    # request_id of the wrong kind
    ('{"type": "ping", "request_id": null}', "bad_frame", ""),
    ('{"type": "ping", "request_id": ["a"]}', "bad_frame", ""),
    ('{"type": "ping", "request_id": {"a": 1}}', "bad_frame", ""),
    # JSON that is not an object, or not JSON
    ("null", "bad_frame", ""),
    ("true", "bad_frame", ""),
    (" ", "bad_json", ""),
    ("\ud800", "bad_json", ""),
    ('{"type": "ping"', "bad_json", ""),
    ("NaN", "bad_frame", ""),
]


# A socket allows a burst of 20 actions (livechat.consumers.ACTION_BURST): the frames are sent
# in groups, each on a fresh socket, so the rate limit is not what answers them.
GROUP = 15


def groups(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + GROUP] for i in range(0, len(items), GROUP)]


@pytest.mark.django_db(transaction=True)
async def test_public_socket_answers_every_odd_frame_with_an_error_and_stays_usable(dialogue):
    from channels.db import database_sync_to_async

    from tests.livechat.test_consumers import action, ws_open

    question = await database_sync_to_async(
        lambda: services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)[0]
    )()
    for group in groups(WS_FRAMES):
        viewer, snapshot = await ws_open(dialogue.slug)
        try:
            assert snapshot["type"] == "snapshot"
            for text, code, request_id in group:
                reply = await action(viewer, text)
                assert reply["type"] == "error", text
                assert (reply["code"], reply["request_id"]) == (code, request_id), (text, reply)
                assert reply["message"]
                if code == "invalid":
                    assert "question_id" in reply["fields"], text
            pong = await action(viewer, {"type": "ping", "request_id": "alive"})
            assert pong["type"] == "ack" and pong["request_id"] == "alive"
            await viewer.receive_nothing(timeout=0.1)
        finally:
            await viewer.disconnect()
    viewer, _snapshot = await ws_open(dialogue.slug)
    try:
        for data in (b"\x00", b"\xff\xfe", json.dumps({"type": "ping"}).encode()):
            await viewer.send_to(bytes_data=data)
            reply = await viewer.receive_json_from(timeout=5)
            assert (reply["type"], reply["code"]) == ("error", "bad_frame")
        pong = await action(viewer, {"type": "ping", "request_id": "alive"})
        assert pong["type"] == "ack" and pong["request_id"] == "alive"
    finally:
        await viewer.disconnect()
    fresh = await database_sync_to_async(Question.objects.get)(pk=question.pk)
    assert (fresh.status, fresh.upvote_count, fresh.version) == (Question.Status.PENDING, 0, 1)


@pytest.mark.django_db(transaction=True)
async def test_moderator_socket_hostile_text_is_refused_or_stored_clean(dialogue, moderator):
    """Edit a question over the socket with hostile text: refused with the field named, or
    stored clean; the socket stays usable."""
    from channels.db import database_sync_to_async

    from tests.livechat.test_consumers import action, ws_open

    question = await database_sync_to_async(
        lambda: services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)[0]
    )()
    await database_sync_to_async(services.question_approve)(
        actor=moderator, question_id=question.pk
    )
    for group in groups([*XSS[:20], *EXTRA]):
        staff, _snapshot = await ws_open(dialogue.slug, user=moderator)
        try:
            for value in group:
                frame = {"type": "edit", "request_id": "e", "question_id": question.pk}
                reply = await action(staff, {**frame, "body": value})
                want = expected(value, max_length=2000, multiline=True)
                if want is None:
                    assert (reply["type"], reply["code"]) == ("error", "invalid"), value
                    assert "body" in reply["fields"]
                    continue
                assert reply["type"] == "ack", (value, reply)
                assert reply["question"]["body"] == want
                fresh = await database_sync_to_async(Question.objects.get)(pk=question.pk)
                assert fresh.body == want
            pong = await action(staff, {"type": "ping", "request_id": "alive"})
            assert pong["type"] == "ack"
        finally:
            await staff.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_moderator_inbox_socket_survives_deeply_nested_json(moderator):
    """A frame nested deeper than the JSON parser's recursion limit (within the size limit)
    is a bad frame, not a server error."""
    from channels.db import database_sync_to_async

    from moderation.consumers import MAX_FRAME_CHARS
    from tests.moderation.test_inbox_socket import send, ws_open

    a, _ = await ws_open(moderator)
    try:
        error, _events = await send(a, "[" * (MAX_FRAME_CHARS - 1))
        assert error["type"] == "error"
        assert error["code"] == "bad_frame", error
        ack, _events = await send(a, {"type": "ping", "request_id": "after"})
        assert ack == {"type": "ack", "request_id": "after"}
    finally:
        await a.disconnect()
    await database_sync_to_async(lambda: None)()


def test_hostile_lists_are_what_the_tests_claim() -> None:
    """The vendored list is the whole of blns 2.0.4 and the XSS list covers each family."""
    assert len(BLNS) == 485 and "<script>alert(123)</script>" in BLNS
    families = [
        "<script",
        "onerror=",
        "javascript:",
        "<svg",
        "<math",
        '">',
        "{{7*7}}",
        "{%",
        "expression(",
        "\u202e",
        "\\u003c",
    ]
    for family in families:
        assert any(family in payload for payload in XSS), family
