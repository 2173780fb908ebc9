"""Which URLs a chat subscriber may give: https, on the provider's documented hosts.

A chat webhook URL is refused unless it points at the provider, so the subscribe form
cannot be used to make Candor post to anything else; it then passes the same checks as
any webhook (addresses.webhook_url_check: the host must resolve to public addresses,
checked again at each send). CANDOR_CHAT_EXTRA_HOSTS adds hosts that every chat channel
accepts over http or https, for tests and local receivers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.notify.addresses import webhook_url_check

MAX_LENGTH = 500  # Subscriber.destination


@dataclass(frozen=True)
class Hosts:
    """A provider's webhook hosts: exact names and suffixes (".logic.azure.com"), and
    the shape of the path its webhooks have."""

    names: tuple[str, ...]
    suffixes: tuple[str, ...] = ()
    path: re.Pattern[str] = re.compile(r"/.*")
    example: str = ""

    def allows(self, host: str) -> bool:
        return host in self.names or any(
            host.endswith(suffix) and len(host) > len(suffix) for suffix in self.suffixes
        )


def _extra(netloc: str, host: str) -> bool:
    extra = [entry.lower() for entry in settings.CANDOR_CHAT_EXTRA_HOSTS]
    return host in extra or netloc in extra


def chat_url_normalise(value: str, hosts: Hosts, *, provider: str) -> str:
    """The URL as stored; a ValidationError naming what is wrong with it otherwise."""
    value = value.strip()
    if len(value) > MAX_LENGTH:
        raise ValidationError(_("At most %(n)d characters.") % {"n": MAX_LENGTH})
    wrong = ValidationError(
        _("Enter the %(provider)s webhook URL, such as %(example)s.")
        % {"provider": provider, "example": hosts.example}
    )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise wrong from None
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.lower()
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise wrong
    if _extra(netloc, host):
        if parts.scheme not in ("http", "https"):
            raise wrong
    else:
        if parts.scheme != "https" or port not in (None, 443):
            raise ValidationError(_("Only https URLs on the provider's own hosts are accepted."))
        if not hosts.allows(host):
            raise ValidationError(
                _("%(host)s is not a %(provider)s webhook host.")
                % {"host": repr(host), "provider": provider}
            )
        if not hosts.path.fullmatch(parts.path):
            raise wrong
    if not value.isascii() or any(c.isspace() for c in value):
        raise wrong
    webhook_url_check(value)
    return value
