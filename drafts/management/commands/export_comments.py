"""`python manage.py export_comments SLUG --format docx|xlsx|csv [--layout …] -o FILE`"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from drafts import exports
from drafts.models import Draft


class SystemExporter:
    """The viewer of an export run from the command line: the operator has shell access to
    the server, so the command acts as an administrator. It is no account; the audit entry
    names it by label."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    role = "administrator"
    pk = None
    id = None
    agency_id = None
    username = "export_comments"
    display_name = "Hệ thống (lệnh export_comments)"


class Command(BaseCommand):
    help = (
        "Writes the same report the drafting agency downloads: the DOCX synthesis table "
        "(standard or five-column layout), or every comment as XLSX or CSV. Contact details "
        "(e-mail, phone, real names of people who did not agree to be named) only with "
        "--with-contacts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the draft's slug")
        parser.add_argument("--format", choices=exports.FORMATS, required=True, dest="fmt")
        parser.add_argument("--layout", choices=exports.LAYOUTS, default=exports.LAYOUT_STANDARD)
        parser.add_argument("-o", "--output", required=True, help="file to write")
        parser.add_argument(
            "--with-contacts",
            action="store_true",
            help="include e-mail, phone and real names in XLSX/CSV (never in the DOCX table)",
        )
        parser.add_argument(
            "--include-pending",
            action="store_true",
            help="DOCX: also list comments still waiting for moderation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        draft = Draft.objects.select_related("agency", "kind").filter(slug=options["slug"]).first()
        if draft is None:
            raise CommandError(f"no draft with slug {options['slug']!r}")
        fmt, layout = options["fmt"], options["layout"]
        with_contacts = bool(options["with_contacts"]) and fmt != exports.FORMAT_DOCX
        path = Path(options["output"])
        viewer = SystemExporter()
        # Written next to the target and renamed, so a failed run never leaves half a report.
        partial = path.with_name(f".{path.name}.part")
        try:
            with partial.open("wb") as out:
                if fmt == exports.FORMAT_DOCX:
                    count = exports.write_docx(
                        draft=draft,
                        viewer=viewer,
                        out=out,
                        layout=layout,
                        include_pending=options["include_pending"],
                    ).comments
                elif fmt == exports.FORMAT_XLSX:
                    count = exports.write_xlsx(
                        draft=draft, viewer=viewer, out=out, with_contacts=with_contacts
                    )
                else:
                    for chunk in exports.csv_stream(
                        draft=draft, viewer=viewer, with_contacts=with_contacts
                    ):
                        out.write(chunk)
                    count = draft.comments.count()
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        exports.record_download(
            actor=None,
            actor_label=viewer.display_name,
            draft=draft,
            fmt=fmt,
            layout=layout if fmt == exports.FORMAT_DOCX else None,
            with_contacts=with_contacts,
            count=count,
        )
        what = f"{fmt.upper()}" + (f" ({layout})" if fmt == exports.FORMAT_DOCX else "")
        self.stdout.write(
            f"{what}: {count} comments of {draft.slug!r} written to {path} "
            f"({path.stat().st_size} bytes"
            f"{', with contact details' if with_contacts else ''})"
        )
