"""Several processes publishing at once to a fresh `make run` broker file all succeed.

kombu creates the broker's tables on first use; two processes doing it at once made the
loser's publish fail ("table kombu_queue already exists", then a retry on a closed channel).
It failed a CI run of the make-run soak test. Each round releases five processes together on
a new file; before the fix this test failed on this machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5
PROCESSES = 5


def test_processes_publishing_first_at_once_all_succeed(tmp_path: Path) -> None:
    failures = []
    for round_ in range(ROUNDS):
        var_dir = tmp_path / f"round{round_}"
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.demo.broker_first_use", str(var_dir)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        for run in runs:  # every process has imported and connected lazily
            assert run.stdout is not None
            if run.stdout.readline().strip() != "ready":
                _, err = run.communicate(timeout=60)
                raise AssertionError(f"a process failed before publishing:\n{err}")
        for run in runs:  # released together: their first uses of the file overlap
            assert run.stdin is not None
            run.stdin.write("go\n")
            run.stdin.flush()
        for run in runs:
            _, err = run.communicate(timeout=60)
            if run.returncode:
                failures.append(err.strip().splitlines()[-1])
    assert not failures, f"{len(failures)} first publishes failed: {failures}"
