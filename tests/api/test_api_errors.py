"""Every answer under /api/ is JSON with a reason, whatever goes wrong (issue 13, finding 14)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ComponentFactory, GroupFactory

pytestmark = pytest.mark.django_db

STAFF = "/api/staff/"
BIG = 2**31  # one past PostgreSQL's integer
HUGE = 10**30


@pytest.fixture
def admin_api(admin: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    return client


def assert_json_reason(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body


def _staff_routes() -> list[str]:
    """Every staff API route, with a made-up id wherever the route takes one."""
    resolver = get_resolver()
    [staff] = [p for p in resolver.url_patterns if str(p.pattern) == "api/staff/"]
    assert isinstance(staff, URLResolver)
    routes = []
    for pattern in staff.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern).replace("<str:public_id>", "x1")
        route = route.replace("<str:impact>", "minor")
        routes.append(STAFF + route)
    return routes


@pytest.mark.parametrize("path", _staff_routes())
def test_options_answers_json_on_every_staff_route(admin_api: APIClient, path: str) -> None:
    response = admin_api.options(path)
    assert response.status_code == 200, (path, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "Allow" in response


@pytest.mark.parametrize(
    ("path", "field"),
    [("components/", "position"), ("groups/", "position"), ("contacts/", "escalation_rank")],
)
@pytest.mark.parametrize("value", [BIG, -BIG - 1, HUGE])
def test_integers_out_of_the_database_range_are_a_field_error(
    admin_api: APIClient, path: str, field: str, value: int
) -> None:
    data: dict[str, Any] = {"name": "Out of range", field: value}
    body = assert_json_reason(admin_api.post(STAFF + path, data, format="json"), 400)
    assert field in body["errors"], body


def test_patching_a_component_position_out_of_range_is_a_field_error(
    admin_api: APIClient,
) -> None:
    component = ComponentFactory()
    path = f"{STAFF}components/{component.public_id}/"
    body = assert_json_reason(admin_api.patch(path, {"position": BIG}, format="json"), 400)
    assert "position" in body["errors"]


@pytest.mark.parametrize("field", ["first_minutes", "then_minutes", "every_minutes"])
def test_cadence_minutes_out_of_range_are_a_field_error(admin_api: APIClient, field: str) -> None:
    data = {"first_minutes": 30, "then_minutes": 60, "every_minutes": 60} | {field: BIG}
    body = assert_json_reason(admin_api.put(STAFF + "cadence/minor/", data, format="json"), 400)
    assert field in body["errors"]


@pytest.mark.parametrize("query", ["limit=99999999999999999999", "offset=99999999999999999999"])
def test_huge_pagination_numbers_do_not_break_a_list(admin_api: APIClient, query: str) -> None:
    response = admin_api.get(f"{STAFF}incidents/?{query}")
    assert response.status_code in (200, 400), response.content[:300]
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "path", ["/api/nowhere/", "/api/staff/nowhere/", "/api/v2/nowhere.json", "/api/staff"]
)
def test_an_unknown_api_path_is_a_json_404(admin_api: APIClient, path: str) -> None:
    assert_json_reason(admin_api.get(path), 404)


def test_an_unknown_page_outside_the_api_stays_html(client: Any) -> None:
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_under_the_api_is_a_json_500(
    admin_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("incidents.api.staff_views._groups", crash)
    admin_api.raise_request_exception = False
    body = assert_json_reason(admin_api.get(STAFF + "groups/"), 500)
    assert "boom" not in str(body)  # no internals leak


def test_malformed_json_is_a_json_400(admin_api: APIClient) -> None:
    response = admin_api.post(STAFF + "groups/", data=b'{"name": ', content_type="application/json")
    assert_json_reason(response, 400)


def test_groups_are_listed(admin_api: APIClient) -> None:
    GroupFactory()
    assert admin_api.get(STAFF + "groups/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "audit/?target=%00",
        "incidents/a%00b/",
        "components/a%00b/",
        "maintenances/a%00b/",
    ],
)
def test_a_nul_in_an_id_or_filter_is_refused_not_a_crash(admin_api: APIClient, path: str) -> None:
    response = admin_api.get(STAFF + path)
    assert response.status_code in (400, 404), response.content[:300]
    assert_json_reason(response, response.status_code)


def test_a_value_the_database_refuses_is_a_400(
    admin_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever slips past validation into the database is still the input's fault."""
    from django.db import DataError

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr("incidents.api.staff_views._groups", refuse)
    body = assert_json_reason(admin_api.get(STAFF + "groups/"), 400)
    assert "database cannot store" in body["detail"]
