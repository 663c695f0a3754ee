"""Unicode: decomposed (NFD) Vietnamese — what some keyboards and macOS send — is stored as NFC
and found by every search (drafts, the moderators' inbox, the audit log); zero-width and
bidirectional controls are removed from names and text; length limits count characters after
normalisation, so NFD input is not refused for the marks it carries.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from consult.errors import Invalid
from consult.text import normalize_text
from drafts import services as draft_services
from drafts.models import Comment, Draft
from livechat import services
from livechat.models import Question
from tests.conftest import QUESTION_DEFAULTS

pytestmark = pytest.mark.django_db

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]

BODY = "Khi nào xã Hòa Thuận được bồi thường đất nông nghiệp ở Đồng Tháp?"
NAME = "Nguyễn Thị Hoà"
TITLE = "Quy định về quản lý trật tự xây dựng trên địa bàn huyện Hòa Vang"


def nfd(text: str) -> str:
    value = unicodedata.normalize("NFD", text)
    assert value != text
    return value


def question_submit(dialogue: Any, **fields: Any) -> Question:
    question, _created = services.question_submit(
        dialogue_id=dialogue.pk,
        **{**QUESTION_DEFAULTS, "request_id": uuid.uuid4().hex, **fields},
    )
    return Question.objects.get(pk=question.pk)


def draft_create(actor: Any, agency: Any, **fields: Any) -> Draft:
    from tests.drafts.conftest import kind_get

    opens = timezone.now() - dt.timedelta(days=1)
    values = {
        "title": TITLE,
        "opens_at": opens,
        "closes_at": opens + dt.timedelta(days=30),
        "receiving_unit_address": "Số 1 đường Trần Hưng Đạo",
        "receiving_unit_email": "gopy@binhan.gov.vn",
        **fields,
    }
    return draft_services.draft_create(actor=actor, agency=agency, kind=kind_get(), **values)


# --- NFD stored as NFC, found by search ------------------------------------------------------------


def test_citizen_nfd_question_is_stored_nfc_and_found_in_the_inbox_by_any_spelling(
    client: Client, dialogue: Any, moderator: Any
) -> None:
    question = question_submit(
        dialogue, asker_name=nfd(NAME), locality=nfd("Xã Hòa Thuận"), body=nfd(BODY)
    )
    assert (question.body, question.asker_name) == (BODY, NAME)
    assert question.locality == "Xã Hòa Thuận"
    client.force_login(moderator)
    for query in ["Hòa Thuận", "Hoà Thuận", nfd("Hòa Thuận"), "hoa thuan", "DONG THAP", "đồng"]:
        response = client.get("/moderation/", {"q": query})
        assert response.status_code == 200
        assert f'id="item-question-{question.pk}"' in response.content.decode(), query
    response = client.get("/moderation/", {"q": "Hòa Bình"})
    assert f'id="item-question-{question.pk}"' not in response.content.decode()


def test_agency_staff_nfd_draft_title_is_stored_nfc_and_found_by_every_draft_search(
    client: Client, agency: Any, agency_staff: Any
) -> None:
    draft = draft_create(agency_staff, agency, title=nfd(TITLE), summary=nfd(BODY))
    assert (draft.title, draft.summary) == (TITLE, BODY)
    queries = ["Hòa Vang", "Hoà Vang", nfd("Hòa Vang"), "hoa vang", "TRẬT TỰ", nfd("Đồng Tháp")]
    # Not public yet: the agency's own list finds it.
    client.force_login(agency_staff)
    for query in queries:
        response = client.get("/staff/drafts/", {"q": query})
        assert draft.slug in response.content.decode(), query
    # Published: the public list and the API find it too.
    from drafts.models import DraftNode

    DraftNode.objects.create(
        draft=draft, kind="article", number="1", anchor="dieu-1", position=1, body="Nội dung."
    )
    draft_services.draft_publish(actor=agency_staff, draft_id=draft.pk)
    anonymous = Client()
    for query in queries:
        assert draft.slug in anonymous.get("/drafts/", {"q": query}).content.decode(), query
        found = json.loads(anonymous.get("/api/v1/drafts", {"q": query}).content)
        assert [d["slug"] for d in found["items"]] == [draft.slug], query
    assert json.loads(anonymous.get("/api/v1/drafts", {"q": "Hòa Bình"}).content)["items"] == []


def test_moderator_finds_an_audit_entry_by_an_nfd_query(
    client: Client, agency: Any, agency_staff: Any, moderator: Any
) -> None:
    """The audit log's search box is typed into as any other: an NFD query finds the NFC label."""
    draft = draft_create(agency_staff, agency)
    client.force_login(moderator)
    for query in ["Hòa Vang", nfd("Hòa Vang")]:
        response = client.get("/moderation/audit/", {"q": query})
        assert response.status_code == 200
        assert draft.title in response.content.decode(), query


