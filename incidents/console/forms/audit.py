from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import AuditAction


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All actions")), *AuditAction.choices]
    )
