"""Vendors: other companies' public status pages that Candor polls, and the components of
theirs that an Admin picked, each driving one local Component."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models.components import Component
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id


class VendorKind(models.TextChoices):
    # Candor's own /api/v2/summary.json has Statuspage's shape and is read as one.
    STATUSPAGE = "statuspage", _("Statuspage v2 (summary.json)")
    FEED = "feed", _("RSS/Atom status feed")


class VendorState(models.TextChoices):
    OK = "ok", _("Fetched")
    # The last poll failed (down, 404, malformed, an HTML error page): every component
    # of the vendor is shown as unknown until a poll succeeds again.
    UNKNOWN = "unknown", _("Unknown")


class VendorStatus(models.TextChoices):
    """A vendor component's status as the vendor last told it, or unknown."""

    OPERATIONAL = "operational", _("Operational")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    UNKNOWN = "unknown", _("Unknown")


class Vendor(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    name = models.CharField(max_length=200)
    # The document polled: a summary.json or a feed, as detected when the vendor was added.
    url = models.URLField(max_length=500, unique=True)
    kind = models.CharField(max_length=16, choices=VendorKind.choices)
    show_on_public_page = models.BooleanField(default=False)
    # Removed vendors stop being polled but stay, so that their components keep being
    # hidden or shown as the vendor said (and adding the URL again resumes it).
    active = models.BooleanField(default=True)
    interval = models.PositiveIntegerField(default=60)  # seconds between polls when healthy
    state = models.CharField(max_length=16, choices=VendorState.choices, default=VendorState.OK)
    # Validators of the last 200, sent back as If-None-Match / If-Modified-Since.
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)  # last answer, 304 too
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(null=True, blank=True)  # a component's status moved
    last_error = models.CharField(max_length=500, blank=True)
    failures = models.PositiveIntegerField(default=0)  # consecutive; drives the backoff
    next_poll_at = models.DateTimeField()
    # When the public page last showed a fresh "checked" time for it (service.py).
    public_refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            # Serves the poller's query: vendors whose next poll is due.
            models.Index(fields=["next_poll_at"], name="vendor_next_poll"),
        ]

    def __str__(self) -> str:
        return self.name


class VendorComponent(models.Model):
    """One component the vendor lists. `component` is ours, created when an Admin first
    picked it and kept when unpicked (`picked` false: it no longer follows the vendor)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="components")
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    group_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=32, choices=VendorStatus.choices, default=VendorStatus.UNKNOWN
    )
    # The last status the vendor reported (never unknown): what the local component keeps
    # while the vendor cannot be read.
    reported_status = models.CharField(max_length=32, blank=True)
    position = models.PositiveIntegerField(default=0)
    picked = models.BooleanField(default=False)
    component = models.OneToOneField(
        Component,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vendor_link",
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "external_id"], name="vendor_component_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id}:{self.name}"
