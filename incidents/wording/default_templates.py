"""A starting set of message templates, one per phase (and SMS for incidents), that pass
the default wording policy. seed_demo installs them approved; teams edit from there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from incidents.audit import Actor
from incidents.models import Channel, Phase, TemplateVersion
from incidents.wording import approvals, decisions

DEFAULT_TEMPLATES = [
    (
        "Investigating",
        Phase.INVESTIGATING,
        Channel.WEB,
        "We are investigating reports of problems with {components} since {started_at}. "
        "Next update by {next_update_at}.",
    ),
    (
        "Identified",
        Phase.IDENTIFIED,
        Channel.WEB,
        "We have identified the cause of the problems with {components} and are working on "
        "a fix. Next update by {next_update_at}.",
    ),
    (
        "Monitoring",
        Phase.MONITORING,
        Channel.WEB,
        # No verb agrees with {components}: it may name one component or several.
        "A fix has been applied and we are seeing recovery for {components}. We are "
        "monitoring the results. Next update by {next_update_at}.",
    ),
    (
        "Resolved",
        Phase.RESOLVED,
        Channel.WEB,
        "This incident has been resolved. Service is back to normal for {components}. We "
        "are sorry for the disruption.",
    ),
    (
        "Maintenance scheduled",
        Phase.MAINTENANCE_SCHEDULED,
        Channel.WEB,
        "We will carry out maintenance on {components} from {window_start} to {window_end}.",
    ),
    (
        "Maintenance started",
        Phase.MAINTENANCE_STARTED,
        Channel.WEB,
        "Scheduled maintenance is now in progress. We will provide updates as necessary.",
    ),
    (
        "Maintenance completed",
        Phase.MAINTENANCE_COMPLETED,
        Channel.WEB,
        "The scheduled maintenance has been completed.",
    ),
    (
        "Investigating (SMS)",
        Phase.INVESTIGATING,
        Channel.SMS,
        "{title}: we are investigating. Next update by {next_update_at}. {status_url}",
    ),
    (
        "Resolved (SMS)",
        Phase.RESOLVED,
        Channel.SMS,
        "{title} is resolved. {status_url}",
    ),
    (
        # The sections every postmortem has (wording/postmortems.py checks them).
        "Postmortem",
        Phase.POSTMORTEM,
        Channel.WEB,
        "### Summary\n\n{title}: what happened, and what it meant for you.\n\n"
        "### Impact\n\nWho was affected on {components}, and how.\n\n"
        "### Timeline\n\n"
        "### Root cause\n\n"
        "### What we change\n",
    ),
]


def default_templates_install(
    *, author: Actor, approvers: Sequence[Actor], now: datetime | None = None
) -> list[TemplateVersion]:
    """Submit the default templates and have each approver approve them, through the same
    services the console uses (so the audit log tells how they came to be)."""
    versions = []
    for name, phase, channel, body in DEFAULT_TEMPLATES:
        version = approvals.template_version_submit(
            actor=author, name=name, phase=phase, channel=channel, body=body, now=now
        )
        for approver in approvers:
            decisions.approval_give(actor=approver, version=version, now=now)
        versions.append(version)
    return versions
