"""`python manage.py import_draft FILE --agency CODE --kind KIND --title TITLE --opens ISO
--closes ISO [--shortened "reason"] [--sector CODE] [--publish]`

Creates a draft (not yet public unless --publish) from a .docx, .txt or .md file, prints its slug,
how many articles (Điều) were found and the importer's warnings. Refuses a period shorter than
the kind's minimum without --shortened (exit status 1, with the reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from consult.errors import DomainError
from consult.models import User
from drafts import services
from drafts.models import DraftNode


class Command(BaseCommand):
    help = "Import a draft legal document from .docx, .txt or .md and create the draft."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the draft's text: .docx, .txt or .md")
        parser.add_argument("--agency", required=True, help="drafting agency code")
        parser.add_argument("--kind", required=True, help="document kind code (e.g. quyet-dinh)")
        parser.add_argument("--title", required=True)
        parser.add_argument(
            "--opens", required=True, help="ISO date-time; Vietnamese time if naive"
        )
        parser.add_argument(
            "--closes", required=True, help="ISO date-time; Vietnamese time if naive"
        )
        parser.add_argument("--sector", default="", help="sector (lĩnh vực) code")
        parser.add_argument("--summary", default="")
        parser.add_argument(
            "--shortened",
            default="",
            metavar="REASON",
            help="use the shortened procedure (a period below the kind's minimum), with its reason",
        )
        parser.add_argument("--publish", action="store_true", help="publish the draft at once")
        parser.add_argument(
            "--as-user",
            default="",
            help="username recorded as the author (default: the first active administrator)",
        )

    def _actor(self, username: str) -> User:
        users = User.objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first()
            if username
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if actor is None:
            raise CommandError(
                f"Không tìm thấy tài khoản “{username}”."
                if username
                else "Chưa có tài khoản quản trị nào; hãy tạo (createsuperuser) hoặc dùng --as-user."
            )
        return actor

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        actor = self._actor(options["as_user"])
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        try:
            with transaction.atomic():
                draft = services.draft_create(
                    actor=actor,
                    agency=options["agency"],
                    kind=options["kind"],
                    title=options["title"],
                    summary=options["summary"],
                    sector=options["sector"] or None,
                    opens_at=options["opens"],
                    closes_at=options["closes"],
                    shortened_procedure=bool(options["shortened"]),
                    shortened_reason=options["shortened"],
                )
                draft = services.draft_import_text(
                    actor=actor, draft_id=draft.pk, upload=upload, filename=path.name
                )
                if options["publish"]:
                    draft = services.draft_publish(actor=actor, draft_id=draft.pk)
        except DomainError as exc:
            details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        articles = DraftNode.objects.filter(draft=draft, kind=DraftNode.Kind.ARTICLE).count()
        self.stdout.write(f"slug: {draft.slug}")
        self.stdout.write(f"articles: {articles}")
        self.stdout.write(f"status: {draft.status}")
        self.stdout.write(f"warnings: {len(draft.import_warnings)}")
        for warning in draft.import_warnings:
            line = f" (dòng {warning['line']})" if warning.get("line") else ""
            self.stdout.write(f"  - [{warning['code']}]{line} {warning['message']}")
