"""SMS through Twilio: a six-digit code to confirm, two GSM-7 segments per update, and
the STOP / START / HELP keywords."""

from __future__ import annotations

import dataclasses
import secrets
from collections import Counter
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.models import (
    Announcement,
    Delivery,
    Subscriber,
    SubscriberState,
)
from incidents.notify.addresses import phone_normalise, sms_number_block, sms_receivable_check
from incidents.notify.channels.registry import Confirmation, CountryCost, MessageCost
from incidents.notify.render import (
    SMS_LIMIT,
    Rendered,
    fit,
    gsm7,
    rendered_with,
    subscriber_language,
    update_context,
    with_phrase,
    words_once,
    words_render,
)
from incidents.notify.sms_pricing import sms_country, sms_price, sms_segments_per_second
from incidents.notify.sms_segments import sms_segments
from incidents.notify.transports import Sender
from incidents.notify.transports.sms import SmsSender, sms_send
from incidents.notify.transports.twilio import twilio_client

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP", "YES"}
HELP_WORDS = {"HELP", "INFO"}
NAME = "sms"


class SmsChannel:
    name = NAME
    label = "SMS"
    unavailable = gettext_noop("Text messages are not available on this page.")
    policy_channel = "sms"
    per_destination_circuit = False

    def enabled(self) -> bool:
        # Twilio is not (or no longer) configured: texts wait, nothing is claimed.
        return bool(settings.CANDOR_SMS_ENABLED)

    def address_normalise(self, value: str) -> tuple[str, str]:
        phone, country = phone_normalise(value)
        if country not in settings.CANDOR_SMS_COUNTRIES:
            raise ValidationError(
                _("We cannot send text messages to numbers in %(country)s.")
                % {"country": country or _("that country")}
            )
        sms_receivable_check(phone)
        return phone, country

    def subscribe_limits(self, destination: str) -> list[tuple[str, int, str]]:
        # SMS pumping walks through a block of numbers: limited on its own.
        return [
            (
                f"block:{sms_number_block(destination)}",
                settings.CANDOR_SUBSCRIBE_PER_NUMBER_BLOCK,
                "range of numbers",
            )
        ]

    def secret_new(self) -> str:
        return f"{secrets.randbelow(10**6):06d}"  # typed on a phone

    def confirmation_send(self, subscriber: Subscriber, secret: str) -> Confirmation:
        context = {"page": settings.CANDOR_PAGE_NAME, "secret": secret}
        sms_send(
            twilio_client(),
            to=subscriber.destination,
            body=words_once("notify/sms/confirm.txt", context),
            status_callback=False,
        )
        return Confirmation("code sent")

    def render(self, *, update: Announcement, subscriber: Subscriber) -> Rendered:
        language = subscriber_language(subscriber)
        about = update_context(update, language)
        if language and not _gsm7_keeps(about.words):
            # A translation GSM-7 cannot carry (Japanese, Arabic) would arrive as blanks:
            # the original words instead. Latin scripts lose only their accents.
            about = update_context(update)
        context = about.as_context()
        context["words"] = ""
        # The update's words take what room the rest of two segments leave.
        room = SMS_LIMIT - len(words_render("notify/sms/update.txt", context))
        context["words"] = fit(about.words.replace("\n", " "), room)
        text = gsm7(words_render("notify/sms/update.txt", context))
        subject = words_render("notify/subject.txt", about.as_context())
        rendered = with_phrase(
            rendered_with(about, subscriber, subject=subject, text=text), subscriber
        )
        return dataclasses.replace(rendered, text=gsm7(rendered.text))

    def routes(self) -> list[str]:
        return [self.name]

    def circuit_for(self, delivery: Delivery, route: str) -> str:
        return route

    def sender(self, *, route: str, ready: Callable[[], None]) -> Sender:
        return SmsSender(ready=ready)

    def message_cost(
        self, *, text: str, prefixes: Iterable[tuple[str, int]], unprefixed: Iterable[str]
    ) -> MessageCost:
        segments = sms_segments(text)
        # The country found when each subscribed, counted in SQL; a number is parsed again
        # only for rows stored before that was kept (parsing 100,000 numbers takes
        # seconds: bench/forecast.py).
        countries: Counter[str] = Counter()
        for country, count in prefixes:
            if country:
                countries[country] += count
        countries.update(sms_country(number) for number in unprefixed)
        return MessageCost(
            encoding=segments.encoding,
            segments=segments.count,
            by_country=[
                CountryCost(country, recipients, sms_price(country))
                for country, recipients in sorted(countries.items())
            ],
            segments_per_second=sms_segments_per_second(),
        )


def _gsm7_keeps(text: str) -> bool:
    """Whether every letter and digit survives `gsm7` (an accent may go, not a letter)."""
    return sum(c.isalnum() for c in gsm7(text)) == sum(c.isalnum() for c in text)


def sms_inbound(*, sender: str, body: str) -> str:
    """Honour STOP / START / HELP from a phone; the text to answer with (may be empty).

    Twilio's Messaging Service also blocks a number that said STOP on its side; this keeps
    Candor's record the same, so the console shows it and nothing is queued for it.
    """
    word = body.strip().upper()
    subscribers = Subscriber.objects.filter(channel=NAME, destination=sender)
    if word in STOP_WORDS:
        subscribers.exclude(state=SubscriberState.UNSUBSCRIBED).update(
            state=SubscriberState.STOPPED, stopped_reason=f"replied {word}"
        )
        return ""  # Twilio itself answers STOP with its opt-out confirmation
    if word in START_WORDS:
        subscribers.filter(state=SubscriberState.STOPPED, confirmed_at__isnull=False).update(
            state=SubscriberState.CONFIRMED, stopped_reason=""
        )
        return ""
    if word in HELP_WORDS:
        context = {"page": settings.CANDOR_PAGE_NAME, "url": settings.CANDOR_CANONICAL_URL}
        return words_once("notify/sms/help.txt", context)
    return ""
