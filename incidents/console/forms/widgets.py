"""Inputs shared by several console forms."""

from __future__ import annotations

from django import forms

from incidents.lifecycle import MAX_BODY_LENGTH


class MarkdownField(forms.CharField):
    """A Markdown textarea that console.js previews live, rendered as the public will see it."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", MAX_BODY_LENGTH)
        kwargs.setdefault("help_text", "Markdown. The preview shows what the public will see.")
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
        kwargs.setdefault("label", "Emergency override reason (Admins only)")
        kwargs.setdefault(
            "help_text",
            "Leave empty. Filled in, the words are published without approval or policy "
            "check; this is audited and queued for review.",
        )
        super().__init__(**kwargs)  # type: ignore[arg-type]
