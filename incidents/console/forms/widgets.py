"""Inputs shared by several console forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.lifecycle import MAX_BODY_LENGTH
from incidents.models import NotifyScope


class MarkdownField(forms.CharField):
    """A Markdown textarea that console.js previews live, rendered as the public will see it."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", MAX_BODY_LENGTH)
        kwargs.setdefault("help_text", _("Markdown. The preview shows what the public will see."))
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 7}))
        # Lifecycle keeps the body as written; stripping would also eat Markdown line breaks.
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]


class UTCDateTimeField(forms.DateTimeField):
    """A datetime-local input read as UTC (TIME_ZONE is UTC; the label says so)."""

    input_format = "%Y-%m-%dT%H:%M"

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("input_formats", [self.input_format, "%Y-%m-%dT%H:%M:%S"])
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format=self.input_format),
        )
        super().__init__(**kwargs)  # type: ignore[arg-type]


class OverrideReasonField(forms.CharField):
    """Admins only (lifecycle checks): publish unapproved words in an emergency."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("label", _("Emergency override reason (Admins only)"))
        kwargs.setdefault(
            "help_text",
            _(
                "Leave empty. Filled in, the words are published without approval or policy "
                "check; this is audited and queued for review."
            ),
        )
        super().__init__(**kwargs)  # type: ignore[arg-type]


class NotifyFieldsMixin(forms.Form):
    """Who an update is sent to, and the confirmation of an SMS cost above the cap.

    The console shows the send forecast beside them (console/_notify.html); lifecycle
    checks the cap again whatever the form sent.
    """

    notify = forms.ChoiceField(
        choices=NotifyScope.choices,
        initial=NotifyScope.ALL,
        required=False,  # a form posted without it (a script, an older page) tells everyone
        widget=forms.RadioSelect,
        label=_("Notify subscribers"),
    )
    confirm_sms_cost = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label=_("Confirm the SMS cost"),
        help_text=_(
            "Only when the forecast is above the SMS cost cap: type the figure it shows "
            "to send anyway (audited), or choose email and chat only."
        ),
    )

    def clean_notify(self) -> str:
        return self.cleaned_data.get("notify") or NotifyScope.ALL

    def notify_options(self) -> dict[str, Any]:
        return {
            "notify": self.cleaned_data.get("notify") or NotifyScope.ALL,
            "confirm_sms_cost": self.cleaned_data.get("confirm_sms_cost"),
        }
