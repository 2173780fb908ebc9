"""One module per provider, each with a Sender: `send(delivery, rendered) -> provider id`;
the channel that uses it (channels/) makes one per batch.

A sender lives for one batch (an SMTP connection, an HTTP session are reused within it)
and raises TransportError. It is given `ready`, which it calls before a message can reach
anyone (before the request, or before SMTP's DATA): it waits until the previous message
is in the sent journal (journal.py), so at most one sent message is ever unrecorded.
Email sends over several connections at once (lanes.py), one such sender per connection:
at most one unrecorded message per connection.

Each TransportError says whose fault it may be (`Blame`), and the fan-out acts on that
(docs/design.md, "Whose fault a failure is"):
- PROVIDER: the provider, our account with it, or the way to it refused or failed
  (connection, MAIL FROM, DATA, 5.7.x policy blocks, Twilio account errors, a receiver's
  5xx). The message is kept and retried later; the failure counts against the circuit.
- RECIPIENT: this destination alone, for certain (a webhook's 410 Gone, a number that
  replied STOP). `permanent` stops the subscription; otherwise it is retried.
- EITHER: refused at the recipient step in a way that is this recipient's fault if the
  provider takes other recipients, and the provider's if it refuses everyone (a 554 to
  every RCPT from a blocked sending IP). The fan-out decides from what the provider does
  with the next recipients; until then nothing is stopped.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from incidents.models import Delivery
from incidents.notify.render import Rendered


class Blame(StrEnum):
    PROVIDER = "provider"
    RECIPIENT = "recipient"
    EITHER = "either"


class TransportError(Exception):
    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        provider_fault: bool = True,
        blame: Blame | None = None,
        strong: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        if blame is None:
            blame = Blame.RECIPIENT if permanent or not provider_fault else Blame.PROVIDER
        self.blame = blame
        # A provider's failure is never a reason to give up on a destination.
        self.permanent = permanent and blame is not Blame.PROVIDER
        # EITHER only: the refusal names this mailbox (5.1.x), so one delivery to anyone
        # else in the same run settles it; without it, only a later one does.
        self.strong = strong
        # Seconds the provider asked us to wait (a 429's Retry-After): the retry is not
        # sooner than that, whatever the backoff says.
        self.retry_after = retry_after

    @property
    def provider_fault(self) -> bool:
        return self.blame is Blame.PROVIDER


class Sender(Protocol):
    def send(self, delivery: Delivery, rendered: Rendered) -> str: ...

    def close(self) -> None: ...
