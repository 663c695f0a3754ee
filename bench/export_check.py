"""Exports at scale: CSV and XLSX of a 100,000-comment draft, the DOCX synthesis table of a
10,000-comment draft, with wall time, output size and peak memory.

    python bench/export_check.py [--comments 100000] [--docx-comments 10000]

Uses a scratch SQLite database under /tmp unless DATABASE_URL is set (then it creates two
drafts there and deletes them afterwards). Prints a table and writes
bench/results/export_check.json.

Peak memory is measured twice: tracemalloc's peak of Python allocations during each export
(in a second run, since tracing slows the code down), and the process's maximum resident set
size (ru_maxrss, a high-water mark for the whole process, so it only ever grows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# A sentence reads better than a list of words.
WORDS = (  # noqa: SIM905
    "đề nghị bổ sung quy định về cấp giấy phép xây dựng có thời hạn đối với công trình nhà ở "
    "riêng lẻ tại khu vực đã có quy hoạch phân khu được phê duyệt nhưng chưa có kế hoạch thực "
    "hiện cần làm rõ trách nhiệm của Ủy ban nhân dân cấp xã trong việc kiểm tra xử lý vi phạm "
    "trật tự xây dựng thời hạn giải quyết hồ sơ nên rút ngắn còn mười lăm ngày làm việc"
).split()


def setup_django(scratch: Path | None) -> None:
    if scratch is not None:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consult.settings.dev")
    # DEBUG keeps every query in memory, which would distort the memory figures.
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    if scratch is not None:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_draft(slug: str, n_comments: int, n_articles: int, *, published_only: bool) -> Any:
    from django.db import transaction
    from django.utils import timezone

    from consult.models import Agency
    from drafts.models import Comment, DocumentKind, Draft, DraftNode

    rng = random.Random(n_comments)
    agency, _ = Agency.objects.get_or_create(
        code="bench-sxd", defaults={"name": "Sở Xây dựng tỉnh Bình An (bench)"}
    )
    kind, _ = DocumentKind.objects.get_or_create(code="quyet-dinh", defaults={"name": "Quyết định"})
    now = timezone.now()
    with transaction.atomic():
        draft = Draft.objects.create(
            slug=slug,
            title=f"Quyết định ban hành Quy định quản lý trật tự xây dựng ({n_comments} góp ý)",
            kind=kind,
            agency=agency,
            receiving_unit_name="Phòng Pháp chế",
            receiving_unit_address="12 Trần Hưng Đạo",
            receiving_unit_email="phapche@example.vn",
            opens_at=now - dt.timedelta(days=40),
            closes_at=now - dt.timedelta(days=10),
            status=Draft.Status.PUBLISHED,
        )
        articles = DraftNode.objects.bulk_create(
            DraftNode(
                draft=draft,
                kind=DraftNode.Kind.ARTICLE,
                number=str(i),
                title=" ".join(rng.sample(WORDS, 5)).capitalize(),
                anchor=f"dieu-{i}",
                citation=f"Điều {i}",
                position=i,
                depth=1,
            )
            for i in range(1, n_articles + 1)
        )
        types = list(Comment.CommenterType.values)
        dispositions = list(Comment.Disposition.values)
        statuses = (
            [Comment.Status.PUBLISHED]
            if published_only
            else [Comment.Status.PUBLISHED] * 6
            + [Comment.Status.PENDING] * 3
            + [Comment.Status.REJECTED]
        )
        batch: list[Comment] = []
        for i in range(n_comments):
            body = " ".join(rng.choices(WORDS, k=rng.randint(20, 160))).capitalize() + "."
            if i % 97 == 0:
                body = '=HYPERLINK("http://evil.example","x") ' + body
            disposition = rng.choice(dispositions)
            batch.append(
                Comment(
                    draft=draft,
                    article=None if i % 10 == 0 else rng.choice(articles),
                    commenter_type=rng.choice(types),
                    name=f"Nguyễn Văn {i}",
                    organization="Công ty TNHH Xây dựng Hòa Bình" if i % 3 else "",
                    email=f"nguoi{i}@example.vn",
                    phone=f"09{i:08d}",
                    publish_name=bool(i % 2),
                    body=body,
                    status=rng.choice(statuses),
                    disposition=disposition,
                    response=" ".join(rng.choices(WORDS, k=30)) if disposition else "",
                    published_at=now,
                )
            )
            if len(batch) == 5000:
                Comment.objects.bulk_create(batch)
                batch = []
        if batch:
            Comment.objects.bulk_create(batch)
    return draft


class Viewer:
    is_authenticated = is_active = is_superuser = True
    role, pk, agency_id = "administrator", None, None


def run(label: str, fn: Any) -> dict[str, Any]:
    """Time `fn` (returns (count, bytes)), then run it again under tracemalloc for the peak."""
    gc.collect()
    start = time.perf_counter()
    count, size = fn()
    seconds = time.perf_counter() - start
    rss = rss_mb()
    gc.collect()
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "export": label,
        "comments": count,
        "seconds": round(seconds, 2),
        "rows_per_s": round(count / seconds) if seconds else None,
        "size_mb": round(size / 1e6, 2),
        "py_peak_mb": round(peak / 2**20, 1),
        "max_rss_mb": round(rss, 1),
    }


def docx_add_row_baseline(n: int) -> float:
    """python-docx's own add_row + cell.text for `n` five-column rows (what we avoid)."""
    from docx import Document

    document = Document()
    table = document.add_table(rows=1, cols=5)
    start = time.perf_counter()
    for i in range(n):
        cells = table.add_row().cells
        for j, cell in enumerate(cells):
            cell.text = f"{i}-{j} " + " ".join(WORDS[:10])
    document.save(io.BytesIO())
    return time.perf_counter() - start


