"""The reliability report settings form: on or off, which figures, which components."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.reliability.visibility import FIGURES


class ReportSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Publish the reliability report"),
        required=False,
        help_text=_("On the public page, in its static copies, and as JSON and CSV."),
    )
    figures = forms.MultipleChoiceField(
        label=_("Figures shown"),
        required=False,
        choices=list(FIGURES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    hidden = forms.MultipleChoiceField(
        label=_("Components left out"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Their figures appear nowhere in the report, and their uptime is not part "
            "of the whole page's."
        ),
    )

    def __init__(self, *args: object, components: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["hidden"].choices = components  # type: ignore[attr-defined]
