"""Reads: search folding, phases, per-article counts in constant queries, visibility."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from consult.errors import NotAllowed, NotFound
from drafts import selectors
from drafts.models import Comment, Draft
from tests.drafts.conftest import make_comment, make_draft, make_published_series


@pytest.fixture
def hoa_binh(agency):
    return make_draft(agency, title="Quy định về hòa giải ở cơ sở tại xã Hòa Bình")


@pytest.fixture
def dong_thap(agency):
    return make_draft(agency, title="Kế hoạch phát triển du lịch tỉnh Đồng Tháp")


@pytest.mark.parametrize("query", ["hoa", "hoà", "hòa", "HÒA", "hoa binh", "Hoà Bình"])
def test_search_ignores_diacritics_and_tone_placement(hoa_binh, dong_thap, query):
    found = list(selectors.draft_list_public(query=query))
    assert found == [hoa_binh]


@pytest.mark.parametrize("query", ["dong thap", "Đồng Tháp", "DONG THAP", "du lich dong"])
def test_search_finds_dong_thap_without_diacritics(hoa_binh, dong_thap, query):
    assert list(selectors.draft_list_public(query=query)) == [dong_thap]


def test_search_without_match_is_empty(hoa_binh):
    assert not selectors.draft_list_public(query="thuế tiêu thụ").exists()


def test_public_list_hides_unpublished_and_withdrawn_drafts(agency, hoa_binh):
    make_draft(agency, status=Draft.Status.DRAFT, title="Chưa công khai")
    make_draft(agency, status=Draft.Status.WITHDRAWN, title="Đã rút")
    assert list(selectors.draft_list_public()) == [hoa_binh]


def test_public_list_by_phase(agency):
    now = timezone.now()
    day = dt.timedelta(days=1)
    open_now = make_draft(agency, opens_at=now - day, closes_at=now + day)
    upcoming = make_draft(agency, opens_at=now + day, closes_at=now + 30 * day)
    closed = make_draft(agency, opens_at=now - 40 * day, closes_at=now - day)
    reported = make_draft(
        agency, opens_at=now - 60 * day, closes_at=now - 30 * day, report_published_at=now
    )
    assert list(selectors.draft_list_public(phase="open")) == [open_now]
    assert list(selectors.draft_list_public(phase="upcoming")) == [upcoming]
    assert list(selectors.draft_list_public(phase="closed")) == [closed]
    assert list(selectors.draft_list_public(phase="reported")) == [reported]


def test_public_list_filters_by_agency_sector_and_kind(agency, other_agency):
    from drafts.models import DocumentKind, Sector

    land = Sector.objects.get(code="dat-dai")
    luat = DocumentKind.objects.get(code="luat")
    mine = make_draft(agency, sector=land)
    theirs = make_draft(other_agency, kind=luat)
    assert list(selectors.draft_list_public(agency=agency.code)) == [mine]
    assert list(selectors.draft_list_public(sector="dat-dai")) == [mine]
    assert list(selectors.draft_list_public(kind="luat")) == [theirs]
    assert list(selectors.draft_list_public(agency=other_agency.pk)) == [theirs]


def test_unpublished_draft_is_not_found_for_the_public_and_other_agencies(
    agency, agency_staff, other_staff
):
    hidden = make_draft(agency, status=Draft.Status.DRAFT)
    with pytest.raises(NotFound):
        selectors.draft_get(slug=hidden.slug, viewer=None)
    with pytest.raises(NotFound):
        selectors.draft_get(slug=hidden.slug, viewer=other_staff)
    assert selectors.draft_get(slug=hidden.slug, viewer=agency_staff) == hidden


def test_draft_page_counts_published_comments_per_article(draft):
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    make_comment(draft, number="1", status=Comment.Status.PENDING)
    make_comment(draft, number="2", status=Comment.Status.REJECTED)
    make_comment(draft, status=Comment.Status.PUBLISHED)
    page = selectors.draft_page(draft=draft, viewer=None)
    counts = {t.node.number: t.comment_count for t in page["text"]}
    assert counts == {"1": 2, "2": 0, "3": 0}
    first = next(t for t in page["text"] if t.node.number == "1")
    published = set(
        Comment.objects.filter(status=Comment.Status.PUBLISHED).values_list("id", flat=True)
    )
    assert {c["id"] for c in first.comments} <= published and len(first.comments) == 2
    assert len(page["general_comments"]) == 1


def test_draft_page_queries_do_not_grow_with_articles(agency, django_assert_max_num_queries):
    small = make_draft(agency, articles=("1", "2"))
    big = make_draft(agency, articles=tuple(str(n) for n in range(1, 61)))
    for target in (small, big):
        for number in ("1", "2"):
            make_comment(target, number=number, status=Comment.Status.PUBLISHED)
    with django_assert_max_num_queries(4):
        page = selectors.draft_page(draft=big, viewer=None)
    assert len(page["articles"]) == 60
    assert sum(t.comment_count for t in page["text"]) == 2


def test_every_article_is_closed_once_on_the_page(draft):
    page = selectors.draft_page(draft=draft, viewer=None)
    closed = [a.node.number for t in page["text"] for a in t.closes]
    assert closed == ["1", "2", "3"]


def test_public_detail_never_carries_pending_comments_or_contacts(draft):
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED, body="Đã đăng")
    make_comment(draft, number="1", status=Comment.Status.PENDING, body="Chờ duyệt")
    data = selectors.draft_public_detail(draft=draft, viewer=None)
    assert [c["body"] for c in data["comments"]] == ["Đã đăng"]
    flat = repr(data)
    assert "an.nguyen@example.vn" not in flat and "0912345678" not in flat


def test_workspace_counts_every_comment_by_article_type_and_day(draft, agency_staff):
    make_comment(draft, number="1", status=Comment.Status.PENDING)
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED)
    make_comment(draft, number="2", commenter_type="organization", organization="Hiệp hội")
    make_comment(draft, commenter_type="agency", organization="Sở Tài chính")
    data = selectors.draft_workspace(draft=draft, viewer=agency_staff)
    assert data["total"] == 4
    assert [(n.number, count) for n, count in data["articles"]] == [("1", 2), ("2", 1), ("3", 0)]
    assert data["general_count"] == 1
    assert dict(data["by_type"])["Cá nhân"] == 2
    assert sum(n for _day, n in data["by_day"]) == 4
    assert data["can_view_contacts"]


def test_other_agency_cannot_see_the_workspace_or_pending_comments(draft, other_staff):
    make_comment(draft, status=Comment.Status.PENDING)
    with pytest.raises(NotAllowed):
        selectors.draft_workspace(draft=draft, viewer=other_staff)
    with pytest.raises(NotAllowed):
        selectors.comment_list_for_staff(draft=draft, viewer=other_staff)
    with pytest.raises(NotFound):
        selectors.draft_get_manageable(slug=draft.slug, viewer=other_staff)


def test_manageable_list_is_per_agency(agency, other_agency, agency_staff, moderator):
    mine = make_draft(agency)
    theirs = make_draft(other_agency)
    assert list(selectors.draft_list_manageable(viewer=agency_staff)) == [mine]
    assert set(selectors.draft_list_manageable(viewer=moderator)) == {mine, theirs}


def test_staff_dict_shows_contacts_only_to_those_allowed(draft, agency_staff, leader_user):
    comment = make_comment(draft)
    assert selectors.comment_staff_dict(comment, viewer=agency_staff)["email"]
    assert "email" not in selectors.comment_staff_dict(comment, viewer=leader_user)
    assert "email" not in selectors.comment_staff_dict(comment)


def test_search_matches_whole_syllables_only(agency, hoa_binh):
    """ "hoa" is a syllable of its own: it finds "Hòa", not the "hoạch" of "kế hoạch"."""
    plan = make_draft(agency, title="Kế hoạch phát triển du lịch")
    assert list(selectors.draft_list_public(query="hoa")) == [hoa_binh]
    assert list(selectors.draft_list_public(query="hoạch")) == [plan]
    assert list(selectors.draft_list_public(query="hòa, bình!")) == [hoa_binh]


def test_draft_page_carries_the_latest_few_comments_of_each_article_newest_first(
    draft, django_assert_max_num_queries
):
    make_published_series(draft, 7, number="1", body="Điều 1, ý kiến {n}")
    make_comment(draft, number="2", status=Comment.Status.PUBLISHED, body="Điều 2, duy nhất")
    make_comment(draft, number="2", status=Comment.Status.PENDING, body="Chờ duyệt")
    for n in range(5):
        make_comment(draft, status=Comment.Status.PUBLISHED, body=f"Chung {n}")
    with django_assert_max_num_queries(4):
        page = selectors.draft_page(draft=draft, viewer=None)
    by_number = {t.node.number: t for t in page["text"]}
    assert by_number["1"].comment_count == 7
    assert [c["preview"] for c in by_number["1"].comments] == [
        f"Điều 1, ý kiến {n}" for n in range(6, 6 - selectors.PREVIEW_PER_ARTICLE, -1)
    ]
    assert [c["preview"] for c in by_number["2"].comments] == ["Điều 2, duy nhất"]
    assert by_number["3"].comments == [] and by_number["3"].comment_count == 0
    assert len(page["general_comments"]) == selectors.PREVIEW_PER_ARTICLE
    assert page["general_count"] == 5 and page["published_count"] == 13


def test_draft_page_without_comments_has_empty_previews(draft):
    page = selectors.draft_page(draft=draft, viewer=None)
    assert page["published_count"] == 0 and page["general_comments"] == []
    assert all(t.comments == [] for t in page["text"])


def test_comment_list_of_an_article_is_published_only_oldest_first(draft):
    make_published_series(draft, 3, number="2", body="Ý kiến {n}")
    make_comment(draft, number="2", status=Comment.Status.REJECTED, body="Bị từ chối")
    make_comment(draft, number="1", status=Comment.Status.PUBLISHED, body="Điều khác")
    listing = selectors.comment_list_public(draft=draft, article="dieu-2")
    assert listing["article"].number == "2" and listing["scope"] == "article"
    assert [c.body for c in listing["comments"]] == ["Ý kiến 0", "Ý kiến 1", "Ý kiến 2"]
    everything = selectors.comment_list_public(draft=draft)
    assert everything["scope"] == "all" and everything["comments"].count() == 4


def test_comment_list_of_an_unknown_article_is_not_found(draft):
    with pytest.raises(NotFound):
        selectors.comment_list_public(draft=draft, article="dieu-99")


def test_comment_locate_finds_the_page_of_a_published_comment(draft):
    start = timezone.now() - dt.timedelta(days=1)
    comments = [
        make_comment(
            draft,
            status=Comment.Status.PUBLISHED,
            published_at=start + dt.timedelta(minutes=n),
        )
        for n in range(selectors.COMMENTS_PER_PAGE + 2)
    ]
    assert selectors.comment_public_locate(draft=draft, comment_id=comments[0].pk) == (
        selectors.GENERAL,
        1,
    )
    assert selectors.comment_public_locate(draft=draft, comment_id=comments[-1].pk) == (
        selectors.GENERAL,
        2,
    )
    on_article = make_comment(draft, number="3", status=Comment.Status.PUBLISHED)
    assert selectors.comment_public_locate(draft=draft, comment_id=on_article.pk) == ("dieu-3", 1)


def test_comment_locate_refuses_pending_and_other_drafts_comments(draft, agency):
    pending = make_comment(draft, number="1")
    other = make_comment(make_draft(agency), status=Comment.Status.PUBLISHED)
    for comment_id in (pending.pk, other.pk, 0):
        with pytest.raises(NotFound):
            selectors.comment_public_locate(draft=draft, comment_id=comment_id)


def test_comment_preview_cuts_long_comments_at_a_space():
    assert selectors.comment_preview("Ngắn gọn.") == ("Ngắn gọn.", False)
    long = "Đề nghị làm rõ thời hạn cấp phép xây dựng, " * 20
    preview, cut = selectors.comment_preview(long, limit=50)
    assert cut and preview.endswith("…") and len(preview) <= 51
    assert long.startswith(preview[:-1]) and not preview[:-1].endswith(" ")


def test_previews_name_commenters_as_comment_display_name(draft):
    combos = [
        (commenter_type, organization, publish_name)
        for commenter_type in Comment.CommenterType.values
        for organization in ("", "Hiệp hội Doanh nghiệp tỉnh")
        for publish_name in (True, False)
    ]
    made = {}
    for commenter_type, organization, publish_name in combos:
        comment = make_comment(
            draft,
            status=Comment.Status.PUBLISHED,
            commenter_type=commenter_type,
            organization=organization,
            publish_name=publish_name,
        )
        made[comment.pk] = comment
    previews = selectors._latest_per_article(draft, per_article=len(combos))[None]
    assert {p["id"]: p["author"] for p in previews} == {
        pk: c.display_name for pk, c in made.items()
    }
    labels = dict(Comment.CommenterType.choices)
    assert all(p["type_label"] == labels[made[p["id"]].commenter_type] for p in previews)
