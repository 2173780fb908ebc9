"""Fixtures of the publishing tests: a real S3 API (moto's standalone server on a loopback
port, from PyPI) and a mirror directory of the test's own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

SECRET = "moto-secret-that-must-not-leak"


@dataclass
class S3Server:
    url: str
    process: subprocess.Popen[bytes]

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The server hangs: it accepts connections (the kernel does) but never answers."""
        os.kill(self.process.pid, signal.SIGSTOP)
        # The signal is asynchronous; the kernel reports the child once all its threads
        # have stopped, and only then is a request certain to go unanswered.
        os.waitpid(self.process.pid, os.WUNTRACED)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{server.url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield server
    finally:
        os.kill(process.pid, signal.SIGCONT)  # in case a test left it paused
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3(s3_server: S3Server) -> Any:
    """A plain client, to look at the bucket from outside the target (and tamper with it)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server.url,
        region_name="us-east-1",
        aws_access_key_id="candor",
        aws_secret_access_key=SECRET,
        config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 0}),
    )


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"candor-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def mirror(settings: Any, tmp_path: Path) -> Path:
    """Publishing on, to a local mirror directory of this test's own."""
    settings.CANDOR_PUBLISH_TARGETS = ["local"]
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path / "mirror"
