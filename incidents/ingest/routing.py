"""Which component a signal is about, and what status it means for it.

A source's rules are tried in position order; the first that matches decides. Failing
all rules, a `component` label naming a component (case-insensitively) routes to it —
the plain generic format's `{"component": ...}` relies on that. Unmatched signals are
kept (routed, with no component) and listed for triage in the console.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from incidents.models import Component, ComponentStatus, MatchKind, RoutingRule

# Severity labels as monitors spell them, and Candor's component statuses themselves.
SEVERITY_STATUS: dict[str, ComponentStatus] = {
    "critical": ComponentStatus.MAJOR_OUTAGE,
    "page": ComponentStatus.MAJOR_OUTAGE,
    "error": ComponentStatus.PARTIAL_OUTAGE,
    "high": ComponentStatus.PARTIAL_OUTAGE,
    "warning": ComponentStatus.DEGRADED_PERFORMANCE,
    "warn": ComponentStatus.DEGRADED_PERFORMANCE,
    "medium": ComponentStatus.DEGRADED_PERFORMANCE,
    "low": ComponentStatus.DEGRADED_PERFORMANCE,
    "info": ComponentStatus.OPERATIONAL,
    "none": ComponentStatus.OPERATIONAL,
    **{s.value: s for s in ComponentStatus if s != ComponentStatus.UNDER_MAINTENANCE},
}
UNKNOWN_SEVERITY = ComponentStatus.PARTIAL_OUTAGE
SERVICE_LABEL = "service"


@dataclass(frozen=True)
class Route:
    component: Component | None
    status: str


def severity_status(severity: str) -> ComponentStatus:
    return SEVERITY_STATUS.get(severity.strip().lower(), UNKNOWN_SEVERITY)


def route(
    labels: Mapping[str, str],
    severity: str,
    *,
    rules: Sequence[RoutingRule],
    components_by_name: Mapping[str, Component],
) -> Route:
    default = severity_status(severity)
    for rule in rules:
        component = _match(rule, labels, components_by_name)
        if component is not None:
            return Route(component, rule.status or default)
    named = components_by_name.get(labels.get("component", "").strip().lower())
    return Route(named, default if named else "")


def _match(
    rule: RoutingRule, labels: Mapping[str, str], by_name: Mapping[str, Component]
) -> Component | None:
    if rule.kind == MatchKind.SERVICE:
        value = labels.get(rule.label or SERVICE_LABEL)
        return by_name.get(value.strip().lower()) if value else None
    value = labels.get(rule.label)
    if value is None:
        return None
    if rule.kind == MatchKind.EXACT:
        return rule.component if value == rule.pattern else None
    return rule.component if re.fullmatch(rule.pattern, value) else None


def regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as error:
        return f"Not a valid regular expression: {error}."
    except (OverflowError, RecursionError) as error:
        # a{99999999999}, or thousands of nested groups: re raises these, not re.error.
        return f"Not a usable regular expression: {error}."
    return None
