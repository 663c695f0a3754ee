"""Every state change of the consultation on drafts, one function per use case.

Each service checks the permission rule (drafts.rules), validates, and writes the change with its
audit entry in one transaction. HTML views, the JSON API and the `import_draft` command all call
these functions, so a rule (the comment period above all) lives in one place.

Drafts have no live feed: these services emit no events. Nothing here sends notifications yet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from consult import rules
from consult.errors import Conflict, Invalid, NotFound, PeriodClosed
from consult.models import Agency
from consult.ratelimit import ratelimit_hit
from consult.templatetags.consult_tags import vn_time
from consult.text import fold, normalize_text
from consult.validation import FieldErrors
from drafts import attachments as files
from drafts.models import (
    Comment,
    DocumentKind,
    Draft,
    DraftAttachment,
    DraftNode,
    Sector,
    search_text_of,
)
from drafts.rules import (
    ENTER_OFFLINE_COMMENT,
    MANAGE_DRAFT,
    MODERATE_COMMENT,
    SET_DISPOSITION,
)
from moderation import notifications
from moderation.services import (
    audit_record,
    item_index,
    item_sync,
    reason_get_active,
    version_check,
)

# The law fixes the comment period in Vietnamese time, whatever the server's clock zone.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DRAFT_KIND = "draft"
COMMENT_KIND = "comment"


def _cfg(name: str, default: int) -> int:
    return int(getattr(settings, "CONSULT", {}).get(name, default))


def local(value: dt.datetime) -> dt.datetime:
    """`value` in Asia/Ho_Chi_Minh time."""
    return timezone.localtime(value, VN_TZ)


def _fmt(value: dt.datetime) -> str:
    # The same stamp as the draft page shows for the same messages ("00:00, 01/12/2026").
    return vn_time(value)


def _aware(value: Any, field: str, errors: FieldErrors) -> dt.datetime | None:
    """An aware datetime from a datetime or an ISO string; naive values are Vietnamese time."""
    if value in (None, ""):
        errors.add(field, _("Vui lòng nhập thời gian."))
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors.add(field, _("Thời gian không hợp lệ (ví dụ 2026-12-01T08:00)."))
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if not isinstance(value, dt.datetime):
        errors.add(field, _("Thời gian không hợp lệ."))
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=VN_TZ)
    return value


def _resolve(model: Any, value: Any, *, field: str, errors: FieldErrors, required: bool) -> Any:
    """A model instance from an instance, a primary key or a code."""
    if value in (None, ""):
        if required:
            errors.add(field, _("Vui lòng chọn."))
        return None
    if isinstance(value, model):
        return value
    try:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return model.objects.get(pk=int(value))
        return model.objects.get(code=str(value))
    except model.DoesNotExist:
        errors.add(field, _("Lựa chọn không hợp lệ."))
        return None


def _draft_lock(draft_id: int) -> Draft:
    try:
        return Draft.objects.select_for_update().select_related("kind", "agency").get(pk=draft_id)
    except (Draft.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Không tìm thấy dự thảo.")) from exc


def _draft_state(draft: Draft) -> dict[str, Any]:
    return {
        "title": draft.title,
        "status": draft.status,
        "kind": draft.kind_id,
        "agency": draft.agency_id,
        "sector": draft.sector_id,
        "opens_at": draft.opens_at.isoformat() if draft.opens_at else None,
        "closes_at": draft.closes_at.isoformat() if draft.closes_at else None,
        "shortened_procedure": draft.shortened_procedure,
        "report_published_at": (
            draft.report_published_at.isoformat() if draft.report_published_at else None
        ),
    }


def _slug_new(title: str) -> str:
    base = slugify(fold(title))
    if len(base) > 80:  # cut at a word boundary, not in the middle of a syllable
        base = base[:81].rsplit("-", 1)[0]
    base = base.strip("-") or "du-thao"
    if base == "new":  # /staff/drafts/new/ is the creation form
        base = "du-thao-new"
    slug, counter = base, 1
    while Draft.objects.filter(slug=slug).exists():
        counter += 1
        slug = f"{base}-{counter}"
    return slug


def period_check(
    *,
    kind: DocumentKind,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    shortened_procedure: bool,
    shortened_reason: str,
    errors: FieldErrors,
) -> None:
    """The comment period: closes after it opens, and lasts at least the kind's minimum unless
    the shortened procedure is declared with a written reason."""
    if closes_at <= opens_at:
        errors.add("closes_at", _("Thời điểm hết hạn phải sau thời điểm bắt đầu."))
        return
    minimum = dt.timedelta(days=kind.min_comment_days)
    if closes_at - opens_at < minimum:
        if not shortened_procedure:
            errors.add(
                "closes_at",
                _(
                    "Thời hạn lấy ý kiến %(kind)s tối thiểu là %(days)s ngày. Muốn rút ngắn, "
                    "hãy chọn “trình tự, thủ tục rút gọn” và nêu lý do."
                )
                % {"kind": kind.name, "days": kind.min_comment_days},
            )
        elif not shortened_reason:
            errors.add(
                "shortened_reason",
                _("Vui lòng nêu lý do áp dụng trình tự, thủ tục rút gọn."),
            )


def _draft_fields(
    errors: FieldErrors,
    *,
    agency: Any,
    kind: Any,
    sector: Any,
    title: Any,
    summary: Any,
    receiving_unit_name: Any,
    receiving_unit_address: Any,
    receiving_unit_email: Any,
    opens_at: Any,
    closes_at: Any,
    shortened_procedure: Any,
    shortened_reason: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    data["agency"] = _resolve(Agency, agency, field="agency", errors=errors, required=True)
    data["kind"] = _resolve(DocumentKind, kind, field="kind", errors=errors, required=True)
    data["sector"] = _resolve(Sector, sector, field="sector", errors=errors, required=False)
    data["title"] = errors.text("title", title, max_length=500)
    data["summary"] = errors.text(
        "summary", summary, max_length=5000, required=False, multiline=True
    )
    agency_obj = data["agency"]
    # The receiving unit defaults to the drafting agency itself (the usual case).
    name = normalize_text(receiving_unit_name, multiline=False) or (
        agency_obj.name if agency_obj else ""
    )
    address = normalize_text(receiving_unit_address, multiline=False) or (
        agency_obj.address if agency_obj else ""
    )
    email = normalize_text(receiving_unit_email, multiline=False) or (
        agency_obj.email if agency_obj else ""
    )
    data["receiving_unit_name"] = errors.text("receiving_unit_name", name, max_length=255)
    data["receiving_unit_address"] = errors.text("receiving_unit_address", address, max_length=255)
    data["receiving_unit_email"] = errors.email("receiving_unit_email", email)
    if not data["receiving_unit_email"] and "receiving_unit_email" not in errors.fields:
        errors.add("receiving_unit_email", _("Vui lòng nhập thư điện tử nhận góp ý."))
    data["opens_at"] = _aware(opens_at, "opens_at", errors)
    data["closes_at"] = _aware(closes_at, "closes_at", errors)
    data["shortened_procedure"] = errors.boolean("shortened_procedure", shortened_procedure)
    data["shortened_reason"] = errors.text(
        "shortened_reason", shortened_reason, max_length=2000, required=False, multiline=True
    )
    if data["kind"] and data["opens_at"] and data["closes_at"]:
        period_check(
            kind=data["kind"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            shortened_procedure=data["shortened_procedure"],
            shortened_reason=data["shortened_reason"],
            errors=errors,
        )
    if not data["shortened_procedure"]:
        data["shortened_reason"] = ""
    return data


def _search_text(draft: Draft) -> str:
    return search_text_of(draft.title, draft.summary)


# --- drafts ----------------------------------------------------------------------------------


def draft_create(
    *,
    actor: Any,
    agency: Any,
    kind: Any,
    title: Any,
    opens_at: Any,
    closes_at: Any,
    summary: Any = "",
    sector: Any = None,
    receiving_unit_name: Any = "",
    receiving_unit_address: Any = "",
    receiving_unit_email: Any = "",
    shortened_procedure: Any = False,
    shortened_reason: Any = "",
) -> Draft:
    """Create a draft (not yet public) for an agency.

    Agency staff for their own agency; moderators and administrators for any. `agency`, `kind`
    and `sector` are instances, primary keys or codes. The receiving unit defaults to the
    agency's name, address and e-mail. Raises Invalid for a period shorter than the kind's
    minimum without the shortened procedure and its reason. Emits nothing.
    """
    rules.require(actor, MANAGE_DRAFT)
    errors = FieldErrors()
    data = _draft_fields(
        errors,
        agency=agency,
        kind=kind,
        sector=sector,
        title=title,
        summary=summary,
        receiving_unit_name=receiving_unit_name,
        receiving_unit_address=receiving_unit_address,
        receiving_unit_email=receiving_unit_email,
        opens_at=opens_at,
        closes_at=closes_at,
        shortened_procedure=shortened_procedure,
        shortened_reason=shortened_reason,
    )
    if data["agency"] is not None:
        rules.require(actor, MANAGE_DRAFT, Draft(agency=data["agency"]))
    errors.raise_if_any()
    with transaction.atomic():
        draft = Draft(**data, created_by=actor if getattr(actor, "pk", None) else None)
        draft.slug = _slug_new(draft.title)
        draft.search_text = _search_text(draft)
        draft.save()
        audit_record(
            actor=actor,
            action="draft.create",
            item_kind=DRAFT_KIND,
            item=draft,
            after=_draft_state(draft),
        )
    return draft


def draft_update(*, actor: Any, draft_id: int, **changes: Any) -> Draft:
    """Change a draft's details or period (same fields and rules as `draft_create`).

    Staff of the draft's agency, moderators and administrators; agency staff cannot hand a
    draft to another agency. Emits nothing.
    """
    allowed = {
        "agency",
        "kind",
        "sector",
        "title",
        "summary",
        "receiving_unit_name",
        "receiving_unit_address",
        "receiving_unit_email",
        "opens_at",
        "closes_at",
        "shortened_procedure",
        "shortened_reason",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"draft_update: unknown fields {sorted(unknown)}")
    with transaction.atomic():
        draft = _draft_lock(draft_id)
        rules.require(actor, MANAGE_DRAFT, draft)
        current = {
            "agency": draft.agency,
            "kind": draft.kind,
            "sector": draft.sector,
            "title": draft.title,
            "summary": draft.summary,
            "receiving_unit_name": draft.receiving_unit_name,
            "receiving_unit_address": draft.receiving_unit_address,
            "receiving_unit_email": draft.receiving_unit_email,
            "opens_at": draft.opens_at,
            "closes_at": draft.closes_at,
            "shortened_procedure": draft.shortened_procedure,
            "shortened_reason": draft.shortened_reason,
        }
        errors = FieldErrors()
        data = _draft_fields(errors, **{**current, **changes})
        if data["agency"] is not None and data["agency"] != draft.agency:
            rules.require(actor, MANAGE_DRAFT, Draft(agency=data["agency"]))
        errors.raise_if_any()
        before = _draft_state(draft)
        for name, value in data.items():
            setattr(draft, name, value)
        draft.search_text = _search_text(draft)
        draft.save()
        audit_record(
            actor=actor,
            action="draft.update",
            item_kind=DRAFT_KIND,
            item=draft,
            before=before,
            after=_draft_state(draft),
        )
    return draft


def draft_publish(*, actor: Any, draft_id: int) -> Draft:
    """Make a draft public (it then shows in the list; comments are accepted during its period).

    Staff of the draft's agency, moderators, administrators. Refused while the draft has
    neither an imported text nor a full-text attachment: the law asks for the full text.
    """
    with transaction.atomic():
        draft = _draft_lock(draft_id)
        rules.require(actor, MANAGE_DRAFT, draft)
        if draft.status == Draft.Status.PUBLISHED:
            return draft
        has_text = (
            draft.nodes.exists()
            or draft.attachments.filter(kind=DraftAttachment.Kind.FULL_TEXT).exists()
        )
        if not has_text:
            raise Conflict(
                _(
                    "Chưa thể công khai: hãy nhập toàn văn dự thảo hoặc đính kèm tệp toàn văn "
                    "trước."
                ),
                code="no_text",
            )
        before = _draft_state(draft)
        draft.status = Draft.Status.PUBLISHED
        draft.published_at = draft.published_at or timezone.now()
        draft.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(
            actor=actor,
            action="draft.publish",
            item_kind=DRAFT_KIND,
            item=draft,
            before=before,
            after=_draft_state(draft),
        )
    return draft


def draft_withdraw(*, actor: Any, draft_id: int, note: str = "") -> Draft:
    """Take a draft off the public pages (comments stay stored for the agency).

    Staff of the draft's agency, moderators, administrators.
    """
    with transaction.atomic():
        draft = _draft_lock(draft_id)
        rules.require(actor, MANAGE_DRAFT, draft)
        if draft.status == Draft.Status.WITHDRAWN:
            return draft
        before = _draft_state(draft)
        draft.status = Draft.Status.WITHDRAWN
        draft.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="draft.withdraw",
            item_kind=DRAFT_KIND,
            item=draft,
            before=before,
            after=_draft_state(draft),
            note=normalize_text(note)[:2000],
        )
    return draft


def _import_limit() -> int:
    return _cfg("DRAFT_IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def draft_import_text(*, actor: Any, draft_id: int, upload: Any, filename: str) -> Draft:
    """Replace a draft's structured text with the one read from a .docx, .txt or .md file.

    Staff of the draft's agency, moderators, administrators. Nodes are stored in document order
    with the importer's anchors and citations; the importer's warnings are kept in
    `Draft.import_warnings` for the officer to check. Refused (Conflict) once comments are tied
    to articles, since replacing the text would orphan them.
    """
    from drafts.importer import ImportFormatError, parse_file

    with transaction.atomic():
        draft = _draft_lock(draft_id)
        rules.require(actor, MANAGE_DRAFT, draft)
        if draft.comments.filter(article__isnull=False).exists():
            raise Conflict(
                _("Không thể thay toàn văn: đã có góp ý gắn với các điều của dự thảo."),
                code="has_comments",
            )
        size = getattr(upload, "size", None)
        if size is not None and size > _import_limit():
            raise Invalid(
                _("Tệp quá lớn (tối đa %(max)s MB).") % {"max": _import_limit() // (1024 * 1024)},
                fields={"file": _("Tệp quá lớn.")},
            )
        if filename.lower().endswith(".docx"):
            # Content check and zip-bomb guard before python-docx decompresses anything.
            files.file_validate(upload, allowed=(files.DOCX,))
        try:
            parsed = parse_file(upload, filename=filename)
        except ImportFormatError as exc:
            raise Invalid(str(exc), fields={"file": str(exc)}) from exc
        if not any(True for _node in parsed.walk()):
            raise Invalid(
                _("Tệp không có nội dung văn bản."), fields={"file": _("Tệp không có nội dung.")}
            )
        draft.nodes.all().delete()
        count = _nodes_store(draft, parsed.nodes)
        draft.import_warnings = [
            {"code": w.code, "message": w.message, "line": w.line} for w in parsed.warnings
        ]
        draft.save(update_fields=["import_warnings", "updated_at"])
        audit_record(
            actor=actor,
            action="draft.import_text",
            item_kind=DRAFT_KIND,
            item=draft,
            after={
                "file": filename[:200],
                "nodes": count,
                "articles": len(parsed.articles()),
                "warnings": len(parsed.warnings),
            },
        )
    return draft


def _nodes_store(draft: Draft, roots: list[Any]) -> int:
    """Store the importer's tree level by level with bulk inserts (parents first, so each level
    knows its parents' ids), numbering `position` in document order."""
    position = 0
    levels: list[list[tuple[DraftNode, Any, DraftNode | None]]] = []
    used: set[str] = set()

    def visit(node: Any, parent: DraftNode | None, depth: int) -> None:
        nonlocal position
        position += 1
        title = node.title or ""
        body = node.body or ""
        if len(title) > 1000:  # never lose text: an overlong title goes into the body
            body, title = f"{title}\n{body}".strip(), ""
        anchor = (node.anchor or f"n-{position}")[:110]
        base, counter = anchor, 1
        while anchor in used:
            counter += 1
            anchor = f"{base}-{counter}"
        used.add(anchor)
        row = DraftNode(
            draft=draft,
            kind=node.kind,
            number=(node.number or "")[:20],
            heading=(getattr(node, "heading", "") or "")[:255],
            title=title,
            body=body,
            anchor=anchor,
            citation=(node.citation or "")[:120],
            position=position,
            depth=depth,
        )
        while len(levels) <= depth:
            levels.append([])
        levels[depth].append((row, node, parent))
        for child in node.children:
            visit(child, row, depth + 1)

    for root in roots:
        visit(root, None, 0)
    for level in levels:
        rows = []
        for row, _node, parent in level:
            row.parent = parent
            rows.append(row)
        DraftNode.objects.bulk_create(rows, batch_size=500)
    return position


