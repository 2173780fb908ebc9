# ruff: noqa: RUF001 - the hostile text is made of look-alike letters
"""Wording policy: precision and recall per rule and per channel over the labelled corpus
(tests/wording/corpus.yaml), and the time the whole policy takes over a 2,000-character text.

    .venv/bin/python bench/wording.py            # table + timing, as in bench/README.md
    .venv/bin/python bench/wording.py --misses   # also every text the policy gets wrong

No database: the policy is the one the migrations install (newest version of each rule),
built in memory, so the figures are those of a fresh install.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
os.environ.setdefault("CANDOR_CANONICAL_URL", "http://localhost:8000")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.conf import settings  # noqa: E402

from incidents import wording  # noqa: E402
from incidents.models import WordingRule  # noqa: E402

CORPORA = {
    "corpus": ROOT / "tests" / "wording" / "corpus.yaml",
    "holdout": ROOT / "tests" / "wording" / "holdout.yaml",
}


def migrated_policy() -> list[WordingRule]:
    """Every rule the initial migration writes, as a new install has them."""
    initial = importlib.import_module("incidents.migrations.0001_squashed_0055_audiences")
    return [
        WordingRule(
            key=key, kind=kind, pattern=pattern, element=element, limit=limit,
            channel=channel, scope=scope, reason=reason,
        )
        for key, kind, pattern, element, limit, channel, scope, reason in initial.RULES
    ]  # fmt: skip


def corpus_text(entry: dict[str, Any]) -> str:
    url = settings.CANDOR_CANONICAL_URL
    host = urlsplit(url).hostname or ""
    return str(entry["text"]).replace("{status_url}", url).replace("{status_host}", host)


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def measure(rules: list[WordingRule], name: str, show_misses: bool) -> None:
    corpus = yaml.safe_load(CORPORA[name].read_text())
    per_rule: Counter[tuple[str, str]] = Counter()  # (rule, tp|fp|fn)
    per_channel: Counter[tuple[str, str]] = Counter()  # (channel, outcome)
    for entry in corpus:
        channel = entry.get("channel", "web")
        text = corpus_text(entry)
        found = {
            v.rule for v in wording.check(text, channel=channel, phase=entry["phase"], rules=rules)
        }
        expected = set(entry["blocked"])
        for rule in found | expected:
            outcome = (
                "tp" if rule in found and rule in expected else "fp" if rule in found else "fn"
            )
            per_rule[(rule, outcome)] += 1
        # A text is to refuse when it breaks any rule; to pass when it breaks none.
        refuse, refused = bool(expected), bool(found)
        outcome = {
            (True, True): "tp",
            (False, True): "fp",
            (True, False): "fn",
            (False, False): "tn",
        }
        per_channel[(channel, outcome[(refuse, refused)])] += 1
        per_channel[(channel, "n")] += 1
        if show_misses and found != expected:
            print(
                f"MISS {entry['phase']}/{channel}: {text!r}\n"
                f"  want {sorted(expected)} got {sorted(found)}"
            )

    print(f"\n{name}: {len(corpus)} texts, {sum(1 for e in corpus if e['blocked'])} to refuse.\n")
    print("| channel | texts | to refuse | recall on texts to refuse | precision on texts passed |")
    print("|---|---:|---:|---:|---:|")
    for channel in ("web", "email", "sms"):
        c = {k: per_channel[(channel, k)] for k in ("tp", "fp", "fn", "tn", "n")}
        print(
            f"| {channel} | {c['n']} | {c['tp'] + c['fn']} | {ratio(c['tp'], c['tp'] + c['fn'])} "
            f"| {ratio(c['tn'], c['tn'] + c['fn'])} |"
        )
    print("\n| rule | labelled | flagged | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    for rule in sorted({r for r, _ in per_rule}):
        tp, fp, fn = (per_rule[(rule, k)] for k in ("tp", "fp", "fn"))
        print(f"| {rule} | {tp + fn} | {tp + fp} | {ratio(tp, tp + fp)} | {ratio(tp, tp + fn)} |")


TIMED = {
    "plain": (
        "We are investigating elevated error rates on the API and dashboard for customers in "
        "the EU region; see http://localhost:8000/incidents/abc for details. Our provider is "
        "helping. Another update by 09:15 UTC or within 30 minutes if anything changes. "
    ),
    # Every slow path at once: non-ASCII (the per-character fold), a "1" inside words (the
    # second letters view), spaced-out letters, dotted names for the link rule.
    "hostile": (
        "Wе аrе 1nv3st1g@t1ng errоrs, g u a r a n t e e d f1x. Sее stаtus.еxаmple.test, "
        "v1.2.3, node.js, a.b.c.d and mirror[.]example[.]org. Cl0udfl@re 0utage? "
        "Next update by 09:15 UTC. "
    ),
}


def reference_pattern(rules: list[WordingRule]) -> re.Pattern[str]:
    """The cheapest honest version of the same search: every banned pattern, banned phrase
    and vendor name of the policy in one precompiled, case-insensitive alternation, run once
    over the raw text. It does none of the policy's work against evasion (no folding of
    look-alike letters, no second view with digits as letters, no spaced-out letters, no
    link check), so the gap between the two is the price of that work."""
    parts: list[str] = []
    for rule in rules:
        if rule.kind == "banned_pattern":
            parts.append(f"(?:{rule.pattern})")
        elif rule.kind in ("banned_phrase", "vendor_blame"):
            words = [w.strip() for w in rule.pattern.splitlines() if w.strip()]
            parts.append(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
    return re.compile("|".join(parts), re.IGNORECASE)


def _median_ms(call: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def timing(rules: list[WordingRule], rounds: int = 7, runs: int = 50) -> None:
    """Policy and reference in interleaved rounds (the order alternates each round), so a
    slow moment of the machine hits both; per round the median of `runs` calls."""
    reference = reference_pattern(rules)
    print(
        "\n| text (2,000 characters, email, investigating) | policy median ms (min–max) "
        "| one-regex reference median ms (min–max) | policy / reference |"
    )
    print("|---|---:|---:|---:|")
    for name, paragraph in TIMED.items():
        text = (paragraph * 40)[:2000]
        calls: dict[str, Callable[[], object]] = {
            "policy": partial(
                wording.check, text, channel="email", phase="investigating", rules=rules
            ),
            "reference": partial(reference.findall, text),
        }
        for call in calls.values():  # warm the caches, as a running worker has them
            for _ in range(20):
                call()
        medians: dict[str, list[float]] = {"policy": [], "reference": []}
        for round_ in range(rounds):
            order = ("policy", "reference") if round_ % 2 == 0 else ("reference", "policy")
            for which in order:
                medians[which].append(_median_ms(calls[which], runs))
        p, r = (statistics.median(medians[k]) for k in ("policy", "reference"))
        print(
            f"| {name} | {p:.2f} ({min(medians['policy']):.2f}–{max(medians['policy']):.2f}) "
            f"| {r:.3f} ({min(medians['reference']):.3f}–{max(medians['reference']):.3f}) "
            f"| {p / r:.1f}× |"
        )
    print(f"\n{len(rules)} rules; {rounds} interleaved rounds of {runs} calls each.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="print every mislabelled text")
    parser.add_argument("--corpus", nargs="+", choices=CORPORA, default=list(CORPORA))
    args = parser.parse_args()
    rules = migrated_policy()
    for name in args.corpus:
        measure(rules, name, args.misses)
    timing(rules)


if __name__ == "__main__":
    main()
