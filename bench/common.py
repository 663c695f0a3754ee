"""What every benchmark shares: the machine's description, the scratch database and Redis
prefix, starting and stopping servers on 127.0.0.1, CPU and memory of a process from /proc,
percentiles, tables and the JSON results.

Nothing here talks to anything but 127.0.0.1, and every wait has a deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
PYTHON = sys.executable
BENCH_DB = "consult_bench"
# Listen backlog for every server under test: the defaults (Twisted 50, websockets 100) drop
# SYNs during a connect storm and turn it into 1 s / 3 s retransmission waits.
BACKLOG = 4096


# --- the machine ------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "-"


def _command_output(args: Sequence[str]) -> str:
    if shutil.which(args[0]) is None:
        return "-"
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "-"


def machine() -> dict[str, Any]:
    """The machine and software a figure was measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "-",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    redis_version = _command_output(["redis-server", "--version"]).split("v=")[-1].split()[0:1]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {
            name: _version(name)
            for name in (
                "Django",
                "channels",
                "channels-redis",
                "daphne",
                "Twisted",
                "autobahn",
                "uvicorn",
                "websockets",
                "redis",
                "psycopg",
            )
        }
        | {"redis-server": redis_version[0] if redis_version else "-"},
        "load_average": round(os.getloadavg()[0], 2),
    }


def machine_line(m: dict[str, Any]) -> str:
    v = m["versions"]
    return (
        f"{m['nproc']} × {m['cpu']}, {m['memory_gb']} GB, Linux {m['kernel']}, "
        f"Python {m['python']}, Django {v['Django']}, daphne {v['daphne']} "
        f"(Twisted {v['Twisted']}, autobahn {v['autobahn']}), uvicorn {v['uvicorn']}, "
        f"websockets {v['websockets']}, channels {v['channels']}, channels-redis "
        f"{v['channels-redis']}, Redis {v['redis-server']}"
    )


def raise_nofile(wanted: int) -> int:
    """Raise this process's open-file limit (children inherit it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted)) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


# --- processes -------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (its threads included), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_wait(port: int, process: subprocess.Popen[Any], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-4000:]}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    process_stop(process)
    raise SystemExit(f"server on port {port} did not start within {seconds:.0f} s")


def process_stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    profiler = getattr(process, "profiler", None)
    if profiler is not None and profiler.poll() is None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its profile when interrupted
        try:
            profiler.wait(timeout=60)
        except subprocess.TimeoutExpired:
            profiler.kill()
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def log_path(name: str) -> Path:
    folder = Path(tempfile.gettempdir()) / "consult-bench-logs"
    folder.mkdir(exist_ok=True)
    return folder / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}.log"


def server_command(kind: str, port: int) -> list[str]:
    """The command line of one ASGI server process serving Consult's asgi:application (or
    BENCH_ASGI_APP, set by `--app`)."""
    app = os.environ.get("BENCH_ASGI_APP", "asgi:application")
    if kind in ("daphne", "daphne-stock"):
        # "daphne" is the production launcher (consult/server.py: daphne with the direct
        # WebSocket send path); "daphne-stock" is daphne's own command, for comparison.
        return [
            PYTHON,
            "-m",
            "consult.server" if kind == "daphne" else "daphne",
            "-e",
            f"tcp:port={port}:interface={HOST}:backlog={BACKLOG}",
            app,
        ]
    if kind == "uvicorn":
        return [
            PYTHON,
            "-m",
            "uvicorn",
            app,
            "--host",
            HOST,
            "--port",
            str(port),
            "--backlog",
            str(BACKLOG),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    raise ValueError(kind)


def server_start(kind: str, port: int) -> subprocess.Popen[bytes]:
    """Start one server process on 127.0.0.1:port with this process's Django environment.

    BENCH_PROFILE=<folder> attaches `py-spy record` to it (collapsed stacks written there when
    the server stops; py-spy must be installed in the venv; CPU figures are then disturbed).
    """
    from django.conf import settings

    log = log_path(f"{kind}-{port}")
    env = {**os.environ, "SECRET_KEY": settings.SECRET_KEY, "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        server_command(kind, port),
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    process.log = log  # type: ignore[attr-defined]
    port_wait(port, process, log)
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
        out = Path(profile) / f"{kind}-{port}-{process.pid}.txt"
        process.profiler = subprocess.Popen(  # type: ignore[attr-defined]
            [spy, "record", "-r", "250", "-f", "raw", "-o", str(out), "--pid", str(process.pid)],
            stdout=subprocess.DEVNULL,
            stderr=log_path("py-spy").open("wb"),
        )
    return process


# --- Django, the database and Redis ----------------------------------------------------------


def postgres_url() -> str | None:
    """The bench's own PostgreSQL database on 127.0.0.1, created if missing; None without one."""
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3, autocommit=True
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    except Exception:
        return None
    return f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"


def redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


_scratch: tempfile.TemporaryDirectory[str] | None = None


def django_setup(db: str = "auto", redis_url: str | None = None) -> dict[str, str]:
    """Configure and set up Django for the bench (idempotent); returns what was chosen.

    db: "postgres" (the bench's own database consult_bench on 127.0.0.1), "sqlite" (a scratch
    file under /tmp), "env" (DATABASE_URL as set) or "auto" (postgres when reachable).
    Redis: REDIS_URL or redis://127.0.0.1:6379/0, with a fresh channel prefix for this run.
    """
    global _scratch
    import django
    from django.conf import settings

    if settings.configured:
        return {
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
        }
    url = None
    if db == "env":
        url = os.environ.get("DATABASE_URL")
    elif db in ("postgres", "auto"):
        url = postgres_url()
        if url is None and db == "postgres":
            raise SystemExit("PostgreSQL on 127.0.0.1:5432 is not reachable")
    if url is None:
        _scratch = tempfile.TemporaryDirectory(prefix="consult-bench-")
        url = f"sqlite:///{_scratch.name}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    redis_url = redis_url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not redis_reachable(redis_url):
        raise SystemExit(f"Redis at {redis_url} is not reachable")
    os.environ["REDIS_URL"] = redis_url
    tag = uuid.uuid4().hex[:8]
    os.environ["CHANNEL_PREFIX"] = f"consult-bench-{tag}"
    os.environ["CACHE_PREFIX"] = f"consult-bench-{tag}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "consult.settings.dev"
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
    os.environ["ALLOWED_HOSTS"] = f"{HOST},localhost,testserver"
    os.environ["SUBMISSIONS_PER_IP_PER_HOUR"] = "0"  # 0 disables the limit
    os.environ["SUBMISSIONS_PER_CONTACT_PER_HOUR"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # No e-mail leaves the bench (approvals e-mail the askers).
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    # The settings' default: no persistent connections (they leak one per request under ASGI,
    # each request running in a thread of its own); on PostgreSQL the settings' pool
    # (DB_POOL_MAX_SIZE, inherited by the servers) serves requests and sockets instead.
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
    }


# --- figures ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_summary(values_ms: Sequence[float]) -> dict[str, float | None]:
    ordered = sorted(values_ms)
    return {
        "p50": rnd(percentile(ordered, 0.5)),
        "p95": rnd(percentile(ordered, 0.95)),
        "p99": rnd(percentile(ordered, 0.99)),
        "max": rnd(ordered[-1] if ordered else None),
    }


def rnd(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def median(values: Iterable[float]) -> float | None:
    return percentile(list(values), 0.5)


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text}{unit}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def results_write(name: str, payload: dict[str, Any], *, quick: bool) -> Path:
    """Write bench/results/<name>.json (or <name>-quick.json for a quick run)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}{'-quick' if quick else ''}.json"
    payload = {
        "bench": name,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        **payload,
    }
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")
    return out


def results_read(name: str) -> dict[str, Any] | None:
    """The latest full results of a bench, else the latest quick ones."""
    for candidate in (RESULTS / f"{name}.json", RESULTS / f"{name}-quick.json"):
        if candidate.exists():
            return json.loads(candidate.read_text(encoding="utf-8"))
    return None
