"""Template tags for the staff console."""

from __future__ import annotations

import uuid

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from incidents.console.views.base import SUBMISSION_KEY

register = template.Library()


@register.simple_tag
def submission_key() -> SafeString:
    """A hidden one-time key for a write form, new at every rendering: sending the same
    rendering twice writes once (see submit_once in console/views/base.py)."""
    return format_html('<input type="hidden" name="{}" value="{}">', SUBMISSION_KEY, uuid.uuid4())
