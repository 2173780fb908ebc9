"""Monitor signals: the sources that send them, how they route, what they propose."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models.components import Component, ComponentStatus
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import Incident, IncidentImpact


class SourceFormat(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager (webhook v4)")
    GRAFANA = "grafana", _("Grafana alerting (webhook contact point)")
    GENERIC = "generic", _("Generic JSON (scripts, curl)")


class WindowSignals(models.TextChoices):
    RECORD = "record", _("Record as during maintenance")
    MUTE = "mute", _("Mute")


class Source(models.Model):
    """A monitor allowed to post signals to /api/ingest/<name>/."""

    name = models.SlugField(max_length=50, unique=True)
    format = models.CharField(max_length=16, choices=SourceFormat.choices)
    # sha256 of the bearer token; the token itself is shown once and never stored.
    token_hash = models.CharField(max_length=64)
    # Shared with the sender to sign bodies (HMAC-SHA256); must be kept to verify them.
    signing_secret = models.CharField(max_length=128, blank=True)
    # What the source may do beyond recording signals, each a separate grant.
    can_propose = models.BooleanField(default=True)
    can_set_status = models.BooleanField(default=False)
    can_open = models.BooleanField(default=False)
    # What its signals on a component inside a running maintenance window become: they
    # never propose, open or set status; "record" lists them in the console as such.
    during_maintenance = models.CharField(
        max_length=8, choices=WindowSignals.choices, default=WindowSignals.RECORD
    )
    # Admission: a token bucket in signals, refilled at rate_per_second up to burst.
    rate_per_second = models.PositiveIntegerField(default=200)
    burst = models.PositiveIntegerField(default=1000)
    # Hysteresis: a firing signal counts once it has fired this long or been sent this
    # many times; a component recovers after its signals have been quiet this long.
    hold_seconds = models.PositiveIntegerField(default=60)
    hold_count = models.PositiveIntegerField(default=3)
    recover_seconds = models.PositiveIntegerField(default=300)
    # Flapping: this many state changes within the window.
    flap_changes = models.PositiveIntegerField(default=4)
    flap_window_seconds = models.PositiveIntegerField(default=600)
    created_at = models.DateTimeField()
    token_rotated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MatchKind(models.TextChoices):
    EXACT = "exact", _("Label equals")
    REGEX = "regex", _("Label matches regular expression")
    SERVICE = "service", _("`service` label names the component")


class RoutingRule(models.Model):
    """Sends a source's signals to a component; the lowest position that matches wins."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=MatchKind.choices)
    label = models.CharField(max_length=100, blank=True)
    pattern = models.CharField(max_length=300, blank=True)
    # Null for SERVICE rules, which find the component by name.
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Blank: the signal's severity decides (routing.SEVERITY_STATUS).
    status = models.CharField(max_length=32, choices=ComponentStatus.choices, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=MatchKind.SERVICE) | Q(component__isnull=False),
                name="routing_rule_has_component",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.label}={self.pattern}"


class SignalStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class Signal(models.Model):
    """One alert as its source knows it, by fingerprint: a re-sent alert updates its row.

    `transitions` keeps the last state changes as [received ISO time, status] pairs, the
    history that hysteresis and flap detection read (ingest/hysteresis.py).
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="signals")
    fingerprint = models.CharField(max_length=128)
    status = models.CharField(max_length=16, choices=SignalStatus.choices)
    name = models.CharField(max_length=200)
    summary = models.CharField(max_length=1000, blank=True)
    severity = models.CharField(max_length=32, blank=True)
    labels = models.JSONField(default=dict)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    # Times received since the last state change (hysteresis by count).
    received_count = models.PositiveIntegerField(default=1)
    transitions = models.JSONField(default=list)
    # Routing's result; routed_at is cleared by every receipt so it is routed again.
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    component_status = models.CharField(max_length=32, choices=ComponentStatus.choices, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    flapping = models.BooleanField(default=False)
    # Set by routing when the component was inside a running window: "record" or "mute",
    # the source's choice then; empty otherwise.
    during_maintenance = models.CharField(
        max_length=8, choices=WindowSignals.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["-last_received_at", "-pk"]
        constraints = [
            # The idempotency of ingest: a re-sent alert is an upsert on this.
            models.UniqueConstraint(fields=["source", "fingerprint"], name="signal_fingerprint"),
        ]
        indexes = [
            # Serves the routing task and the sweep: signals received since last routed.
            models.Index(
                fields=["id"], name="signal_unrouted", condition=Q(routed_at__isnull=True)
            ),
            # Serves evaluation: a component's signals.
            models.Index(fields=["component", "status"], name="signal_component_status"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.fingerprint} {self.status}"


class ComponentSignalState(models.Model):
    """What a component's signals say after hysteresis; the row evaluation locks."""

    component = models.OneToOneField(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=32, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    # The manual status ingest last set (can_set_status), so recovery only undoes its own.
    status_set = models.CharField(max_length=32, choices=ComponentStatus.choices, blank=True)

    def __str__(self) -> str:
        return f"{self.component_id}: {self.status}"


class ProposalKind(models.TextChoices):
    OPEN = "open", _("Open an incident")
    RESOLVE = "resolve", _("Resolve an incident")
    # Downstream impact of an upstream component's outage (incidents/dependencies/).
    IMPACT = "impact", _("Open an incident for downstream impact")


class ProposalState(models.TextChoices):
    PENDING = "pending", _("Waiting for a responder")
    ACCEPTED = "accepted", _("Published")
    DISMISSED = "dismissed", _("Dismissed")
    WITHDRAWN = "withdrawn", _("Withdrawn (the cause recovered)")


class Proposal(models.Model):
    """A draft incident (or resolution) that signals suggest and a responder publishes.

    At most one pending proposal to open an incident exists at a time: every component
    signals take down while it waits joins it, so an alert storm is one proposal.
    """

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    kind = models.CharField(max_length=16, choices=ProposalKind.choices)
    state = models.CharField(
        max_length=16, choices=ProposalState.choices, default=ProposalState.PENDING
    )
    source = models.ForeignKey(Source, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    body = models.TextField()
    impact = models.CharField(max_length=16, choices=IncidentImpact.choices)
    # {component public id: component status} suggested for the incident.
    components = models.JSONField(default=dict)
    # The incident it opened (OPEN, once accepted) or would resolve (RESOLVE).
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(state=ProposalState.PENDING, kind=ProposalKind.OPEN),
                name="proposal_one_pending_open",
            ),
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(state=ProposalState.PENDING, kind=ProposalKind.RESOLVE),
                name="proposal_one_pending_resolve",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} ({self.state})"
