"""branding_set: who may, and two first saves at once on the real PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from incidents.audit import Actor
from incidents.branding.service import branding_set
from incidents.models import AuditAction, AuditEvent, Branding
from tests.conftest import staff_user

SYSTEM = Actor.system("test")


def _set(name: str) -> None:
    branding_set(actor=SYSTEM, site_name=name, accent_light="", accent_dark="", support_url="")


def test_a_role_without_the_permission_is_refused_whatever_the_channel(db: None) -> None:
    from incidents import roles

    user = staff_user("rita", roles.RESPONDER)
    with pytest.raises(PermissionError):
        branding_set(
            actor=Actor.staff(user, channel="api"),
            site_name="Acme", accent_light="", accent_dark="", support_url="",
        )  # fmt: skip
    assert not Branding.objects.exists()


def test_two_first_saves_at_once_both_succeed_and_one_wins_whole(
    transactional_db: None,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent inserts are PostgreSQL's")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(name: str) -> None:
        try:
            barrier.wait()
            _set(name)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in ("Acme", "Globex")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Branding.objects.get().site_name in {"Acme", "Globex"}
    assert AuditEvent.objects.filter(action=AuditAction.BRANDING_SET).count() == 2
