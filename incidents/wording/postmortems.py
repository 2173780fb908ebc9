"""The words of a postmortem: its sections, from an approved postmortem template, and the
policy check it gets.

A postmortem template is a message template of the phase "postmortem", written and
approved like any other (approvals.py). Its Markdown headings are the sections every
postmortem written from it must keep, in order (summary, impact, timeline, root cause,
what we change, in the default one). Postmortems are checked as the policy channel
"postmortem": rules for every channel apply, the length limits written for updates do not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from incidents import wording
from incidents.models import Phase, RuleChannel, TemplateVersion
from incidents.wording.approvals import usable_versions
from incidents.wording.approved import approvals_satisfied as approvals_satisfied
from incidents.wording.approved import version_approved

# A hard ceiling at the edge, whatever the policy says: a postmortem is long, not a megabyte.
MAX_CHARS = 50_000
POLICY_CHANNEL = RuleChannel.POSTMORTEM.value
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
TIMELINE_SECTION = "timeline"


def postmortem_templates() -> list[TemplateVersion]:
    """The approved postmortem templates, newest approved version of each."""
    return usable_versions(Phase.POSTMORTEM)


def template_usable(version: TemplateVersion) -> bool:
    """An approved version of a postmortem template (an older approved one still is: the
    draft was started from it)."""
    return version.template.phase == Phase.POSTMORTEM and version_approved(version)


def sections(body: str) -> list[str]:
    """The headings of Markdown text, as compared: case and spacing folded."""
    return [" ".join(match.group(1).split()).casefold() for match in _HEADING.finditer(body)]


def sections_missing(body: str, template_body: str) -> list[str]:
    """The template's sections `body` lacks, or has out of order."""
    have = iter(sections(body))
    missing = []
    for wanted in sections(template_body):
        if not any(found == wanted for found in have):
            missing.append(wanted)
            have = iter(sections(body))  # look for the rest from the start again
    return missing


def draft_from_template(
    template_body: str, values: Mapping[str, str], *, timeline: str = ""
) -> str:
    """The template filled in for one incident, with the generated timeline put under its
    timeline heading (if it has one)."""
    text = wording.render(template_body, values)
    if not timeline:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        match = _HEADING.match(line)
        if match and " ".join(match.group(1).split()).casefold() == TIMELINE_SECTION:
            return "\n".join([*lines[: i + 1], "", timeline, *lines[i + 1 :]])
    return text


def check(body: str) -> list[wording.Violation]:
    """The current policy's violations by a postmortem's words."""
    return wording.check(body, channel=POLICY_CHANNEL, phase=Phase.POSTMORTEM)


def template_for(public_id: str = "") -> TemplateVersion | None:
    """The newest approved version of the postmortem template `public_id` (empty: the
    first by name); None when there is no such approved template."""
    versions = postmortem_templates()
    if not public_id:
        return versions[0] if versions else None
    return next((v for v in versions if v.template.public_id == public_id), None)
