# ruff: noqa: RUF001, RUF002 - the look-alike letters are the point
"""The wording policy: templates' placeholders, SMS encoding, and the check every channel runs.

`check(text, channel=..., phase=...)` is the one function every outbound path calls (web
updates through lifecycle, email and SMS renderings, reminder drafts, ingest automation).
It returns the violations of the current policy, each with its rule, the reason shown to
the writer and, where the text has one, the span (offsets into the text as written).

Banned phrases are matched on a folded copy of the text: Unicode compatibility forms
(NFKC), accents stripped, case folded, common Cyrillic and Greek look-alikes mapped to the
Latin letters they imitate, zero-width characters dropped. Each folded character remembers
where it came from, so a span found in the folded copy points into the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from incidents.models import (
    Channel,
    IncidentStatus,
    MaintenanceStatus,
    RequiredElement,
    RuleChannel,
    RuleKind,
    RuleScope,
    WordingRule,
)
from incidents.models import Phase as Phase  # re-exported: callers read wording.Phase
from incidents.notify.sms_segments import SEGMENT_SIZES, sms_segments
from incidents.wording import detect

# -- folding ----------------------------------------------------------------------------

_ZERO_WIDTH = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff")

# Look-alikes of Latin letters, as they appear before case folding (capitals first: a
# Greek capital eta looks like H, its small letter does not).
_CONFUSABLES_UPPER = {
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "Х": "x", "Ү": "y", "Ѕ": "s", "І": "i", "Ј": "j",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
    "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
}  # fmt: skip
_CONFUSABLES_LOWER = {
    "а": "a", "в": "b", "е": "e", "к": "k", "о": "o", "р": "p", "с": "c", "у": "y",
    "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q",
    "ԝ": "w", "ɡ": "g", "ı": "i", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
}  # fmt: skip


@dataclass(frozen=True)
class Folded:
    text: str
    origin: tuple[int, ...]  # origin[i]: offset in the original of folded character i

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of folded text[start:end]."""
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=4096)
def _fold_char(char: str, lookalikes: bool = True) -> str:
    if not lookalikes:
        return unicodedata.normalize("NFKC", char).casefold()
    char = _CONFUSABLES_UPPER.get(char, char)
    decomposed = unicodedata.normalize("NFKD", char)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFKC", stripped).casefold()
    return "".join(_CONFUSABLES_LOWER.get(c, c) for c in folded)


_ASCII_RUN = re.compile(r"([\x00-\x7f]+)|[^\x00-\x7f]", re.DOTALL)


def fold(text: str, *, lookalikes: bool = True) -> Folded:
    """The text folded for matching. lookalikes=False keeps accents and look-alike letters
    (the view links are read in: "exаmple.test" with a Cyrillic "а" is another host)."""
    if text.isascii():  # most texts: nothing to fold but case, one character for one
        return Folded(text.lower(), tuple(range(len(text))))
    chars: list[str] = []
    origin: list[int] = []
    for run in _ASCII_RUN.finditer(text):
        start, end = run.span()
        if run.group(1):  # a run of ASCII: case only, in one go
            chars.append(run.group(1).lower())
            origin.extend(range(start, end))
        elif text[start] not in _ZERO_WIDTH:
            out = _fold_char(text[start], lookalikes)
            chars.append(out)
            origin.extend([start] * len(out))
    return Folded("".join(chars), tuple(origin))


# Digits and symbols written for letters ("gu@rant33d", "10O% $ecure"). Only inside a word
# that has a letter: "09:15" and "100" stay numbers. "!" and "|" only between two letters,
# so "fixed!" keeps its end of word.
_LEET = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "€": "e", "£": "l", "!": "i", "|": "l",
}  # fmt: skip
_LEET_WORD = re.compile(r"(?<!\S)\S*?[013457890@$€£!|]\S*")
# Letters spaced out to dodge a pattern: "g u a r a n t e e", "A.W.S", "f-u-l-l-y".
# Spaced with punctuation or with blanks, never both: "f-u-l-l-y s-e-c-u-r-e" is two words.
_SPACED_OUT = re.compile(
    r"(?<![^\W_])[^\W_](?:(?:[^\w\s]|_){1,2}[^\W_](?![^\W_])){2,}"
    r"|(?<![^\W_])[^\W_](?:\s{1,2}[^\W_](?![^\W_])){2,}"
)


