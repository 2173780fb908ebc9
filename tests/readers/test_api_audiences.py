"""/api/staff/audiences/: the same services as the console; hostile input is a 400 with
the field's reason, writes are an Admin's."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import roles
from incidents.models import Audience, AudienceMember, AuditAction, AuditEvent, Reader
from tests.conftest import staff_user
from tests.notify.peers import SmtpSink

pytestmark = [pytest.mark.django_db]

URL = "/api/staff/audiences/"


def _client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_an_admin_script_creates_edits_invites_and_revokes(
    admin: User, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    api = _client(admin)
    created = api.post(
        URL,
        {"slug": "customer-acme", "name": "Customer ACME", "oidc_groups": ["acme"],
         "ip_allowlist": ["203.0.113.0/24"]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["ip_allowlist"] == ["203.0.113.0/24"]
    edited = api.put(
        URL + "customer-acme/",
        {"slug": "other", "name": "ACME Corp", "ip_allowlist": []},
        format="json",
    )
    assert edited.status_code == 200
    assert edited.json()["slug"] == "customer-acme" and edited.json()["name"] == "ACME Corp"
    assert edited.json()["oidc_groups"] == []  # a PUT is the whole audience but its slug

    with django_capture_on_commit_callbacks(execute=True):
        invited = api.post(
            URL + "customer-acme/invitations/", {"email": "carol@acme.example"}, format="json"
        )
    assert invited.status_code == 201 and len(smtp.to("carol@acme.example")) == 1
    assert api.get(URL + "customer-acme/invitations/").json()["results"][0]["email"] == (
        "carol@acme.example"
    )

    reader = Reader.objects.create(email="carol@acme.example", created_at=timezone.now())
    member = AudienceMember.objects.create(
        audience=Audience.objects.get(), reader=reader, via="link", created_at=timezone.now()
    )
    listed = api.get(URL + "customer-acme/members/").json()["results"]
    assert [m["email"] for m in listed] == ["carol@acme.example"] and listed[0]["issuer"] == ""
    revoked = api.post(URL + f"customer-acme/members/{member.pk}/revoke/", format="json")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert api.post(URL + "customer-acme/members/x/revoke/").status_code == 404
    assert api.post(URL + "nowhere\x00/members/1/revoke/").status_code == 404
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        AuditAction.AUDIENCE_CREATED,
        AuditAction.AUDIENCE_EDITED,
        AuditAction.READER_INVITED,
        AuditAction.AUDIENCE_MEMBER_REVOKED,
    } <= actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "UPPER", "name": "x"}, "slug"),
        ({"slug": "ok", "name": "x\u202e"}, "name"),
        ({"slug": "ok", "name": "x", "ip_allowlist": ["10.1.2.3/8"]}, "ip_allowlist"),
        ({"slug": "ok", "name": "x", "ip_allowlist": "10.0.0.0/8"}, "ip_allowlist"),
        ({"slug": "ok", "name": "x", "ip_allowlist": [7]}, "ip_allowlist"),
        ({"slug": "ok", "name": "x", "oidc_groups": {"a": 1}}, "oidc_groups"),
        ({"slug": "ok", "name": "x", "oidc_groups": ["g" * 256]}, "oidc_groups"),
        ({"slug": ["ok"], "name": "x"}, "slug"),
    ],
)
def test_hostile_input_is_a_400_naming_the_field(
    admin: User, body: dict[str, Any], field: str
) -> None:
    answer = _client(admin).post(URL, body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"], answer.json()
    assert not Audience.objects.exists()


def test_only_an_admin_writes() -> None:
    api = _client(staff_user("rita", roles.RESPONDER))
    assert api.post(URL, {"slug": "x", "name": "X"}, format="json").status_code == 403
    assert api.get(URL).status_code == 200
