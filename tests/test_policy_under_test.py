"""The tests themselves run under the production wording policy (tests/conftest.py): what
migrations seed for a new install, next-update rule on, unless a test says it relaxes it."""

from __future__ import annotations

import importlib

import pytest

from incidents import lifecycle, wording
from incidents.audit import Actor
from incidents.models import Phase
from tests.factories import promised, said, with_promise

_SEEDED = importlib.import_module("incidents.migrations.0001_squashed_0055_audiences").RULES
NEXT_UPDATE = "next-update-time"


def _policy() -> dict[str, bool]:
    return {rule.key: rule.active for rule in wording.current_rules()}


def _refused_for(text: str) -> set[str]:
    return {v.rule for v in wording.check(text, channel="web", phase=Phase.INVESTIGATING)}


def _assert_production_policy() -> None:
    assert set(_policy()) == {rule[0] for rule in _SEEDED}
    assert all(_policy().values())
    assert NEXT_UPDATE in _refused_for("Looking.")
    assert NEXT_UPDATE not in _refused_for(with_promise("Looking."))


@pytest.mark.django_db
def test_a_test_sees_the_policy_migrations_seed() -> None:
    _assert_production_policy()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_same_policy_after_the_tables_are_emptied() -> None:
    _assert_production_policy()


@pytest.mark.django_db
@pytest.mark.relaxed_wording("checks the marker itself")
def test_the_relaxed_marker_turns_the_next_update_rule_off_for_its_test_alone() -> None:
    assert NEXT_UPDATE not in _policy()  # retired by a newer version, as an Admin would
    assert NEXT_UPDATE not in _refused_for("Looking.")


@pytest.mark.django_db
def test_promised_words_are_published_and_unpromised_ones_refused() -> None:
    actor = Actor.system("test")
    with pytest.raises(wording.WordingRefused) as caught:
        lifecycle.incident_open(actor=actor, name="Slow", body="Looking.")
    assert [v.rule for v in caught.value.violations] == [NEXT_UPDATE]
    incident = lifecycle.incident_open(actor=actor, name="Slow", body=promised("Looking."))
    body = incident.updates.get().body
    assert body.startswith("Looking. Next update by ") and body.endswith(" UTC.")
    assert said(body) == "Looking."
