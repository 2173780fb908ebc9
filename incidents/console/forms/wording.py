"""Templates, approvals, the wording policy and staff roles."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from incidents import roles
from incidents.models import (
    Channel,
    Phase,
    RequiredElement,
    RuleChannel,
    RuleKind,
    RuleScope,
)
from incidents.wording.decisions import REASON_MAX_LENGTH


class TemplateForm(forms.Form):
    """A new template, or (with the name, phase and channel of one) its next version."""

    name = forms.CharField(label=_("Name"), max_length=200)
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.WEB)
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        strip=False,
        help_text=_(
            "Placeholders: {title}, {components}, {started_at}, {next_update_at}, "
            "{window_start}, {window_end}, {status_url}. Write {{ or }} for a brace."
        ),
    )


class TranslationForm(forms.Form):
    """A translation of one template version: its placeholders, in another language."""

    language = forms.ChoiceField(label=_("Language"), choices=())
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        strip=False,
        help_text=_(
            "The same placeholders as the original, each as often. Write {{ or }} for a brace."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        original = settings.CANDOR_WORDS_LANGUAGES[0]
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            (code, code) for code in settings.CANDOR_WORDS_LANGUAGES if code != original
        ]


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("What the review found"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (the author is emailed this)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": "Say why you reject these words: the author is sent it."},
    )


class RuleForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"),
        max_length=64,
        help_text=_("Saving an existing key writes its next version."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    pattern = forms.CharField(
        label=_("Pattern"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Banned phrases, one a line; a regular expression over the folded text; "
            "vendor names, one a line (vendor blame); or allowed hosts, one a line (links)."
        ),
    )
    element = forms.ChoiceField(
        label=_("Element"), choices=[("", "—"), *RequiredElement.choices], required=False
    )
    limit = forms.IntegerField(label=_("Limit"), required=False, min_value=1)
    channel = forms.ChoiceField(label=_("Channel"), choices=RuleChannel.choices)
    scope = forms.ChoiceField(label=_("Scope"), choices=RuleScope.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, help_text=_("Shown to the writer."))
    language = forms.ChoiceField(
        label=_("Language"),
        choices=(),
        required=False,
        help_text=_("Only words in this language (a translation's); none: every language."),
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("Off retires the rule.")
    )
    # The digest of the rule as last dry-run: saving needs the dry run of exactly these fields.
    previewed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("Every language")),
            *((code, code) for code in settings.CANDOR_WORDS_LANGUAGES),
        ]

    def rule_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "previewed"}

    def digest(self) -> str:
        fields = json.dumps(self.rule_fields(), sort_keys=True, default=str)
        return hashlib.sha256(fields.encode()).hexdigest()


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=[(name, name) for name in roles.ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
