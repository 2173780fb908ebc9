"""A task for the make-run broker test, and the producer that sends it.

The worker imports this module with `--include`; each run of the task appends its number to
a file, so the test can tell a lost message from a duplicated one. Run as a script, it plays
a web process: `python -m tests.demo.broker_probe <first> <count> <seconds>` sends `count`
probes spread over `seconds` through the embedded settings' broker.
"""

from __future__ import annotations

import os
import sys
import time

from statuspage.celery import app


@app.task(name="tests.demo.broker_probe.probe", ignore_result=True)
def probe(number: int, out: str) -> None:
    with open(out, "a", encoding="ascii") as f:  # one short append: atomic with O_APPEND
        f.write(f"{number}\n")


def main(first: int, count: int, seconds: float, out: str) -> None:
    gap = seconds / count
    for number in range(first, first + count):
        probe.delay(number, out)
        time.sleep(gap)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    import django

    django.setup()
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
