"""The words staff publish: the wording policy and everything that decides which words may
be published.

- policy.py: the policy's check (what `wording.check` is), placeholders, SMS encoding;
- detect.py: the policy's detectors (links and allowed hosts, vendor blame, promises);
- dry_run.py: what a new rule version would flag in words already published;
- approvals.py, approved.py, decisions.py: submitting words, whether they are approved,
  and approvers' yes and no;
- overrides.py: publishing past the policy in an emergency, reviewed afterwards;
- default_templates.py: the approved template set installed with the demo data;
- drafts.py: the draft update a reminder carries.

`incidents.wording` keeps the names policy.py defines, as when it was one module:
`from incidents import wording; wording.check(...)`.
"""

from incidents.wording.policy import (
    COMPONENTS_FALLBACK,
    FINAL_PHASES,
    PLACEHOLDERS,
    Folded,
    MatchContext,
    Part,
    Phase,
    SmsInfo,
    Views,
    Violation,
    WordingRefused,
    canonical_host,
    channel_for,
    check,
    current_rules,
    fold,
    format_time,
    incident_phase,
    is_rendering,
    join_names,
    letters_view,
    maintenance_phase,
    normal_text,
    original_language,
    own_hosts,
    parse,
    phrase_regex,
    render,
    sample_values,
    sms_info,
    values_for,
)

__all__ = [
    "COMPONENTS_FALLBACK",
    "FINAL_PHASES",
    "PLACEHOLDERS",
    "Folded",
    "MatchContext",
    "Part",
    "Phase",
    "SmsInfo",
    "Views",
    "Violation",
    "WordingRefused",
    "canonical_host",
    "channel_for",
    "check",
    "current_rules",
    "fold",
    "format_time",
    "incident_phase",
    "is_rendering",
    "join_names",
    "letters_view",
    "maintenance_phase",
    "normal_text",
    "original_language",
    "own_hosts",
    "parse",
    "phrase_regex",
    "render",
    "sample_values",
    "sms_info",
    "values_for",
]
