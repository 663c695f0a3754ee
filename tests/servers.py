"""Real ASGI servers for tests: a daphne subprocess (the production launcher, `python -m
consult.server`) serving `asgi:application` on a free 127.0.0.1 port, opening the test run's
own database and channel layer.

A browser or a second process can only see what the test wrote if the server reads the same
database (committed data: use `django_db(transaction=True)`) and rings the same channel layer.
So the server is handed the test database's name (PostgreSQL: `test_<name>`; SQLite: the file
that consult/settings/test.py gives the test database) and the run's Redis prefixes.

    server = asgi_server_start()
    try:
        page.goto(server.url + "/dialogues/")
    finally:
        server.stop()

or the `asgi_server` factory fixture of tests/conftest.py, which stops every server it started
and adds their logs to the report of a failing test.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
DAPHNE = Path(sys.executable).parent / "daphne"
LOG_TAIL_CHARS = 8000


class ServerUnavailable(RuntimeError):
    """The server cannot share the test's database or did not come up; the message says why."""


@dataclass
class AsgiServer:
    """One running server process; `url` has no trailing slash."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        """The end of what the server wrote to stdout and stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return text[-LOG_TAIL_CHARS:]

    def kill(self) -> None:
        """SIGKILL this process (by its pid only), as a crash would: no clean close of sockets."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """Stops this process (by its pid only) and waits for it; the log file stays."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(alias: str = "default") -> str:
    """A DATABASE_URL for the database this test process is using now (the test database once
    pytest-django has set it up)."""
    db: dict[str, Any] = connections[alias].settings_dict
    engine = db["ENGINE"]
    name = str(db["NAME"])
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or name.startswith("file:memorydb") or "mode=memory" in name:
            raise ServerUnavailable(
                "the SQLite test database is in memory and a server subprocess cannot open it; "
                "give it a file with DATABASES['default']['TEST']['NAME']"
            )
        return f"sqlite:///{Path(name).resolve()}"
    if engine in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
        user = quote(str(db.get("USER") or ""), safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"
    raise ServerUnavailable(f"no DATABASE_URL recipe for the {engine} engine")


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server that shares this test process's database, channel layer,
    cache and settings."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "consult.settings.test",
            "DATABASE_URL": database_url(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            # The tests' Vietnamese text must reach the log readable, whatever the locale.
            "PYTHONIOENCODING": "utf-8",
        }
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
        env["CHANNEL_PREFIX"] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        env["CACHE_PREFIX"] = settings.CACHES["default"]["KEY_PREFIX"]
    else:
        # Without Redis the channel layer is in memory: one server process sees its own events
        # only, which is enough for one server; two servers need REDIS_URL.
        env.pop("REDIS_URL", None)
    env.update(extra or {})
    return env


def _answers(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return int(response.status) < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (OSError, urllib.error.URLError):
        return False


def asgi_server_start(
    *,
    env: dict[str, str] | None = None,
    ready_path: str = "/",
    timeout: float = 30,
    port: int | None = None,
    args: list[str] | tuple[str, ...] = (),
    server: str = "daphne",
    app: str = "asgi:application",
) -> AsgiServer:
    """Starts the production launcher `python -m consult.server asgi:application` (daphne with
    Consult's direct WebSocket send path, consult/server.py) on a free port (or `port`, e.g. to
    restart a killed server where its clients reconnect) and returns once `ready_path` answers
    with a status below 500. `args` are extra command-line options (`["--ping-interval", "2"]`);
    `server="daphne-stock"` runs daphne's own command and `server="uvicorn"` uvicorn, serving
    the same application; `app` names another ASGI application. Raises ServerUnavailable (with
    the log) if it does not come up."""
    executable = DAPHNE if server == "daphne-stock" else DAPHNE.parent / server
    if server == "daphne":
        executable = Path(sys.executable)
    if not executable.exists():
        raise ServerUnavailable(f"{server} is not installed next to {sys.executable}")
    port = port or free_port()
    log_fd, log_name = tempfile.mkstemp(prefix=f"{server}-{port}-", suffix=".log")
    full_env = server_env(env)
    if server == "daphne":
        command = [str(executable), "-m", "consult.server", "-b", "127.0.0.1", "-p", str(port)]
        command += [*args, app]
    elif server == "daphne-stock":
        command = [str(executable), "-b", "127.0.0.1", "-p", str(port), *args, app]
    else:
        command = [str(executable), "--host", "127.0.0.1", "--port", str(port), *args, app]
    with os.fdopen(log_fd, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server_ = AsgiServer(port=port, process=process, log_path=Path(log_name), env=full_env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server_.running():
            raise ServerUnavailable(
                f"{server} exited with {process.returncode} before answering:\n{server_.log()}"
            )
        if _answers(port, ready_path):
            return server_
        time.sleep(0.1)
    server_.stop()
    raise ServerUnavailable(
        f"{server} did not answer {ready_path} within {timeout:.0f} s:\n{server_.log()}"
    )


@contextlib.contextmanager
def asgi_server(**kwargs: Any) -> Iterator[AsgiServer]:
    """`asgi_server_start` as a context manager: stops the server on the way out, and a failure
    inside the block carries the server's log as a note."""
    server = asgi_server_start(**kwargs)
    try:
        yield server
    except BaseException as error:
        error.add_note(f"--- daphne log ({server.log_path}) ---\n{server.log()}")
        raise
    finally:
        server.stop()
