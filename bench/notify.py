"""Fan-out benchmark: one update to 100,000 email and 10,000 SMS subscribers.

All on loopback, production settings, PostgreSQL and Redis of their own:

  1. Candor (tests/faults/stack.py: private PostgreSQL and Redis, granian) with two
     Celery worker processes (`--pool=solo` each). The subscribers are inserted, one
     incident is opened through the staff API, and its deliveries go to an aiosmtpd sink
     and to an HTTP server playing Twilio's API through the real twilio SDK, each a
     process of its own that logs the time of every message. Measured: deliveries created
     (in the API call's transaction), messages per second, time to the last message, and
     every worker's RSS sampled each second (flat in the number of messages sent?).
  2. The lean reference, in the same run: bench/notify_reference.py, 2 processes sending
     the same number of emails of the same size on the wire to the same sink, the message
     serialised once and each copy sent with smtplib over one connection per batch of
     100, nothing else.

Rounds (`--rounds`, 3 by default) interleave the two, the order alternating (Candor
first in the first round: the reference sends messages of Candor's measured size); the
summary gives each figure's median and min-max over the rounds, and the load average.

A provider across the internet: `--reply-ms 10` makes the sink answer MAIL, RCPT and
DATA 10 ms late (asyncio, its other connections go on). `--connections N` sets Candor's
CANDOR_EMAIL_CONNECTIONS; `--reference-procs N` runs the lean sender in N processes.

    .venv/bin/python bench/notify.py [--emails 100000] [--sms 10000] [--rounds 3]
        [--reply-ms 0] [--connections 0] [--reference-procs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.publish_ab import calibration  # noqa: E402
from bench.run import free_port  # noqa: E402
from tests.faults.stack import PYTHON, Stack, running_stack  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TWILIO_SID = "AC" + "0" * 32


def _records(path: Path) -> list[tuple[float, int, str]]:
    """The sink's log, subscribers' messages only (r<n>@, ref<n>@, +1415...): the approval
    request the staff API emails to the legal approver is not part of the fan-out."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        t, size, to = line.split(" ", 2)
        if to.startswith(("r", "+")):
            out.append((float(t), int(size), to))
    return out


def _lines(path: Path) -> list[tuple[float, int]]:
    return [(t, size) for t, size, _ in _records(path)]


def _count(path: Path) -> int:
    return len(_records(path))


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _busy_s() -> float:
    """CPU seconds every core together spent doing anything (not idle, not waiting on I/O)
    since boot: a whole-machine count, databases and sinks included."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / _TICK


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _per_message_ms(seconds: float, messages: int) -> float:
    return round(1000 * seconds / max(1, messages), 3)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _subscribe(stack: Stack, emails: int, sms: int) -> float:
    started = time.monotonic()
    stack.manage(
        "shell", "--no-imports", "-c",
        "from django.db import connection; from django.utils import timezone;"
        "from incidents.models import Subscriber;"
        "n = timezone.now();"
        "rows = [Subscriber(channel='email', state='confirmed', destination=f'r{i}@example.com',"
        f" created_at=n, confirmed_at=n) for i in range({emails})]"
        " + [Subscriber(channel='sms', state='confirmed', destination=f'+1415{i:07d}',"
        f" created_at=n, confirmed_at=n) for i in range({sms})];"
        "Subscriber.objects.bulk_create(rows, batch_size=5000)",
    )  # fmt: skip
    return time.monotonic() - started


# Times deliveries_create alone for a second update of the same incident, inside a
# transaction that is rolled back (nothing is sent); also reports the first run's counts.
CREATE_AGAIN = """
import time
from django.db import transaction
from django.utils import timezone
from incidents.models import Delivery, Incident, IncidentUpdate
from incidents.notify.outbox import deliveries_create
print(Delivery.objects.count(), Delivery.objects.filter(state="sent").count())
incident = Incident.objects.get()
with transaction.atomic():
    now = timezone.now()
    update = IncidentUpdate.objects.create(
        incident=incident, status="identified", body="x", body_html="x",
        created_at=now, display_at=now,
    )
    started = time.monotonic()
    created = deliveries_create(update=update, component_ids=[], now=now)
    print(created, time.monotonic() - started)
    transaction.set_rollback(True)
