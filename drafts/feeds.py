"""RSS and Atom feeds of the drafts open for comment, nearest deadline first, so a portal or a
feed reader learns of a new consultation (and its deadline) without polling the page.

Public data only: what the public list shows. Linked from the draft list with
<link rel="alternate"> and visible links.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import gettext as _

from consult.templatetags.consult_tags import vn_datetime
from drafts import selectors
from drafts.models import Draft

FEED_LIMIT = 50


class OpenDraftFeed(Feed):  # type: ignore[type-arg]  # django-stubs' Feed is generic
    """Published drafts whose comment period is running (RSS 2.0)."""

    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def title(self) -> str:
        return _("Dự thảo văn bản đang lấy ý kiến")

    def link(self) -> str:
        return reverse("drafts:draft-list") + "?phase=open"

    def description(self) -> str:
        return _(
            "Các dự thảo văn bản quy phạm pháp luật đang lấy ý kiến nhân dân, hạn góp ý gần "
            "nhất trước. Việc góp ý là miễn phí."
        )

    def items(self) -> QuerySet[Draft]:
        return selectors.draft_list_public(phase="open")[:FEED_LIMIT]

    def item_title(self, item: Draft) -> str:
        return str(item.title)

    def item_description(self, item: Draft) -> str:
        # Plain text: the feed generator escapes it.
        lines = [
            # The draft page's style: "17:00, thứ Ba, 01/12/2099", English on English pages.
            _("Hạn góp ý: %(deadline)s") % {"deadline": vn_datetime(item.closes_at)},
            _("Cơ quan soạn thảo: %(agency)s") % {"agency": item.agency.name},
            _("Đơn vị tiếp nhận góp ý: %(name)s, %(address)s, %(email)s")
            % {
                "name": item.receiving_unit_name,
                "address": item.receiving_unit_address,
                "email": item.receiving_unit_email,
            },
        ]
        if item.summary:
            lines.append(item.summary)
        return "\n\n".join(lines)

    def item_link(self, item: Draft) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Draft) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Draft) -> dt.datetime:
        return item.published_at or item.opens_at

    def item_updateddate(self, item: Draft) -> dt.datetime:
        return item.updated_at

    def item_author_name(self, item: Draft) -> str:
        return str(item.agency.name)

    def item_categories(self, item: Draft) -> list[str]:
        return [str(c) for c in (item.kind, item.sector) if c is not None]

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = "public, max-age=300"
        return response


class OpenDraftAtomFeed(OpenDraftFeed):
    """The same feed as Atom 1.0."""

    feed_type = Atom1Feed

    def subtitle(self) -> str:
        return self.description()
