"""Exports at scale (bench/export_check.py inside the suite): a draft with 100,000 comments to
CSV (target under 5 s) and XLSX (under 30 s, peak memory under 300 MB), the DOCX synthesis
table of 10,000 comments (under 60 s). Quick mode: 10,000 and 2,000 comments.

Runs export_check.py in a fresh process on the suite's database, so that its maximum resident
set size is the exports' own and not that of the benchmarks before it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench import export_check
from bench.common import PYTHON, ROOT

TARGETS = {"CSV": 5.0, "XLSX": 30.0, "DOCX": 60.0}
PEAK_MB = 300.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    comments = args.export_comments or (10_000 if args.quick else 100_000)
    docx_comments = args.docx_comments or (2_000 if args.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="consult-bench-exports-") as folder:
        out = Path(folder) / "exports.json"
        subprocess.run(
            [
                PYTHON,
                str(ROOT / "bench" / "export_check.py"),
                "--comments",
                str(comments),
                "--docx-comments",
                str(docx_comments),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"]},
            check=True,
            timeout=1200,
            stdout=subprocess.DEVNULL,
        )
        report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    for row in report["results"]:
        kind = row["export"].split(",")[0].split()[0]
        row["target_seconds"] = TARGETS[kind]
        row["met"] = row["seconds"] < TARGETS[kind] and (
            kind != "XLSX" or row["max_rss_mb"] < PEAK_MB
        )
    print(export_check.render(report))
    for row in report["results"]:
        verdict = "met" if row["met"] else "NOT met"
        print(f"  {row['export']}: target < {row['target_seconds']:g} s: {verdict}")
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--export-comments", type=int, help="comments (default 100000, quick 10000)"
    )
    parser.add_argument(
        "--docx-comments", type=int, help="DOCX comments (default 10000, quick 2000)"
    )
