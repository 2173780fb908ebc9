"""Inside a fan-out batch, an update's context is read once per update as loaded and per
language (notify/render.contexts_shared); outside one, every time."""

from __future__ import annotations

import pytest
from django.utils import translation

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import IncidentUpdate
from incidents.notify.render import contexts_shared, update_context
from tests.factories import promised

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_an_update_s_context_is_kept_per_language_and_per_loading(actor: Actor) -> None:
    incident = lifecycle.incident_open(
        actor=actor, name="Checkout errors", body=promised("We are investigating.")
    )
    update = incident.updates.get()
    with translation.override("en"), contexts_shared():
        first = update_context(update)
        assert update_context(update) is first
        # The interface words and links follow the active language: a context of its own.
        with translation.override("de"):
            german = update_context(update)
        assert german is not first and german.status == "Wird untersucht"
        assert "/de/incidents/" in german.url and "/de/" not in first.url
        # The reader's language (an approved translation's words) keys it too.
        assert update_context(update, "de") is not first
        # Loaded afresh (the next batch): read afresh, and the same when nothing changed.
        again = IncidentUpdate.objects.select_related("incident").get(pk=update.pk)
        assert update_context(again) is not first
        assert update_context(again) == first
    with translation.override("en"):
        assert update_context(update) is not first  # no block: read each time
        assert update_context(update) == first


def test_a_change_between_batches_reaches_the_next_batch(actor: Actor) -> None:
    incident = lifecycle.incident_open(
        actor=actor, name="Checkout errors", body=promised("We are investigating.")
    )
    with translation.override("en"):
        with contexts_shared():
            before = update_context(incident.updates.get())
        incident.name = "Checkout and login errors"
        incident.save(update_fields=["name"])
        with contexts_shared():
            after = update_context(incident.updates.select_related("incident").get())
    assert before.title == "Checkout errors" and after.title == "Checkout and login errors"
    assert after.code != before.code  # the notice of what it now says