def _between_letters(word: str, i: int) -> bool:
    return 0 < i < len(word) - 1 and word[i - 1].isalnum() and word[i + 1].isalnum()


def _unleet(word: str, one: str) -> str:
    if not any(c.isalpha() for c in word):
        return word
    out = []
    for i, c in enumerate(word):
        if c in "!|" and not _between_letters(word, i):
            out.append(c)
        else:
            out.append(one if c == "1" else _LEET.get(c, c))
    return "".join(out)


# A "1" inside a word: it may stand for "i" or for "l", so such a text is read both ways.
_ONE_IN_WORD = re.compile(r"[^\W\d_]1|1[^\W\d_]")


def letters_view(folded: Folded, *, one: str = "i") -> Folded:
    """The folded text with leetspeak undone and spaced-out letters joined: the view banned
    phrases and patterns are matched in. Every character keeps its origin."""
    text = _LEET_WORD.sub(lambda m: _unleet(m.group(0), one), folded.text)
    pieces: list[str] = []
    origin: list[int] = []
    position = 0
    for match in _SPACED_OUT.finditer(text):
        start, end = match.span()
        pieces.append(text[position:start])
        origin.extend(folded.origin[position:start])
        for i in range(start, end):
            if text[i].isalnum():  # the letters stay, the spacing between them goes
                pieces.append(text[i])
                origin.append(folded.origin[i])
        position = end
    if not position:
        return Folded(text, folded.origin)
    pieces.append(text[position:])
    origin.extend(folded.origin[position:])
    return Folded("".join(pieces), tuple(origin))


# In the letters view a "1" reads "i" and a "|" reads "l": either may stand for the other.
_AMBIGUOUS = {"i": "[il]", "l": "[il]"} | {
    digit: f"[{digit}{letter}]" for digit, letter in _LEET.items() if digit.isdigit()
}


def _phrase_char(char: str) -> str:
    return _AMBIGUOUS.get(char, re.escape(char))


@lru_cache(maxsize=512)
def phrase_regex(phrases: str) -> re.Pattern[str]:
    """Banned phrases (one a line) as a pattern over folded text, blind to punctuation and
    spacing: "best-in-class" also finds "Best in class", "bestinclass", "b.e.s.t in class"."""
    alternatives = []
    for phrase in phrases.splitlines():
        words = re.findall(r"[^\W_]+", fold(phrase).text)
        if words:
            letters = [r"[\W_]?".join(_phrase_char(c) for c in word) for word in words]
            alternatives.append(r"[\W_]*".join(letters))
    if not alternatives:
        raise ValueError("a banned phrase needs at least one letter or digit")
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])")


# -- SMS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7 (extension characters count two), UTF-16 units for UCS-2
    segments: int
    per_segment: int


def sms_info(text: str) -> SmsInfo:
    """How an SMS of this text is sent (notify/sms_segments.py counts it, as the send
    forecast does): 160 GSM-7 septets in one message, 153 per part when split; any other
    character makes it UCS-2, 70 in one message, 67 per part."""
    counted = sms_segments(text)
    single, multi = SEGMENT_SIZES[counted.encoding]
    return SmsInfo(
        counted.encoding, counted.units, counted.count, single if counted.count <= 1 else multi
    )


# -- placeholders ----------------------------------------------------------------------------

PLACEHOLDERS = {
    "title": "The incident's or maintenance's title",
    "components": "The affected components, e.g. “API and Dashboard”",
    "started_at": "When it started, e.g. 14:05 UTC",
    "next_update_at": "When the next update will come, e.g. 15:00 UTC",
    "window_start": "When a maintenance window starts, e.g. 2026-11-24 02:00 UTC",
    "window_end": "When a maintenance window ends",
    "status_url": "The canonical status page address",
}
COMPONENTS_FALLBACK = "some of our services"
_TIME = r"(?:\d{4}-\d{2}-\d{2} )?\d{2}:\d{2} UTC"
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Part:
    literal: str = ""
    placeholder: str = ""


