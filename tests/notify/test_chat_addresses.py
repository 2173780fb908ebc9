"""Chat webhook URLs: only https on each provider's documented hosts, and then the same
SSRF checks as webhooks (a stub resolver stands in for DNS: provider names resolve to
loopback or to a public address as each test needs; nothing leaves the machine)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from incidents.notify.channels import destination_normalise
from incidents.notify.transports.chat import retry_after
from tests.notify.test_webhook import PUBLIC, Dns

pytestmark = pytest.mark.django_db

GOOD = {
    "slack": "https://hooks.slack.com/services/T0001/B0002/abcDEF123",
    "teams": "https://prod-12.westus.logic.azure.com:443/workflows/0a1b/triggers/manual/paths/invoke?api-version=2016-06-01&sig=abc",
    "google_chat": "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k&token=t",
    "discord": "https://discord.com/api/webhooks/123/abc-DEF_1",
}


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Dns:
    import socket

    settings.CANDOR_WEBHOOK_ALLOW_PRIVATE = False  # the production default
    stand_in = Dns()
    monkeypatch.setattr(socket, "getaddrinfo", stand_in.getaddrinfo)
    for host in (
        "hooks.slack.com",
        "prod-12.westus.logic.azure.com",
        "chat.googleapis.com",
        "discord.com",
        "x.environment.api.powerplatform.com",
        "outlook.webhook.office.com",
        "discordapp.com",
    ):
        stand_in.answers[host] = [[PUBLIC]]
    return stand_in


@pytest.mark.parametrize("chat", GOOD)
def test_each_providers_own_https_url_is_accepted(dns: Dns, chat: str) -> None:
    url, prefix = destination_normalise(chat, f"  {GOOD[chat]} ")
    assert url == GOOD[chat] and prefix == url.split("/")[2].split(":")[0]


@pytest.mark.parametrize(
    "chat, url",
    [
        ("teams", "https://x.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/1/triggers/manual/paths/invoke?sig=s"),
        ("teams", "https://outlook.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi"),
        ("discord", "https://discordapp.com/api/v10/webhooks/1/t"),
    ],
)  # fmt: skip
def test_every_documented_host_of_a_provider_is_accepted(dns: Dns, chat: str, url: str) -> None:
    assert destination_normalise(chat, url)[0] == url


@pytest.mark.parametrize(
    "chat, url, reason",
    [
        ("slack", "http://hooks.slack.com/services/T1/B1/x", "Only https"),
        ("slack", "https://hooks.slack.com:8443/services/T1/B1/x", "Only https"),
        ("slack", "https://hooks.slack.com.evil.example/services/T1/B1/x", "is not a Slack"),
        ("slack", "https://evil.example/services/T1/B1/x", "is not a Slack"),
        ("slack", "https://hooks.slack.com/apps/x", "Enter the Slack webhook URL"),
        ("slack", "https://user@hooks.slack.com/services/T1/B1/x", "Enter the Slack"),
        ("teams", "https://logic.azure.com/workflows/1", "is not a Microsoft Teams"),
        ("teams", "https://evil.example/?x=.logic.azure.com", "is not a Microsoft Teams"),
        ("google_chat", "https://chat.googleapis.com/v1/spaces/A/members", "Enter the Google"),
        ("discord", "https://discord.com/api/webhooks/abc/t", "Enter the Discord"),
        ("discord", "https://discord.gg/api/webhooks/1/t", "is not a Discord"),
        ("slack", "https://hooks.slack.com/services/T1/B1/" + "x" * 500, "At most 500"),
        ("slack", "https://[::1/services/T1/B1/x", "Enter the Slack"),
    ],
)
def test_other_urls_are_refused_with_a_reason(dns: Dns, chat: str, url: str, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        destination_normalise(chat, url)
    assert reason in " ".join(refused.value.messages)
    assert all(lookup != "evil.example" for lookup in dns.lookups)  # not even looked up


@pytest.mark.parametrize("inside", ["127.0.0.1", "10.0.0.7", "169.254.169.254"])
def test_a_provider_name_that_resolves_inside_is_refused(dns: Dns, inside: str) -> None:
    dns.answers["hooks.slack.com"] = [[PUBLIC, inside]]
    with pytest.raises(ValidationError, match="not globally routable"):
        destination_normalise("slack", GOOD["slack"])


def test_control_characters_are_refused_before_any_channel_looks(dns: Dns) -> None:
    with pytest.raises(ValidationError):
        destination_normalise("slack", GOOD["slack"].replace("abc", "a\x07bc"))
    assert dns.lookups == []


def test_retry_after_is_read_as_seconds_or_as_a_date() -> None:
    import requests

    def answer(value: str) -> requests.Response:
        made = requests.Response()
        made.headers["Retry-After"] = value
        return made

    assert retry_after(answer("30")) == 30
    assert retry_after(answer("1.5")) == 1.5
    assert retry_after(answer("Wed, 21 Oct 2015 07:28:00 GMT")) == 0  # in the past
    assert retry_after(answer("soon")) is None
    assert retry_after(requests.Response()) is None
