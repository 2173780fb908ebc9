"""Postmortems: what a resolved incident's team writes afterwards, approved like every public
word before it is published (incidents/lifecycle/postmortems.py).

A postmortem's words live in its revisions, write-once like template versions: approvers
approve exactly one revision, and a change is a new revision that needs its own approvals.
The postmortem row keeps what is public: the revision published, its sanitised HTML and
when it was first published and last changed (Statuspage's `postmortem_published_at` and
`postmortem_body_last_updated_at`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import Incident
from incidents.models.notify_costs import NotifyScope
from incidents.models.wording import Qualifier, TemplateVersion, WriteOnce


class Postmortem(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="postmortem")
    created_at = models.DateTimeField()
    published_revision = models.ForeignKey(
        "PostmortemRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_body = models.TextField(blank=True)
    published_body_html = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    body_last_updated_at = models.DateTimeField(null=True, blank=True)
    # Whom publishing told (notify/costs/gate.py): nobody unless the publisher asked.
    # Subscribers are told once per postmortem, whatever is published after (the outbox's
    # unique constraint), so a later revision never sends again.
    notify = models.CharField(max_length=16, choices=NotifyScope.choices, default=NotifyScope.NONE)

    def __str__(self) -> str:
        return f"postmortem of {self.incident_id}"


class PostmortemRevision(WriteOnce):
    """Submitted words, final from the moment they exist. Editing writes revision n+1."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    # The approved postmortem template whose sections the words follow.
    template_version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["postmortem", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "number"], name="postmortem_revision_unique"
            )
        ]

    def __str__(self) -> str:
        return f"postmortem {self.postmortem_id} r{self.number}"


class PostmortemApproval(WriteOnce):
    """One approver's yes to one revision; never their own, never twice."""

    revision = models.ForeignKey(
        PostmortemRevision, on_delete=models.PROTECT, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    qualifier = models.CharField(max_length=16, choices=Qualifier.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "approver"], name="postmortem_approval_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver_id} ({self.qualifier})"


class PostmortemRejection(WriteOnce):
    """An approver's no to one revision, with the reason shown to its author. Final for
    that revision: it is never approved; the author saves a new one."""

    revision = models.OneToOneField(
        PostmortemRevision, on_delete=models.PROTECT, related_name="rejection"
    )
    rejecter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    qualifier = models.CharField(max_length=16, choices=Qualifier.choices)
    reason = models.TextField()
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"rejected by {self.rejecter_id} ({self.qualifier})"
