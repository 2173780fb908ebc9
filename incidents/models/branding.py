from __future__ import annotations

from django.db import models
from django.db.models import Q


class Branding(models.Model):
    """How the public page presents itself, set by an Admin: one row, absent by default.

    Empty fields mean "as Candor ships it" (CANDOR_PAGE_NAME, the stock colours, the stock
    icon, no support link), so a site without a row looks exactly as before. Values are
    checked by branding/service.py before they are stored; renderers still treat them as
    untrusted (branding/brand.py), since a row can be written by hand.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    site_name = models.CharField(max_length=100, blank=True)
    # "#rrggbb" for links and buttons, one per colour scheme: no single colour reaches
    # 4.5:1 against both the light and the dark page backgrounds.
    accent_light = models.CharField(max_length=7, blank=True)
    accent_dark = models.CharField(max_length=7, blank=True)
    support_url = models.CharField(max_length=500, blank=True)
    # PNG bytes as uploaded (decoded once to check them), with the logo's size for the
    # <img> attributes, so the header does not jump while it loads.
    logo = models.BinaryField(null=True, blank=True)
    logo_width = models.PositiveIntegerField(default=0)
    logo_height = models.PositiveIntegerField(default=0)
    favicon = models.BinaryField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="branding_singleton")]

    def __str__(self) -> str:
        return "page branding"
