"""The console's language switch: the signed-in staff member's own choice, stored."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from incidents.console.language import PREFIX
from incidents.console.views.base import staff_required
from incidents.models import StaffLanguage


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(max_length=2000, required=False)


def _back(request: HttpRequest, target: str) -> str:
    """Only a console path on this site: the switch never sends anyone elsewhere."""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith(PREFIX) else PREFIX


# Not submit_once: setting one's own language twice sets the same value, and writes no
# audit event (a personal display preference, not an act on the page).
@staff_required
@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    StaffLanguage.objects.update_or_create(
        user=request.user,
        defaults={"language": form.cleaned_data["language"], "updated_at": timezone.now()},
    )
    return redirect(_back(request, form.cleaned_data["next"]))