def parse(body: str) -> list[Part]:
    """A template body as literal text and {placeholders}; `{{` and `}}` are braces.

    Raises ValidationError naming every unknown placeholder or stray brace: a template
    either means exactly what it says or is refused.
    """
    parts: list[Part] = []
    problems: list[str] = []
    position = 0
    literal: list[str] = []
    for match in _TOKEN.finditer(body):
        literal.append(body[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif match.group(1) is not None and match.group(1) in PLACEHOLDERS:
            parts.append(Part(literal="".join(literal)))
            literal = []
            parts.append(Part(placeholder=match.group(1)))
        elif match.group(1) is not None:
            known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
            problems.append(f"Unknown placeholder {token}; the known ones are {known}.")
        else:
            problems.append(
                f"A lone “{token}” at character {match.start() + 1}; write {token * 2} for a brace."
            )
    literal.append(body[position:])
    parts.append(Part(literal="".join(literal)))
    if problems:
        raise ValidationError({"body": problems})
    return [p for p in parts if p.literal or p.placeholder]


def format_time(moment: datetime, *, with_date: bool = False) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")


def join_names(names: Sequence[str]) -> str:
    names = list(names)
    if not names:
        return COMPONENTS_FALLBACK
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def render(body: str, values: Mapping[str, str]) -> str:
    """Fill a template's placeholders; one without a value stays as written, visibly."""
    return "".join(
        p.literal or values.get(p.placeholder, f"{{{p.placeholder}}}") for p in parse(body)
    )


@dataclass(frozen=True)
class MatchContext:
    """What a rendering may say for each placeholder where it is published."""

    title: str
    component_names: Sequence[str]

    def pattern(self, placeholder: str) -> str:
        if placeholder == "title":
            return re.escape(self.title)
        if placeholder == "components":
            names = sorted(self.component_names, key=len, reverse=True)
            one = "(?:" + "|".join(re.escape(n) for n in names) + ")" if names else "(?!)"
            many = rf"{one}(?:(?:, | and |, and ){one})*"
            return f"(?:{many}|{re.escape(COMPONENTS_FALLBACK)})"
        if placeholder == "status_url":
            return re.escape(settings.CANDOR_CANONICAL_URL) + r"(?:/[\w./-]*)?"
        return _TIME


def is_rendering(text: str, body: str, context: MatchContext) -> bool:
    """Whether `text` is `body` with every placeholder filled by something it may say."""
    pattern = "".join(
        re.escape(p.literal) if p.literal else context.pattern(p.placeholder) for p in parse(body)
    )
    return re.fullmatch(pattern, normal_text(text)) is not None


def normal_text(text: str) -> str:
    """Words as compared and kept: browsers send textareas with CRLF, the words are the
    same; so are they with a blank line more or less around them."""
    return text.replace("\r\n", "\n").strip()


def values_for(
    *,
    title: str,
    component_names: Sequence[str],
    started_at: datetime | None = None,
    next_update_at: datetime | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> dict[str, str]:
    """The placeholder values of one incident or maintenance, as a rendering says them."""
    values = {
        "title": title,
        "components": join_names(component_names),
        "status_url": settings.CANDOR_CANONICAL_URL,
    }
    for name, moment, with_date in (
        ("started_at", started_at, False),
        ("next_update_at", next_update_at, False),
        ("window_start", window_start, True),
        ("window_end", window_end, True),
    ):
        if moment is not None:
            values[name] = format_time(moment, with_date=with_date)
    return values


def sample_values() -> dict[str, str]:
    """Placeholder values for checking a template before it is used anywhere."""
    return {
        "title": "Elevated error rates",
        "components": "API",
        "started_at": "14:05 UTC",
        "next_update_at": "15:00 UTC",
        "window_start": "2026-01-01 02:00 UTC",
        "window_end": "2026-01-01 04:00 UTC",
        "status_url": settings.CANDOR_CANONICAL_URL,
    }


# -- phases ----------------------------------------------------------------------------------

FINAL_PHASES = frozenset({Phase.RESOLVED, Phase.MAINTENANCE_COMPLETED})
_OPEN_INCIDENT = frozenset({Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.MONITORING})
_MAINTENANCE_PHASE = {
    MaintenanceStatus.SCHEDULED: Phase.MAINTENANCE_SCHEDULED,
    MaintenanceStatus.IN_PROGRESS: Phase.MAINTENANCE_STARTED,
    MaintenanceStatus.VERIFYING: Phase.MAINTENANCE_STARTED,
    MaintenanceStatus.COMPLETED: Phase.MAINTENANCE_COMPLETED,
}


def incident_phase(status: str) -> Phase:
    return Phase(IncidentStatus(status).value)


def maintenance_phase(status: str) -> Phase:
    return _MAINTENANCE_PHASE[MaintenanceStatus(status)]


# -- the policy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    rule: str
    kind: str
    reason: str
    start: int | None = None  # offsets into the text as written; None: nothing to point at
    end: int | None = None
    excerpt: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WordingRefused(ValidationError):
    """lifecycle's refusal of words: the field errors, plus the itemised violations."""

    def __init__(self, message: str, violations: Sequence[Violation] = ()) -> None:
        reasons = [message, *(v.reason for v in violations)]
        super().__init__({"body": reasons})
        self.violations = list(violations)


def current_rules() -> list[WordingRule]:
    """The policy: per key, the newest version, unless it retired the rule."""
    newest: dict[str, WordingRule] = {}
    for rule in WordingRule.objects.order_by("key", "-version"):
        newest.setdefault(rule.key, rule)
    return [rule for rule in newest.values() if rule.active]


def original_language() -> str:
    """The language originals are written in: the first of CANDOR_WORDS_LANGUAGES."""
    languages = settings.CANDOR_WORDS_LANGUAGES
    return str(languages[0]) if languages else ""


def _applies(rule: WordingRule, *, channel: str, phase: str, language: str) -> bool:
    # A rule for one language reads only words in it; a rule for none reads every language.
    if rule.language and rule.language != (language or original_language()):
        return False
    channels = {
        RuleChannel.ALL: None,
        RuleChannel.EMAIL_AND_SMS: {"email", "sms"},
    }.get(RuleChannel(rule.channel), {rule.channel})
    if channels is not None and channel not in channels:
        return False
    if rule.scope == RuleScope.OPEN_INCIDENT:
        return phase in _OPEN_INCIDENT
    if rule.scope == RuleScope.BEFORE_IDENTIFIED:
        return phase == Phase.INVESTIGATING
    return True


def _violation(rule: WordingRule, text: str, span: tuple[int, int] | None = None) -> Violation:
    start, end = span if span else (None, None)
    return Violation(
        rule=rule.key,
        kind=rule.kind,
        reason=rule.reason,
        start=start,
        end=end,
        excerpt=text[start:end] if span else "",
    )


@dataclass(frozen=True)
class Views:
    """One text as each kind of rule reads it; every view maps back to the original."""

    folded: Folded  # required elements: times, the status page address
    letters: Folded  # banned phrases and patterns, vendor blame: leetspeak undone too
    links: Folded  # hosts: look-alike letters kept, they make another host
    letters_l: Folded | None = None  # the letters view reading "1" as "l", if it has one

    @classmethod
    def of(cls, text: str) -> Views:
        folded = fold(text)
        return cls(
            folded,
            letters_view(folded),
            fold(text, lookalikes=False),
            letters_view(folded, one="l") if _ONE_IN_WORD.search(folded.text) else None,
        )

    def letter_views(self) -> list[Folded]:
        return [self.letters] if self.letters_l is None else [self.letters, self.letters_l]


def canonical_host() -> str:
    return urlsplit(settings.CANDOR_CANONICAL_URL).hostname or ""


def own_hosts() -> list[str]:
    """Our own names: the canonical status page, and the app where it answers elsewhere
    (every message links subscribers there to manage or end their subscription)."""
    app = urlsplit(getattr(settings, "CANDOR_APP_URL", "") or "").hostname or ""
    return [host for host in (canonical_host(), app) if host]


@lru_cache(maxsize=8)
def _canonical_url_regex(url: str) -> re.Pattern[str]:
    # The address itself, not the start of another host's ("…test.evil.example", "…test@evil").
    return re.compile(re.escape(fold(url, lookalikes=False).text) + r"(?![\w@-]|[.:][\w])")


def _links_canonical_url(views: Views) -> bool:
    return _canonical_url_regex(settings.CANDOR_CANONICAL_URL).search(views.links.text) is not None


# In a translation, the next update's time as every rendering fills {next_update_at}: the
# promise detector (detect.py) reads English, and a translation keeps the original's
# placeholders (translation_approvals.py), so the filled time is where its promise is.
_FILLED_TIME = re.compile(r"\b\d{2}:\d{2} utc\b")


def _rule_violations(
    rule: WordingRule, text: str, views: Views, *, channel: str, language: str = ""
) -> Iterable[Violation]:
    kind = RuleKind(rule.kind)
    if kind in (RuleKind.BANNED_PHRASE, RuleKind.BANNED_PATTERN, RuleKind.VENDOR_BLAME):
        if kind == RuleKind.BANNED_PHRASE:
            regex = phrase_regex(rule.pattern)
        elif kind == RuleKind.VENDOR_BLAME:
            regex = detect.blame_regex(rule.pattern)
        else:
            regex = re.compile(rule.pattern, re.IGNORECASE)
        spans = {
            letters.span(match.start(), match.end())
            for letters in views.letter_views()
            for match in regex.finditer(letters.text)
            if match.end() > match.start()
        }
        for span in sorted(spans):
            yield _violation(rule, text, span)
    elif kind == RuleKind.ALLOWED_LINKS:
        allowed = [*own_hosts(), *detect.hosts(detect.lines(rule.pattern))]
        for start, end, _host in detect.foreign_links(views.links.text, allowed):
            yield _violation(rule, text, views.links.span(start, end))
    elif kind == RuleKind.REQUIRED_ELEMENT:
        if rule.element == RequiredElement.STATUS_URL:
            present = _links_canonical_url(views)
        else:
            # An SMS is short: the link to the page that carries the promise is enough.
            present = (
                detect.promises_next_update(views.folded.text)
                or (channel == "sms" and _links_canonical_url(views))
                or (
                    language not in ("", original_language())
                    and _FILLED_TIME.search(views.folded.text) is not None
                )
            )
        if not present:
            yield _violation(rule, text)
    elif kind == RuleKind.MAX_CHARS and rule.limit is not None and len(text) > rule.limit:
        yield _violation(rule, text, (rule.limit, len(text)))
    elif (
        kind == RuleKind.MAX_SMS_SEGMENTS
        and rule.limit is not None
        and sms_info(text).segments > rule.limit
    ):
        yield _violation(rule, text)


def check(
    text: str,
    *,
    channel: str,
    phase: str,
    rules: Iterable[WordingRule] | None = None,
    language: str = "",
) -> list[Violation]:
    """Every violation of the policy by `text` sent on `channel` ("web", "email", "sms")
    in `phase` (a Phase value), in the order they appear in the text. `language`: the
    words' language (a translation's); empty: the original language."""
    views = Views.of(text)
    found = [
        violation
        for rule in (current_rules() if rules is None else rules)
        if _applies(rule, channel=channel, phase=phase, language=language)
        for violation in _rule_violations(rule, text, views, channel=channel, language=language)
    ]
    return sorted(found, key=lambda v: (v.start is None, v.start or 0, v.rule))


def channel_for(template_channel: str) -> str:
    """The policy channel a template's words are checked as (web templates feed email
    too, where the email adds the status page link itself)."""
    return "sms" if template_channel == Channel.SMS else "web"
