"""What an update may cost to send: who is told, and the Admin's cap on SMS spend."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NotifyScope(models.TextChoices):
    """Who an update's notifications go to; the page shows the update in every case."""

    ALL = "all", _("Every subscriber")
    # Channels that cost money per message (SMS) are skipped for this update: chosen
    # when the forecast is above the SMS cost cap and nobody confirmed the figure.
    FREE_ONLY = "free_only", _("Email and chat only (no SMS)")
    NONE = "none", _("Nobody (do not notify)")


class SmsCostCap(models.Model):
    """The most an update may cost in SMS without a responder confirming the figure.

    One row, set by an Admin (notify/costcap.py); absent or empty: no cap. In the
    currency of CANDOR_SMS_PRICES.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="sms_cost_cap_singleton")]

    def __str__(self) -> str:
        return f"SMS cost cap {self.amount}"
