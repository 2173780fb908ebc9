"""Filling `Subscriber.prefix` (an SMS number's country) for rows stored before it was kept.

The send forecast counts SMS recipients per country in SQL from the stored prefix and parses
a number again only where none is stored (channels/sms.py `message_cost`): without this,
every forecast of an install with older subscribers would parse each of their numbers.
The country is found with `sms_country`, the function that forecast uses for those rows,
which agrees with what subscribing stores (the region of the E.164 number): so a filled
row forecasts exactly as before, only without the parsing.

Run by a data migration (and safe to run again: it only touches empty prefixes), in
batches of its own transactions, so a large table is neither locked nor held in memory
at once. A number that names no country keeps an empty prefix, as it would have.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from incidents.notify.channels.sms import NAME as SMS
from incidents.notify.sms_pricing import sms_country

BATCH = 2000


def sms_prefixes_fill(subscribers: Any, *, batch: int = BATCH) -> int:
    """Fill the empty prefixes of `subscribers` (the Subscriber model, or a migration's
    historical one) on the SMS channel; how many were filled."""
    filled = 0
    after = 0
    while True:
        with transaction.atomic():
            rows = list(
                subscribers.objects.select_for_update(skip_locked=True)
                .filter(channel=SMS, prefix="", pk__gt=after)
                .order_by("pk")
                .only("pk", "destination")[:batch]
            )
            if not rows:
                return filled
            after = rows[-1].pk
            found = []
            for row in rows:
                row.prefix = sms_country(row.destination)[:300]
                if row.prefix:
                    found.append(row)
            subscribers.objects.bulk_update(found, ["prefix"])
            filled += len(found)
