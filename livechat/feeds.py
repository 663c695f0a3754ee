"""RSS and Atom feeds of the dialogues a citizen can still take part in (announced or live), so a
provincial portal, a newsroom or a feed reader learns of a new dialogue without polling the page.

Public data only: topic, time, chair, how to take part (what the public list shows). Linked from
the dialogue list with <link rel="alternate"> and visible links.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import gettext as _

from livechat import selectors
from livechat.models import Dialogue

# A feed is read every few minutes by many readers; the newest fifty are plenty.
FEED_LIMIT = 50


def _local_text(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return local.strftime("%H:%M %d/%m/%Y")


class DialogueFeed(Feed):  # type: ignore[type-arg]  # django-stubs' Feed is generic
    """Announced and live dialogues, soonest first (RSS 2.0)."""

    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def title(self) -> str:
        return _("Đối thoại trực tuyến sắp diễn ra và đang diễn ra")

    def link(self) -> str:
        return reverse("livechat:dialogue-list")

    def description(self) -> str:
        return _(
            "Các cuộc đối thoại trực tuyến đã được thông báo hoặc đang diễn ra: chủ đề, thời "
            "gian, lãnh đạo chủ trì và cách gửi câu hỏi."
        )

    def items(self) -> QuerySet[Dialogue]:
        return (
            selectors.dialogue_list_public()
            .filter(status__in=[Dialogue.Status.ANNOUNCED, Dialogue.Status.LIVE])
            .order_by("starts_at", "id")[:FEED_LIMIT]
        )

    def item_title(self, item: Dialogue) -> str:
        if item.status == Dialogue.Status.LIVE:
            return _("[Đang trực tiếp] %(topic)s") % {"topic": item.topic}
        return str(item.topic)

    def item_description(self, item: Dialogue) -> str:
        # Plain text: the feed generator escapes it, so nothing a moderator typed becomes markup.
        lines = [
            _("Thời gian: %(start)s – %(end)s")
            % {"start": _local_text(item.starts_at), "end": _local_text(item.ends_at)},
            _("Chủ trì: %(name)s, %(title)s")
            % {"name": item.chair.name, "title": item.chair.title},
        ]
        if item.description:
            lines.append(item.description)
        if item.how_to_take_part:
            lines.append(_("Cách thức tham gia: %(how)s") % {"how": item.how_to_take_part})
        return "\n\n".join(lines)

    def item_link(self, item: Dialogue) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Dialogue) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Dialogue) -> dt.datetime:
        return item.created_at

    def item_updateddate(self, item: Dialogue) -> dt.datetime:
        return item.updated_at

    def item_author_name(self, item: Dialogue) -> str:
        return str(item.host_agency.name)

    def item_categories(self, item: Dialogue) -> list[str]:
        return [str(item.get_status_display())]

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().__call__(request, *args, **kwargs)
        # Shared caches may keep it briefly: it is public and the same for everybody.
        response["Cache-Control"] = "public, max-age=300"
        return response


class DialogueAtomFeed(DialogueFeed):
    """The same feed as Atom 1.0."""

    feed_type = Atom1Feed

    def subtitle(self) -> str:
        return self.description()
