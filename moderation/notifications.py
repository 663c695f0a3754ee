"""E-mails telling a citizen what became of what they wrote: published, rejected (with the
reason and its explanation), answered (questions).

Features call these from their decision services with plain values (moderation never imports
a feature). Nothing is sent for an author who gave no e-mail address. The mail leaves only after
the decision commits (a rolled-back decision sends nothing), and a failing mail server is logged,
never allowed to undo or break the decision.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Citizens write in Vietnamese and the portal speaks to them in Vietnamese, whatever language
# the moderator's own page is in.
LANGUAGE = "vi"


def absolute_url(path: str) -> str:
    """A link for an e-mail: settings.CONSULT["SITE_URL"] (e.g. https://dichvucong.binhan.gov.vn)
    in front of the path; without it, the first concrete host of ALLOWED_HOSTS."""
    if not path or path.startswith(("http://", "https://")):
        return path
    base = str(settings.CONSULT.get("SITE_URL", "") or "").rstrip("/")
    if not base:
        hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
        base = f"http://{hosts[0]}" if hosts else ""
    return f"{base}{path}"


def _quote(text: str, limit: int = 600) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return "\n".join(f"  {line}" for line in text.splitlines() or [""])


def _signature() -> str:
    return _("Ban Biên tập %(site)s") % {"site": settings.CONSULT.get("SITE_NAME", "")}


def _send_after_commit(*, to: str, subject: str, body: str) -> None:
    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
        except Exception:  # a mail server failure never breaks the decision already made
            logger.exception("notification e-mail to the author failed: %s", subject)

    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(send, robust=True)
    else:
        send()


def _notify(to: str | None, build: Any) -> bool:
    """Build (in Vietnamese) and queue one mail; False when there is no address."""
    to = (to or "").strip()
    if not to:
        return False
    with translation.override(LANGUAGE):
        subject, body = build()
    _send_after_commit(to=to, subject=subject, body=body)
    return True


def item_published_notify(
    *, email: str | None, item_label: str, context_label: str, text: str, link: str = ""
) -> bool:
    """Tell the author their question or comment (`item_label`: "câu hỏi", "góp ý") sent to
    `context_label` is now public. Returns whether a mail was queued."""

    def build() -> tuple[str, str]:
        subject = _("%(item)s của bạn đã được đăng") % {"item": item_label.capitalize()}
        lines = [
            _("Kính gửi Quý vị,"),
            "",
            _("%(item)s của Quý vị gửi tới “%(context)s” đã được Ban Biên tập duyệt và đăng:")
            % {"item": item_label.capitalize(), "context": context_label},
            "",
            _quote(text),
            "",
        ]
        if link:
            lines += [_("Theo dõi tại: %(link)s") % {"link": absolute_url(link)}, ""]
        lines += [_("Trân trọng,"), _signature()]
        return subject, "\n".join(lines)

    return _notify(email, build)


def item_rejected_notify(
    *,
    email: str | None,
    item_label: str,
    context_label: str,
    text: str,
    reason_title: str,
    reason_explanation: str,
    link: str = "",
) -> bool:
    """Tell the author their question or comment was not published, and why: the reason's
    title and its citizen-facing explanation. Returns whether a mail was queued."""

    def build() -> tuple[str, str]:
        subject = _("%(item)s của bạn không được đăng") % {"item": item_label.capitalize()}
        lines = [
            _("Kính gửi Quý vị,"),
            "",
            _("%(item)s của Quý vị gửi tới “%(context)s” không được đăng:")
            % {"item": item_label.capitalize(), "context": context_label},
            "",
            _quote(text),
            "",
            _("Lý do: %(reason)s") % {"reason": reason_title},
        ]
        if reason_explanation:
            lines.append(reason_explanation.strip())
        lines.append("")
        if link:
            lines += [_("Xem chi tiết tại: %(link)s") % {"link": absolute_url(link)}, ""]
        lines += [_("Trân trọng,"), _signature()]
        return subject, "\n".join(lines)

    return _notify(email, build)


def question_answered_notify(
    *,
    email: str | None,
    context_label: str,
    text: str,
    answer_text: str,
    answered_by: str,
    link: str,
) -> bool:
    """Tell the asker their question (or the one it was merged into: `text`) was answered,
    with the answer and a link to their tracking page. Returns whether a mail was queued."""

    def build() -> tuple[str, str]:
        subject = _("Câu hỏi của bạn đã được trả lời")
        lines = [
            _("Kính gửi Quý vị,"),
            "",
            _("Câu hỏi gửi tới “%(context)s”:") % {"context": context_label},
            "",
            _quote(text),
            "",
            _("đã được %(leader)s trả lời:") % {"leader": answered_by},
            "",
            _quote(answer_text, limit=5000),
            "",
            _("Theo dõi câu hỏi và xem toàn văn trả lời tại: %(link)s")
            % {"link": absolute_url(link)},
            "",
            _("Trân trọng,"),
            _signature(),
        ]
        return subject, "\n".join(lines)

    return _notify(email, build)