def measure(comments: int, docx_comments: int, articles: int) -> dict[str, Any]:
    """Build the two drafts, time every export, delete the drafts; Django must be set up."""
    from django.db import connection

    from drafts import exports
    from drafts.models import Comment

    stamp = int(time.time())
    t0 = time.perf_counter()
    big = make_draft(f"bench-export-{stamp}", comments, articles, published_only=False)
    small = make_draft(f"bench-docx-{stamp}", docx_comments, articles, published_only=True)
    setup_s = time.perf_counter() - t0
    viewer = Viewer()
    results = []
    try:

        def csv_export() -> tuple[int, int]:
            size = rows = 0
            for chunk in exports.csv_stream(draft=big, viewer=viewer, with_contacts=True):
                size += len(chunk)
                rows += chunk.count(b"\n")
            return comments, size

        def xlsx_export() -> tuple[int, int]:
            with tempfile.TemporaryFile() as out:
                count = exports.write_xlsx(draft=big, viewer=viewer, out=out, with_contacts=True)
                return count, out.tell()

        def docx_export(layout: str) -> Any:
            def export() -> tuple[int, int]:
                with tempfile.TemporaryFile() as out:
                    summary = exports.write_docx(draft=small, viewer=viewer, out=out, layout=layout)
                    return summary.comments, out.tell()

            return export

        results.append(run(f"CSV, {comments:,} comments", csv_export))
        results.append(run(f"XLSX, {comments:,} comments", xlsx_export))
        results.append(
            run(f"DOCX standard, {docx_comments:,}", docx_export(exports.LAYOUT_STANDARD))
        )
        results.append(
            run(f"DOCX five-column, {docx_comments:,}", docx_export(exports.LAYOUT_FIVE_COLUMN))
        )
        baseline_rows = 2000
        baseline = docx_add_row_baseline(baseline_rows)
    finally:
        # Leave nothing behind in a real database.
        for draft in (big, small):
            Comment.objects.filter(draft=draft).delete()
            draft.delete()

    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU",
        # Other work on the machine slows every figure; the 1-minute load average says how much.
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "setup_seconds": round(setup_s, 1),
        "results": results,
        "python_docx_add_row": {
            "rows": baseline_rows,
            "seconds": round(baseline, 2),
            "rows_per_s": round(baseline_rows / baseline),
        },
    }


def render(report: dict[str, Any]) -> str:
    header = (
        f"{'export':<32}{'comments':>10}{'seconds':>9}{'rows/s':>9}{'size MB':>9}"
        f"{'py peak MB':>12}{'max RSS MB':>12}"
    )
    lines = [
        f"database: {report['database']}, data set built in {report['setup_seconds']} s",
        header,
        "-" * len(header),
    ]
    for r in report["results"]:
        lines.append(
            f"{r['export']:<32}{r['comments']:>10,}{r['seconds']:>9}{r['rows_per_s']:>9,}"
            f"{r['size_mb']:>9}{r['py_peak_mb']:>12}{r['max_rss_mb']:>12}"
        )
    b = report["python_docx_add_row"]
    lines.append(
        f"python-docx add_row baseline: {b['rows']:,} rows in {b['seconds']} s "
        f"({b['rows_per_s']:,} rows/s)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--docx-comments", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=80)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "export_check.json"))
    args = parser.parse_args()

    scratch_dir = None
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch_dir = tempfile.TemporaryDirectory(prefix="export-check-")
        scratch = Path(scratch_dir.name) / "bench.sqlite3"
    setup_django(scratch)
    report = measure(args.comments, args.docx_comments, args.articles)
    print(render(report))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")
    if scratch_dir is not None:
        scratch_dir.cleanup()


if __name__ == "__main__":
    main()
