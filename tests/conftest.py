from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import lifecycle, roles
from incidents.audit import Actor
from incidents.models import (
    Approval,
    Incident,
    MessageTemplate,
    TemplateVersion,
    WordingRule,
)
from incidents.public import cache as public_cache
from incidents.publish.notices import notices_forget
from incidents.uptime import past_days_forget
from incidents.wording.default_templates import DEFAULT_TEMPLATES
from tests.factories import (
    FIXTURE_AUTHOR,
    FIXTURE_LEGAL,
    FIXTURE_SUPPORT,
    standing_words_approve,
)
from tests.legacy_words import LEGACY_TEXTS

# The tests that run as one unit on one pytest-xdist worker, in order: the fault tests
# (tests/faults/conftest.py). Each test else goes to whichever worker is free.
XDIST_SERIAL_PREFIXES = ("tests/faults/",)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`make test`'s two workers: the fault tests as one unit (given out first, as the
    largest), every other test on its own. xdist's own `loadgroup` cannot do it under
    pytest 9 (its group suffix on the node id no longer takes), hence this scheduler."""
    if config.getoption("dist") not in ("load", "loadgroup"):
        return None  # another distribution asked for explicitly: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class SerialGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            serial = nodeid.startswith(XDIST_SERIAL_PREFIXES)
            return nodeid.split("/", 2)[1] if serial else nodeid

    return SerialGroups(config, log)


def _clear_our_cache_keys() -> None:
    """Delete this run's keys only: FLUSHDB would wipe a concurrent run's cache too."""
    if not settings.REDIS_URL:  # the embedded settings: a file cache of this run's own
        cache.clear()
        return
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_public_cache() -> Iterator[None]:
    """Each test starts with none of this run's cache keys and no per-process renderings."""
    _clear_our_cache_keys()
    public_cache.reset()
    past_days_forget()  # kept by ids a new test's database may hand out again
    notices_forget()  # (a frozen clock could give two tests' versions the same stamp)
    yield
    public_cache.reset()


def staff_user(username: str, *role_names: str) -> User:
    user = User.objects.create_user(
        username, f"{username}@example.com", "correct-horse-battery", is_staff=True
    )
    user.groups.set(Group.objects.filter(name__in=role_names))
    return user


_INITIAL = importlib.import_module("incidents.migrations.0001_squashed_0055_audiences")
NEXT_UPDATE_RULE = "next-update-time"


def wording_data_ensure() -> None:
    """What the initial migration seeds (roles, the default policy), the default templates
    approved, and the short texts older tests publish approved as standing custom text for
    every phase. Written straight to the tables, so no test sees it in the audit log.

    Once per test database; again in each transactional test, since those end by emptying
    every table (Django recreates only content types and permissions).
    """
    for role, codes in roles.ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="incidents", codename__in=codes)
        )
    now = timezone.now()
    if not WordingRule.objects.exists():
        _INITIAL.rules_create(WordingRule)  # as migrate writes them
    if User.objects.filter(username=FIXTURE_AUTHOR).exists():
        return
    author, legal, support = (
        User.objects.create_user(name, is_staff=True)
        for name in (FIXTURE_AUTHOR, FIXTURE_LEGAL, FIXTURE_SUPPORT)
    )
    for name, phase, channel, body in DEFAULT_TEMPLATES:
        template = MessageTemplate.objects.create(
            name=name, phase=phase, channel=channel, created_at=now
        )
        version = TemplateVersion.objects.create(
            template=template, number=1, body=body, author=author, created_at=now
        )
        Approval.objects.bulk_create(
            Approval(template_version=version, approver=approver, qualifier=qualifier, at=now)
            for approver, qualifier in ((legal, "legal"), (support, "support"))
        )
    standing_words_approve(*LEGACY_TEXTS)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        wording_data_ensure()


def next_update_rule_set(*, active: bool) -> None:
    """Turn the next-update rule on or off: a new version of it, as an Admin would."""
    rule = WordingRule.objects.filter(key=NEXT_UPDATE_RULE).order_by("-version").first()
    if rule is None or rule.active == active:
        return
    rule.pk = None
    rule.version += 1
    rule.active = active
    rule.save()


@pytest.fixture(autouse=True)
def _wording_for_each_test(request: pytest.FixtureRequest) -> None:
    """Every test sees the default production policy, as migrations seed it for a new
    install. A test about relaxing it says so: `@pytest.mark.relaxed_wording("why")`
    turns the next-update rule off for that test alone."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in (
        request.fixturenames
    )
    transactional = transactional or bool(marker and marker.kwargs.get("transaction"))
    relaxed = request.node.get_closest_marker("relaxed_wording")
    if relaxed is not None and not (relaxed.args and str(relaxed.args[0]).strip()):
        pytest.fail("@pytest.mark.relaxed_wording needs a reason: why may this test relax it?")
    if not (transactional or marker or "db" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    if transactional:
        wording_data_ensure()
    next_update_rule_set(active=relaxed is None)


@pytest.fixture
def responder(db: None) -> User:
    """Rita, a staff responder who opens incidents and posts updates."""
    return staff_user("rita", roles.RESPONDER)


@pytest.fixture
def legal(db: None) -> User:
    """Lou, an approver for legal."""
    return staff_user("lou", roles.APPROVER_LEGAL)


@pytest.fixture
def support(db: None) -> User:
    """Sue, an approver for support."""
    return staff_user("sue", roles.APPROVER_SUPPORT)


@pytest.fixture
def admin(db: None) -> User:
    """Ada, an Admin."""
    return staff_user("ada", roles.ADMIN)


@pytest.fixture
def payments(db: None) -> Incident:
    """An open incident about payments, opened by automation in approved words."""
    now = timezone.now()
    # Its words promise the next update sooner than the cadence: the page keeps that time.
    body = "We are investigating reports of problems with some of our services since "
    body += f"{now:%H:%M} UTC. Next update by {now + timedelta(minutes=10):%H:%M} UTC."
    return lifecycle.incident_open(
        actor=Actor.system("ingest"), name="Payments", body=body, now=now
    )


@pytest.fixture
def actor(responder: User) -> Actor:
    return Actor.staff(responder, channel="console", ip="127.0.0.1")


@pytest.fixture
def staff_api(responder: User) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=responder)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
