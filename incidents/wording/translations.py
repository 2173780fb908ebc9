"""Approved translations of the words: which one an update may be read in.

An update's words are matched to the approved template version they were filled from (as
approvals.approved_basis matches them when they are posted), the placeholder values read
back out of the words, and the version's approved translation into the reader's language
filled with those same values. Anything else gives None and the caller keeps the original
words: custom text, an override, a version since superseded, a translation short of its
approvals. Never machine translation; never an unapproved translation.

Writing and approving translations is translation_approvals.py; this module only reads, so
the notification renderers can import it (approvals.py imports them, through approvers/).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

from django.conf import settings

from incidents import wording
from incidents.models import (
    Component,
    IncidentUpdate,
    MaintenanceUpdate,
    TemplateTranslation,
    TemplateVersion,
)
from incidents.rendering import render_markdown
from incidents.thread_scope import ThreadScope
from incidents.wording.approved import approvals_satisfied, usable_versions

# How long a worker reuses a lookup: a fan-out renders every recipient's message, and the
# answer for one update and language is the same for all of them.
_REUSE_SECONDS = 60


def words_language(language: str) -> str:
    """The translation language a reader's language asks for ("de-AT" reads "de"); "" for
    the original language or one nobody translates into."""
    code = language.strip().lower()
    languages = [str(known).lower() for known in settings.CANDOR_WORDS_LANGUAGES]
    if code not in languages:
        code = code.partition("-")[0]
    if code not in languages or code == wording.original_language().lower():
        return ""
    return str(settings.CANDOR_WORDS_LANGUAGES[languages.index(code)])


def translation_approved(translation: TemplateTranslation) -> bool:
    """Approved as its version must be (CANDOR_TEMPLATE_APPROVALS). Prefetch "approvals"."""
    return approvals_satisfied(
        (a.qualifier for a in translation.approvals.all()), settings.CANDOR_TEMPLATE_APPROVALS
    )


def approved_translation(version: TemplateVersion, language: str) -> TemplateTranslation | None:
    """The version's newest approved translation into `language`: as with versions,
    approving a newer one retires the older, and one still waiting changes nothing."""
    candidates = (
        TemplateTranslation.objects.filter(version=version, language=language)
        .prefetch_related("approvals")
        .order_by("-number")
    )
    return next((t for t in candidates if translation_approved(t)), None)


def placeholder_values(
    text: str, body: str, context: wording.MatchContext
) -> dict[str, str] | None:
    """The values `text` filled `body`'s placeholders with; None when it is no rendering
    of `body` (wording.is_rendering's match, with each placeholder captured)."""
    names: list[str] = []
    pattern = []
    for part in wording.parse(body):
        if part.literal:
            pattern.append(re.escape(part.literal))
        else:  # context patterns group without capturing: each group here is one value
            pattern.append(f"({context.pattern(part.placeholder)})")
            names.append(part.placeholder)
    match = re.fullmatch("".join(pattern), wording.normal_text(text))
    if match is None:
        return None
    values: dict[str, str] = {}
    for name, value in zip(names, match.groups(), strict=True):
        values.setdefault(name, value)
    return values


def _subject(update: IncidentUpdate | MaintenanceUpdate) -> tuple[str, str]:
    """(phase, title) the update's words were approved and matched for."""
    if isinstance(update, IncidentUpdate):
        return wording.incident_phase(update.status), update.incident.name
    return wording.maintenance_phase(update.status), update.maintenance.name


def translated_words(update: IncidentUpdate | MaintenanceUpdate, language: str) -> str | None:
    """The update's words in `language`, from an approved translation of the approved
    template version they came from, with the same values; None: use the original."""
    code = words_language(language)
    if not code or not update.body.strip():
        return None
    if update.pk is None:  # a draft (the send forecast prices one): nothing to reuse
        return _lookup(update, update.body, code)
    bucket = int(time.monotonic() // _REUSE_SECONDS)
    return _reused(type(update).__name__, update.pk, update.body, code, bucket, update)


@lru_cache(maxsize=256)
def _reused(
    kind: str,
    pk: int,
    body: str,
    language: str,
    bucket: int,
    update: IncidentUpdate | MaintenanceUpdate,
) -> str | None:
    return _lookup(update, body, language)


def _lookup(update: IncidentUpdate | MaintenanceUpdate, body: str, language: str) -> str | None:
    return _Pass(language).words(update, body)


class _Pass:
    """One look at many updates in one language: the components, each phase's usable
    versions and each version's approved translation are read once, not per update."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.names: list[str] | None = None
        self.versions: dict[str, list[TemplateVersion]] = {}
        self.translations: dict[int, TemplateTranslation | None] = {}

    def words(self, update: IncidentUpdate | MaintenanceUpdate, body: str) -> str | None:
        phase, title = _subject(update)
        return self.words_of(phase, title, body)

    def words_of(self, phase: str, title: str, body: str) -> str | None:
        if self.names is None:
            self.names = list(Component.objects.values_list("name", flat=True))
        context = wording.MatchContext(title=title, component_names=self.names)
        if phase not in self.versions:
            self.versions[phase] = usable_versions(phase)
        for version in self.versions[phase]:
            values = placeholder_values(body, version.body, context)
            if values is None:
                continue
            if version.pk not in self.translations:
                self.translations[version.pk] = approved_translation(version, self.language)
            translation = self.translations[version.pk]
            return wording.render(translation.body, values) if translation is not None else None
        return None


def translated_many(
    updates: Sequence[IncidentUpdate | MaintenanceUpdate], language: str
) -> list[str | None]:
    """`translated_words` of each update, looked up afresh in one pass (the public API's
    documents hold up to 50 incidents' updates)."""
    code = words_language(language)
    if not code:
        return [None] * len(updates)
    look = _Pass(code)
    return [look.words(u, u.body) if u.body.strip() else None for u in updates]


class _PagePass(_Pass):
    """A page render's look: one query tells whether anything at all is translated into
    the language (most sites: nothing, and a page pays that one query), and each
    update's words are rendered to HTML once however many pages show them."""

    def __init__(self, language: str) -> None:
        super().__init__(language)
        self.any = TemplateTranslation.objects.filter(language=language).exists()
        self.html: dict[tuple[str, str, str], str | None] = {}

    def html_of(self, phase: str, title: str, body: str) -> str | None:
        key = (phase, title, body)
        if key not in self.html:
            words = self.words_of(phase, title, body) if self.any else None
            # Sanitised exactly as the original's body_html is when it is posted.
            self.html[key] = render_markdown(words) if words is not None else None
        return self.html[key]


_pages = ThreadScope()


@contextmanager
def page_words_reused() -> Iterator[None]:
    """In this thread, page_words_html looks at each language once until the block ends:
    a page's render (public/views.render_page), or a whole snapshot render, whose pages
    show one moment. Nested blocks share the outermost one's."""
    with _pages.open():
        yield


def _phase(maintenance: bool, status: str) -> str | None:
    try:
        return wording.maintenance_phase(status) if maintenance else wording.incident_phase(status)
    except (KeyError, ValueError):  # a status no template is written for
        return None


def page_words_html(
    *, maintenance: bool, status: str, title: str, body: str, language: str
) -> str | None:
    """The sanitised HTML of an update's approved translation into `language`, for a
    public page (from the view's fields: the views are shared by every language); None:
    show the original's body_html. Inside page_words_reused, one look per language."""
    code = words_language(language)
    phase = _phase(maintenance, status)
    if not code or phase is None or not body.strip():
        return None
    passes: dict[str, _PagePass] | None = _pages.memo()
    look = passes.get(code) if passes is not None else None
    if look is None:
        look = _PagePass(code)
        if passes is not None:
            passes[code] = look
    return look.html_of(phase, title, body)


def translations_forget() -> None:
    """Forget reused lookups (tests, and anyone who just approved a translation here)."""
    _reused.cache_clear()
