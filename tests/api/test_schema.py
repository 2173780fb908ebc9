from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_valid_and_has_no_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    for operation in [
        "/api/staff/incidents/",
        "/api/staff/incidents/{public_id}/updates/",
        "/api/staff/incidents/{public_id}/resolve/",
        "/api/staff/components/{public_id}/status/",
        "/api/staff/maintenances/",
    ]:
        assert operation in paths, sorted(paths)
    assert schema["components"]["securitySchemes"]["tokenAuth"]["in"] == "header"


def test_the_schema_is_served(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert b"/api/staff/incidents/" in response.content