# --- invisible characters ------------------------------------------------------------------------


@pytest.mark.parametrize("char", ZERO_WIDTH + BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_and_bidi_controls_are_removed_from_question_and_comment_fields(
    dialogue: Any, agency: Any, char: str
) -> None:
    from tests.drafts.conftest import make_draft

    def spiked(text: str) -> str:
        # At the start, between words, inside a word, and between a letter and its mark.
        decomposed = nfd(text)
        middle = len(decomposed) // 2
        return char + decomposed[:middle] + char + decomposed[middle:] + " " + char

    question = question_submit(
        dialogue, asker_name=spiked(NAME), locality=spiked("Xã Hòa Thuận"), body=spiked(BODY)
    )
    assert (question.asker_name, question.locality, question.body) == (NAME, "Xã Hòa Thuận", BODY)
    comment, _created = draft_services.comment_submit(
        draft_id=make_draft(agency).pk,
        name=spiked(NAME),
        commenter_type=Comment.CommenterType.ORGANIZATION,
        organization=spiked("Hội Luật gia tỉnh"),
        email="gop.y@example.vn",
        body=spiked(BODY),
        consent=True,
    )
    comment.refresh_from_db()
    assert (comment.name, comment.organization, comment.body) == (
        NAME,
        "Hội Luật gia tỉnh",
        BODY,
    )


def test_a_name_of_invisible_characters_only_is_refused_as_empty(dialogue: Any) -> None:
    before = Question.objects.count()
    with pytest.raises(Invalid) as refused:
        question_submit(dialogue, asker_name="".join(ZERO_WIDTH + BIDI), body=" \u200b\n\u202e ")
    assert set(refused.value.fields) == {"asker_name", "body"}
    assert Question.objects.count() == before


def test_rtl_override_cannot_disguise_a_name_in_the_api(dialogue: Any, moderator: Any) -> None:
    """ "Nguyễn \u202eexe.gnp" would show as "Nguyễn png.exe"; stored, it reads as typed."""
    question = question_submit(dialogue, asker_name="Nguyễn \u202eexe.gnp\u202c An")
    services.question_approve(actor=moderator, question_id=question.pk)
    data = json.loads(Client().get(f"/api/v1/dialogues/{dialogue.slug}").content)
    names = [q["display_name"] for q in data["questions"]]
    assert names == ["Nguyễn exe.gnp An"]


@pytest.mark.parametrize("char", ZERO_WIDTH + BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_and_bidi_controls_are_removed_from_draft_titles(
    agency: Any, agency_staff: Any, char: str
) -> None:
    draft = draft_create(agency_staff, agency, title=char + TITLE.replace(" ", char + " "))
    assert draft.title == TITLE


# --- length limits after normalisation -------------------------------------------------------------


def exactly(length: int) -> tuple[str, str]:
    """(NFC text of exactly `length` characters, its NFD form, which is longer)."""
    unit = "Hòa bình, độc lập, tự do, hạnh phúc. "
    text = (unit * (length // len(unit) + 1))[:length].rstrip()
    text = text + "ố" * (length - len(text))
    assert len(text) == length and unicodedata.is_normalized("NFC", text)
    return text, unicodedata.normalize("NFD", text)


def test_question_of_exactly_the_limit_in_nfd_is_accepted_and_one_more_is_refused(
    dialogue: Any,
) -> None:
    limit = settings.CONSULT["QUESTION_MAX_LENGTH"]
    text, decomposed = exactly(limit)
    assert len(decomposed) > limit
    assert question_submit(dialogue, body=decomposed).body == text
    name, name_nfd = exactly(120)
    assert question_submit(dialogue, asker_name=name_nfd).asker_name == name
    before = Question.objects.count()
    _over, over_nfd = exactly(limit + 1)
    with pytest.raises(Invalid) as refused:
        question_submit(dialogue, body=over_nfd)
    assert set(refused.value.fields) == {"body"}
    assert str(limit) in refused.value.fields["body"]
    assert str(limit + 1) in refused.value.fields["body"]
    with pytest.raises(Invalid) as refused:
        question_submit(dialogue, asker_name=exactly(121)[1])
    assert set(refused.value.fields) == {"asker_name"}
    assert Question.objects.count() == before


def test_json_api_counts_the_limit_after_normalisation(dialogue: Any) -> None:
    limit = settings.CONSULT["QUESTION_MAX_LENGTH"]
    client = Client()
    url = f"/api/v1/dialogues/{dialogue.slug}/questions"

    def post(body: str) -> Any:
        payload = {**QUESTION_DEFAULTS, "body": body, "request_id": uuid.uuid4().hex}
        return client.post(url, data=json.dumps(payload), content_type="application/json")

    text, decomposed = exactly(limit)
    response = post(decomposed)
    assert response.status_code == 201, response.content
    assert Question.objects.get(pk=json.loads(response.content)["id"]).body == text
    before = Question.objects.count()
    response = post(exactly(limit + 1)[1])
    assert response.status_code == 400
    assert set(json.loads(response.content)["error"]["fields"]) == {"body"}
    assert Question.objects.count() == before


def test_comment_and_draft_limits_are_counted_after_normalisation(
    agency: Any, agency_staff: Any
) -> None:
    from tests.drafts.conftest import make_draft

    draft = make_draft(agency)
    limit = settings.CONSULT.get("COMMENT_MAX_LENGTH", 10000)
    text, decomposed = exactly(limit)

    def comment(**fields: Any) -> Comment:
        values = {
            "name": NAME,
            "commenter_type": Comment.CommenterType.INDIVIDUAL,
            "email": "gop.y@example.vn",
            "body": BODY,
            "consent": True,
            **fields,
        }
        created, _ = draft_services.comment_submit(draft_id=draft.pk, **values)
        return Comment.objects.get(pk=created.pk)

    assert comment(body=decomposed).body == text
    assert comment(name=exactly(120)[1]).name == exactly(120)[0]
    before = Comment.objects.count()
    with pytest.raises(Invalid) as refused:
        comment(body=exactly(limit + 1)[1])
    assert set(refused.value.fields) == {"body"}
    with pytest.raises(Invalid) as refused:
        comment(name=exactly(121)[1])
    assert set(refused.value.fields) == {"name"}
    assert Comment.objects.count() == before

    title, title_nfd = exactly(500)
    assert draft_create(agency_staff, agency, title=title_nfd).title == title
    drafts = Draft.objects.count()
    with pytest.raises(Invalid) as refused:
        draft_create(agency_staff, agency, title=exactly(501)[1])
    assert set(refused.value.fields) == {"title"}
    assert Draft.objects.count() == drafts


def test_normalize_text_composes_marks_across_removed_characters() -> None:
    """A removed character between a letter and its mark must not leave the text in NFD."""
    assert normalize_text("Thu\u200b\u0309 tu\u0323c") == "Thủ tục"
    assert normalize_text("e\u202e\u0301") == "é"
    assert unicodedata.is_normalized("NFC", normalize_text("a\ufeff\u0300\u0323"))


def test_normalize_text_drops_what_cannot_be_stored_or_exported() -> None:
    assert normalize_text("Câu\ud800 hỏi\udfff") == "Câu hỏi"
    assert normalize_text("a\uffffb\ufffe") == "ab"
    assert normalize_text("x\x00y\x1bz") == "xyz"
