"""SMS segments as Twilio counts and bills them (its segment calculator and the worked
examples of "What the Heck is a Segment?" in Twilio's docs)."""

from __future__ import annotations

import pytest

from incidents import wording
from incidents.notify.sms_pricing import sms_country, sms_price, sms_segments_per_second
from incidents.notify.sms_segments import GSM7, UCS2, sms_segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 160, 1),  # a full single GSM-7 message
        ("a" * 161, GSM7, 161, 2),  # one more: two segments of up to 153
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("[" * 80, GSM7, 160, 1),  # extension characters take two septets each
        ("a" * 152 + "€" + "a", GSM7, 155, 1),  # still within 160 septets
        ("a" * 152 + "€" + "a" * 8, GSM7, 162, 2),
        # The escape pair never splits: 152 + a 2-septet € does not fit in 153.
        ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),
        ("Ça va", GSM7, 5, 1),  # Ç is in the GSM-7 alphabet
        ("ç" * 70, UCS2, 70, 1),  # lower-case ç is not: the whole text turns UCS-2
        ("ç" * 71, UCS2, 71, 2),
        ("ç" * 134, UCS2, 134, 2),
        ("ç" * 135, UCS2, 135, 3),
        ("Hello 👋", UCS2, 8, 1),  # an emoji is two UTF-16 units
        ("😀" * 35, UCS2, 70, 1),
        ("😀" * 36, UCS2, 72, 2),
        # A surrogate pair never splits: 66 + 2 does not fit in 67.
        ("a" * 66 + "😀" + "a" * 66, UCS2, 134, 3),
    ],
)
def test_segments_follow_the_gsm_and_ucs2_rules(
    text: str, encoding: str, units: int, count: int
) -> None:
    got = sms_segments(text)
    assert (got.encoding, got.units, got.count) == (encoding, units, count)


def test_the_wording_policy_counts_segments_the_same_way() -> None:
    text = "a" * 152 + "€" + "a" * 152
    assert wording.sms_info(text).segments == sms_segments(text).count == 3
    assert wording.sms_info("ç" * 71).per_segment == 67


def test_a_number_is_priced_by_its_country(settings) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    settings.CANDOR_SMS_PRICES = {"US": Decimal("0.0083"), "GB": Decimal("0.04")}
    assert sms_country("+14155550100") == "US"
    assert sms_country("+16135550123") == "CA"  # +1 is shared: the area code decides
    assert sms_country("+447400123456") == "GB"
    assert sms_price("US") == Decimal("0.0083")
    assert sms_price("CA") is None
    settings.CANDOR_SMS_PRICES = {"US": Decimal("0.0083"), "*": Decimal("0.10")}
    assert sms_price("CA") == Decimal("0.10")


def test_twilio_throughput_comes_from_the_sender_type(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CANDOR_SMS_MPS = 0
    settings.CANDOR_SMS_SENDERS = 1
    settings.CANDOR_SMS_SENDER_TYPE = "short_code"
    assert sms_segments_per_second() == 100
    settings.CANDOR_SMS_SENDER_TYPE = "long_code"
    settings.CANDOR_SMS_SENDERS = 4
    assert sms_segments_per_second() == 4
    settings.CANDOR_SMS_MPS = 30
    assert sms_segments_per_second() == 30
