"""The postmortem form: the words, and the approved template they follow."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import TemplateVersion


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
