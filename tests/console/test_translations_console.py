"""The console's translations: added on a template version's page, approved in the queue."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from incidents import roles
from incidents.models import TemplateTranslation, TemplateVersion
from incidents.wording import approvals
from incidents.wording.translations import translation_approved
from tests.conftest import staff_user

pytestmark = pytest.mark.django_db

GERMAN = (
    "Wir untersuchen Probleme mit {components} seit {started_at}. "
    "Nächstes Update: {next_update_at}."
)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(url, {**data, "submission_key": str(uuid.uuid4())}, follow=True)


def test_a_translation_is_added_on_the_version_page_and_approved_in_the_queue(
    legal: User, support: User
) -> None:
    version: TemplateVersion = approvals.usable_versions("investigating")[0]
    url = reverse(
        "console:template_translations", args=[version.template.public_id, version.number]
    )
    writer = _signed_in(staff_user("cole", roles.COMMUNICATOR))
    assert "Translations" in writer.get(reverse("console:templates")).content.decode()

    refused = _post(writer, url, {"language": "de", "body": GERMAN.replace("{components}", "")})
    assert refused.status_code == 400
    assert "placeholders" in refused.content.decode()
    page = _post(writer, url, {"language": "de", "body": GERMAN})
    assert "waits for approval" in page.content.decode()
    translation = TemplateTranslation.objects.get()

    for approver in (legal, support):
        queue = _signed_in(approver)
        assert "Wir untersuchen" in queue.get(reverse("console:approvals")).content.decode()
        answer = _post(queue, reverse("console:approvals"), {"translation": str(translation.pk)})
        assert "Approved." in answer.content.decode()

    assert translation_approved(TemplateTranslation.objects.get())
    assert (
        "Wir untersuchen"
        not in _signed_in(legal).get(reverse("console:approvals")).content.decode()
    )
    assert "approved by sue (support)" in writer.get(url).content.decode()


def test_the_author_cannot_approve_their_translation_in_the_queue(legal: User) -> None:
    version: TemplateVersion = approvals.usable_versions("investigating")[0]
    url = reverse(
        "console:template_translations", args=[version.template.public_id, version.number]
    )
    legal.groups.add(*roles_groups(roles.COMMUNICATOR))
    client = _signed_in(legal)
    _post(client, url, {"language": "de", "body": GERMAN})
    translation = TemplateTranslation.objects.get()

    answer = _post(client, reverse("console:approvals"), {"translation": str(translation.pk)})
    assert "Nobody approves their own words" in answer.content.decode()
    assert not translation.approvals.exists()


def roles_groups(*names: str) -> list[object]:
    from django.contrib.auth.models import Group

    return list(Group.objects.filter(name__in=names))
