"""One module per channel, each with a Sender: `send(delivery, rendered) -> provider id`.

A sender lives for one batch (an SMTP connection, an HTTP session are reused within it)
and raises TransportError. It is given `ready`, which it calls before a message can reach
anyone (before the request, or before SMTP's DATA): it waits until the previous message
is in the sent journal (journal.py), so at most one sent message is ever unrecorded.

`permanent` means the destination refused for good (a hard bounce, an invalid number, a
webhook that answered 410): the subscription is stopped.
Otherwise the delivery is retried, and the failure counts against the provider's circuit
unless it is about this recipient only (`provider_fault=False`).
"""

from __future__ import annotations

from typing import Protocol

from incidents.models import Delivery
from incidents.notify.render import Rendered


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, provider_fault: bool = True):
        super().__init__(message)
        self.permanent = permanent
        self.provider_fault = provider_fault and not permanent


class Sender(Protocol):
    def send(self, delivery: Delivery, rendered: Rendered) -> str: ...

    def close(self) -> None: ...
