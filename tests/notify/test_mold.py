"""The email mold: every copy cast from it must be, byte for byte, the message Django's
EmailMessage serialises for that recipient (transports/email.py)."""

from __future__ import annotations

import string
from email.utils import formatdate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.notify import links
from incidents.notify.render import Rendered
from incidents.notify.transports.email import MessageMold, _as_bytes, _message

DATE = formatdate()
local_parts = st.text(string.ascii_letters + string.digits + "._%+-", min_size=1, max_size=40)
domains = st.from_regex(r"[a-z0-9-]{1,20}(\.[a-z0-9-]{1,12}){1,3}", fullmatch=True)
addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
keys = st.text("0123456789abcdef", min_size=24, max_size=24)
public_ids = st.text(string.digits + string.ascii_lowercase, min_size=12, max_size=12)
# Words as staff write them: any letters (accents, CJK, emoji), punctuation, long lines.
words = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
    min_size=1,
    max_size=1500,
).map(lambda text: text.replace("\x00", ""))


def _rendered(title: str, body: str, public_id: str) -> Rendered:
    manage = links.manage_url(public_id)
    url = "https://status.example.com/incidents/abc123def456"
    return Rendered(
        subject=f"[Candor] {title}: Investigating",
        text=f"{title}\nInvestigating\n\n{body}\n\nFollow this incident: {url}\n\n"
        f"Change what you receive: {manage}\nUnsubscribe: {links.unsubscribe_url_from(manage)}\n",
        url=url,
        unsubscribe_url=links.unsubscribe_url_from(manage),
        manage_url=manage,
        kind="incident",
        title=title,
        status="investigating",
    )


def _serialised(address: str, key: str, rendered: Rendered) -> bytes:
    return _as_bytes(_message(address, key, rendered, DATE))


def _first_mold(rendered: Rendered) -> MessageMold | None:
    expected = _serialised("reader@example.com", "0" * 24, rendered)
    return MessageMold.made_for("reader@example.com", "0" * 24, rendered, DATE, expected)


@pytest.fixture(autouse=True)
def _canonical(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CANDOR_CANONICAL_URL = "https://status.example.com"
    settings.CANDOR_APP_URL = "https://status.example.com"


@settings(max_examples=60, deadline=None)
@given(
    title=words.map(lambda t: t.replace("\n", " ")[:120]),
    body=words,
    first=st.tuples(addresses, keys, public_ids),
    others=st.lists(st.tuples(addresses, keys, public_ids), min_size=1, max_size=5),
)
def test_every_copy_is_the_message_serialised_for_its_recipient(
    title: str, body: str, first: tuple[str, str, str], others: list[tuple[str, str, str]]
) -> None:
    rendered = _rendered(title, body, first[2])
    expected = _serialised(first[0], first[1], rendered)
    mold = MessageMold.made_for(first[0], first[1], rendered, DATE, expected)
    if mold is None:
        return  # the sender serialises every message then: nothing to compare
    for address, key, public_id in others:
        theirs = _rendered(title, body, public_id)
        if mold.fits(address, key, theirs):
            assert mold.cast(address, key, theirs.manage_url) == _serialised(address, key, theirs)


def test_a_plain_update_is_molded_and_fits_every_plain_recipient() -> None:
    # The fast path must actually be taken for the common case, or the test above proves
    # nothing and the fan-out is slow.
    mold = _first_mold(
        _rendered("Checkout errors", "We are investigating failed payments.", "a" * 12)
    )
    assert mold is not None
    other = _rendered("Checkout errors", "We are investigating failed payments.", "b" * 12)
    assert mold.fits("Someone.Else+tag@mail.example.org", "f" * 24, other)
    cast = mold.cast("Someone.Else+tag@mail.example.org", "f" * 24, other.manage_url)
    assert cast == _serialised("Someone.Else+tag@mail.example.org", "f" * 24, other)
    assert b"To: Someone.Else+tag@mail.example.org\r\n" in cast


def test_other_words_or_unusual_addresses_do_not_fit() -> None:
    mold = _first_mold(_rendered("Checkout errors", "We are investigating.", "a" * 12))
    assert mold is not None
    other_words = _rendered("Checkout errors", "We have found the cause.", "b" * 12)
    assert not mold.fits("a@example.com", "1" * 24, other_words)
    same = _rendered("Checkout errors", "We are investigating.", "b" * 12)
    assert not mold.fits('"quoted name"@example.com', "1" * 24, same)
    assert not mold.fits("ünïcode@example.com", "1" * 24, same)
    assert not mold.fits("a@example.com", "not-a-key", same)


def test_a_body_sent_quoted_printable_is_still_cast_exactly_or_not_at_all() -> None:
    # A line over 998 bytes makes Django encode the body quoted-printable, whose soft line
    # breaks could split a stand-in: then there must be no mold, or casts must be exact.
    body = "Écoute " * 200  # one line of 1,400 characters
    rendered = _rendered("Checkout errors", body, "a" * 12)
    assert b"quoted-printable" in _serialised("reader@example.com", "0" * 24, rendered)
    mold = _first_mold(rendered)
    other = _rendered("Checkout errors", body, "b" * 12)
    if mold is not None:
        assert mold.fits("x@example.org", "1" * 24, other)
        assert mold.cast("x@example.org", "1" * 24, other.manage_url) == _serialised(
            "x@example.org", "1" * 24, other
        )


def test_no_mold_is_made_when_its_cast_differs_from_the_real_message() -> None:
    rendered = _rendered("Checkout errors", "We are investigating.", "a" * 12)
    real = _serialised("reader@example.com", "0" * 24, rendered)
    wrong = real.replace(b"We are investigating.", b"We are investigating!")
    assert MessageMold.made_for("reader@example.com", "0" * 24, rendered, DATE, wrong) is None
