# ruff: noqa: RUF001, RUF002 - look-alike letters and quotes are the point
"""Detectors behind the wording policy's structured rules: links to hosts we do not own,
blame of a named vendor, and a promise of when the next update comes.

They work on the folded views policy.py makes (its `Folded`), return spans into that view,
and know nothing about the database: the vendor names and the allowed hosts come from the
rule versions an Admin edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

# -- links ------------------------------------------------------------------------------------

# The public-suffix list as bundled in tldextract: no download, ever (suffix_list_urls=()).
_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
# Reserved for tests and documentation (RFC 2606/6761): not in the list, still hosts.
_RESERVED_TLDS = frozenset({"test", "invalid", "example", "localhost"})
# Country codes that are also file extensions: "deploy.sh" or "manage.py" in an update is a
# file, not a link. Only for a bare name.ext; "www.x.sh" or "https://x.sh" is a link.
_FILE_EXTENSIONS = frozenset({"py", "md", "sh", "rs", "so"})

_SCHEME_URL = re.compile(r"(?<![^\W_])[a-z][a-z0-9+.-]{1,15}://[^\s<>\"'`]+")
# Defanged dots ("evil[.]com", "evil (dot) com") are what phishing notices use to dodge filters.
_DOT = (
    r"(?:\.|\s?\[\s?(?:\.|dot)\s?\]\s?|\s?\(\s?(?:\.|dot)\s?\)\s?"
    r"|\s?\{\s?(?:\.|dot)\s?\}\s?|\s+dot\s+)"
)
# Possessive: a word that is no host name is given up at once, not tried at every length.
_BARE_HOST = re.compile(rf"(?<![\w.-])[\w-]++(?:{_DOT}[\w-]++)+")
_LABEL = re.compile(r"[^\W_](?:[\w-]{0,61}[^\W_])?")
_DOT_RE = re.compile(_DOT)


@lru_cache(maxsize=4096)
def _is_domain(host: str) -> bool:
    """Whether a dotted name written without a scheme is a host on the Internet (or a
    reserved test name), not a version number, a file name or two sentences run together."""
    labels = host.split(".")
    last = labels[-1]
    if len(labels) == 2 and last in _FILE_EXTENSIONS:
        return False
    if last in _RESERVED_TLDS:
        return True
    if last.isdigit():
        return False
    parts = _PSL(host)
    return bool(parts.suffix and parts.domain)


def _url_host(url: str) -> str:
    """The host a browser would open; "" when the address is malformed (its "port" is not a
    number, as in "https://status.example.test:443.evil.test"): then nothing is allowed."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        return parts.hostname or ""
    except ValueError:
        return ""


def _host_allowed(host: str, allowed: Sequence[str]) -> bool:
    host = host.rstrip(".")
    return any(host == entry or host.endswith("." + entry) for entry in allowed)


