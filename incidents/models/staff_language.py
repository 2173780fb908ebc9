"""A staff member's chosen console language (incidents/console/language.py reads it).

No row means no choice: the console then follows the browser's Accept-Language."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StaffLanguage(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_language"
    )
    # A code of settings.LANGUAGES, checked by the switch's form; a code no longer shipped
    # is ignored when read (the console falls back as if none were chosen).
    language = models.CharField(max_length=8)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.language
