from __future__ import annotations

from django import forms

from incidents.models import AuditAction


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, choices=[("", "All actions"), *AuditAction.choices])
