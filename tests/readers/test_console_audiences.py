"""The Admin's audiences in the console: create and edit (the slug fixed once created),
hostile input refused with form errors, invitations by email (a real SMTP sink), members
revoked, every write audited, and only an Admin writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import roles
from incidents.models import Audience, AudienceMember, AuditAction, AuditEvent, Reader
from tests.conftest import staff_user
from tests.notify.peers import SmtpSink

pytestmark = [pytest.mark.django_db]

GOOD = {"slug": "customer-acme", "name": "Customer ACME", "description": "", "oidc_groups": "",
        "ip_allowlist": ""}  # fmt: skip


@pytest.fixture
def console(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_an_admin_creates_and_edits_an_audience(console: Client) -> None:
    response = console.post(
        reverse("console:audiences"),
        {**GOOD, "oidc_groups": "employees\n  Corp Staff \nemployees\n",
         "ip_allowlist": "203.0.113.0/24\n2001:db8::/32\n198.51.100.7"},
    )  # fmt: skip
    assert response.status_code == 302
    audience = Audience.objects.get()
    assert audience.oidc_groups == ["employees", "Corp Staff"]
    assert audience.ip_allowlist == ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"]
    page = console.get(reverse("console:audiences")).content.decode()
    assert "Customer ACME" in page

    url = reverse("console:audience_detail", args=["customer-acme"])
    edited = console.post(
        url,
        {"slug": "renamed", "name": "ACME Corporation", "description": "Our biggest customer.",
         "oidc_groups": "", "ip_allowlist": ""},
    )  # fmt: skip
    assert edited.status_code == 302
    audience.refresh_from_db()
    assert audience.slug == "customer-acme"  # not editable: in addresses once published
    assert audience.name == "ACME Corporation" and audience.ip_allowlist == []
    events = AuditEvent.objects.filter(
        action__in=[AuditAction.AUDIENCE_CREATED, AuditAction.AUDIENCE_EDITED]
    ).order_by("pk")
    assert [e.action for e in events] == [AuditAction.AUDIENCE_CREATED, AuditAction.AUDIENCE_EDITED]
    assert events[1].data["before"]["name"] == "Customer ACME"


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("slug", "Customer ACME", "lower-case letters"),
        ("slug", "-acme", "lower-case letters"),
        ("slug", "acme\x00", "lower-case letters"),
        ("slug", "a" * 64, "at most 63"),
        ("name", "", "required"),
        ("name", "ACME\u202egnp.exe", "The name"),
        ("name", "ACME\r\nBcc: x", "The name"),
        ("description", "x\x1b[31m", "The description"),
        ("oidc_groups", "staff\x00", "Null characters"),
        ("oidc_groups", "staff\u202e", "Group"),
        ("oidc_groups", "g" * 256, "at most 255"),
        ("ip_allowlist", "10.1.2.3/8", "host bits set"),
        ("ip_allowlist", "not-a-network", "not a network"),
        ("ip_allowlist", "10.0.0.0/33", "not a network"),
        ("ip_allowlist", "<script>alert(1)</script>", "not a network"),
        ("ip_allowlist", "\n".join(f"10.0.{n}.0/24" for n in range(101)), "At most 100"),
    ],
)
def test_hostile_input_is_refused_with_a_form_error(
    console: Client, field: str, value: str, said: str
) -> None:
    response = console.post(reverse("console:audiences"), {**GOOD, field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert said in page
    assert "<script>alert(1)" not in page
    assert not Audience.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIENCE_CREATED).exists()


def test_a_slug_is_taken_once(console: Client) -> None:
    Audience.objects.create(slug="customer-acme", name="ACME")
    response = console.post(reverse("console:audiences"), GOOD)
    assert response.status_code == 400
    assert "already has the slug customer-acme" in response.content.decode()


def test_an_admin_invites_and_revokes(
    console: Client, smtp: SmtpSink, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    audience = Audience.objects.create(slug="customer-acme", name="Customer ACME")
    url = reverse("console:audience_invite", args=["customer-acme"])
    refused = console.post(url, {"email": "carol@acme.example\r\nBcc: x@example.com"})
    assert refused.status_code == 400 and "valid email address" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert console.post(url, {"email": "carol@acme.example"}).status_code == 302
    [message] = smtp.to("carol@acme.example")
    assert "Customer ACME" in message["Subject"]

    reader = Reader.objects.create(email="carol@acme.example", created_at=timezone.now())
    member = AudienceMember.objects.create(
        audience=audience, reader=reader, via="link", created_at=timezone.now()
    )
    page = console.get(reverse("console:audience_detail", args=["customer-acme"]))
    assert "carol@acme.example" in page.content.decode()
    revoke = reverse("console:audience_member_revoke", args=["customer-acme", member.pk])
    assert console.post(revoke).status_code == 302
    member.refresh_from_db()
    assert member.revoked_at is not None
    assert audience.invitations.get().revoked_at is not None
    for nowhere in ("x", "99999999999999999999", str(member.pk + 1)):
        assert (
            console.post(
                reverse("console:audience_member_revoke", args=["customer-acme", nowhere])
            ).status_code
            == 404
        )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.READER_INVITED, AuditAction.AUDIENCE_MEMBER_REVOKED} <= actions


@pytest.mark.parametrize("role", [None, roles.RESPONDER, roles.COMMUNICATOR])
def test_only_an_admin_writes(role: str | None) -> None:
    Audience.objects.create(slug="customer-acme", name="Customer ACME")
    client = Client()
    client.force_login(staff_user("sam", *([role] if role else [])))
    assert client.post(reverse("console:audiences"), {**GOOD, "slug": "x"}).status_code == 403
    invite = reverse("console:audience_invite", args=["customer-acme"])
    assert client.post(invite, {"email": "e@example.com"}).status_code == 403
    page = client.get(reverse("console:audience_detail", args=["customer-acme"]))
    assert page.status_code == 200 and "Invite" not in page.content.decode()
    assert Audience.objects.count() == 1
