"""Reads of drafts and comments. Visibility is decided here: the public never gets a pending
comment or contact details; agency staff see everything of their own agency's drafts."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from consult import rules
from consult.errors import NotFound
from drafts.models import (
    Comment,
    Draft,
    DraftAttachment,
    DraftNode,
    comment_display_name,
    search_words,
)
from drafts.rules import (
    EXPORT_COMMENTS,
    MANAGE_DRAFT,
    MODERATE_COMMENT,
    VIEW_ALL_COMMENTS,
    VIEW_CONTACTS,
)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PHASES = ("open", "upcoming", "closed", "reported")
OUTLINE_KINDS = (
    DraftNode.Kind.PART,
    DraftNode.Kind.CHAPTER,
    DraftNode.Kind.SECTION,
    DraftNode.Kind.ARTICLE,
)


def comment_list_for_export(*, draft: Draft, viewer: Any) -> Iterator[Comment]:
    """Every comment of a draft (all statuses), in article then arrival order, streamed in
    chunks so a 100,000-comment draft never sits in memory. Only the draft's own agency staff,
    moderators and administrators."""
    rules.require(viewer, EXPORT_COMMENTS, draft)
    return (
        Comment.objects.filter(draft=draft)
        .select_related("article", "rejection_reason")
        # General comments (no article) first on every database: SQLite and PostgreSQL
        # disagree on where NULLs sort by default.
        .order_by(F("article__position").asc(nulls_first=True), "submitted_at", "id")
        .iterator(chunk_size=2000)
    )


# The fields of `comment_rows_for_export`, in the order of each tuple.
EXPORT_ROW_FIELDS = (
    "id",
    "article_id",
    "article__citation",
    "article__number",
    "article__title",
    "commenter_type",
    "name",
    "organization",
    "email",
    "phone",
    "publish_name",
    "body",
    "status",
    "rejection_reason__title",
    "disposition",
    "response",
    "channel",
    "received_on",
    "submitted_at",
    "published_at",
    "decided_at",
    "disposition_at",
)


def comment_rows_for_export(*, draft: Draft, viewer: Any) -> Iterator[tuple[Any, ...]]:
    """The same comments as `comment_list_for_export`, in the same order and with the same
    permission, as plain tuples of EXPORT_ROW_FIELDS (the article's and the rejection
    reason's fields joined in): the XLSX and CSV exports need no model instance, and building
    100,000 of them was a third of those exports' time. Streamed in chunks."""
    rules.require(viewer, EXPORT_COMMENTS, draft)
    return (
        Comment.objects.filter(draft=draft)
        .order_by(F("article__position").asc(nulls_first=True), "submitted_at", "id")
        .values_list(*EXPORT_ROW_FIELDS)
        .iterator(chunk_size=2000)
    )


# --- lists -----------------------------------------------------------------------------------


def _phase_q(phase: str, now: dt.datetime) -> Q:
    if phase == "reported":
        return Q(report_published_at__isnull=False)
    no_report = Q(report_published_at__isnull=True)
    if phase == "open":
        return no_report & Q(opens_at__lte=now, closes_at__gt=now)
    if phase == "upcoming":
        return no_report & Q(opens_at__gt=now)
    if phase == "closed":
        return no_report & Q(closes_at__lte=now)
    return Q()


def draft_search_filter(queryset: QuerySet[Draft], query: str) -> QuerySet[Draft]:
    """Diacritic- and tone-placement-insensitive search: the query is folded like the stored
    `search_text`, and every word (syllable) must appear as a whole word."""
    for word in search_words(query)[:10]:
        queryset = queryset.filter(search_text__contains=f" {word} ")
    return queryset


def draft_list_public(
    *,
    viewer: Any = None,
    phase: str = "",
    agency: Any = None,
    sector: Any = None,
    kind: Any = None,
    query: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Draft]:
    """Published drafts, filtered by phase (open, upcoming, closed, reported), agency, sector
    and kind (ids or codes) and a search. Open drafts first, by nearest deadline."""
    now = now or timezone.now()
    drafts = Draft.objects.filter(status=Draft.Status.PUBLISHED).select_related(
        "kind", "agency", "sector"
    )
    if phase in PHASES:
        drafts = drafts.filter(_phase_q(phase, now))
    for name, value in (("agency", agency), ("sector", sector), ("kind", kind)):
        if value in (None, ""):
            continue
        if isinstance(value, int) or str(value).isdigit():
            drafts = drafts.filter(**{f"{name}_id": int(value)})
        else:
            drafts = drafts.filter(**{f"{name}__code": str(value)})
    if query:
        drafts = draft_search_filter(drafts, query)
    if phase == "open":
        return drafts.order_by("closes_at", "id")
    if phase == "upcoming":
        return drafts.order_by("opens_at", "id")
    return drafts.order_by("-opens_at", "-id")


def draft_list_manageable(*, viewer: Any, query: str = "") -> QuerySet[Draft]:
    """Drafts `viewer` may manage: all for moderators and administrators, their agency's for
    agency staff, none for anybody else."""
    drafts: QuerySet[Draft] = Draft.objects.select_related("kind", "agency", "sector").annotate(
        pending_count=Count("comments", filter=Q(comments__status=Comment.Status.PENDING)),
        comment_count=Count("comments"),
    )
    if rules.is_moderator(viewer):
        pass
    elif rules.role_of(viewer) == rules.AGENCY_STAFF and viewer.agency_id:
        drafts = drafts.filter(agency_id=viewer.agency_id)
    else:
        return drafts.none()
    if query:
        drafts = draft_search_filter(drafts, query)
    return drafts.order_by("-created_at", "-id")


def draft_get(*, slug: str, viewer: Any) -> Draft:
    """A draft by slug: published ones for everybody; unpublished or withdrawn ones only for
    those who manage them (others get NotFound, not a hint that it exists)."""
    draft = Draft.objects.select_related("kind", "agency", "sector").filter(slug=slug).first()
    if draft is None:
        raise NotFound(_("Không tìm thấy dự thảo."))
    if draft.status != Draft.Status.PUBLISHED and not rules.has_perm(viewer, MANAGE_DRAFT, draft):
        raise NotFound(_("Không tìm thấy dự thảo."))
    return draft


def draft_get_manageable(*, slug: str, viewer: Any) -> Draft:
    """A draft `viewer` manages; NotFound for anybody else (agency B never learns of A's)."""
    draft = Draft.objects.select_related("kind", "agency", "sector").filter(slug=slug).first()
    if draft is None or not rules.has_perm(viewer, MANAGE_DRAFT, draft):
        if draft is not None and not getattr(viewer, "is_authenticated", False):
            rules.require(viewer, MANAGE_DRAFT, draft)  # → log in
        raise NotFound(_("Không tìm thấy dự thảo."))
    return draft


# --- the draft's page ------------------------------------------------------------------------


def time_left(*, draft: Draft, now: dt.datetime | None = None) -> dict[str, int] | None:
    """Days and hours left before the deadline, or None once it passed."""
    now = now or timezone.now()
    if now >= draft.closes_at:
        return None
    seconds = int((draft.closes_at - now).total_seconds())
    return {"days": seconds // 86400, "hours": (seconds % 86400) // 3600}


def comment_public_dict(comment: Comment) -> dict[str, Any]:
    """What anybody may see of a published comment: never contact details, never the name
    unless the commenter opted in (organisations and agencies are shown by organisation)."""
    return {
        "id": comment.pk,
        "article": comment.article.number if comment.article_id and comment.article else "",
        "citation": comment.article.citation if comment.article_id and comment.article else "",
        "commenter_type": comment.commenter_type,
        "author": comment.display_name,
        "body": comment.body,
        "published_at": comment.published_at.isoformat() if comment.published_at else None,
        "disposition": comment.disposition,
        "response": comment.response if comment.draft.report_published_at else "",
    }


def comment_staff_dict(comment: Comment, *, viewer: Any = None) -> dict[str, Any]:
    """What staff see; contact details only for those allowed to see them."""
    data = {
        "id": comment.pk,
        "draft": comment.draft_id,
        "article": comment.article.number if comment.article_id and comment.article else "",
        "citation": comment.article.citation if comment.article_id and comment.article else "",
        "commenter_type": comment.commenter_type,
        "name": comment.name,
        "organization": comment.organization,
        "publish_name": comment.publish_name,
        "body": comment.body,
        "status": comment.status,
        "rejection_reason": comment.rejection_reason_id,
        "channel": comment.channel,
        "received_on": comment.received_on.isoformat() if comment.received_on else None,
        "disposition": comment.disposition,
        "response": comment.response,
        "version": comment.version,
        "submitted_at": comment.submitted_at.isoformat() if comment.submitted_at else None,
    }
    if viewer is not None and rules.has_perm(viewer, VIEW_CONTACTS, comment.draft):
        data["email"] = comment.email
        data["phone"] = comment.phone
    return data


# The draft's page shows each article's latest few published comments and links to the full,
# paginated list: a draft with 10,000 comments would otherwise be a document of megabytes that
# no phone can open.
PREVIEW_PER_ARTICLE = 2
PREVIEW_CHARS = 200  # a previewed comment is cut after about this many characters
COMMENTS_PER_PAGE = 20
GENERAL = "general"  # the `article` of the list page for comments on the draft as a whole
# The list pages' order (the same on SQLite and PostgreSQL, which disagree on NULLs).
_LIST_ORDER = (F("published_at").asc(nulls_first=True), "id")
# What the public pages show of a comment (comment_public_dict and templates/drafts/_comment.html).
# What a preview on the draft page shows of a comment (name, type, text, time).
_PREVIEW_COMMENT_FIELDS = (
    "id",
    "article_id",
    "commenter_type",
    "name",
    "organization",
    "publish_name",
    "body",
    "published_at",
)
_PUBLIC_COMMENT_FIELDS = (
    *_PREVIEW_COMMENT_FIELDS,
    "draft_id",
    "submitted_at",
    "disposition",
    "response",
)


@dataclass
class TextNode:
    node: DraftNode
    comment_count: int = 0
    # Previews of the latest PREVIEW_PER_ARTICLE published comments, newest first (an
    # article's full list is its own page, `comment_list_public`).
    comments: list[dict[str, Any]] = field(default_factory=list)
    # Articles whose text ends with this node: the page shows their comments and the
    # "comment on this article" link right after it.
    closes: list[TextNode] = field(default_factory=list)
    # The node's rendered text and outline link (from the view's cache) and its comments'
    # previews, filled in by the view.
    html: str = ""
    label: str = ""
    previews_html: str = ""


def _mark_article_ends(text: list[TextNode]) -> None:
    open_articles: list[TextNode] = []
    previous: TextNode | None = None
    for item in text:
        while open_articles and item.node.depth <= open_articles[-1].node.depth:
            if previous is not None:
                previous.closes.append(open_articles.pop())
        if item.node.kind == DraftNode.Kind.ARTICLE:
            open_articles.append(item)
        previous = item
    while open_articles and previous is not None:
        previous.closes.append(open_articles.pop())


def _nodes(draft: Draft) -> list[DraftNode]:
    return list(
        DraftNode.objects.filter(draft=draft)
        .only(
            "id",
            "parent_id",
            "kind",
            "number",
            "heading",
            "title",
            "body",
            "anchor",
            "citation",
            "position",
            "depth",
        )
        .order_by("position")
    )


def _counts_per_article(draft: Draft, *, statuses: tuple[str, ...]) -> dict[int | None, int]:
    """Comment counts per article (None = the whole draft), by one aggregate query."""
    rows = (
        Comment.objects.filter(draft=draft, status__in=statuses)
        .values("article_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["article_id"]: row["n"] for row in rows}


def _published(draft: Draft) -> QuerySet[Comment]:
    return Comment.objects.filter(draft=draft, status=Comment.Status.PUBLISHED).only(
        *_PUBLIC_COMMENT_FIELDS
    )


def _latest_per_article(
    draft: Draft, *, per_article: int
) -> dict[int | None, list[dict[str, Any]]]:
    """The latest `per_article` published comments of every article (and of the draft as a
    whole, key None), newest first, in one query: a window ranks them within each article.
    Each is what a preview shows: {id, author, type_label, published_at, preview, truncated}
    (plain rows: at 500 articles, model instances and per-comment label lookups were most of
    the page's time)."""
    ranked = (
        Comment.objects.filter(draft=draft, status=Comment.Status.PUBLISHED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("article_id")],
                order_by=[F("published_at").desc(nulls_last=True), F("id").desc()],
            )
        )
        .filter(rank__lte=per_article)
        .order_by("article_id", "rank")
        .values(*_PREVIEW_COMMENT_FIELDS)
    )
    type_labels = {value: str(label) for value, label in Comment.CommenterType.choices}
    anonymous = str(_("Người góp ý ẩn danh"))
    latest: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in ranked:
        preview, truncated = comment_preview(row["body"])
        latest[row["article_id"]].append(
            {
                "id": row["id"],
                "author": comment_display_name(
                    row["commenter_type"],
                    row["organization"],
                    row["name"],
                    row["publish_name"],
                    anonymous,
                ),
                "type_label": type_labels.get(row["commenter_type"], ""),
                "published_at": row["published_at"],
                "preview": preview,
                "truncated": truncated,
            }
        )
    return latest


def comment_preview(body: str, limit: int = PREVIEW_CHARS) -> tuple[str, bool]:
    """The start of a comment for a preview: at most `limit` characters, cut at a space, and
    whether anything was cut."""
    if len(body) <= limit:
        return body, False
    cut = body[:limit].rsplit(None, 1)[0] if " " in body[:limit] else body[:limit]
    return cut.rstrip(" ,.;:") + "…", True


def _published_stats(draft: Draft) -> tuple[dict[int | None, int], str]:
    """Published comments per article (None = the whole draft) and a fingerprint of what the
    page shows of them, in one aggregate query: it changes when a comment is published, taken
    down or edited (each edit raises its `version`), so a rendering cached under it is never
    stale for those."""
    rows = sorted(
        Comment.objects.filter(draft=draft, status=Comment.Status.PUBLISHED)
        .values("article_id")
        .annotate(n=Count("id"), versions=Sum("version"), last=Max("published_at"), top=Max("id"))
        .order_by()
        .values_list("article_id", "n", "versions", "last", "top"),
        key=lambda row: (row[0] is not None, row[0] or 0),
    )
    digest = hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()
    return {row[0]: row[1] for row in rows}, digest


def draft_page(
    *,
    draft: Draft,
    viewer: Any,
    now: dt.datetime | None = None,
    previews: bool = True,
) -> dict[str, Any]:
    """Everything the public page of a draft shows, in a fixed number of queries whatever the
    number of articles and comments: the text (one query), counts of published comments per
    article with their fingerprint (one aggregate), the latest PREVIEW_PER_ARTICLE published
    comments of each article and of the draft as a whole (one query, skipped with
    `previews=False`: `draft_page_previews` reads them later), the attachments (one query)."""
    now = now or timezone.now()
    nodes = _nodes(draft)
    counts, fingerprint = _published_stats(draft)
    text = [TextNode(node=n, comment_count=counts.get(n.pk, 0)) for n in nodes]
    _mark_article_ends(text)
    outline = [t for t in text if t.node.kind in OUTLINE_KINDS]
    articles = [t.node for t in text if t.node.kind == DraftNode.Kind.ARTICLE]
    files = list(draft.attachments.all())
    phase = draft.phase_at(now)
    page = {
        "draft": draft,
        "phase": phase,
        "is_open": draft.status == Draft.Status.PUBLISHED and phase == Draft.Phase.OPEN,
        "time_left": time_left(draft=draft, now=now),
        "text": text,
        "outline": outline,
        "articles": articles,
        "general_comments": [],
        "general_count": counts.get(None, 0),
        "comments_fingerprint": fingerprint,
        "published_count": sum(counts.values()),
        "attachments": [
            a
            for a in files
            if a.kind
            not in (DraftAttachment.Kind.SYNTHESIS_REPORT, DraftAttachment.Kind.REVISED_DRAFT)
        ],
        "report_files": [
            a
            for a in files
            if a.kind in (DraftAttachment.Kind.SYNTHESIS_REPORT, DraftAttachment.Kind.REVISED_DRAFT)
        ],
        "can_manage": rules.has_perm(viewer, MANAGE_DRAFT, draft),
    }
    if previews:
        draft_page_previews(draft=draft, page=page)
    return page


def draft_page_previews(*, draft: Draft, page: dict[str, Any]) -> None:
    """Fill in the comment previews of a `draft_page(previews=False)`: each article's and the
    draft's latest PREVIEW_PER_ARTICLE published comments (one query, none without any)."""
    latest = (
        _latest_per_article(draft, per_article=PREVIEW_PER_ARTICLE)
        if page["published_count"]
        else {}
    )
    for item in page["text"]:
        item.comments = latest.get(item.node.pk, [])
    page["general_comments"] = latest.get(None, [])


def comment_list_public(*, draft: Draft, article: str = "") -> dict[str, Any]:
    """The published comments of one article (`article` is its anchor), of the draft as a
    whole (`article` = GENERAL) or of the whole draft (empty), oldest first so that a comment
    keeps its page as new ones arrive. Anybody may read them; the queryset is for a paginator.
    NotFound for an anchor the draft does not have."""
    comments = _published(draft)
    node = None
    if article == GENERAL:
        comments = comments.filter(article__isnull=True)
    elif article:
        node = (
            DraftNode.objects.filter(draft=draft, kind=DraftNode.Kind.ARTICLE, anchor=article)
            .only("id", "number", "title", "citation", "anchor", "heading")
            .first()
        )
        if node is None:
            raise NotFound(_("Không tìm thấy điều này trong dự thảo."))
        comments = comments.filter(article=node)
    return {
        "article": node,
        "scope": GENERAL if article == GENERAL else ("article" if node else "all"),
        "comments": comments.order_by(*_LIST_ORDER),
    }


def comment_public_locate(*, draft: Draft, comment_id: int) -> tuple[str, int]:
    """Where a published comment is listed: (the `article` of its list page, the page number)
    in `comment_list_public`'s order. NotFound for a comment that is not published on this
    draft (pending, rejected, another draft's, or none)."""
    comment = (
        _published(draft).filter(pk=comment_id).select_related("article").first()
        if comment_id
        else None
    )
    if comment is None:
        raise NotFound(_("Không tìm thấy góp ý."))
    same_list = _published(draft).filter(article_id=comment.article_id)
    # Published comments always have a time; a legacy row without one is listed first.
    earlier = Q(published_at__isnull=True, id__lt=comment.pk)
    if comment.published_at is not None:
        earlier = (
            Q(published_at__isnull=True)
            | Q(published_at__lt=comment.published_at)
            | Q(published_at=comment.published_at, id__lt=comment.pk)
        )
    before = same_list.filter(earlier).count()
    article = comment.article.anchor if comment.article else GENERAL
    return article, before // COMMENTS_PER_PAGE + 1


def draft_public_dict(draft: Draft, *, now: dt.datetime | None = None) -> dict[str, Any]:
    return {
        "slug": draft.slug,
        "title": draft.title,
        "kind": draft.kind.name,
        "agency": draft.agency.name,
        "sector": draft.sector.name if draft.sector_id and draft.sector else "",
        "summary": draft.summary,
        "phase": draft.phase_at(now or timezone.now()),
        "opens_at": draft.opens_at.isoformat(),
        "closes_at": draft.closes_at.isoformat(),
        "shortened_procedure": draft.shortened_procedure,
        "receiving_unit": {
            "name": draft.receiving_unit_name,
            "address": draft.receiving_unit_address,
            "email": draft.receiving_unit_email,
        },
        "report_published_at": (
            draft.report_published_at.isoformat() if draft.report_published_at else None
        ),
    }


def draft_public_detail(*, draft: Draft, viewer: Any) -> dict[str, Any]:
    """The API's view of a draft: its structure with counts and its published comments only."""
    page = draft_page(draft=draft, viewer=viewer, previews=False)
    data = draft_public_dict(draft)
    data["response_summary"] = draft.response_summary if draft.report_published_at else ""
    data["nodes"] = [
        {
            "kind": t.node.kind,
            "number": t.node.number,
            "heading": t.node.heading,
            "title": t.node.title,
            "body": t.node.body,
            "anchor": t.node.anchor,
            "citation": t.node.citation,
            "depth": t.node.depth,
            "comment_count": t.comment_count,
        }
        for t in page["text"]
    ]
    comments = (
        Comment.objects.filter(draft=draft, status=Comment.Status.PUBLISHED)
        .select_related("article", "draft")
        .order_by("published_at", "id")
    )
    data["comments"] = [comment_public_dict(c) for c in comments]
    data["attachments"] = [
        {
            "id": a.pk,
            "kind": a.kind,
            "title": a.title,
            "content_type": a.content_type,
            "size": a.size,
        }
        for a in page["attachments"] + page["report_files"]
    ]
    return data


# --- the agency's workspace and the moderation page ------------------------------------------


def draft_workspace(*, draft: Draft, viewer: Any) -> dict[str, Any]:
    """The drafting agency's view of a draft: counts per article (all statuses), per commenter
    type, per day (Vietnamese dates), per status and disposition, and every comment.
    Staff of the draft's agency, moderators and administrators only."""
    rules.require(viewer, VIEW_ALL_COMMENTS, draft)
    all_statuses = tuple(Comment.Status.values)
    counts = _counts_per_article(draft, statuses=all_statuses)
    articles = [
        (n, counts.get(n.pk, 0))
        for n in DraftNode.objects.filter(draft=draft, kind=DraftNode.Kind.ARTICLE)
        .only("id", "number", "title", "citation", "anchor", "position")
        .order_by("position")
    ]
    comments = Comment.objects.filter(draft=draft)
    by_type = dict(comments.values_list("commenter_type").annotate(n=Count("id")).order_by())
    by_status = dict(comments.values_list("status").annotate(n=Count("id")).order_by())
    by_disposition = dict(comments.values_list("disposition").annotate(n=Count("id")).order_by())
    by_day = list(
        comments.annotate(day=TruncDate("submitted_at", tzinfo=VN_TZ))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return {
        "draft": draft,
        "total": sum(by_status.values()),
        "general_count": counts.get(None, 0),
        "articles": articles,
        "by_type": [
            (label, by_type.get(value, 0)) for value, label in Comment.CommenterType.choices
        ],
        "by_status": [(label, by_status.get(value, 0)) for value, label in Comment.Status.choices],
        "by_disposition": [
            (label, by_disposition.get(value, 0)) for value, label in Comment.Disposition.choices
        ],
        "by_day": [(row["day"], row["n"]) for row in by_day],
        "can_view_contacts": rules.has_perm(viewer, VIEW_CONTACTS, draft),
        "can_moderate": rules.has_perm(viewer, MODERATE_COMMENT, draft),
    }


def comment_list_for_staff(
    *, draft: Draft, viewer: Any, status: str = "", article: str = ""
) -> QuerySet[Comment]:
    """Every comment of a draft (pending too) for its agency, moderators, administrators."""
    rules.require(viewer, VIEW_ALL_COMMENTS, draft)
    comments = Comment.objects.filter(draft=draft).select_related(
        "article", "rejection_reason", "draft"
    )
    if status in Comment.Status.values:
        comments = comments.filter(status=status)
    if article == "general":
        comments = comments.filter(article__isnull=True)
    elif article:
        comments = comments.filter(article__anchor=article)
    return comments.order_by("submitted_at", "id")


def comment_list_pending(*, draft: Draft, viewer: Any) -> QuerySet[Comment]:
    """The moderation queue of a draft, oldest first. Moderators and administrators."""
    rules.require(viewer, MODERATE_COMMENT, draft)
    return (
        Comment.objects.filter(draft=draft, status=Comment.Status.PENDING)
        .select_related("article", "draft")
        .order_by("submitted_at", "id")
    )


def comment_get_for_staff(*, comment_id: int, viewer: Any) -> Comment:
    comment = (
        Comment.objects.select_related("draft", "article", "rejection_reason")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or not rules.has_perm(viewer, VIEW_ALL_COMMENTS, comment.draft):
        raise NotFound(_("Không tìm thấy góp ý."))
    return comment
