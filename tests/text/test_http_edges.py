"""HTTP edges of the public site: conditional GETs as RFC 9110 has them, TRACE refused,
and ingest reading a chunked body."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from incidents.models import Signal
from tests.ingest.conftest import Sender

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/history.atom", "/api/v2/summary.json", "/maintenance.ics"]


@pytest.mark.parametrize("path", PUBLIC)
def test_weak_and_listed_etags_and_star_answer_304(client: Client, path: str) -> None:
    etag = client.get(path)["ETag"]
    for header in [etag, f"W/{etag}", f'"nope", W/{etag}', "*", f' "a" ,{etag} ']:
        response = client.get(path, headers={"If-None-Match": header})
        assert response.status_code == 304, (header, response.status_code)
        assert response["ETag"] == etag


@pytest.mark.parametrize("path", PUBLIC)
def test_a_different_etag_answers_200(client: Client, path: str) -> None:
    for header in ['"nope"', 'W/"nope"', "", '"' + client.get(path)["ETag"].strip('"') + 'x"']:
        assert client.get(path, headers={"If-None-Match": header}).status_code == 200, header


@pytest.mark.parametrize("path", [*PUBLIC, "/console/login/", "/api/staff/incidents/"])
def test_trace_is_refused(client: Client, path: str) -> None:
    response = client.generic("TRACE", path)
    assert response.status_code == 405, (path, response.status_code)


# -- ingest: a chunked body (no Content-Length), as curl and many agents send it ------------


def _chunked(sender: Sender, raw: bytes, *, terminated: bool = True) -> Any:
    """What a WSGI server hands over for `Transfer-Encoding: chunked`: no CONTENT_LENGTH, the
    de-chunked body in wsgi.input, and (granian, gunicorn) wsgi.input_terminated."""
    environ: dict[str, Any] = {
        "CONTENT_LENGTH": "",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.input_terminated": terminated,
    }
    return sender.client.generic(
        "POST",
        sender.url, data=b"", headers={"Authorization": f"Bearer {sender.token}"}, **environ,
    )  # fmt: skip


def _generic(**fields: Any) -> bytes:
    return json.dumps({"component": "db", "status": "firing", **fields}).encode()


def test_a_chunked_body_is_read(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format="generic")
    response = _chunked(sender, _generic(summary="Disk full."))
    assert response.status_code == 202, response.content
    assert response.json()["stored"] == 1
    assert Signal.objects.get().summary == "Disk full."


def test_a_chunked_body_is_bounded(make_sender: Callable[..., Sender], settings: Any) -> None:
    sender = make_sender(format="generic")
    big = _generic(summary="x" * settings.CANDOR_INGEST_MAX_BODY)
    response = _chunked(sender, big)
    assert response.status_code == 413
    assert not Signal.objects.exists()


def test_a_chunked_body_a_server_cannot_end_is_411(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format="generic")
    response = _chunked(sender, _generic(), terminated=False)
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
