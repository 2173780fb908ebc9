"""Normalising what subscribers type, and refusing what must never be reached."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from incidents.models import SubscriberChannel

_email_valid = EmailValidator(message="Enter a valid email address, such as ada@example.com.")
_url_valid = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


def email_normalise(value: str) -> str:
    """The local part is kept as typed (it may be case-sensitive); the domain is not."""
    value = value.strip()
    _email_valid(value)
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def phone_normalise(value: str) -> tuple[str, str]:
    """E.164 and the number's ISO country; a number without + is read as a US number."""
    try:
        number = phonenumbers.parse(value.strip(), "US")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a phone number with its country code, such as +44 20 7946 0958."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{value.strip()!r} is not a valid phone number.")
    country = phonenumbers.region_code_for_number(number) or ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), country


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def webhook_url_check(url: str) -> None:
    """Refuse a URL whose host resolves to an address inside our network (SSRF).

    Checked when subscribing and again before every send, since DNS can change between.
    """
    host = urlsplit(url).hostname or ""
    if settings.CANDOR_WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValidationError(f"The host {host!r} does not resolve.") from None
    for info in infos:
        if _refused(ipaddress.ip_address(info[4][0])):
            raise ValidationError(
                f"The host {host!r} resolves to a private or reserved address ({info[4][0]}); "
                "webhooks must be reachable on the public internet."
            )


def webhook_normalise(value: str) -> str:
    value = value.strip()
    _url_valid(value)
    if len(value) > 500:
        raise ValidationError("At most 500 characters.")
    webhook_url_check(value)
    return value


def destination_normalise(channel: str, value: str) -> tuple[str, str]:
    """(normalised destination, country or domain it counts against for rate limits)."""
    if channel == SubscriberChannel.EMAIL:
        email = email_normalise(value)
        return email, email.rpartition("@")[2]
    if channel == SubscriberChannel.SMS:
        phone, country = phone_normalise(value)
        if country not in settings.CANDOR_SMS_COUNTRIES:
            raise ValidationError(
                f"We cannot send text messages to numbers in {country or 'that country'}."
            )
        return phone, country
    if channel == SubscriberChannel.WEBHOOK:
        url = webhook_normalise(value)
        return url, urlsplit(url).hostname or ""
    raise ValidationError(f"{channel!r} is not one of: email, sms, webhook.")
