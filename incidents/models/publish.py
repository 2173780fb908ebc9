from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class SiteVersion(models.Model):
    """The number of the public site's content: one row, bumped by every public change.

    Lifecycle bumps it in the transaction of the change itself, so a publish that reads
    version N (in one consistent snapshot, see publish/snapshot.py) has seen every change
    up to N, and a target at version N is current exactly when nothing has changed since.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="site_version_singleton")]

    def __str__(self) -> str:
        return f"site version {self.version}"


class SiteChange(models.Model):
    """What one site version changed, for incremental publishing (publish/changes.py).

    Written with the version bump, in the transaction of the change. A version without a
    row, or with `everything` set, makes the next publish render the whole site.
    """

    version = models.BigIntegerField(primary_key=True)
    # The public ids of the incidents and maintenance windows the change touched; the front
    # page, feeds, JSON documents and recent history are rendered on every publish anyway.
    incidents = models.JSONField(default=list, blank=True)
    maintenance = models.JSONField(default=list, blank=True)
    everything = models.BooleanField(default=False)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"site change {self.version}"


class PublishTarget(models.Model):
    """What Candor knows about one publish target: how far it got and what went wrong."""

    name = models.CharField(max_length=200, unique=True)  # Target.name: "local", "s3:<bucket>"
    last_version = models.BigIntegerField(null=True, blank=True)  # last version it took
    last_published_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Since when it is known to be behind the site (a failed push, or the freshness check
    # seeing it behind); null while it is current.
    behind_since = models.DateTimeField(null=True, blank=True)
    # When staff were told it is stale; null outside a lag episode, so the alert goes out
    # once per episode and the recovery notice once when it ends.
    stale_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at version {self.last_version}"


class OutOfBandUpdate(models.Model):
    """An update posted with the out-of-band CLI while the app was away, as reconciled
    (publish/oob_reconcile.py): unique on the id the CLI gave it, so however many
    targets hold it, however often it is read and by however many processes at once, it
    becomes one IncidentUpdate."""

    oob_id = models.CharField(max_length=64, unique=True)
    # Null when the app could not take it (refused, below): the record stays, once.
    update = models.OneToOneField(
        "incidents.IncidentUpdate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="out_of_band",
    )
    refused = models.CharField(max_length=300, blank=True)  # why it is not an update
    # The site version that first includes the update (0 when refused): a render older
    # than this must not replace a copy that shows it (publish/service.py).
    version = models.BigIntegerField(default=0)
    key_id = models.CharField(max_length=16)  # the out-of-band key that signed it
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField()  # when the CLI pushed it (signed)
    reconciled_at = models.DateTimeField()
    source = models.CharField(max_length=200)  # the target it was first read from
    record = models.TextField()  # the signed record as read, kept as evidence

    class Meta:
        ordering = ["posted_at", "pk"]

    def __str__(self) -> str:
        return f"out-of-band update {self.oob_id}"
