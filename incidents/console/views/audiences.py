"""Audiences: who besides the public reads which pages. Admins define them, invite
readers by email, and revoke members and invitations (incidents/readers/audiences.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.console.forms.audiences import AudienceForm, InviteForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.models import Audience, AudienceMember, ReaderInvitation
from incidents.readers import audiences as service


@staff_required
@submit_once
def audience_list(request: HttpRequest) -> HttpResponse:
    form = AudienceForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            audience = service.audience_create(
                actor=console_actor(request),
                slug=form.cleaned_data["slug"],
                now=timezone.now(),
                **form.values(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Audience %(name)s created.") % {"name": audience.name})
            return redirect("console:audience_detail", slug=audience.slug)
    rows = Audience.objects.annotate(
        readers=Count("members", filter=Q(members__revoked_at__isnull=True)),
        invited=Count(
            "invitations",
            filter=Q(invitations__revoked_at__isnull=True, invitations__accepted_at__isnull=True),
        ),
    )
    return render_page(
        request,
        "console/audiences.html",
        {"audiences": rows, "form": form, "here": "audiences"},
        status=400 if form.is_bound else 200,
    )


def _detail(
    request: HttpRequest,
    audience: Audience,
    *,
    form: AudienceForm | None = None,
    invite: InviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    initial = {
        "name": audience.name,
        "description": audience.description,
        "oidc_groups": "\n".join(str(g) for g in audience.oidc_groups or []),
        "ip_allowlist": "\n".join(str(n) for n in audience.ip_allowlist or []),
    }
    members = (
        AudienceMember.objects.filter(audience=audience)
        .select_related("reader")
        .order_by("revoked_at", "reader__email")
    )
    invitations = ReaderInvitation.objects.filter(audience=audience).order_by("revoked_at", "email")
    return render_page(
        request,
        "console/audience_detail.html",
        {
            "audience": audience,
            "form": form or AudienceForm(initial=initial, editing=True),
            "invite": invite or InviteForm(),
            "members": members,
            "invitations": invitations,
            "here": "audiences",
        },
        status=status,
    )


@staff_required
@submit_once
def audience_detail(request: HttpRequest, slug: str) -> HttpResponse:
    audience = get_object_or_404(Audience, slug=slug)
    if request.method != "POST":
        return _detail(request, audience)
    form = AudienceForm(request.POST, editing=True)
    if form.is_valid():
        try:
            service.audience_edit(
                actor=console_actor(request), audience=audience, now=timezone.now(), **form.values()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Audience %(name)s saved.") % {"name": audience.name})
            return redirect("console:audience_detail", slug=audience.slug)
    return _detail(request, audience, form=form, status=400)


@staff_required
@submit_once
@require_POST
def audience_invite(request: HttpRequest, slug: str) -> HttpResponse:
    audience = get_object_or_404(Audience, slug=slug)
    invite = InviteForm(request.POST)
    if invite.is_valid():
        try:
            invitation = service.reader_invite(
                actor=console_actor(request),
                audience=audience,
                email=invite.cleaned_data["email"],
                now=timezone.now(),
            )
        except ValidationError as error:
            apply_errors(invite, error)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("console:audience_detail", slug=audience.slug)
    return _detail(request, audience, invite=invite, status=400)


def _pk(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise Http404("no such row")
    return int(value)


@staff_required
@submit_once
@require_POST
def audience_member_revoke(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    member = get_object_or_404(
        AudienceMember.objects.select_related("reader", "audience"),
        pk=_pk(pk),
        audience__slug=slug,
    )
    service.member_revoke(actor=console_actor(request), member=member, now=timezone.now())
    who = member.reader.email or member.reader.subject
    messages.success(
        request,
        _("%(who)s may no longer read %(audience)s.")
        % {"who": who, "audience": member.audience.name},
    )
    return redirect("console:audience_detail", slug=slug)


@staff_required
@submit_once
@require_POST
def audience_invitation_revoke(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    invitation = get_object_or_404(
        ReaderInvitation.objects.select_related("audience"), pk=_pk(pk), audience__slug=slug
    )
    service.invitation_revoke(
        actor=console_actor(request), invitation=invitation, now=timezone.now()
    )
    messages.success(
        request, _("The invitation of %(email)s is revoked.") % {"email": invitation.email}
    )
    return redirect("console:audience_detail", slug=slug)
