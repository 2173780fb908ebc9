"""One promise: the next-update time the words state is the one the page keeps.

A template's {next_update_at} is filled from the cadence as it will be after the post
(drafts.py). Posting a little later than the words were drafted makes the cadence's time
a little later than theirs; the page then keeps the words' time, so the update, the page,
the v2 JSON, the feeds and every message say the same. The rule, applied when words are
posted:

- the words name no time (no {next_update_at} in their template, custom text, override):
  the cadence's time stands;
- the time they name has passed: refused (draft the words again);
- it is later than the cadence allows: refused, naming the latest time allowed;
- otherwise the promise follows the words (promising sooner than the cadence is fine).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError

from incidents import wording
from incidents.wording import approvals

PLACEHOLDER = "next_update_at"


def stated_time(body: str, *, phase: str, context: wording.MatchContext) -> str | None:
    """The time an approved template of `phase` says in its {next_update_at}, as written
    in `body` ("HH:MM UTC" or with a date); None when the words say none."""
    text = wording.normal_text(body)
    for version in approvals.usable_versions(phase):
        parts = wording.parse(version.body)
        if not any(p.placeholder == PLACEHOLDER for p in parts):
            continue
        pattern, named = [], False
        for part in parts:
            if part.literal:
                pattern.append(re.escape(part.literal))
            elif part.placeholder == PLACEHOLDER:
                # The first one is captured; any later one must say the same time.
                group = "(?P=promise)" if named else f"(?P<promise>{context.pattern(PLACEHOLDER)})"
                pattern.append(group)
                named = True
            else:
                pattern.append(context.pattern(part.placeholder))
        match = re.fullmatch("".join(pattern), text)
        if match:
            return match.group("promise")
    return None


def moment_of(stated: str, *, near: datetime) -> datetime:
    """The moment a stated time means: with a date, that one; a bare "HH:MM UTC", the
    occurrence of that time of day nearest to `near` (the cadence's due time)."""
    clock = stated.removesuffix(" UTC")
    if len(clock) > 5:
        return datetime.strptime(clock, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    hour, minute = (int(n) for n in clock.split(":"))
    near = near.astimezone(UTC)
    same_day = near.replace(hour=hour, minute=minute, second=0, microsecond=0)
    candidates = [same_day + timedelta(days=d) for d in (-1, 0, 1)]
    return min(candidates, key=lambda c: abs(c - near))


def promise_kept(
    body: str,
    *,
    phase: str,
    context: wording.MatchContext,
    cadence_due: datetime,
    now: datetime,
) -> datetime:
    """The next update time to keep once `body` is posted at `now` (see the module's rule).

    Raises ValidationError on "body" when the words' time has passed or is later than the
    cadence allows.
    """
    stated = stated_time(body, phase=phase, context=context)
    if stated is None:
        return cadence_due
    try:
        promised = moment_of(stated, near=cadence_due)
    except ValueError:  # 25:99 UTC matches the shape, not the clock
        raise ValidationError({"body": [f"“{stated}” is not a time."]}) from None
    if promised <= now:
        raise ValidationError(
            {
                "body": [
                    f"These words promise the next update by {stated}, which has passed. "
                    "Use the template again for a fresh time."
                ]
            }
        )
    if promised > cadence_due:
        latest = wording.format_time(cadence_due)
        raise ValidationError(
            {
                "body": [
                    f"These words promise the next update by {stated}, later than the "
                    f"cadence allows ({latest} at the latest). Use the template again, or "
                    "change this incident's cadence first."
                ]
            }
        )
    return promised
