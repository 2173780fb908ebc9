"""Translations through the staff API: submitted, refused, approved like the original."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import roles
from incidents.models import TemplateVersion
from incidents.wording import approvals
from tests.conftest import staff_user

pytestmark = [pytest.mark.wording, pytest.mark.django_db]

STAFF = "/api/staff/"
GERMAN = (
    "Wir untersuchen Probleme mit {components} seit {started_at}. "
    "Nächstes Update: {next_update_at}."
)


def _client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_a_script_submits_a_translation_that_legal_and_support_approve(
    legal: User, support: User
) -> None:
    version: TemplateVersion = approvals.usable_versions("investigating")[0]
    url = f"{STAFF}templates/{version.template.public_id}/versions/{version.number}/translations/"
    writer = _client(staff_user("cole", roles.COMMUNICATOR))

    missing = writer.post(url, {"language": "de", "body": "Wir untersuchen."}, format="json")
    assert missing.status_code == 400 and "placeholders" in str(missing.json())
    promise = GERMAN + " Garantiert sicher, guaranteed."
    refused = writer.post(url, {"language": "de", "body": promise}, format="json")
    assert refused.status_code == 422 and refused.json()["violations"]
    hostile = writer.post(url, {"language": "de", "body": GERMAN + "\u202e"}, format="json")
    assert hostile.status_code == 400
    assert writer.post(url, {"language": "xx", "body": GERMAN}, format="json").status_code == 400

    sent = writer.post(url, {"language": "de", "body": GERMAN}, format="json")
    assert sent.status_code == 201, sent.content
    assert sent.json()["approved"] is False and sent.json()["number"] == 1
    approve = f"{STAFF}translations/{sent.json()['id']}/approve/"
    assert writer.post(approve).status_code == 403  # a Communicator does not approve

    half = _client(legal).post(approve)
    assert half.status_code == 200 and half.json()["approved"] is False
    done = _client(support).post(approve)
    assert done.status_code == 200 and done.json()["approved"] is True

    listed = writer.get(url).json()
    assert [(t["language"], t["approved"]) for t in listed] == [("de", True)]
    assert writer.get(f"{STAFF}templates/nope/versions/1/translations/").status_code == 404
    assert _client(legal).post(f"{STAFF}translations/99999999/approve/").status_code == 404
