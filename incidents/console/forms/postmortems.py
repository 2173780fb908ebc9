"""The postmortem forms: the words and the approved template they follow; publishing,
and whether subscribers are told."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.console.forms.widgets import NotifyFieldsMixin
from incidents.models import NotifyScope, TemplateVersion


class PostmortemForm(forms.Form):
    template = forms.ChoiceField(label=_("Postmortem template"))
    body = forms.CharField(
        label=_("Postmortem"),
        widget=forms.Textarea(attrs={"rows": 24}),
        strip=False,
        help_text=_("Markdown. Keep the template's sections (its headings), in order."),
    )

    def __init__(self, *args: Any, templates: list[TemplateVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (v.template.public_id, f"{v.template.name} (v{v.number})") for v in templates
        ]


class PostmortemPublishForm(NotifyFieldsMixin):
    """Publishing tells nobody unless the responder asks (an update tells everyone)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notify"].initial = NotifyScope.NONE

    def clean_notify(self) -> str:
        return self.cleaned_data.get("notify") or NotifyScope.NONE

    def notify_options_given(self) -> dict[str, Any]:
        """lifecycle.postmortem_publish's `notify` and `confirmed_cost`."""
        return {
            "notify": self.cleaned_data["notify"],
            "confirmed_cost": self.cleaned_data.get("confirm_sms_cost"),
        }
