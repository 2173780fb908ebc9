"""Small factories for tests. Anything public is written through lifecycle, as in life."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from incidents import wording
from incidents.models import (
    Approval,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    CustomTextRequest,
    Phase,
)

FIXTURE_AUTHOR, FIXTURE_LEGAL, FIXTURE_SUPPORT = "fixture-author", "fixture-legal", "fixture-sup"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComponentGroup

    name = factory.Sequence(lambda n: f"Group {n}")
    position = factory.Sequence(lambda n: n)


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Component {n}")
    position = factory.Sequence(lambda n: n)
    description = "A part of the product"

    @factory.post_generation
    def history(obj: Component, create: bool, extracted: datetime | None, **kwargs: object) -> None:
        # Every component has a first history row, as component_save writes.
        if create:
            ComponentStatusChange.objects.create(
                component=obj, status=obj.status, at=extracted or timezone.now()
            )


# -- words ------------------------------------------------------------------------------------
# Tests post under the production wording policy (tests/conftest.py): every update of an
# open incident says when the next one comes, and only approved words are published.

PROMISE_MINUTES = 30  # within the default cadence, as a responder would promise


def next_update_promise(now: datetime | None = None, *, minutes: int = PROMISE_MINUTES) -> str:
    """A next-update promise as a responder writes it: "Next update by 14:35 UTC."."""
    moment = (now or timezone.now()) + timedelta(minutes=minutes)
    return f"Next update by {wording.format_time(moment)}."


def standing_words_approve(*texts: str) -> None:
    """Approve texts as standing custom text for every phase, as an approver could (written
    straight to the tables, so no test sees it in the audit log or an approver's queue)."""
    author = User.objects.get(username=FIXTURE_AUTHOR)
    legal = User.objects.get(username=FIXTURE_LEGAL)
    now = timezone.now()
    bodies = {wording.normal_text(t) for t in texts}
    have = set(
        CustomTextRequest.objects.filter(
            body__in=bodies, incident=None, maintenance=None
        ).values_list("body", "phase")
    )
    requests = CustomTextRequest.objects.bulk_create(
        CustomTextRequest(phase=phase, body=body, author=author, created_at=now)
        for body in sorted(bodies)
        for phase in Phase.values
        if (body, phase) not in have
    )
    Approval.objects.bulk_create(
        Approval(custom_text=r, approver=legal, qualifier="legal", at=now) for r in requests
    )


def with_promise(text: str, *, now: datetime | None = None, minutes: int = PROMISE_MINUTES) -> str:
    """`text` and a next-update promise relative to `now`: "Looking. Next update by 14:35
    UTC." (not approved: for words submitted for approval)."""
    return f"{text} {next_update_promise(now, minutes=minutes)}"


def promised(text: str, *, now: datetime | None = None, minutes: int = PROMISE_MINUTES) -> str:
    """`with_promise`, approved as standing custom text: words an open incident may publish."""
    body = with_promise(text, now=now, minutes=minutes)
    standing_words_approve(body)
    return body


_PROMISED = re.compile(r" Next update by \d{2}:\d{2} UTC\.\Z")


def said(body: str) -> str:
    """The words of a `promised` body without its promise, for comparing what was posted."""
    return _PROMISED.sub("", body)