"""


def _worker(stack: Stack, name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "statuspage", "worker", "--pool=solo", "-n", name,
         "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
        cwd=ROOT, env=stack.env, stdout=stack._log(name), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def bench_candor(
    emails: int,
    sms: int,
    smtp_port: int,
    twilio_port: int,
    logs: Path,
    connections: int,
    sink_pid: int,
) -> dict:
    env = {
        "CANDOR_SMTP_HOST": "127.0.0.1",
        "CANDOR_SMTP_PORT": str(smtp_port),
        "CANDOR_TWILIO_ACCOUNT_SID": TWILIO_SID,
        "CANDOR_TWILIO_AUTH_TOKEN": "bench-token",
        "CANDOR_TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32,
        "CANDOR_TWILIO_API_URL": f"http://127.0.0.1:{twilio_port}",
        "CANDOR_NOTIFY_PARALLEL": "2",
        **({"CANDOR_EMAIL_CONNECTIONS": str(connections)} if connections else {}),
        # The providers' limits, set above what loopback reaches: this measures Candor.
        "CANDOR_NOTIFY_RATE_EMAIL": "100000",
        "CANDOR_NOTIFY_RATE_SMS": "100000",
        "CANDOR_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    }
    # The sinks' logs run on across rounds: this round's messages are those after these.
    email_before, sms_before = _count(logs / "smtp.log"), _count(logs / "twilio.log")
    root = Path(tempfile.mkdtemp(prefix="candor-bench-notify-"))
    with running_stack(root, extra_env=env) as stack:
        subscribe_s = _subscribe(stack, emails, sms)
        workers = [_worker(stack, f"w{n}@bench") for n in range(2)]
        try:
            stack.wait_until(lambda: stack.redis_has("workers:heartbeat"), "workers", 60)
            time.sleep(2)
            # Approved before the clock starts: the words are not what is measured.
            body = stack.approved_words(
                "We are investigating failed payments. Next update in 30 minutes.",
                "investigating",
            )
            cpu_before = [_cpu_s(w.pid) for w in workers]
            sink_before, busy_before = _cpu_s(sink_pid), _busy_s()
            started = time.time()
            incident = stack.request(
                "POST", "/api/staff/incidents/",
                {"name": "Checkout errors", "body": body, "impact": "major"},
            )  # fmt: skip
            api_s = time.time() - started
            assert incident.status == 201, incident.body
            samples: list[list[int]] = []
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                samples.append([_rss_kb(w.pid) for w in workers])
                done_email = _count(logs / "smtp.log") - email_before
                done_sms = _count(logs / "twilio.log") - sms_before
                if done_email >= emails and done_sms >= sms:
                    break
                time.sleep(1)
            workers_cpu = sum(_cpu_s(w.pid) for w in workers) - sum(cpu_before)
            sink_cpu, busy = _cpu_s(sink_pid) - sink_before, _busy_s() - busy_before
            busy_window = time.time() - started
        finally:
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
        creation = stack.manage("shell", "--no-imports", "-c", CREATE_AGAIN).split()
    shutil.rmtree(root, ignore_errors=True)
    email_times = [t for t, _ in _lines(logs / "smtp.log")[email_before:]]
    sms_times = [t for t, _ in _lines(logs / "twilio.log")[sms_before:]]
    sizes = [s for _, s in _lines(logs / "smtp.log")[email_before:]]
    rss = [max(col) for col in zip(*samples, strict=True)] if samples else [0, 0]
    tenth = samples[max(0, len(samples) // 10)] if samples else [0, 0]
    return {
        "subscribers": {"email": emails, "sms": sms, "insert_s": round(subscribe_s, 2)},
        "api_open_incident_s": round(api_s, 3),
        "deliveries": int(creation[0]),
        "sent": int(creation[1]),
        "deliveries_create_s": round(float(creation[3]), 3),
        "deliveries_created": int(creation[2]),
        "email": {
            "received": len(email_times),
            "distinct": len({to for _, _, to in _records(logs / "smtp.log")[email_before:]}),
            "time_to_last_s": round(max(email_times) - started, 2),
            "per_second": round(len(email_times) / (max(email_times) - started), 1),
            "bytes_avg": round(sum(sizes) / len(sizes)),
        },
        "sms": {
            "received": len(sms_times),
            "time_to_last_s": round(max(sms_times) - started, 2) if sms_times else None,
            "per_second": round(len(sms_times) / (max(sms_times) - started), 1)
            if sms_times
            else None,
        },
        "all_per_second": round(
            (len(email_times) + len(sms_times)) / (max(email_times + sms_times) - started), 1
        ),
        # CPU per message sent (emails and texts: the same workers send both), from
        # /proc: on 2 cores a figure near 2,000 ms a second means the machine was full.
        "cpu_ms_per_message": {
            "workers": _per_message_ms(workers_cpu, len(email_times) + len(sms_times)),
            "smtp_sink_per_email": _per_message_ms(sink_cpu, len(email_times)),
            "whole_machine": _per_message_ms(busy, len(email_times) + len(sms_times)),
        },
        "machine_busy_ms_per_second": round(1000 * busy / busy_window),
        "worker_rss_mb_at_10pct": [round(kb / 1024, 1) for kb in tenth],
        "worker_rss_mb_peak": [round(kb / 1024, 1) for kb in rss],
    }


def bench_reference(
    emails: int, smtp_port: int, logs: Path, size: int, procs_n: int, sink_pid: int
) -> dict:
    before = _count(logs / "smtp.log")
    senders_before, sink_before, busy_before = _children_cpu_s(), _cpu_s(sink_pid), _busy_s()
    started = time.time()
    share = -(-emails // procs_n)
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                str(ROOT / "bench" / "notify_reference.py"),
                str(smtp_port),
                str(first),
                str(count),
                str(size),
            ],
            cwd=ROOT,
        )
        for first in range(0, emails, share)
        for count in [min(share, emails - first)]
    ]
    for proc in procs:
        proc.wait()
    senders, sink = _children_cpu_s() - senders_before, _cpu_s(sink_pid) - sink_before
    busy, busy_window = _busy_s() - busy_before, time.time() - started
    times = [t for t, _ in _lines(logs / "smtp.log")][before:]
    return {
        "cpu_ms_per_message": {
            "senders": _per_message_ms(senders, len(times)),
            "smtp_sink_per_email": _per_message_ms(sink, len(times)),
            "whole_machine": _per_message_ms(busy, len(times)),
        },
        "machine_busy_ms_per_second": round(1000 * busy / busy_window),
        "received": len(times),
        "time_to_last_s": round(max(times) - started, 2),
        "per_second": round(len(times) / (max(times) - started), 1),
    }


def _spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--sms", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--reply-ms", type=float, default=0.0,
        help="the SMTP sink answers MAIL, RCPT and DATA this late (a provider's round trip)",
    )  # fmt: skip
    parser.add_argument(
        "--connections", type=int, default=0,
        help="CANDOR_EMAIL_CONNECTIONS for Candor's workers (0: Candor's default)",
    )  # fmt: skip
    parser.add_argument(
        "--reference-procs", type=int, default=2,
        help="processes of the lean sender, one connection each (2: as Candor's 2 workers)",
    )  # fmt: skip
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="candor-bench-sinks-"))
    smtp_port, twilio_port = free_port(), free_port()
    peers = [
        subprocess.Popen(
            [
                PYTHON,
                str(ROOT / "bench" / "notify_peers.py"),
                kind,
                str(port),
                str(logs / f"{kind}.log"),
                *([str(args.reply_ms)] if kind == "smtp" else []),
            ],
            start_new_session=True,
        )
        for kind, port in (("smtp", smtp_port), ("twilio", twilio_port))
    ]
    rounds: list[dict] = []
    size = 0
    try:
        time.sleep(1.5)
        for n in range(args.rounds):
            load = [os.getloadavg()[0]]
            arms: dict = {}
            for arm in ("candor", "reference") if n % 2 == 0 else ("reference", "candor"):
                if arm == "candor":
                    arms[arm] = bench_candor(
                        args.emails,
                        args.sms,
                        smtp_port,
                        twilio_port,
                        logs,
                        args.connections,
                        peers[0].pid,
                    )
                    size = arms[arm]["email"]["bytes_avg"]
                else:
                    arms[arm] = bench_reference(
                        args.emails, smtp_port, logs, size, args.reference_procs, peers[0].pid
                    )
                load.append(os.getloadavg()[0])
            candor, reference = arms["candor"], arms["reference"]
            rounds.append(
                {
                    "order": list(arms),
                    "load_average": [round(x, 1) for x in load],
                    "candor": candor,
                    "reference": reference,
                    "email_ratio_vs_reference": round(
                        candor["email"]["per_second"] / reference["per_second"], 2
                    ),
                    "all_messages_ratio_vs_reference": round(
                        candor["all_per_second"] / reference["per_second"], 2
                    ),
                }
            )
            print(json.dumps(rounds[-1], indent=2), flush=True)
    finally:
        for peer in peers:
            os.killpg(peer.pid, signal.SIGTERM)
        shutil.rmtree(logs, ignore_errors=True)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        # 10M additions in a Python loop, best of 3 (as publish_ab.py): machines differ.
        "calibration_s": round(calibration(), 3),
        "emails": args.emails,
        "sms": args.sms,
        "smtp_reply_ms": args.reply_ms,
        "candor_email_connections": args.connections or "default",
        "reference_processes": args.reference_procs,
        "rounds": rounds,
        "summary": {
            "candor_emails_per_second": _spread(
                [r["candor"]["email"]["per_second"] for r in rounds]
            ),
            "reference_emails_per_second": _spread([r["reference"]["per_second"] for r in rounds]),
            "email_ratio_vs_reference": _spread([r["email_ratio_vs_reference"] for r in rounds]),
            "all_messages_ratio_vs_reference": _spread(
                [r["all_messages_ratio_vs_reference"] for r in rounds]
            ),
            "candor_cpu_ms_per_message": {
                part: _spread([r["candor"]["cpu_ms_per_message"][part] for r in rounds])
                for part in ("workers", "smtp_sink_per_email", "whole_machine")
            },
            "reference_cpu_ms_per_message": {
                part: _spread([r["reference"]["cpu_ms_per_message"][part] for r in rounds])
                for part in ("senders", "smtp_sink_per_email", "whole_machine")
            },
            "worker_rss_mb_peak": max(max(r["candor"]["worker_rss_mb_peak"]) for r in rounds),
            "load_average": _spread([x for r in rounds for x in r["load_average"]]),
        },
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"notify-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
