"""A whole Candor on loopback for fault tests: its own PostgreSQL, Redis, web and worker.

Every part is a real process the test may stop, kill and start again without harming any
other test: the PostgreSQL cluster and the Redis server are private to the stack (free
ports, temporary directories), the web server is granian as in production, the worker is
a real Celery worker.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from tests.faults.postgres import PrivatePostgres, free_port, postgres_bin

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


@dataclass
class PrivateRedis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class Response:
    status: int
    headers: Message  # looked up without regard to case, as HTTP headers are
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stack:
    root: Path
    postgres: PrivatePostgres
    redis: PrivateRedis
    web_port: int = field(default_factory=free_port)
    web_workers: int = 1
    tokens: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)  # a test's own settings
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def mirror(self) -> Path:
        return self.root / "var" / "mirror"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "statuspage.settings",
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "CANDOR_VAR_DIR": str(self.root / "var"),
            "CANDOR_PUBLISH_TARGETS": "local",
            "CANDOR_CANONICAL_URL": f"http://127.0.0.1:{self.web_port}",
            "CANDOR_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CANDOR_WORKER_HEARTBEAT_TTL": "3",
            "CANDOR_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {done.stderr.decode()[-3000:]}")
        return done.stdout.decode()

    def set_up(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")  # production's hashed names
        # A responder who writes, and a legal approver who approves the words.
        made = self.manage("shell", "--no-imports", "-c", STAFF_ACCOUNTS)
        self.tokens = json.loads(made.strip().splitlines()[-1])

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [str(BIN / "granian"), "--interface", "wsgi", "statuspage.wsgi:application",
             "--host", "127.0.0.1", "--port", str(self.web_port),
             "--workers", str(self.web_workers), "--blocking-threads", "8", "--no-ws",
             "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=self._log("web"), stderr=subprocess.STDOUT,
            start_new_session=True,  # its worker processes go down with it (_kill)
        )  # fmt: skip
        wait_for_port(self.web_port)

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "statuspage", "worker", "--pool=solo",
             "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
            cwd=ROOT, env=self.env, stdout=self._log("worker"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.wait_until(lambda: self.redis_has("workers:heartbeat"), "the worker's heartbeat")

    def _log(self, name: str) -> Any:
        return open(self.root / f"{name}.log", "ab")

    def log(self, name: str) -> str:
        """The whole of one process's log ("web", "worker"), for what a test looks for in it;
        `logs()` gives only their ends, for a failure's message."""
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        tails = []
        for name in ("web", "worker"):
            path = self.root / f"{name}.log"
            if path.exists():
                tails.append(f"--- {name}.log ---\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(tails)

    def stop_worker(self, *, sig: int = signal.SIGTERM) -> None:
        assert self.worker is not None
        self.worker.send_signal(sig)
        self.worker.wait(timeout=30)
        self.worker = None

    def redis_has(self, key: str) -> bool:
        found = subprocess.run(
            ["redis-cli", "-p", str(self.redis.port), "--scan", "--pattern", f"*{key}"],
            capture_output=True,
            timeout=10,
        )
        return bool(found.stdout.strip())

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process is not None:
                _kill(process)
        self.redis.stop()
        self.postgres.stop()

    # -- talking to it ---------------------------------------------------------------

    def request(
        self, method: str, path: str, body: Any = None, *, user: str = "oncall"
    ) -> Response:
        return api_request(
            f"http://127.0.0.1:{self.web_port}", method, path, body, token=self.tokens.get(user)
        )

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def approved_words(self, body: str, phase: str, incident: str | None = None) -> str:
        """`body`, written by the responder and approved by legal: words that may be published."""
        request = {"body": body, "phase": phase, **({"incident": incident} if incident else {})}
        sent = self.request("POST", "/api/staff/custom-texts/", request)
        assert sent.status == 201, (sent.body, self.logs())
        approved = self.request(
            "POST", f"/api/staff/custom-texts/{sent.json()['id']}/approve/", {}, user="legal"
        )
        assert approved.status == 200, (approved.body, self.logs())
        return body

    def open_incident(self, name: str) -> str:
        body = self.approved_words(
            f"We are investigating {name}. Next update in 30 minutes.", "investigating"
        )
        answer = self.request(
            "POST", "/api/staff/incidents/", {"name": name, "body": body, "impact": "major"}
        )
        assert answer.status == 201, (answer.body, self.logs())
        return str(answer.json()["id"])

    def post_update(self, incident: str, body: str) -> None:
        words = self.approved_words(f"{body} Next update in 30 minutes.", "identified", incident)
        answer = self.request(
            "POST",
            f"/api/staff/incidents/{incident}/updates/",
            {"body": words, "status": "identified"},
        )
        assert answer.status == 201, (answer.body, self.logs())

    def mirror_version(self) -> int | None:
        try:
            manifest = json.loads((self.mirror / "current" / "manifest.json").read_bytes())
        except FileNotFoundError:
            return None
        return int(manifest["version"])

    def wait_until(self, condition: Any, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.logs()}")


# A responder who writes, and a legal approver who approves the words; their API tokens.
STAFF_ACCOUNTS = (
    "from django.contrib.auth.models import Group, User;"
    "from rest_framework.authtoken.models import Token;"
    "import json; tokens = {}\n"
    "for name, group in (('oncall', 'Responder'), ('legal', 'Approver (legal)')):\n"
    "    u = User.objects.create_user(name, name + '@example.com', 'x', is_staff=True)\n"
    "    u.groups.add(Group.objects.get(name=group))\n"
    "    tokens[name] = Token.objects.create(user=u).key\n"
    "print(json.dumps(tokens))"
)


def api_request(
    base: str, method: str, path: str, body: Any = None, *, token: str | None = None,
    timeout: float = 30,
) -> Response:  # fmt: skip
    """One request to a running Candor, JSON in, the staff token on /api/staff/."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if path.startswith("/api/staff/") and token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started in a session of its own, and everything it started."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class _Template:
    """A stack's state right after `set_up`: the stopped cluster, its var/ (collectstatic's
    output) and the staff tokens. Made once per test process; every stack starts from a
    copy, so each still owns its cluster but none pays for initdb, 46 migrations and
    collectstatic again."""

    data_dir: Path
    var_dir: Path
    tokens: dict[str, str]


_templates: list[_Template] = []


def _template(bin_dir: Path) -> _Template:
    if _templates:
        return _templates[0]
    # The cluster under /tmp itself, as in running_stack (the postgres user must reach it).
    pg_root = Path(tempfile.mkdtemp(prefix="candor-pg-template-"))
    stack_root = Path(tempfile.mkdtemp(prefix="candor-stack-template-"))
    for made_dir in (pg_root, stack_root):
        atexit.register(shutil.rmtree, made_dir, ignore_errors=True)
    postgres = PrivatePostgres(bin_dir, pg_root / "data", free_port())
    stack = Stack(stack_root, postgres, PrivateRedis(free_port()))
    try:
        postgres.init()
        stack.redis.start()
        stack.set_up()
        postgres.stop_cleanly()
    finally:
        stack.redis.stop()
        postgres.stop()  # already down unless set_up failed
    _templates.append(_Template(postgres.data_dir, stack_root / "var", stack.tokens))
    return _templates[0]


@contextmanager
def running_stack(
    root: Path, *, web_workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """A migrated stack with a staff token and the web server up; the worker is the
    test's to start."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's server binaries are not installed")
    # Under /tmp itself: the server runs as the postgres user, who may not enter the
    # test's own (root-only) temporary directories.
    pg_root = Path(tempfile.mkdtemp(prefix="candor-pg-"))
    postgres = PrivatePostgres(bin_dir, pg_root / "data", free_port())
    redis = PrivateRedis(free_port())
    stack = Stack(root, postgres, redis, web_workers=web_workers, extra_env=extra_env or {})
    try:
        template = _template(bin_dir)
        postgres.init_from(template.data_dir)
        shutil.copytree(template.var_dir, stack.root / "var", symlinks=True, dirs_exist_ok=True)
        stack.tokens = dict(template.tokens)
        redis.start()
        stack.start_web()
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(pg_root, ignore_errors=True)
