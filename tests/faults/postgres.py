"""A private PostgreSQL server for fault tests: stopping it harms no other test.

The machine's own server (127.0.0.1:5432) serves every other test; these tests start their
own cluster in a temporary directory on a free loopback port, so they can stop and start
it at will.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; as any other user they run as themselves.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PrivatePostgres:
    bin_dir: Path
    data_dir: Path
    port: int
    # Where it listens besides loopback, and which other networks it trusts (tests/scaleout).
    listen: str = "127.0.0.1"
    trusted_networks: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/candor"

    def init(self) -> None:
        self.data_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.data_dir, "postgres", "postgres")
            shutil.chown(self.data_dir.parent, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        with open(self.data_dir / "pg_hba.conf", "a") as hba:
            for network in self.trusted_networks:
                hba.write(f"host all all {network} trust\n")
        self.start()
        subprocess.run(
            [
                str(self.bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "candor",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init_from(self, template: Path) -> None:
        """A copy of a stopped cluster (data directory and all): what `init` and a
        migration would leave, in a fraction of the time."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # `cp -a` keeps the postgres user's ownership and the 0700 mode the server insists on.
        subprocess.run(["cp", "-a", str(template), str(self.data_dir)], check=True, timeout=120)
        if os.geteuid() == 0:
            shutil.chown(self.data_dir.parent, "postgres", "postgres")
        self.start()

    def stop_cleanly(self) -> None:
        """Stopped with a checkpoint, so a copy of the data directory starts without recovery."""
        subprocess.run(
            _as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                          "-w", "-t", "60", "stop"]),
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses={self.listen} -k {self.data_dir} -c fsync=off"
        )
        subprocess.run(
            _as_postgres(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-o",
                    options,
                    "-l",
                    str(self.data_dir / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )

    def stop(self) -> None:
        # "immediate": the server vanishes as in a crash or a lost network, not politely.
        subprocess.run(
            _as_postgres(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "60",
                    "stop",
                ]
            ),
            check=False,
            capture_output=True,
            timeout=90,
        )

    def wait_until_down(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL is still accepting connections")
