"""Render the latest results (bench/results/*.json) into the figures section of
bench/README.md, between its two markers; the rest of the README is left as it is."""

from __future__ import annotations

from typing import Any

from bench.common import ROOT, fmt, machine_line, markdown_table, results_read

README = ROOT / "bench" / "README.md"
START = "<!-- figures:start (written by `python -m bench`; edits here are overwritten) -->"
END = "<!-- figures:end -->"


def _when(payload: dict[str, Any]) -> str:
    quick = " (quick run)" if payload.get("quick") else ""
    machine = payload.get("machine")
    machine = machine if isinstance(machine, dict) else {}
    # The machines of one workplace differ (AMD or Intel cores): each section names its own.
    cpu = f"{machine['nproc']} × {machine['cpu']}, " if machine.get("cpu") else ""
    return (
        f"_{payload['when']}{quick}, {cpu}{payload.get('database', '-')}, load average "
        f"{machine.get('load_average', '-')} at the start, "
        f"{machine.get('load_average_at_end', '-')} at the end (2 cores shared with other "
        "work)._"
    )


SERVER_LABELS = {
    "websockets": "plain `websockets` (reference)",
    "daphne": "daphne (`python -m consult.server`)",
    "daphne-stock": "stock daphne (`daphne`)",
}


def fanout_section(payload: dict[str, Any]) -> list[str]:
    rows = []
    for r in payload["rows"]:
        label = SERVER_LABELS.get(r["server"], r["server"])
        if r["server"] != "websockets":
            label += f" ×{r['processes']} + Redis"
        cpu = fmt(r["cpu_us_per_delivery"])
        if len(r["per_process"]) > 1:
            cpu += " (" + " / ".join(fmt(p["cpu_us_per_delivery"]) for p in r["per_process"]) + ")"
        rows.append(
            [
                label,
                f"{r['viewers']:,}",
                f"{r['delivered']:,} / {r['expected']:,}",
                " / ".join(fmt(r["latency_ms"][k]) for k in ("p50", "p95", "p99", "max")),
                cpu,
                fmt(r.get("ratio_to_reference")) + "×",
                fmt(r["kb_per_viewer"]),
                fmt(r["connect_seconds"]),
            ]
        )
    return [
        f"### Fan-out: {payload['events']} events, one every {payload['interval_seconds']:g} s",
        "",
        _when(payload),
        "",
        markdown_table(
            [
                "server",
                "viewers",
                "delivered / expected",
                "latency from commit p50 / p95 / p99 / max (ms)",
                "server CPU per delivery (µs)",
                "× reference",
                "memory per viewer (KB)",
                "connect (s)",
            ],
            rows,
        ),
        "",
    ]


def storm_section(payload: dict[str, Any]) -> list[str]:
    r = payload["result"]
    rows = [
        [
            "viewers connected",
            f"{r['connected']:,} / {r['viewers']:,}, {r['connect_failures']} failed",
        ],
        ["connect storm", f"{r['connect_seconds']} s"],
        ["restart (stop → ready)", f"{r['restart_seconds']} s"],
        ["all sockets open again after ready", f"{r['recovery_seconds']} s"],
        [
            "resumed with `?after=` / fresh snapshots",
            f"{r['resumed']:,} / {r['fresh_snapshots_on_reconnect']:,}",
        ],
        [
            "events delivered (2 before, 2 during, 2 after the restart)",
            f"{r['delivered_total']:,} / {r['expected_total']:,}, gaps {r['gaps']}, "
            f"duplicates {r['dupes']}",
        ],
        ["viewers at the last seq", f"{r['viewers_at_last_seq']:,} / {r['connected']:,}"],
    ]
    return [
        f"### Connect and reconnect storm ({r['server']}, one process)",
        "",
        _when(payload),
        "",
        markdown_table(["", ""], rows),
        "",
    ]


def intake_section(payload: dict[str, Any]) -> list[str]:
    results = payload.get("results") or [payload["result"]]

    def per(f: Any) -> list[str]:
        return [f(r, r["http"]) for r in results]

    def ms(values: dict[str, Any]) -> str:
        return " / ".join(fmt(values[k]) for k in ("p50", "p99", "max")) + " ms"

    rows = [
        ["viewers connected", *per(lambda r, h: f"{r['viewers']:,}")],
        ["questions offered", *per(lambda r, h: f"{h['offered']:,} at {r['offered_rate']:g}/s")],
        ["accepted (201)", *per(lambda r, h: f"{h['accepted']:,}, {fmt(h['accepted_per_s'])}/s")],
        [
            "committed / accepted but missing",
            *per(lambda r, h: f"{r['committed']:,} / {r['accepted_not_committed']}"),
        ],
        ["request latency p50 / p99 / max", *per(lambda r, h: ms(h["latency_ms"]))],
        [
            "approvals delivered to viewers",
            *per(lambda r, h: f"{r['delivered']:,} / {r['expected']:,}"),
        ],
        ["approval latency p50 / p99 / max", *per(lambda r, h: ms(r["latency_ms"]))],
        [
            "server CPU per question",
            *per(lambda r, h: f"{fmt(r['server_cpu_seconds'] * 1000 / max(1, h['offered']))} ms"),
        ],
    ]
    heads = [
        f"{SERVER_LABELS.get(r['server'], r['server'])} ×{r.get('processes', 1)} + Redis"
        for r in results
    ]
    return [
        "### Question intake",
        "",
        _when(payload),
        "",
        markdown_table(["", *heads], rows),
        "",
    ]


def reads_section(payload: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["read"],
            fmt(r["median_ms"]),
            r["queries"],
            fmt(r["bytes"] / 1024),
            "-"
            if r["target_ms"] is None
            else f"< {r['target_ms']} ms: {'met' if r['met'] else '**not met**'}",
        ]
        for r in payload["rows"]
    ]
    return [
        "### Reads",
        "",
        _when(payload),
        "",
        markdown_table(["read", "median (ms)", "queries", "KB", "target"], rows),
        "",
    ]


def exports_section(payload: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["export"],
            fmt(r["seconds"]),
            fmt(r["size_mb"]),
            fmt(r["py_peak_mb"]),
            fmt(r["max_rss_mb"]),
            f"< {r['target_seconds']:g} s: {'met' if r['met'] else '**not met**'}",
        ]
        for r in payload["results"]
    ]
    return [
        "### Exports",
        "",
        _when(payload),
        "",
        markdown_table(
            ["export", "seconds", "MB", "Python peak (MB)", "max RSS (MB)", "target"], rows
        ),
        "",
    ]


def render() -> str:
    sections = {
        "fanout": fanout_section,
        "storm": storm_section,
        "intake": intake_section,
        "reads": reads_section,
        "exports": exports_section,
    }
    lines = [START, ""]
    machine = None
    for name, section in sections.items():
        payload = results_read(name)
        if payload is None:
            continue
        if isinstance(payload.get("machine"), dict):
            machine = machine or payload["machine"]
        lines += section(payload)
    if machine is not None:
        lines.insert(2, f"Machine of the first section: {machine_line(machine)}.")
        lines.insert(3, "")
    lines.append(END)
    return "\n".join(lines)


def readme_update() -> None:
    text = README.read_text(encoding="utf-8")
    block = render()
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n## Latest figures\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")
    print(f"figures written to {README.relative_to(ROOT)}")
