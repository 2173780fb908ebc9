"""Formatting for the public pages: times in UTC, durations, uptime, status wording.

Every figure a reader compares (uptime, times) is formatted here once, so the status page,
the incident pages and the feeds cannot disagree on rounding or time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from incidents.models import ComponentStatus, IncidentImpact, IncidentStatus, MaintenanceStatus
from incidents.public import language
from incidents.public.uptime_bars import (
    NARROW_DAYS,
    Run,
    bar_runs,
    days_with_trouble,
    uptime_percent,
)
from incidents.selectors import GroupView, IncidentView, MaintenanceView, UpdateView, UptimeDay
from incidents.wording.translations import page_words_html

register = template.Library()


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@register.filter
def utc_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    at = _utc(value)
    if _localised():
        # The reader's locale's own order and month names (Django's formats); the zone
        # is always named, so "03:00" is never read as local time.
        return f"{date_format(at, 'DATETIME_FORMAT')} UTC"
    return f"{at:%b} {at.day}, {at.year}, {at:%H:%M} UTC"


def _localised() -> bool:
    return (get_language() or language.DEFAULT) != language.DEFAULT


@register.filter
def utc_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = _utc(value) if isinstance(value, datetime) else value
    if _localised():
        return date_format(day, "DATE_FORMAT")
    return f"{day:%b} {day.day}, {day.year}"


@register.simple_tag
def utc_time(value: datetime | None) -> SafeString:
    """A <time> element: readable in UTC for people, ISO 8601 for machines."""
    if value is None:
        return SafeString("")
    iso = _utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")
    return format_html('<time datetime="{}">{}</time>', iso, utc_datetime(value))


@register.simple_tag
def utc_clock(value: datetime) -> SafeString:
    """A <time> element showing only the hour and minute, "14:30 UTC"."""
    iso = _utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")
    return format_html('<time datetime="{}">{} UTC</time>', iso, f"{_utc(value):%H:%M}")


@register.simple_tag
def utc_date(value: date) -> SafeString:
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), utc_day(value))


@register.simple_tag
def update_html(
    update: UpdateView | Mapping[str, Any], subject: IncidentView | MaintenanceView | str = ""
) -> SafeString:
    """An update's words as the page shows them: the approved translation into the page's
    language (get_language()) when there is one, else the original; both sanitised HTML.
    Looked up here, per language, because the views are shared by every language. The
    out-of-band CLI (publish/oob_post.py) renders a new item from a mapping, with no
    subject and no database: its words as written."""
    if isinstance(update, Mapping):
        return mark_safe(update["body_html"])  # noqa: S308 (sanitised by the CLI)
    if isinstance(subject, IncidentView | MaintenanceView):
        translated = page_words_html(
            maintenance=isinstance(subject, MaintenanceView),
            status=update.status,
            title=subject.name,
            body=update.body,
            language=get_language() or "",
        )
        if translated is not None:
            return mark_safe(translated)  # noqa: S308 (render_markdown's sanitised HTML)
    return mark_safe(update.body_html)  # noqa: S308 (sanitised when it was posted)


@register.filter
def duration(value: timedelta | int | float | None) -> str:
    """'2 d 3 h', '1 h 20 min', '45 min', '< 1 min'."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    minutes = round(seconds / 60)
    if minutes < 1:
        return "< 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@register.filter
def percent(value: float | None) -> str:
    return uptime_percent(value)


# Incident, maintenance and component statuses share no value, so one table serves all.
_STATUS_LABELS = {
    **dict(ComponentStatus.choices),
    **dict(IncidentStatus.choices),
    **dict(MaintenanceStatus.choices),
}


@register.filter
def status_label(value: str) -> str:
    word = language.STATUS_WORDS.get(value)
    return str(word) if word is not None else str(_STATUS_LABELS.get(value, value))


@register.filter
def impact_label(value: str) -> str:
    word = language.IMPACT_WORDS.get(value)
    return str(word) if word is not None else f"{IncidentImpact(value).label} impact"


@register.filter
def page_words(description: str) -> str:
    """The page's overall status in the reader's language."""
    return language.page_words(description)


@register.simple_tag
def language_links(path: str) -> list[dict[str, str]]:
    """This page in every shipped language (the switch, the hreflang alternates)."""
    return language.language_links(path)


@register.filter
def time_between(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start


@register.filter
def is_group(item: object) -> bool:
    return isinstance(item, GroupView)


# The uptime bar's geometry, in SVG user units: each day a 3-wide bar and a 2-wide gap.


@register.filter
def narrow_days(days: int) -> int:
    return min(days, NARROW_DAYS)


@register.filter
def uptime_runs(days: tuple[UptimeDay, ...]) -> list[Run]:
    return bar_runs(days, recent=NARROW_DAYS)


@register.filter
def uptime_runs_html(days: tuple[UptimeDay, ...]) -> SafeString:
    """The runs as list items, built here: a template loop over 2,500 runs costs more than
    the rest of the page (the classes are ours, never stored text)."""
    return mark_safe(  # noqa: S308
        "".join(f'<li class="{run.css_class}"></li>' for run in uptime_runs(days))
    )


@register.filter
def trouble_days(days: tuple[UptimeDay, ...]) -> int:
    return days_with_trouble(days)