# --- attachments -----------------------------------------------------------------------------


def attachment_add(
    *, actor: Any, draft_id: int, kind: str, title: Any, upload: Any
) -> DraftAttachment:
    """Attach a file (full text, submission, annex, report, revised draft) to a draft.

    Staff of the draft's agency, moderators, administrators. The type is checked by content
    (drafts.attachments); TooLarge past the size limit. The stored name is random.
    """
    errors = FieldErrors()
    title = errors.text("title", title, max_length=255)
    if kind not in DraftAttachment.Kind.values:
        errors.add("kind", _("Loại tài liệu không hợp lệ."))
    with transaction.atomic():
        draft = _draft_lock(draft_id)
        rules.require(actor, MANAGE_DRAFT, draft)
        errors.raise_if_any()
        file_type = files.file_validate(upload)
        upload.seek(0)
        attachment = DraftAttachment(
            draft=draft,
            kind=kind,
            title=title,
            original_name=normalize_text(getattr(upload, "name", ""), multiline=False)[:255],
            content_type=file_type.mime,
            size=files._size_of(upload),
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        attachment.file.save(files.stored_name(file_type), File(upload), save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="attachment.add",
            item_kind=DRAFT_KIND,
            item=draft,
            after={"attachment": attachment.pk, "kind": kind, "title": title},
        )
    return attachment


def attachment_remove(*, actor: Any, attachment_id: int) -> None:
    """Remove an attachment and its file. Staff of the draft's agency, moderators, administrators."""
    with transaction.atomic():
        try:
            attachment = DraftAttachment.objects.select_related("draft").get(pk=attachment_id)
        except (DraftAttachment.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound(_("Không tìm thấy tài liệu.")) from exc
        draft = _draft_lock(attachment.draft_id)
        rules.require(actor, MANAGE_DRAFT, draft)
        audit_record(
            actor=actor,
            action="attachment.remove",
            item_kind=DRAFT_KIND,
            item=draft,
            before={
                "attachment": attachment.pk,
                "kind": attachment.kind,
                "title": attachment.title,
            },
        )
        stored = attachment.file.name
        storage = attachment.file.storage
        attachment.delete()
        # The file goes only once the row's removal is committed.
        transaction.on_commit(lambda: storage.delete(stored) if stored else None)


# --- comments --------------------------------------------------------------------------------


def _article_find(draft: Draft, article: Any, errors: FieldErrors) -> DraftNode | None:
    """The Điều a comment is about: its number ("5", "Điều 5") or anchor; empty = whole draft."""
    if article in (None, ""):
        return None
    if isinstance(article, int):
        article = str(article)
    if not isinstance(article, str):
        errors.add("article", _("Điều không hợp lệ."))
        return None
    value = normalize_text(article, multiline=False)
    folded = fold(value)
    if folded.startswith("dieu "):
        value = value.split(" ", 1)[1].strip()
    value = value.rstrip(".")
    nodes = DraftNode.objects.filter(draft=draft, kind=DraftNode.Kind.ARTICLE)
    found = nodes.filter(number=value).order_by("position").first()
    if found is None:
        found = nodes.filter(anchor=value).first()
    if found is None:
        errors.add("article", _("Dự thảo không có Điều %(number)s.") % {"number": value[:20]})
    return found


def _period_enforce(draft: Draft, now: dt.datetime) -> None:
    if now < draft.opens_at:
        raise PeriodClosed(
            _("Dự thảo chưa đến thời gian lấy ý kiến. Bạn có thể gửi góp ý từ %(when)s.")
            % {"when": _fmt(draft.opens_at)},
            data={"opens_at": draft.opens_at.isoformat(), "closes_at": draft.closes_at.isoformat()},
        )
    if now >= draft.closes_at:
        raise PeriodClosed(
            _("Đã hết thời gian lấy ý kiến dự thảo này (hạn cuối %(when)s). Góp ý không được nhận.")
            % {"when": _fmt(draft.closes_at)},
            data={"opens_at": draft.opens_at.isoformat(), "closes_at": draft.closes_at.isoformat()},
        )


def _commenter_fields(
    errors: FieldErrors,
    *,
    name: Any,
    commenter_type: Any,
    organization: Any,
    email: Any,
    phone: Any,
    body: Any,
    require_contact: bool,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    data["name"] = errors.text("name", name, max_length=120)
    if commenter_type not in Comment.CommenterType.values:
        errors.add("commenter_type", _("Vui lòng chọn cá nhân, tổ chức hoặc cơ quan nhà nước."))
    data["commenter_type"] = (
        commenter_type if commenter_type in Comment.CommenterType.values else ""
    )
    data["organization"] = errors.text("organization", organization, max_length=255, required=False)
    if (
        data["commenter_type"] in (Comment.CommenterType.ORGANIZATION, Comment.CommenterType.AGENCY)
        and not data["organization"]
        and "organization" not in errors.fields
    ):
        errors.add("organization", _("Vui lòng nêu tên cơ quan, tổ chức góp ý."))
    data["email"] = errors.email("email", email)
    data["phone"] = errors.phone("phone", phone)
    if (
        require_contact
        and not data["email"]
        and not data["phone"]
        and "email" not in errors.fields
        and "phone" not in errors.fields
    ):
        errors.add("email", _("Vui lòng cho biết thư điện tử hoặc số điện thoại để liên hệ."))
    data["body"] = errors.text(
        "body", body, max_length=_cfg("COMMENT_MAX_LENGTH", 10000), multiline=True
    )
    return data


def comment_submit(
    *,
    draft_id: int,
    name: Any,
    commenter_type: Any,
    body: Any,
    consent: Any,
    organization: Any = "",
    email: Any = "",
    phone: Any = "",
    article: Any = "",
    publish_name: Any = False,
    request_id: Any = "",
    client_ip: str = "",
    now: dt.datetime | None = None,
) -> tuple[Comment, bool]:
    """A citizen, organisation or agency comments on a published draft, on one article
    ("5" = Điều 5) or on the whole draft (empty `article`).

    Anyone may call it. The period is enforced HERE, on the server clock, whatever the page
    showed: before `opens_at` or from `closes_at` on, PeriodClosed (HTTP 409). Returns
    (comment, created); a retry with the same `request_id` returns the first comment. The
    comment is pending until a moderator approves it. Emits no dialogue event; it enters the
    moderators' unified inbox (item.changed rung after commit).
    """
    errors = FieldErrors()
    data = _commenter_fields(
        errors,
        name=name,
        commenter_type=commenter_type,
        organization=organization,
        email=email,
        phone=phone,
        body=body,
        require_contact=True,
    )
    consent = errors.boolean("consent", consent)
    publish_name = errors.boolean("publish_name", publish_name)
    request_id = errors.request_id("request_id", request_id)
    if not consent and "consent" not in errors.fields:
        errors.add("consent", _("Bạn cần đồng ý với việc xử lý thông tin cá nhân để gửi góp ý."))

    draft = Draft.objects.filter(pk=draft_id, status=Draft.Status.PUBLISHED).first()
    if draft is None:
        raise NotFound(_("Không tìm thấy dự thảo."))
    if request_id:
        existing = Comment.objects.filter(draft=draft, request_id=request_id).first()
        if existing is not None:
            return existing, False
    _period_enforce(draft, now or timezone.now())
    article_node = _article_find(draft, article, errors)
    errors.raise_if_any()

    cfg_ip = _cfg("SUBMISSIONS_PER_IP_PER_HOUR", 30)
    cfg_contact = _cfg("SUBMISSIONS_PER_CONTACT_PER_HOUR", 10)
    ratelimit_hit(scope="comment-ip", identity=client_ip, limit=cfg_ip)
    ratelimit_hit(
        scope="comment-contact", identity=data["email"] or data["phone"], limit=cfg_contact
    )
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                draft=draft,
                article=article_node,
                request_id=request_id,
                publish_name=publish_name,
                consent_at=timezone.now(),
                channel=Comment.Channel.ONLINE,
                **data,
            )
            comment_index(comment)
    except IntegrityError:
        # The same request sent twice at the same moment: the other one committed first.
        if request_id:
            existing = Comment.objects.filter(draft=draft, request_id=request_id).first()
            if existing is not None:
                return existing, False
        raise
    return comment, True


def comment_enter_offline(
    *,
    actor: Any,
    draft_id: int,
    channel: Any,
    received_on: Any,
    name: Any,
    commenter_type: Any,
    body: Any,
    organization: Any = "",
    email: Any = "",
    phone: Any = "",
    article: Any = "",
    scan: Any = None,
) -> Comment:
    """Staff record a comment received on paper, by e-mail or at a meeting.

    Staff of the draft's agency, moderators, administrators. The comment counts in the
    agency's synthesis at once, but — like every comment — it reaches the public page only after
    a moderator approves it (it enters the same moderation queue as pending): what appears on
    a state portal is screened by the editorial board whoever typed it. The period is not
    enforced (a letter posted in time may be typed in later); the received date may not be in
    the future. The optional scan is checked like any attachment.
    """
    errors = FieldErrors()
    data = _commenter_fields(
        errors,
        name=name,
        commenter_type=commenter_type,
        organization=organization,
        email=email,
        phone=phone,
        body=body,
        require_contact=False,
    )
    offline = [c for c in Comment.Channel.values if c != Comment.Channel.ONLINE]
    if channel not in offline:
        errors.add("channel", _("Vui lòng chọn hình thức tiếp nhận."))
    received: dt.date | None = None
    if isinstance(received_on, dt.date):
        received = received_on
    elif isinstance(received_on, str) and received_on:
        try:
            received = dt.date.fromisoformat(received_on)
        except ValueError:
            errors.add("received_on", _("Ngày không hợp lệ (ví dụ 2026-11-20)."))
    else:
        errors.add("received_on", _("Vui lòng nhập ngày nhận."))
    if received and received > local(timezone.now()).date():
        errors.add("received_on", _("Ngày nhận không thể ở tương lai."))
    with transaction.atomic():
        draft = _draft_lock(draft_id)
        rules.require(actor, ENTER_OFFLINE_COMMENT, draft)
        article_node = _article_find(draft, article, errors)
        errors.raise_if_any()
        scan_type = None
        if scan:
            try:
                scan_type = files.file_validate(scan, field="scan")
            except Invalid as exc:
                raise Invalid(exc.message, code=exc.code, fields={"scan": exc.message}) from exc
        comment = Comment(
            draft=draft,
            article=article_node,
            channel=channel,
            received_on=received,
            entered_by=actor,
            **data,
        )
        if scan and scan_type:
            scan.seek(0)
            comment.scan.save(files.stored_name(scan_type), File(scan), save=False)
        comment.save()
        comment_index(comment)
        audit_record(
            actor=actor,
            action="comment.enter_offline",
            item_kind=COMMENT_KIND,
            item=comment,
            after=_comment_state(comment),
        )
    return comment


def _comment_lock(comment_id: Any, *, draft_id: int | None = None) -> Comment:
    queryset = Comment.objects.select_for_update()
    if draft_id is not None:
        queryset = queryset.filter(draft_id=draft_id)
    try:
        return queryset.get(pk=int(comment_id))
    except (Comment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Không tìm thấy góp ý.")) from exc


def _comment_state(comment: Comment) -> dict[str, Any]:
    return {
        "status": comment.status,
        "article": comment.article_id,
        "disposition": comment.disposition,
        "response": comment.response[:500],
        "version": comment.version,
        "channel": comment.channel,
    }


def _comment_save(comment: Comment, fields: list[str], *, decided_by: Any = None) -> None:
    comment.version += 1
    comment.save(update_fields=[*fields, "version"])
    item_sync(
        kind=COMMENT_KIND,
        object_id=comment.pk,
        status=comment.status,
        version=comment.version,
        decided_by=decided_by,
    )


# --- the moderators' unified inbox (moderation.Item) and the commenters' e-mails ---------------


def comment_index(comment: Comment) -> None:
    """Put a comment in the moderators' unified inbox (inside the caller's transaction). Its
    article ("Điều 5") is its topic there."""
    draft = comment.draft
    author = comment.name
    if comment.organization:
        author = f"{author} — {comment.organization}"
    item_index(
        kind=COMMENT_KIND,
        object_id=comment.pk,
        context_kind="draft",
        context_id=draft.pk,
        context_label=draft.title,
        context_url=reverse("drafts:staff-moderate", kwargs={"slug": draft.slug}),
        status=comment.status,
        version=comment.version,
        text=comment.body,
        topic=comment.article.citation if comment.article is not None else "",
        author_label=author,
        submitted_at=comment.submitted_at,
    )


def comments_reindex() -> int:
    """Index every comment into the unified inbox (installations older than the index);
    oldest first, so duplicates point at the earlier comment. Returns how many."""
    count = 0
    for comment in Comment.objects.select_related("draft", "article").order_by(
        "submitted_at", "pk"
    ):
        with transaction.atomic():
            comment_index(comment)
        count += 1
    return count


def _moderated(comment: Comment, *, actor: Any, expected_version: Any, allowed: tuple) -> None:
    rules.require(actor, MODERATE_COMMENT, comment.draft)
    version_check(item_kind=COMMENT_KIND, item=comment, expected_version=expected_version)
    if comment.status not in allowed:
        raise Conflict(
            _("Góp ý đang ở trạng thái “%(status)s”, không thể thực hiện thao tác này.")
            % {"status": comment.get_status_display()},
            data={"current": _snapshot(comment)},
        )


def _snapshot(comment: Comment) -> dict[str, Any]:
    from moderation import registry

    return registry.get(COMMENT_KIND).snapshot(comment)


def comment_approve(*, actor: Any, comment_id: int, expected_version: Any = None) -> Comment:
    """Publish a pending comment on the draft's page. Moderators and administrators.

    A second moderator acting on a stale version gets a Conflict with the fresh state.
    """
    with transaction.atomic():
        comment = _comment_lock(comment_id)
        _moderated(
            comment,
            actor=actor,
            expected_version=expected_version,
            allowed=(Comment.Status.PENDING,),
        )
        before = _comment_state(comment)
        comment.status = Comment.Status.PUBLISHED
        comment.published_at = comment.decided_at = timezone.now()
        _comment_save(comment, ["status", "published_at", "decided_at"], decided_by=actor)
        audit_record(
            actor=actor,
            action="approve",
            item_kind=COMMENT_KIND,
            item=comment,
            before=before,
            after=_comment_state(comment),
        )
        notifications.item_published_notify(
            email=comment.email,
            item_label=gettext_noop("góp ý"),  # the mail is always in Vietnamese
            context_label=comment.draft.title,
            text=comment.body,
            # The comment's lasting address: the draft's page shows only the latest few.
            link=reverse("drafts:comment-permalink", args=[comment.draft.slug, comment.pk]),
        )
    return comment


def comment_reject(
    *,
    actor: Any,
    comment_id: int,
    reason_id: Any,
    note: str = "",
    expected_version: Any = None,
) -> Comment:
    """Refuse a pending comment (or take down a published one) with a reason from the legal
    list. Moderators and administrators. The agency still sees it (with its status)."""
    with transaction.atomic():
        comment = _comment_lock(comment_id)
        _moderated(
            comment,
            actor=actor,
            expected_version=expected_version,
            allowed=(Comment.Status.PENDING, Comment.Status.PUBLISHED),
        )
        reason = reason_get_active(reason_id=reason_id)
        if reason is None:
            raise Invalid(
                _("Vui lòng chọn lý do từ chối trong danh mục."),
                fields={"reason": _("Vui lòng chọn lý do từ chối.")},
            )
        before = _comment_state(comment)
        comment.status = Comment.Status.REJECTED
        comment.rejection_reason = reason
        comment.decided_at = timezone.now()
        _comment_save(comment, ["status", "rejection_reason", "decided_at"], decided_by=actor)
        audit_record(
            actor=actor,
            action="reject",
            item_kind=COMMENT_KIND,
            item=comment,
            before=before,
            after=_comment_state(comment),
            reason=reason,
            note=normalize_text(note)[:2000],
        )
        notifications.item_rejected_notify(
            email=comment.email,
            item_label=gettext_noop("góp ý"),  # the mail is always in Vietnamese
            context_label=comment.draft.title,
            text=comment.body,
            reason_title=reason.title,
            reason_explanation=reason.explanation,
        )
    return comment


def comment_set_disposition(
    *,
    actor: Any,
    comment_id: int,
    disposition: Any,
    response: Any = "",
    expected_version: Any = None,
) -> Comment:
    """Record how the drafting agency handled a comment: accepted, partly accepted, or explained
    (not accepted), with the response text that goes into the synthesis table.

    Staff of the draft's agency, moderators, administrators. A response is required for
    "partly" and "explained". Not for rejected comments (they are out of the synthesis).
    """
    errors = FieldErrors()
    choices = [c for c in Comment.Disposition.values if c]
    if disposition not in choices:
        errors.add("disposition", _("Vui lòng chọn tiếp thu, tiếp thu một phần hoặc giải trình."))
    response = errors.text(
        "response",
        response,
        max_length=_cfg("COMMENT_MAX_LENGTH", 10000),
        multiline=True,
        required=disposition in (Comment.Disposition.PARTLY, Comment.Disposition.EXPLAINED),
    )
    with transaction.atomic():
        comment = _comment_lock(comment_id)
        rules.require(actor, SET_DISPOSITION, comment.draft)
        version_check(item_kind=COMMENT_KIND, item=comment, expected_version=expected_version)
        errors.raise_if_any()
        if comment.status == Comment.Status.REJECTED:
            raise Conflict(
                _("Góp ý đã bị từ chối, không đưa vào tổng hợp tiếp thu, giải trình."),
                data={"current": _snapshot(comment)},
            )
        before = _comment_state(comment)
        comment.disposition = disposition
        comment.response = response
        comment.disposition_by = actor
        comment.disposition_at = timezone.now()
        _comment_save(comment, ["disposition", "response", "disposition_by", "disposition_at"])
        audit_record(
            actor=actor,
            action="comment.disposition",
            item_kind=COMMENT_KIND,
            item=comment,
            before=before,
            after=_comment_state(comment),
        )
    return comment


def draft_publish_report(
    *,
    actor: Any,
    draft_id: int,
    response_summary: Any,
    report: Any = None,
    revised_draft: Any = None,
    now: dt.datetime | None = None,
) -> Draft:
    """Publish the outcome: the synthesis report (required, uploaded now or before), the revised
    draft (optional) and a short summary of what was accepted, shown on the draft's page.

    Staff of the draft's agency, moderators, administrators; only after the period closed.
    """
    errors = FieldErrors()
    summary = errors.text("response_summary", response_summary, max_length=10000, multiline=True)
    with transaction.atomic():
        draft = _draft_lock(draft_id)
        rules.require(actor, MANAGE_DRAFT, draft)
        if draft.status != Draft.Status.PUBLISHED:
            raise Conflict(_("Dự thảo chưa được công khai."))
        if (now or timezone.now()) < draft.closes_at:
            raise Conflict(
                _("Chỉ công bố kết quả sau khi hết thời gian lấy ý kiến (%(when)s).")
                % {"when": _fmt(draft.closes_at)}
            )
        has_report = draft.attachments.filter(kind=DraftAttachment.Kind.SYNTHESIS_REPORT).exists()
        if report is None and not has_report:
            errors.add("report", _("Vui lòng đính kèm báo cáo tổng hợp, tiếp thu, giải trình."))
        errors.raise_if_any()
        if report is not None:
            attachment_add(
                actor=actor,
                draft_id=draft.pk,
                kind=DraftAttachment.Kind.SYNTHESIS_REPORT,
                title=_("Báo cáo tổng hợp, tiếp thu, giải trình ý kiến góp ý"),
                upload=report,
            )
        if revised_draft is not None:
            attachment_add(
                actor=actor,
                draft_id=draft.pk,
                kind=DraftAttachment.Kind.REVISED_DRAFT,
                title=_("Dự thảo đã tiếp thu, chỉnh lý"),
                upload=revised_draft,
            )
        before = _draft_state(draft)
        draft.response_summary = summary
        draft.report_published_at = draft.report_published_at or timezone.now()
        draft.save(update_fields=["response_summary", "report_published_at", "updated_at"])
        audit_record(
            actor=actor,
            action="draft.publish_report",
            item_kind=DRAFT_KIND,
            item=draft,
            before=before,
            after=_draft_state(draft),
        )
    return draft
