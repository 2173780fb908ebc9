"""The one-click page an approver reaches from the link mailed or texted to them.

GET only shows the words and the two buttons: mail scanners and link previews fetch links,
so nothing is ever decided on GET. POST decides through the same services as the
Approvals page (the two-person rule, one decision per approver, audit). The approver must
be signed in as themselves (staff_required sends them to sign in and back): the link
alone is not a credential (docs/design.md, "One-click approval").
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from incidents.approvers.links import LinkRefused, Words, link_open
from incidents.console.forms.wording import RejectForm
from incidents.console.views.base import console_actor, render_page, staff_required, submit_once
from incidents.models import CustomTextRequest
from incidents.wording import approvals, decisions


def _already(words: Words, user_id: int) -> str:
    """Why the words can no longer be decided by this approver, or ""."""
    if words.rejections.all():
        return "These words were rejected already; nothing was changed."
    if any(a.approver_id == user_id for a in words.approvals.all()):
        return "You already approved these words; nothing was changed."
    if approvals.words_approved(words):
        return "These words are approved already; nothing was changed."
    return ""


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render_page(request, "console/decide.html", {"refused": reason}, status=status)


@staff_required
@submit_once
def decide(request: HttpRequest, token: str) -> HttpResponse:
    user_id: int = request.user.pk  # type: ignore[assignment]  # staff_required: signed in
    try:
        opened = link_open(token, user_id=user_id)
    except LinkRefused as refused:
        return _refused(request, str(refused), refused.status)
    words = (
        type(opened.words)
        .objects.select_related("author")
        .prefetch_related("approvals__approver", "rejections")
        .get(pk=opened.words.pk)
    )
    if words.author_id == user_id:
        return _refused(request, "You wrote these words: another approver must decide.", 403)
    if reason := _already(words, user_id):
        return _refused(request, reason, 409)
    form = RejectForm()
    status = 200
    if request.method == "POST":
        subject = (
            {"custom_text": words} if isinstance(words, CustomTextRequest) else {"version": words}
        )
        try:
            if request.POST.get("decision") == "reject":
                form = RejectForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(form.errors)
                decisions.rejection_give(
                    actor=console_actor(request),
                    reason=form.cleaned_data["reason"],
                    via="link",
                    **subject,  # type: ignore[arg-type]
                )
                messages.success(request, _("Rejected. The author is emailed your reason."))
            else:
                decisions.approval_give(actor=console_actor(request), via="link", **subject)  # type: ignore[arg-type]
                messages.success(request, _("Approved."))
        except ValidationError as error:
            for reason in error.messages:
                messages.error(request, reason)
            status = 400
        else:
            return redirect("console:approvals")
    context = {
        "words": words,
        "custom": isinstance(words, CustomTextRequest),
        "form": form,
    }
    return render_page(request, "console/decide.html", context, status=status)
