"""Each documented answer of each chat provider, and whose fault it is (the end-to-end
tests in test_chat.py take the main ones through real receivers)."""

from __future__ import annotations

import json

import pytest
import requests

from incidents.notify.channels import channel_get
from incidents.notify.transports import Blame

pytestmark = pytest.mark.django_db

OK, PROVIDER, RECIPIENT, GONE = "ok", Blame.PROVIDER, Blame.RECIPIENT, "gone"


def _answer(status: int, body: object = b"", **headers: str) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    made.headers.update(headers)
    return made


def _azure(code: str) -> dict[str, object]:
    return {"error": {"code": code, "message": "..."}}


def _google(code: int, status: str) -> dict[str, object]:
    return {"error": {"code": code, "message": "...", "status": status}}


CASES = [
    ("slack", _answer(200, b"ok"), OK),
    ("slack", _answer(400, b"invalid_payload"), PROVIDER),
    ("slack", _answer(400, b"invalid_blocks"), PROVIDER),
    ("slack", _answer(403, b"action_prohibited"), RECIPIENT),
    ("slack", _answer(403, b"posting_to_general_channel_denied"), RECIPIENT),
    ("slack", _answer(403, b"invalid_token"), GONE),
    ("slack", _answer(403, b"team_disabled"), GONE),
    ("slack", _answer(404, b"channel_not_found"), GONE),
    ("slack", _answer(404, b"no_service"), GONE),
    ("slack", _answer(410, b"channel_is_archived"), GONE),
    ("slack", _answer(404, b"<html>Not Found</html>"), PROVIDER),  # a proxy, not Slack
    ("slack", _answer(429, b"rate_limited", **{"Retry-After": "30"}), PROVIDER),
    ("slack", _answer(500, b"rollup_error"), PROVIDER),
    ("slack", _answer(503, b""), PROVIDER),
    ("teams", _answer(202, b""), OK),
    ("teams", _answer(200, b""), OK),
    ("teams", _answer(404, _azure("WorkflowNotFound")), GONE),
    ("teams", _answer(401, _azure("DirectApiInvalidAuthorizationSignature")), GONE),
    ("teams", _answer(409, _azure("WorkflowDisabled")), RECIPIENT),
    ("teams", _answer(400, _azure("InvalidRequestContent")), PROVIDER),
    ("teams", _answer(404, b"Not Found"), PROVIDER),
    ("teams", _answer(429, _azure("TooManyRequests"), **{"Retry-After": "30"}), PROVIDER),
    ("teams", _answer(502, _azure("BadGateway")), PROVIDER),
    ("google_chat", _answer(200, {"name": "spaces/A/messages/B"}), OK),
    ("google_chat", _answer(404, _google(404, "NOT_FOUND")), GONE),
    ("google_chat", _answer(403, _google(403, "PERMISSION_DENIED")), RECIPIENT),
    ("google_chat", _answer(400, _google(400, "INVALID_ARGUMENT")), PROVIDER),
    (
        "google_chat",
        _answer(429, _google(429, "RESOURCE_EXHAUSTED"), **{"Retry-After": "30"}),
        PROVIDER,
    ),
    ("google_chat", _answer(503, _google(503, "UNAVAILABLE")), PROVIDER),
    ("discord", _answer(204, b""), OK),
    ("discord", _answer(200, {"id": "1"}), OK),
    ("discord", _answer(404, {"message": "Unknown Webhook", "code": 10015}), GONE),
    ("discord", _answer(401, {"message": "Invalid Webhook Token", "code": 50027}), GONE),
    ("discord", _answer(403, {"message": "Missing Permissions", "code": 50013}), PROVIDER),
    ("discord", _answer(400, {"message": "Invalid Form Body", "code": 50035}), PROVIDER),
    ("discord", _answer(429, {"retry_after": 1.5, "global": False}), PROVIDER),
    ("discord", _answer(502, b"<html>Bad Gateway</html>"), PROVIDER),
]


@pytest.mark.parametrize("chat, answer, expected", CASES)
def test_each_answer_is_blamed_as_documented(
    chat: str, answer: requests.Response, expected: object
) -> None:
    error = channel_get(chat).answer_read(answer)  # type: ignore[attr-defined]
    if expected == OK:
        assert error is None
        return
    assert error is not None
    if expected == GONE:
        assert error.blame is Blame.RECIPIENT and error.permanent
        assert "gone" in str(error)
    else:
        assert error.blame is expected and not error.permanent
    if answer.status_code == 429:
        assert error.retry_after == (1.5 if chat == "discord" else 30)
