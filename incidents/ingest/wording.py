"""The words automation uses. The one place to switch to approved templates: lifecycle
applies the wording policy to whatever these return, like any other text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def _names(components: Sequence[str]) -> str:
    names = sorted(components)
    if len(names) <= 1:
        return "".join(names) or "some services"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def incident_name(components: Sequence[str], now: datetime) -> str:
    return f"Degraded service: {_names(components)}"[:200]


def investigating_text(components: Sequence[str], now: datetime) -> str:
    return (
        f"We are investigating reports of problems affecting {_names(components)}. "
        "We will post an update as soon as we know more."
    )


def resolved_text(components: Sequence[str], now: datetime) -> str:
    verb = "is" if len(components) == 1 else "are"
    return f"This incident has been resolved: {_names(components)} {verb} operating normally."
