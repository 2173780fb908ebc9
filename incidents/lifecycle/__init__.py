"""The one write path for everything the public sees.

Console, staff API, beat tasks and monitor automation call these functions and nothing
else. Each validates, runs in one transaction, derives component statuses, records the
audit event, bumps the site version, and schedules the public refresh and publish for
after the commit: an error at any step leaves nothing half-saved.

Every public update's words must be approved — a rendering of an approved template for
its phase, or a custom text an approver approved for this occasion — and pass the wording
policy (incidents/wording/); otherwise the call raises wording.WordingRefused with the
itemised violations. An Admin may override in an emergency, giving a reason: the override
is audited and queued for review (overrides.override_record).

Each update's subscriber messages are written by notify.costs.gate.notify_send in the same
transaction: `notify` chooses everyone, email and chat only, or nobody, and above the
Admin's SMS cost cap a post needs `confirm_sms_cost` (docs/design.md, "Notifications").

By subject:
- checks.py: texts, choices and components checked, and whether words may be published;
- statuses.py: each component's public status, derived from what affects it;
- posting.py: what every write ends with (the update, its messages, the audit event with
  its words' basis, the public change);
- incidents.py, components.py, maintenance.py, postmortems.py: the writes themselves;
- audiences.py: who may read a component, incident or window, and audience-only words;
- sweep.py: what beat does to maintenance windows by itself.

`incidents.lifecycle` keeps the names callers use, as when it was one module:
`from incidents import lifecycle; lifecycle.incident_open(...)`.
"""

from incidents.lifecycle.audiences import audience_words_post, audiences_set
from incidents.lifecycle.checks import MAX_BODY_LENGTH, MAX_NAME_LENGTH, NOT_APPROVED
from incidents.lifecycle.components import component_save, component_status_set, group_create
from incidents.lifecycle.incidents import (
    cadence_override_set,
    incident_open,
    incident_resolve,
    update_post,
)
from incidents.lifecycle.maintenance import (
    COMPONENTS_EVALUATE_TASK,
    maintenance_schedule,
    maintenance_update_post,
    maintenance_words,
)
from incidents.lifecycle.posting import public_change
from incidents.lifecycle.postmortems import (
    draft_start,
    latest_revision,
    postmortem_approve,
    postmortem_forecast,
    postmortem_publish,
    postmortem_reject,
    postmortem_save,
    revision_approved,
    revision_rejection,
)
from incidents.lifecycle.sweep import (
    maintenance_overrun_note,
    maintenance_remind_subscribers,
    maintenance_sweep,
)

__all__ = [
    "COMPONENTS_EVALUATE_TASK",
    "MAX_BODY_LENGTH",
    "MAX_NAME_LENGTH",
    "NOT_APPROVED",
    "audience_words_post",
    "audiences_set",
    "cadence_override_set",
    "component_save",
    "component_status_set",
    "draft_start",
    "group_create",
    "incident_open",
    "incident_resolve",
    "latest_revision",
    "maintenance_overrun_note",
    "maintenance_remind_subscribers",
    "maintenance_schedule",
    "maintenance_sweep",
    "maintenance_update_post",
    "maintenance_words",
    "postmortem_approve",
    "postmortem_forecast",
    "postmortem_publish",
    "postmortem_reject",
    "postmortem_save",
    "public_change",
    "revision_approved",
    "revision_rejection",
    "update_post",
]
