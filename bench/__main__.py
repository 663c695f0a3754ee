"""The benchmark suite: `make bench` or `python -m bench [names] [--quick] [sizes…]`.

    python -m bench                    # everything, full sizes (~20 min on 2 cores)
    python -m bench --quick            # everything, small sizes (~3 min)
    python -m bench fanout --viewers 1000,10000 --server daphne --server uvicorn
    python -m bench storm intake --storm-viewers 5000
    python -m bench reads exports
    python -m bench readme             # re-render the figures in bench/README.md

Each benchmark prints a table and writes bench/results/<name>.json (<name>-quick.json for a
quick run); the run then refreshes the figures section of bench/README.md from the latest
results. Everything talks only to 127.0.0.1 and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench import common

BENCHES = ("fanout", "storm", "intake", "reads", "exports")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help=f"which benchmarks ({', '.join(BENCHES)}, readme); default all"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument(
        "--db",
        choices=["auto", "postgres", "sqlite", "env"],
        default="auto",
        help="database: the bench's own PostgreSQL database consult_bench on 127.0.0.1 "
        "(auto: when reachable), a scratch SQLite file, or DATABASE_URL",
    )
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    parser.add_argument(
        "--app",
        default="asgi:application",
        help="ASGI application the servers run (bench.asgi_channels_stack:application: "
        "Channels' stock WebSocket stack, for comparison)",
    )
    from bench import exports, fanout, intake, reads, storm

    fanout.add_arguments(parser.add_argument_group("fanout"))
    storm.add_arguments(parser.add_argument_group("storm"))
    intake.add_arguments(parser.add_argument_group("intake"))
    reads.add_arguments(parser.add_argument_group("reads"))
    exports.add_arguments(parser.add_argument_group("exports"))
    args = parser.parse_args(argv)
    names = args.names or list(BENCHES)
    unknown = [n for n in names if n not in (*BENCHES, "readme")]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    args.servers = args.servers or ["daphne"]
    os.environ["BENCH_ASGI_APP"] = args.app

    if any(n in ("fanout", "storm", "intake") for n in names):
        common.raise_nofile(20_000)
    started = time.monotonic()
    machine = common.machine()
    print(common.machine_line(machine), flush=True)
    if any(n in BENCHES for n in names):
        chosen = common.django_setup(args.db)
        print(f"database {chosen['database']}, channel layer {chosen['channel_layer']}")
    modules = {
        "fanout": fanout,
        "storm": storm,
        "intake": intake,
        "reads": reads,
        "exports": exports,
    }
    for name in names:
        if name == "readme":
            continue
        print(f"\n=== {name} ===", flush=True)
        t0 = time.monotonic()
        payload = modules[name].run(args)
        from django.conf import settings

        payload = {
            **payload,
            "machine": machine | {"load_average_at_end": round(os.getloadavg()[0], 2)},
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "seconds": round(time.monotonic() - t0, 1),
        }
        common.results_write(name, payload, quick=args.quick)
    if not args.no_readme:
        from bench import report

        report.readme_update()
    print(f"\nbench finished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
