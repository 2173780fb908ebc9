from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

URL = reverse("console:preview")


def test_preview_renders_markdown(console: Client) -> None:
    response = console.post(URL, {"body": "We are **on it**.\n\n- api\n- web"})
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>on it</strong>" in html
    assert "<li>api</li>" in html


def test_preview_sanitises_scripts_handlers_and_javascript_links(console: Client) -> None:
    body = (
        "<script>alert(1)</script>\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        "[click](javascript:alert(3))\n\n"
        '<a href="javascript:alert(4)" onclick="alert(5)">x</a>'
    )
    html = console.post(URL, {"body": body}).json()["html"]
    assert "<script" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:" not in html


def test_preview_requires_csrf_token(responder: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    assert client.post(URL, {"body": "hi"}).status_code == 403

    page = client.get(reverse("console:incident_new")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    response = client.post(URL, {"body": "hi"}, HTTP_X_CSRFTOKEN=token.group(1))
    assert response.status_code == 200


def test_preview_requires_staff(outsider: User) -> None:
    assert Client().post(URL, {"body": "hi"}).status_code == 302
    client = Client()
    client.force_login(outsider)
    assert client.post(URL, {"body": "hi"}).status_code == 403


def test_preview_is_post_only(console: Client) -> None:
    assert console.get(URL).status_code == 405


def test_incident_pages_wire_the_preview(console: Client) -> None:
    html = console.get(reverse("console:incident_new")).content.decode()
    assert f'data-preview-url="{URL}"' in html
    assert 'data-preview-for="id_body"' in html
    assert "candor/console.js" in html
