"""Who an update is sent to, and the SMS cost cap that may hold it back.

`notify_send` runs in the lifecycle's transaction, where the outbox rows are written: the
cap is checked on the server, whatever the form or script did. Above the cap, posting
takes the figure confirmed (audited: who and how much) or "email and chat only".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.models import (
    Announcement,
    AuditAction,
    NotifyScope,
    SmsCostCap,
)
from incidents.notify.channels import costed_channels
from incidents.notify.costs.forecast import Forecast, send_forecast
from incidents.notify.outbox import deliveries_create

CAP_MAX = Decimal("1000000000")


class SmsCostAboveCap(ValidationError):
    """The forecast is above the Admin's cap and nobody confirmed the figure."""

    def __init__(self, forecast: Forecast, cap: Decimal) -> None:
        self.forecast = forecast
        self.cap = cap
        super().__init__(
            {
                "confirm_sms_cost": [
                    f"These messages would cost about {forecast.cost:.2f} {forecast.currency} "
                    f"in SMS, above the cap of {cap:.2f}. Confirm that figure, or send by "
                    "email and chat only."
                ]
            }
        )


def sms_cost_cap() -> Decimal | None:
    row = SmsCostCap.objects.filter(pk=SmsCostCap.SINGLETON).first()
    return row.amount if row is not None else None


def amount_parse(value: object, *, field: str) -> Decimal | None:
    """A money figure from a form or JSON: None for empty; two decimals at most."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: ["Enter an amount such as 25 or 12.50."]}) from None
    if not amount.is_finite() or amount < 0 or amount >= CAP_MAX:
        raise ValidationError({field: ["Enter an amount from 0 up to 999,999,999.99."]})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: ["At most two decimal places."]})
    return amount


def sms_cost_cap_set(
    *, actor: Actor, amount: Decimal | None, now: datetime | None = None
) -> Decimal | None:
    """Set (None: remove) the SMS cost cap; Admins only, audited."""
    roles.require_permission(actor, roles.MANAGE_POLICY)
    amount = amount_parse(amount, field="amount")
    now = now or timezone.now()
    with transaction.atomic():
        row, _ = SmsCostCap.objects.select_for_update().get_or_create(pk=SmsCostCap.SINGLETON)
        old = row.amount
        row.amount = amount
        row.updated_at = now
        row.updated_by = actor.user
        row.save()
        described = "removed" if amount is None else f"{amount:.2f} {settings.CANDOR_SMS_CURRENCY}"
        audit_record(
            actor=actor,
            action=AuditAction.SMS_COST_CAP_SET,
            target=row,
            summary=f"SMS cost cap {described}",
            at=now,
            data={
                "old": None if old is None else str(old),
                "new": None if amount is None else str(amount),
            },
        )
    return amount


def scope_check(scope: str) -> None:
    if scope not in NotifyScope.values:
        raise ValidationError(
            {"notify": [f"{scope!r} is not one of: {', '.join(NotifyScope.values)}."]}
        )


def notify_send(
    *,
    actor: Actor,
    update: Announcement,
    component_ids: Iterable[int],
    scope: str,
    confirmed_cost: Decimal | None,
    now: datetime,
) -> dict[str, object]:
    """Write the outbox rows `scope` asks for; what the audit event keeps about it.

    Call inside the writing transaction, after the update is saved. Raises
    SmsCostAboveCap (rolling the post back) when the SMS would cost more than the cap
    and `confirmed_cost` does not cover it.
    """
    scope_check(scope)
    ids = sorted(set(component_ids))
    record: dict[str, object] = {"notify": scope}
    if update.notify != scope:
        update.notify = scope
        update.save(update_fields=["notify"])
    if scope == NotifyScope.NONE:
        return record
    skip = costed_channels() if scope == NotifyScope.FREE_ONLY else []
    cap = sms_cost_cap()
    if cap is not None and scope == NotifyScope.ALL and costed_channels():
        forecast = send_forecast(update=update, component_ids=ids, scope=scope)
        record["sms_cost"] = f"{forecast.cost:.2f}"
        if forecast.cost > cap and actor.user is None:
            # Beat or a monitor posting: nobody to confirm, so SMS is skipped, on record.
            scope, skip = NotifyScope.FREE_ONLY, costed_channels()
            update.notify = scope
            update.save(update_fields=["notify"])
            record["notify"] = scope
            record["sms_skipped_above_cap"] = str(cap)
        elif forecast.cost > cap:
            # A figure confirmed for fewer recipients than there are now is not enough.
            if confirmed_cost is None or confirmed_cost < forecast.cost.quantize(Decimal("0.01")):
                raise SmsCostAboveCap(forecast, cap)
            audit_record(
                actor=actor,
                action=AuditAction.SMS_COST_CONFIRMED,
                target=update,
                summary=(
                    f"Confirmed {forecast.cost:.2f} {forecast.currency} of SMS "
                    f"(cap {cap:.2f}) for update {update.public_id}"
                ),
                at=now,
                data={
                    "cost": f"{forecast.cost:.2f}",
                    "confirmed": str(confirmed_cost),
                    "cap": str(cap),
                    "forecast": forecast.as_dict(),
                },
            )
            record["sms_cost_confirmed"] = str(confirmed_cost)
    record["deliveries"] = deliveries_create(
        update=update, component_ids=ids, now=now, skip_channels=skip
    )
    return record


def forecast_report(forecast: Forecast) -> dict[str, object]:
    """The forecast as the API and the console show it, with the cap beside it."""
    cap = sms_cost_cap()
    above = cap is not None and forecast.scope == NotifyScope.ALL and forecast.cost > cap
    return {
        **forecast.as_dict(),
        "sms_cost_cap": None if cap is None else f"{cap:.2f}",
        "above_cap": above,
    }
