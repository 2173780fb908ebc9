"""An update by email: subject "UPDATE <incident> <status>", a line "Secret: <secret>" in
the text, from a registered address, with a valid DKIM signature of the sender's domain.

DKIM proves the domain sent it (its mail server signed the From header and the body);
the secret proves the person did, as an address alone can be spoofed by anyone who can
send mail as that domain's other users. Verified with dkimpy (a maintained DKIM library,
RFC 6376; keys looked up in DNS through dnspython).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses

import dkim

from incidents.models import InboundChannel, InboundPoster
from incidents.post_in.command import Command, Refused, is_update, parse
from incidents.post_in.credentials import secret_matches
from incidents.post_in.post import Outcome, handle

MAX_MESSAGE = 1024 * 1024
_SECRET_LINE = re.compile(r"^\s*secret:\s*(\S{8,64})\s*$", re.IGNORECASE | re.MULTILINE)
DnsFunc = Callable[..., bytes | None]
NOT_REGISTERED = "Not posted: this address cannot post updates."


def mail_post(raw: bytes, *, dnsfunc: DnsFunc | None = None) -> Outcome:
    """Post what one received message asks, or say why not."""
    if len(raw) > MAX_MESSAGE:
        return Outcome(posted=False, reply="Not posted: the message is over 1 MB.")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    subject = _header(message, "Subject")
    senders = getaddresses([_header(message, "From")])
    message_id = _header(message, "Message-ID").strip()[:200]
    if len(senders) != 1 or "@" not in senders[0][1]:
        return Outcome(posted=False, reply="Not posted: one From address is needed.")
    sender = senders[0][1].strip()
    if not message_id:
        # Without it a redelivery could post twice; derive one from the bytes instead.
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    if not is_update(subject):
        return Outcome(
            posted=False, reply='Not posted: the subject must be "UPDATE <id> <status>".'
        )

    def authenticate() -> tuple[InboundPoster, Command]:
        poster = InboundPoster.objects.select_related("user").filter(email__iexact=sender).first()
        if poster is None:
            raise Refused(NOT_REGISTERED)
        if not dkim_aligned(raw, sender_domain=sender.rpartition("@")[2], dnsfunc=dnsfunc):
            raise Refused("Not posted: no valid DKIM signature of the sender's domain.")
        command = parse(subject, with_pin=False)
        match = _SECRET_LINE.search(_text(message))
        if match is None or not secret_matches(poster, match.group(1)):
            raise Refused("Not posted: the message lacks the sender's secret.")
        return poster, command

    return handle(
        channel=InboundChannel.EMAIL, message_id=message_id, sender=sender,
        authenticate=authenticate,
    )  # fmt: skip


def dkim_aligned(raw: bytes, *, sender_domain: str, dnsfunc: DnsFunc | None = None) -> bool:
    """Whether a valid DKIM signature's domain is the sender's or a parent of it (relaxed
    alignment, as DMARC has it). dkimpy refuses a signature that does not cover From."""
    sender_domain = sender_domain.lower().rstrip(".")
    count = sum(1 for name, _ in dkim.rfc822_parse(raw)[0] if name.lower() == b"dkim-signature")
    for index in range(count):
        verifier = dkim.DKIM(raw)
        try:
            valid = (
                verifier.verify(idx=index, dnsfunc=dnsfunc)
                if dnsfunc is not None
                else verifier.verify(idx=index)
            )
        except dkim.DKIMException:
            continue
        domain = (verifier.domain or b"").decode("ascii", "replace").lower().rstrip(".")
        if valid and (sender_domain == domain or sender_domain.endswith("." + domain)):
            return True
    return False


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except (ValueError, TypeError, IndexError):  # a malformed header parses lazily
        return ""


def _text(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""
    except (LookupError, ValueError, TypeError):
        return ""
