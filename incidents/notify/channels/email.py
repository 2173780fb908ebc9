"""Email: a confirmation link, updates threaded per incident, a fallback provider."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from email.utils import formatdate

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_noop

from incidents.models import Announcement, Delivery, Subscriber
from incidents.notify import links
from incidents.notify.addresses import email_normalise
from incidents.notify.channels.registry import Confirmation
from incidents.notify.render import Rendered, update_rendered, with_phrase, words_once
from incidents.notify.transports import Sender
from incidents.notify.transports.email import EmailSender, MessageMold, email_send
from incidents.notify.transports.lanes import Lanes
from incidents.text import printable

FALLBACK = "email-fallback"


class EmailChannel:
    name = "email"
    label = "Email"
    unavailable = gettext_noop("Email is not available on this page.")
    policy_channel = "email"
    per_destination_circuit = False

    def enabled(self) -> bool:
        return True

    def address_normalise(self, value: str) -> tuple[str, str]:
        email = email_normalise(value)
        return email, email.rpartition("@")[2]

    def subscribe_limits(self, destination: str) -> list[tuple[str, int, str]]:
        return []

    def secret_new(self) -> str:
        return secrets.token_urlsafe(24)

    def confirmation_send(self, subscriber: Subscriber, secret: str) -> Confirmation:
        context = {"page": settings.CANDOR_PAGE_NAME, "confirm_url": links.confirm_url(secret)}
        if subscriber.incident is not None:  # following one incident: say which
            # One line (it goes in the Subject), whatever an older row holds.
            context["incident"] = printable(subscriber.incident.name, multiline=False)
            context["incident_url"] = links.absolute(
                reverse("public:incident", args=[subscriber.incident.public_id])
            )
        email_send(
            to=subscriber.destination,
            subject=words_once("notify/email/confirm_subject.txt", context),
            body=words_once("notify/email/confirm.txt", context),
        )
        return Confirmation("email sent")

    def render(self, *, update: Announcement, subscriber: Subscriber) -> Rendered:
        rendered = update_rendered(update, subscriber, text_template="notify/email/update.txt")
        return with_phrase(rendered, subscriber)

    def routes(self) -> list[str]:
        # When the primary provider's circuit is open, mail goes through the fallback.
        return [self.name, FALLBACK] if settings.CANDOR_EMAIL_FALLBACK_BACKEND else [self.name]

    def circuit_for(self, delivery: Delivery, route: str) -> str:
        return route

    def sender(self, *, route: str, ready: Callable[[], None]) -> Sender | Lanes:
        fallback = route == FALLBACK
        count = settings.CANDOR_EMAIL_CONNECTIONS
        if count == 1:
            return EmailSender(fallback=fallback, ready=ready)
        # A lane's sender only notes when it is ready: Lanes calls `ready` before it hands
        # a lane a message (transports/lanes.py). The lanes cast from the same molds.
        molds: list[MessageMold] = []
        date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)

        def lane(noted: Callable[[], None]) -> Sender:
            return EmailSender(fallback=fallback, ready=noted, molds=molds, date=date)

        return Lanes(lane, count=count, ready=ready)
