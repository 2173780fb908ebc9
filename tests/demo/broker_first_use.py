"""One process's first publish to a fresh `make run` broker file, for test_broker_first_use.

`python -m tests.demo.broker_first_use <var_dir>` imports everything, prints "ready", waits
for a line on stdin (so that the test releases several copies together), then publishes one
message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kombu import Connection

from statuspage.broker import embedded_broker


def main(var_dir: Path) -> None:
    url, options = embedded_broker(var_dir)
    connection = Connection(url, transport_options=options)
    print("ready", flush=True)
    sys.stdin.readline()
    with connection:
        queue = connection.SimpleQueue("celery")
        queue.put({"probe": 1})
        queue.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
