"""Finding 6 of issue 13: one permission table (incidents/permissions.py) for the console
and the staff API. Every console URL (from the URL resolver) and every staff API operation
(from the OpenAPI schema) is tried as every role, and the answer must be what the table
says: refused (403) exactly when the role lacks the permission listed. A URL the table
does not list fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import permissions, roles
from incidents.models import Contact, Incident, IncidentImpact
from tests.conftest import staff_user

pytestmark = pytest.mark.django_db

ROLES = [None, *roles.ROLES]  # a staff account with no role, then each role
NAMESPACES = ("console", "staff_api", "v1_api")
NOWHERE = "doesnotexist"  # ids: the permission check runs before any lookup


def _named_patterns(
    patterns: list[URLPattern | URLResolver], namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _named_patterns(entry.url_patterns, inner.strip(":"))
        elif entry.name:
            yield f"{namespace}:{entry.name}".strip(":"), entry


def _guarded() -> dict[str, URLPattern]:
    return {
        name: pattern
        for name, pattern in _named_patterns(get_resolver().url_patterns)
        if name.split(":")[0] in NAMESPACES
    }


def test_the_table_lists_every_console_url_and_staff_api_operation_and_nothing_else() -> None:
    assert set(_guarded()) == set(permissions.WRITES)


def test_a_url_the_table_does_not_list_is_refused() -> None:
    with pytest.raises(permissions.Unlisted):
        permissions.needed("console:not_in_the_table", "GET")
    assert not permissions.allowed(User(is_superuser=True), "console:not_in_the_table", "GET")


def _user(role: str | None) -> User:
    return staff_user("staffer", *([role] if role else []))


def _expected_refused(user: User, name: str, method: str) -> bool:
    needed = permissions.needed(name, method)
    return needed not in (None, permissions.READ_ONLY) and not user.has_perm(needed)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "no role")
def test_every_console_url_as_every_role(role: str | None) -> None:
    user = _user(role)
    client = Client()
    client.force_login(user)
    wrong = []
    for name, pattern in sorted(_guarded().items()):
        if not name.startswith("console:") or permissions.WRITES[name] == permissions.PUBLIC:
            continue  # signing in and out: tests/console/test_access.py
        url = reverse(name, kwargs=dict.fromkeys(pattern.pattern.converters, NOWHERE))
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            refused = _expected_refused(user, name, method)
            if (status == 403) != refused:
                wrong.append(f"{method.upper()} {url}: {status}, table says refused={refused}")
            read_only = permissions.WRITES[name] == permissions.READ_ONLY
            if read_only and method == "post" and status != 405:
                wrong.append(f"POST {url}: {status}, nothing to write there (405)")
    assert wrong == []


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (path, method)
        for path, item in schema["paths"].items()
        if path.startswith("/api/staff/")
        for method in item
    )


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "no role")
def test_every_staff_api_operation_as_every_role(role: str | None) -> None:
    user = _user(role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    operations = _operations()
    assert len(operations) > 25
    wrong = []
    for path, method in operations:
        url = re.sub(r"\{[^}]+\}", NOWHERE, path)
        response = getattr(client, method)(url, {}, format="json")
        name = response.wsgi_request.resolver_match.view_name
        refused = _expected_refused(user, name, method)
        if (response.status_code == 403) != refused:
            wrong.append(f"{method.upper()} {url}: {response.status_code}, refused={refused}")
    assert wrong == []


def _v1_operations() -> list[tuple[str, str]]:
    page = f"/api/v1/pages/{settings.CANDOR_PAGE_ID}/"
    return [
        ("/api/v1/pages.json", "get"),
        (page.rstrip("/") + ".json", "get"),
        *((page + "components.json", m) for m in ("get", "post")),
        *((page + f"components/{NOWHERE}.json", m) for m in ("get", "patch", "put", "delete")),
        *((page + "incidents.json", m) for m in ("get", "post")),
        (page + "incidents/unresolved.json", "get"),
        *((page + f"incidents/{NOWHERE}.json", m) for m in ("get", "patch", "put", "delete")),
        *((page + "subscribers.json", m) for m in ("get", "post")),
        *((page + f"subscribers/{NOWHERE}.json", m) for m in ("get", "delete")),
    ]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "no role")
def test_every_v1_operation_as_every_role(role: str | None) -> None:
    """The Statuspage-shaped API (/api/v1/), with Statuspage's OAuth header."""
    user = _user(role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"OAuth {Token.objects.create(user=user).key}")
    names, wrong = set(), []
    for url, method in _v1_operations():
        response = getattr(client, method)(url, {}, format="json")
        name = response.wsgi_request.resolver_match.view_name
        names.add(name)
        refused = _expected_refused(user, name, method)
        if (response.status_code == 403) != refused:
            wrong.append(f"{method.upper()} {url}: {response.status_code}, refused={refused}")
    assert wrong == []
    assert names == {name for name in permissions.WRITES if name.startswith("v1_api:")}


def test_the_reported_bypasses_are_closed(payments: Incident) -> None:
    """An Approver added an on-call contact, a staff account with no role set a critical
    incident's cadence to 24 h, both through the console."""
    approver = Client()
    approver.force_login(_user(roles.APPROVER_LEGAL))
    answer = approver.post(
        reverse("console:contacts"), {"name": "Eve", "email": "eve@attacker.invalid"}
    )
    assert answer.status_code == 403 and not Contact.objects.exists()

    nobody = Client()
    nobody.force_login(staff_user("norole"))
    Incident.objects.filter(pk=payments.pk).update(impact=IncidentImpact.CRITICAL)
    day = {f"cadence-{k}_minutes": "1440" for k in ("first", "then", "every")}
    answer = nobody.post(reverse("console:incident_cadence", args=[payments.public_id]), day)
    assert answer.status_code == 403
    payments.refresh_from_db()
    assert payments.cadence_every_minutes is None
