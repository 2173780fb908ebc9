"""What SMS costs: the country of a number, its price per segment, the sending rate."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import phonenumbers
from django.conf import settings

ANY_COUNTRY = "*"


@lru_cache(maxsize=65_536)
def sms_country(number: str) -> str:
    """The ISO country of an E.164 number ("" when it names none), as Twilio prices it."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


def sms_price(country: str) -> Decimal | None:
    """Price of one segment to `country`: its own, else the "*" price, else None."""
    prices = settings.CANDOR_SMS_PRICES
    found = prices.get(country.upper()) if country else None
    return found if found is not None else prices.get(ANY_COUNTRY)


def sms_segments_per_second() -> float:
    """How many segments Twilio sends for us per second (its queue drains at this rate)."""
    if settings.CANDOR_SMS_MPS:
        return float(settings.CANDOR_SMS_MPS)
    per_sender = settings.CANDOR_SMS_SENDER_MPS[settings.CANDOR_SMS_SENDER_TYPE]
    return float(per_sender * settings.CANDOR_SMS_SENDERS)
