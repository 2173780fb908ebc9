"""Normalising what subscribers type, and refusing what must never be reached."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.notify.reachable import globally_reachable, literal

_email_valid = EmailValidator(
    message=gettext_lazy("Enter a valid email address, such as ada@example.com.")
)
_url_valid = URLValidator(
    schemes=["http", "https"], message=gettext_lazy("Enter a valid http(s) URL.")
)


def email_normalise(value: str) -> str:
    """The local part is kept as typed (it may be case-sensitive); the domain is not."""
    value = value.strip()
    _email_valid(value)
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def phone_normalise(value: str) -> tuple[str, str]:
    """E.164 and the number's ISO country; a number without + is read as a US number."""
    try:
        number = phonenumbers.parse(value.strip(), "US")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a phone number with its country code, such as +44 20 7946 0958.")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("%(number)s is not a valid phone number.") % {"number": repr(value.strip())}
        )
    country = phonenumbers.region_code_for_number(number) or ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), country


# Only these receive texts. The rest (premium-rate, toll-free, shared-cost, VoIP, pagers…)
# are what SMS pumping subscribes: each confirmation code sent there earns someone money.
_TEXTABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
_KIND = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll-free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium-rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared-cost",
    phonenumbers.PhoneNumberType.VOIP: "VoIP",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal (forwarding)",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "company (UAN)",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
}


def sms_receivable_check(phone: str) -> None:
    """Refuse an E.164 number that is not a mobile one (by phonenumbers' numbering plans)."""
    kind = phonenumbers.number_type(phonenumbers.parse(phone))
    if kind not in _TEXTABLE:
        raise ValidationError(
            _("%(phone)s is a %(kind)s number; text messages go to mobile numbers only.")
            % {"phone": phone, "kind": _KIND.get(kind, "non-mobile")}
        )


def sms_number_block(phone: str) -> str:
    """The block of 10,000 numbers `phone` is in (E.164 without its last four digits): the
    unit SMS pumping walks through, limited on its own beside the whole country."""
    return phone[:-4]


def webhook_address(host: str, *, allow_private: bool | None = None) -> str:
    """The one address a webhook to `host` may connect to.

    The host is resolved once, and refused if ANY of its addresses is not globally
    routable (reachable.py; unless `allow_private`, by default
    CANDOR_WEBHOOK_ALLOW_PRIVATE; vendor polling passes its own setting): the caller must connect
    to the address returned and look nothing up again, or a host could answer a public
    address to this check and 127.0.0.1 to the connection (DNS rebinding). Raises
    ValidationError when refused, and OSError (socket.gaierror) or UnicodeError when the
    host does not resolve.
    """
    written = literal(host)
    if written is not None:
        addresses = [str(written)]
    else:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise socket.gaierror(f"{host!r} has no address")
    if allow_private is None:
        allow_private = settings.CANDOR_WEBHOOK_ALLOW_PRIVATE
    if not allow_private:
        for address in addresses:
            if not globally_reachable(ipaddress.ip_address(address.partition("%")[0])):
                raise ValidationError(
                    _(
                        "The host %(host)s resolves to %(address)s, which is not globally "
                        "routable; webhooks must be reachable on the public internet."
                    )
                    % {"host": repr(host), "address": address}
                )
    return addresses[0]


def webhook_url_check(url: str) -> None:
    """Refuse, when subscribing, a URL whose host resolves inside our network (SSRF).

    Each send checks again, on the address it connects to (transports/webhook.py), since
    DNS can change between.
    """
    if settings.CANDOR_WEBHOOK_ALLOW_PRIVATE:
        return
    host = urlsplit(url).hostname or ""
    try:
        webhook_address(host)
    except (OSError, UnicodeError):
        raise ValidationError(
            _("The host %(host)s does not resolve.") % {"host": repr(host)}
        ) from None


def webhook_normalise(value: str) -> str:
    value = value.strip()
    _url_valid(value)
    if len(value) > 500:
        raise ValidationError(_("At most 500 characters."))
    webhook_url_check(value)
    return value