def foreign_links(text: str, allowed: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, host) for every URL or bare domain in `text` whose host is not one of
    `allowed` (or below one). `text` is the link view: case folded, compatibility forms
    undone, zero-width characters dropped, look-alike letters left as they are (a Cyrillic
    "е" in a host is a different host)."""
    taken: list[tuple[int, int]] = []
    for match in _SCHEME_URL.finditer(text):
        taken.append(match.span())
        url = match.group(0).rstrip(".,;:!?)]}")
        host = _url_host(url)
        if not _host_allowed(host, allowed):
            yield match.start(), match.start() + len(url), host or url
    for match in _BARE_HOST.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        host = _DOT_RE.sub(".", match.group(0))
        if (
            all(_LABEL.fullmatch(label) for label in host.split("."))
            and _is_domain(host)
            and not _host_allowed(host, allowed)
        ):
            yield match.start(), match.end(), host


# -- vendor blame -----------------------------------------------------------------------------

B = r"(?<![^\W_])"  # a word starts here
E = r"(?![^\W_])"  # a word ends here
# "... because of <vendor>": the cause named before the vendor, in the same sentence.
BLAME_BEFORE = (
    r"due to|caused by|because of|blame[sd]?|blaming|fault of|failures? (?:at|of|in|on)"
    r"|outages? (?:at|of|in|on)|incidents? (?:at|of|on)|thanks to|result of|triggered by"
    r"|(?:on|from) the side of|problems? (?:at|on the side of)|responsible:?|culprit:?"
    r"|down to|attributable to|originated (?:at|in|with)|stems? from|stemmed from"
    r"|(?:fault|blame|cause|problem) (?:lies|lay|is|was) (?:with|at)"
)
# "<vendor> broke ...": the vendor as the subject of a failure, a word or two away at most.
BLAME_AFTER = (
    r"broke|breaks|caused|causes|failed|went down|is down|was down|were down|took down"
    r"|takes down|knocked|outages?|incidents?|failures?|fault|mistakes?|bugs?|screwed up"
    r"|messed up|misconfigured|misconfiguration|dropped the ball|let us down|is to blame"
    r"|was to blame|are to blame|had an? (?:outage|incident|failure|problem|issue)"
)


# How the letters view may spell a vendor's letters (it reads "1" as "i", "3" as "e").
_SPELLINGS = {"i": "[il1]", "l": "[il1]", "o": "[o0]", "e": "[e3]", "a": "[a4@]", "s": "[s5$]"}


def _name_regex(name: str) -> str:
    """A vendor name, blind to case, spacing and punctuation ("Amazon  Web-Services")."""
    words = name.casefold().split()
    return r"[\W_]*".join(
        r"[\W_]?".join(_SPELLINGS.get(c, re.escape(c)) for c in word) for word in words
    )


@lru_cache(maxsize=64)
def blame_regex(vendors: str) -> re.Pattern[str]:
    """The blame pattern for a list of vendor names (one a line), over the letters view."""
    names = sorted((_name_regex(n) for n in lines(vendors)), key=len, reverse=True)
    if not names:
        raise ValueError("a vendor list needs at least one name")
    vendor = rf"{B}(?:{'|'.join(names)})(?:['’]s|s['’])?{E}"
    return re.compile(
        rf"{B}(?:{BLAME_BEFORE}){E}[^.;\n]{{0,40}}?{vendor}"
        rf"|{vendor}(?:[\s,]+[\w-]+){{0,1}}?[\s,]+(?:{BLAME_AFTER}){E}"
        # "on Azure's side", "at Twilio's end": where the fault was, said as a place.
        rf"|{B}(?:{'|'.join(names)})(?:['’]s|s['’])\s+(?:side|end){E}"
    )


# -- the promise of the next update ----------------------------------------------------------

_NUMBER = (
    r"\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty"
    r"|forty|forty-five|fifty|sixty|ninety|a few|a couple of|half an?|an? half"
)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|h)"
_CLOCK = r"\d{1,2}(?::\d{2}|\s?[ap]\.?m\.?)(?:\s?(?:utc|gmt|z|[a-z]{2,4}))?"
WHEN = (
    r"(?:by|at|before|around|no later than|not later than|until|til|till|~)\s+"
    rf"(?:about\s+)?{_CLOCK}"
    r"|(?:within|in|inside)\s+(?:the\s+)?(?:next\s+)?(?:about\s+|around\s+)?"
    rf"(?:{_NUMBER})\s*-?\s*{_UNIT}"
    rf"|(?:within|in)\s+the\s+(?:next\s+)?hour|(?:within|in)\s+half\s+an\s+hour"
)
# What makes a time a promise of news rather than a fact about the past.
_CUE = (
    r"update[sd]?|post|posting|share|sharing|report|inform|let you know|back to you"
    r"|more|follow[- ]up|next|again|check back|provide"
    r"|notify|further|news"
)
PROMISE = re.compile(
    # "Next update: 09:50 UTC", "next update 16:30": the time right after, no preposition.
    rf"{B}next\s+update{E}\W{{0,3}}(?:{_CLOCK}){E}|"
    rf"{B}(?:{_CUE}){E}[^.\n]{{0,60}}?{B}(?:{WHEN}){E}"
    rf"|{B}(?:{WHEN}){E}[^.\n]{{0,30}}?{B}(?:{_CUE}){E}"
)


def promises_next_update(text: str) -> bool:
    """Whether the (folded) text says when the next update comes: an explicit time ("another
    update by 09:15 UTC", "we'll post again at 14:00") or a duration ("within 30 minutes",
    "in the next hour")."""
    return PROMISE.search(text) is not None


def lines(pattern: str) -> list[str]:
    return [line.strip() for line in pattern.splitlines() if line.strip()]


def hosts(entries: Iterable[str]) -> list[str]:
    """Allowed-host entries as hosts: "https://Status.Example.test/x" is status.example.test."""
    out = []
    for entry in entries:
        entry = entry.strip().casefold()
        if "//" in entry:
            entry = urlsplit(entry).hostname or ""
        entry = entry.split("/", 1)[0].rstrip(".")
        if entry:
            out.append(entry)
    return out
