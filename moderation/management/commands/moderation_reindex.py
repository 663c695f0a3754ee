"""Fill the moderators' unified inbox with the questions and comments that exist already.

New items are indexed by the features' services as they arrive; this command is for an
installation whose data predates the index (or to recompute every item's auto-flags after the
list of sensitive terms changed). Idempotent: it refreshes rows, never duplicates them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from moderation import registry


class Command(BaseCommand):
    help = "Index every existing question and comment into the moderators' unified inbox."

    def handle(self, *args: Any, **options: Any) -> None:
        for item_type in registry.kinds():
            if item_type.reindex is None:
                continue
            count = item_type.reindex()
            self.stdout.write(f"{item_type.label}: {count}")
