"""Whether words are approved: the approval rules read from stored approvals and rejections.

A template version needs the approvals CANDOR_TEMPLATE_APPROVALS names, a custom text those
of CANDOR_CUSTOM_TEXT_APPROVALS; any rejection means never approved. Below approvals.py
(which writes approvals) and approvers/ (which tells approvers of words still undecided),
so neither has to import the other to ask.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from django.conf import settings

from incidents.models import Channel, CustomTextRequest, TemplateVersion

ANY = "any"


def approvals_satisfied(qualifiers: Iterable[str], required: Sequence[str]) -> bool:
    """Whether approvals with these qualifiers (one per approver) meet `required`, where
    "any" is met by an approver of any kind not already counted for a named one."""
    have = Counter(qualifiers)
    for need in required:
        if need == ANY:
            continue
        if have[need] == 0:
            return False
        have[need] -= 1
    return sum(have.values()) >= sum(1 for need in required if need == ANY)


def version_approved(version: TemplateVersion) -> bool:
    """Approved enough, and never rejected (so changing the required approvals later
    cannot turn rejected words into approved ones). Prefetch "approvals", "rejections"."""
    return not version.rejections.all() and approvals_satisfied(
        (a.qualifier for a in version.approvals.all()), settings.CANDOR_TEMPLATE_APPROVALS
    )


def custom_text_approved(request: CustomTextRequest) -> bool:
    """As version_approved, for custom text."""
    return not request.rejections.all() and approvals_satisfied(
        (a.qualifier for a in request.approvals.all()), settings.CANDOR_CUSTOM_TEXT_APPROVALS
    )


def words_approved(words: TemplateVersion | CustomTextRequest) -> bool:
    if isinstance(words, TemplateVersion):
        return version_approved(words)
    return custom_text_approved(words)


def usable_versions(phase: str, channel: str = Channel.WEB) -> list[TemplateVersion]:
    """Per template of the phase and channel, its newest approved version: approving a new
    version retires the older ones, and a version not yet approved changes nothing."""
    versions = (
        TemplateVersion.objects.filter(template__phase=phase, template__channel=channel)
        .select_related("template")
        .prefetch_related("approvals", "rejections")
        .order_by("template__name", "template_id", "-number")
    )
    usable: dict[int, TemplateVersion] = {}
    for version in versions:
        if version.template_id not in usable and version_approved(version):
            usable[version.template_id] = version
    return list(usable.values())
