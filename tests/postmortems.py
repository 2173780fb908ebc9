"""Postmortems for tests: a resolved incident, and its postmortem written, approved by
legal and support, as in life (through lifecycle)."""

from __future__ import annotations

from django.contrib.auth.models import User

from incidents import lifecycle, roles
from incidents.audit import Actor
from incidents.models import Incident, PostmortemRevision
from incidents.wording.postmortems import postmortem_templates
from tests.conftest import staff_user
from tests.factories import promised, standing_words_approve

RESOLVED_WORDS = "Checkout works again."


def resolved_incident(actor: Actor, name: str = "Checkout errors") -> Incident:
    incident = lifecycle.incident_open(actor=actor, name=name, body=promised("Looking into it."))
    standing_words_approve(RESOLVED_WORDS)
    lifecycle.incident_resolve(actor=actor, incident=incident, body=RESOLVED_WORDS)
    incident.refresh_from_db()
    return incident


def postmortem_written(incident: Incident, author: User) -> PostmortemRevision:
    template = postmortem_templates()[0]
    return lifecycle.postmortem_save(
        actor=Actor.staff(author, channel="console"),
        incident=incident,
        body=lifecycle.draft_start(incident, template),
        template_version=template,
    )


def postmortem_approved(incident: Incident, author: User) -> PostmortemRevision:
    """Written by `author`, approved by a legal and a support approver of its own."""
    revision = postmortem_written(incident, author)
    for name, role in (("pm-legal", roles.APPROVER_LEGAL), ("pm-support", roles.APPROVER_SUPPORT)):
        approver = User.objects.filter(username=name).first() or staff_user(name, role)
        lifecycle.postmortem_approve(actor=Actor.staff(approver, channel="api"), revision=revision)
    return revision
