"""The console's audiences panel: who may read an incident, a window or a component, and
(for incidents and windows) words for one audience."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.console.forms.audience_visibility import AudiencesForm, AudienceWordsForm
from incidents.models import Audience, Component, Incident, Maintenance

register = template.Library()


@register.inclusion_tag("console/_audiences_panel.html")
def audiences_panel(target: Incident | Maintenance | Component) -> dict[str, Any]:
    if isinstance(target, Incident):
        kind = "incident"
    elif isinstance(target, Maintenance):
        kind = "maintenance"
    else:
        kind = "component"
    chosen = [a.slug for a in target.audiences.all()]
    return {
        "target": target,
        "kind": kind,
        "any_audience": Audience.objects.exists(),
        "chosen": target.audiences.order_by("name"),
        "form": AudiencesForm(initial={"audiences": chosen}, prefix=f"aud-{kind}"),
        "words_form": AudienceWordsForm() if kind != "component" else None,
        "set_url": f"console:{kind}_audiences",
        "words_url": f"console:{kind}_audience_words",
    }
