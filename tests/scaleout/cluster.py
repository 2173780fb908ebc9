"""Two web nodes and two worker nodes as separate hosts (network namespaces, netns.py)
against one PostgreSQL and one Redis, which listen on the bridge like a database host
would; an SMTP sink (aiosmtpd) on the bridge counts what arrives."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.postgres import PrivatePostgres, free_port, postgres_bin
from tests.faults.stack import BIN, PYTHON, ROOT, STAFF_ACCOUNTS, api_request
from tests.notify.peers import SmtpSink
from tests.scaleout.netns import Network, Node

WEB_PORT = 8000
LEASE = 5
CONNECTIONS = 4  # SMTP connections each worker sends over at once (the default)
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class CountingSink(SmtpSink):
    """The SMTP sink, keeping only (recipient, Message-ID) of each message, and which
    node sent it: 100,000 parsed messages would cost a gigabyte."""

    arrived: list[tuple[str, bytes]] = field(default_factory=list)
    senders: Counter[str] = field(default_factory=Counter)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = _MESSAGE_ID.search(envelope.content)
        message_id = found.group(1) if found else b""
        for recipient in envelope.rcpt_tos:
            self.arrived.append((recipient, message_id))
        self.senders[str(session.peer[0])] += 1
        return "250 OK"


def wait_for(host: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port}")


@dataclass
class Cluster:
    root: Path
    network: Network
    postgres: PrivatePostgres
    redis_port: int
    sink: CountingSink
    webs: list[Node] = field(default_factory=list)
    workers: list[Node] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def env(self, *, host: str) -> dict[str, str]:
        gateway = self.network.gateway
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "statuspage.settings",
            "DATABASE_URL": f"postgres://postgres@{host}:{self.postgres.port}/candor",
            "REDIS_URL": f"redis://{host}:{self.redis_port}/0",
            "CANDOR_VAR_DIR": str(self.root / "var"),
            "CANDOR_PUBLISH_TARGETS": "local",
            "CANDOR_CANONICAL_URL": f"http://{gateway}:{WEB_PORT}",
            "CANDOR_ALLOWED_HOSTS": "*",
            "CANDOR_WORKER_HEARTBEAT_TTL": "3",
            "CANDOR_LOG_LEVEL": "WARNING",
            "CANDOR_SMTP_HOST": gateway,
            "CANDOR_SMTP_PORT": str(self.sink.port),
            "CANDOR_SMTP_TIMEOUT": "5",
            "CANDOR_NOTIFY_LEASE": str(LEASE),
            "CANDOR_EMAIL_CONNECTIONS": str(CONNECTIONS),
        }

    def manage(self, *args: str) -> str:
        """manage.py from the test's own host, over loopback."""
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env(host="127.0.0.1"),
            capture_output=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {done.stderr.decode()[-3000:]}")
        return done.stdout.decode()

    def _start(self, name: str, node: Node, argv: list[str]) -> None:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - the process owns it
        self.processes[name] = subprocess.Popen(
            node.command(argv), cwd=ROOT, env=self.env(host=self.network.gateway),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def start_web(self, node: Node) -> None:
        self._start(node.name, node, [
            str(BIN / "granian"), "--interface", "wsgi", "statuspage.wsgi:application",
            "--host", node.address, "--port", str(WEB_PORT), "--workers", "1",
            "--blocking-threads", "4", "--no-ws", "--log-level", "warning",
        ])  # fmt: skip
        wait_for(node.address, WEB_PORT)

    def start_worker(self, node: Node) -> None:
        self._start(node.name, node, [
            PYTHON, "-m", "celery", "-A", "statuspage", "worker", "--pool=solo",
            "-n", f"{node.name}@scaleout", "--without-mingle", "--without-gossip",
            "--loglevel=WARNING",
        ])  # fmt: skip

    def wait_for_workers(self, timeout: float = 120) -> None:
        """Until every worker node's Celery answers a ping through the broker."""
        names = [f"{node.name}@scaleout" for node in self.workers]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answered = subprocess.run(
                [PYTHON, "-m", "celery", "-A", "statuspage", "inspect", "ping", "-t", "2"],
                cwd=ROOT, env=self.env(host="127.0.0.1"), capture_output=True, timeout=60,
            )  # fmt: skip
            if all(name.encode() in answered.stdout for name in names):
                return
            time.sleep(0.5)
        raise AssertionError(f"workers did not answer\n{self.logs()}")

    def kill(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait(timeout=30)

    def logs(self) -> str:
        tails = []
        for path in sorted(self.root.glob("*.log")):
            tails.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-2000:]}")
        return "\n".join(tails)

    def request(
        self, node: Node, method: str, path: str, body: Any = None, *, user: str = "oncall",
        timeout: float = 30,
    ) -> tuple[int, bytes]:  # fmt: skip
        answer = api_request(
            f"http://{node.address}:{WEB_PORT}", method, path, body,
            token=self.tokens.get(user), timeout=timeout,
        )  # fmt: skip
        return answer.status, answer.body

    def open_incident(self, node: Node, name: str) -> str:
        body = f"We are investigating {name}. Next update in 30 minutes."
        status, sent = self.request(
            node, "POST", "/api/staff/custom-texts/", {"body": body, "phase": "investigating"}
        )
        assert status == 201, sent
        text_id = json.loads(sent)["id"]
        status, answer = self.request(
            node, "POST", f"/api/staff/custom-texts/{text_id}/approve/", {}, user="legal"
        )
        assert status == 200, answer
        status, opened = self.request(
            node, "POST", "/api/staff/incidents/", {"name": name, "body": body, "impact": "major"}
        )
        assert status == 201, opened
        return str(json.loads(opened)["id"])

    def set_up(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        made = self.manage("shell", "--no-imports", "-c", STAFF_ACCOUNTS)
        self.tokens = json.loads(made.strip().splitlines()[-1])

    def subscribe(self, count: int) -> None:
        self.manage(
            "shell", "--no-imports", "-c",
            "from django.utils import timezone; from incidents.models import Subscriber;"
            "n = timezone.now();"
            "Subscriber.objects.bulk_create([Subscriber(channel='email', state='confirmed',"
            f" destination=f'reader{{i}}@example.com', created_at=n, confirmed_at=n)"
            f" for i in range({count})], batch_size=5000)",
        )  # fmt: skip

    def sweep(self) -> str:
        """What the beat does every 15 s: re-queue what a lost worker held past its lease."""
        return self.manage(
            "shell", "--no-imports", "-c",
            "from incidents import tasks; print(tasks.notify_sweep())",
        )  # fmt: skip


@contextmanager
def running_cluster(root: Path) -> Iterator[Cluster]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's server binaries are not installed")
    network = Network().up()
    pg_root = Path(tempfile.mkdtemp(prefix="candor-pg-"))
    postgres = PrivatePostgres(
        bin_dir, pg_root / "data", free_port(),
        listen=f"127.0.0.1,{network.gateway}", trusted_networks=(network.cidr,),
    )  # fmt: skip
    redis_port = free_port()
    redis = None
    sink = CountingSink(host=network.gateway)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    cluster = Cluster(root, network, postgres, redis_port, sink)
    try:
        postgres.init()
        redis = subprocess.Popen(
            ["redis-server", "--bind", f"127.0.0.1 {network.gateway}", "--port",
             str(redis_port), "--save", "", "--appendonly", "no", "--protected-mode", "no",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for("127.0.0.1", redis_port)
        sink.start()
        cluster.set_up()
        cluster.webs = [network.node("web1"), network.node("web2")]
        cluster.workers = [network.node("work1"), network.node("work2")]
        yield cluster
    finally:
        for name in list(cluster.processes):
            cluster.kill(name)
        sink.stop()
        if redis is not None:
            redis.kill()
            redis.wait(timeout=10)
        postgres.stop()
        network.down()
        shutil.rmtree(pg_root, ignore_errors=True)
