"""Subscribing on the public site, and the callbacks providers make about subscribers.

The subscribe page itself is an ordinary cached public page with no per-visitor content.
The forms post without a CSRF token on purpose: no cookie or session authenticates them
(the page may be served from a static snapshot, where a token cannot live). What
protects them is what they need to act: double opt-in for subscribing, the signed link
or one-time secret for everything else, and rate limits.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from incidents import selectors
from incidents.audiences.viewer import Viewer, current_viewer, viewer_for, viewing
from incidents.audiences.visibility import incidents_visible
from incidents.client_address import client_address
from incidents.models import (
    Audience,
    Component,
    Incident,
    Subscriber,
    SubscriberChannel,
    SubscriberState,
)
from incidents.notify import follow, inbound, links, outbox, subscriptions
from incidents.notify.channels import channels_all
from incidents.notify.channels.chat import ChatChannel
from incidents.notify.channels.webhook import webhook_secret_rotate
from incidents.notify.transports.twilio import signature_valid
from incidents.post_in.sms import sms_post_reply
from incidents.public.language import sign_up_language
from incidents.public.views import _serve, render_page
from incidents.selectors import public_components


def _channel_choices() -> list[tuple[str, str]]:
    return [(c.name, c.label) for c in channels_all().values()]


def _chats() -> list[tuple[str, str]]:
    """The chat channels in CANDOR_CHANNELS, for the form's radio buttons."""
    return [(c.name, c.label) for c in channels_all().values() if isinstance(c, ChatChannel)]


class SubscribeForm(forms.Form):
    channel = forms.ChoiceField(choices=_channel_choices, widget=forms.RadioSelect)
    destination = forms.CharField(max_length=500, strip=True)
    scope = forms.ChoiceField(choices=[("all", "All components"), ("some", "Only these")])
    components = forms.MultipleChoiceField(required=False, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        components = self.fields["components"]
        assert isinstance(components, forms.MultipleChoiceField)
        components.choices = [
            (c.public_id, c.name) for c in public_components().order_by("position", "name")
        ]

    def component_ids(self) -> list[int] | None:
        if self.cleaned_data["scope"] == "all":
            return None
        wanted = self.cleaned_data["components"]
        return list(public_components().filter(public_id__in=wanted).values_list("pk", flat=True))


def _private(response: HttpResponse) -> HttpResponse:
    """Answers about one subscriber are never stored by a browser cache or a proxy."""
    response["Cache-Control"] = "no-store"
    return response


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    rendered = render_page(request, template, {"nav": "subscribe", **context}, status=status)
    return _private(HttpResponse(rendered.body, content_type=rendered.content_type, status=status))


# A subscribe answer takes at least this long: a new destination costs a row and a
# queued message, a confirmed one nothing, and the difference must not be measurable.
# Past the rate limits (10 an hour per address) this costs little.
ANSWER_FLOOR_SECONDS = 0.2


def _wait_out(started: float) -> None:
    time.sleep(max(0.0, started + ANSWER_FLOOR_SECONDS - time.monotonic()))


def _components() -> list[Component]:
    return list(public_components().order_by("position", "name"))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _serve(
            request,
            lambda: render_page(
                request,
                "public/subscribe.html",
                {
                    "components": _components(),
                    "sms": settings.CANDOR_SMS_ENABLED,
                    "chats": _chats(),
                    "nav": "subscribe",
                    "reader_audiences": _reader_audiences(current_viewer()),
                },
            ),
        )
    # A reader of audiences subscribes as one: their components, and the audience's words
    # if they choose it (the subscriber row carries it; notify/outbox.py reads it).
    viewer = viewer_for(request)
    with viewing(viewer):
        return _subscribe_post(request, viewer)


def _reader_audiences(viewer: Viewer) -> list[Audience]:
    return list(Audience.objects.filter(pk__in=viewer.audience_ids).order_by("name"))


def _subscribe_post(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    started = time.monotonic()
    form = SubscribeForm(request.POST)
    readers = _reader_audiences(viewer)
    context: dict[str, Any] = {
        "components": _components(),
        "sms": settings.CANDOR_SMS_ENABLED,
        "chats": _chats(),
        "reader_audiences": readers,
    }
    wanted = request.POST.get("audience", "")
    audience = next((a for a in readers if a.slug == wanted), None)
    if wanted and audience is None:  # not theirs (or no longer): refused, never public
        return _page(
            request,
            "public/subscribe.html",
            {**context, "form": form, "limited": _("You do not read as that audience.")},
            status=400,
        )
    if not form.is_valid():
        return _page(request, "public/subscribe.html", {**context, "form": form}, status=400)
    try:
        outcome = subscriptions.subscriber_subscribe(
            channel=form.cleaned_data["channel"],
            destination=form.cleaned_data["destination"],
            component_ids=form.component_ids(),
            ip=client_address(request),
            language=sign_up_language(request),
            audience=audience,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return _page(request, "public/subscribe.html", {**context, "form": form}, status=400)
    except subscriptions.RateLimited as exc:
        response = _page(
            request, "public/subscribe.html", {**context, "limited": str(exc)}, status=429
        )
        response["Retry-After"] = "3600"
        return response
    subscriber = outcome.subscriber
    _wait_out(started)
    # Every number goes to the code page, subscribed already or not: answering a
    # confirmed number differently would tell a stranger who subscribes.
    if subscriber.channel == SubscriberChannel.SMS:
        return redirect("public:subscription_verify", public_id=subscriber.public_id)
    return _page(
        request,
        "public/subscribe_sent.html",
        {"channel": subscriber.channel, "chat": subscriber.channel in dict(_chats())},
    )


class FollowForm(forms.Form):
    email = forms.CharField(max_length=500, strip=True)


def _no_such_incident() -> HttpResponse:
    return _private(HttpResponse("No such incident.", status=404, content_type="text/plain"))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def incident_follow(request: HttpRequest, public_id: str) -> HttpResponse:
    """Follow one incident by email (no token: see this module's note). GET shows the form,
    which the incident page links to; the static copy renders it without one."""
    if request.method == "GET":
        # The selector's view: the snapshot renders every open incident's page from one query.
        shown = selectors.incident_detail(public_id)
        if shown is None:
            return _no_such_incident()
        return _page(request, "public/follow.html", {"incident": shown, "form": FollowForm()})
    # A follower is a public subscriber: an incident limited to audiences is not theirs.
    incident = incidents_visible(
        Incident.objects.filter(public_id=public_id), Viewer.PUBLIC
    ).first()
    if incident is None:
        return _no_such_incident()
    started = time.monotonic()
    form = FollowForm(request.POST)
    context: dict[str, Any] = {"incident": incident}
    if not form.is_valid():
        return _page(request, "public/follow.html", {**context, "form": form}, status=400)
    try:
        follow.incident_follow(
            incident=incident,
            email=form.cleaned_data["email"],
            ip=client_address(request),
            language=sign_up_language(request),
        )
    except ValidationError as exc:
        for messages in exc.message_dict.values():
            for message in messages:
                form.add_error("email", message)
        return _page(request, "public/follow.html", {**context, "form": form}, status=400)
    except subscriptions.RateLimited as exc:
        response = _page(
            request, "public/follow.html", {**context, "limited": str(exc)}, status=429
        )
        response["Retry-After"] = "3600"
        return response
    _wait_out(started)
    return _page(request, "public/follow.html", {**context, "sent": True})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners follow links, and must not confirm for you.
    if request.method == "GET":
        return _page(request, "public/subscription_confirm.html", {"token": token})
    subscriber = subscriptions.subscriber_confirm(secret=token)
    if subscriber is None:
        return _page(request, "public/subscription_invalid.html", {}, status=410)
    return redirect("public:subscription", token=links.subscriber_token(subscriber.public_id))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, public_id: str) -> HttpResponse:
    # Any state: a confirmed number's page looks the same, and refuses every code
    # (subscriber_confirm only confirms a pending one) with the same words.
    subscriber = Subscriber.objects.filter(
        public_id=public_id, channel=SubscriberChannel.SMS
    ).first()
    if subscriber is None:
        return _page(request, "public/subscription_invalid.html", {}, status=410)
    if request.method == "GET":
        return _page(request, "public/subscription_verify.html", {"public_id": public_id})
    code = request.POST.get("code", "").strip()
    confirmed = subscriptions.subscriber_confirm(secret=code, subscriber=subscriber)
    if confirmed is None:
        return _page(
            request,
            "public/subscription_verify.html",
            {"public_id": public_id, "error": "That code is wrong or has expired."},
            status=400,
        )
    return redirect("public:subscription", token=links.subscriber_token(confirmed.public_id))


def _from_token(token: str) -> Subscriber | None:
    public_id = links.subscriber_from_token(token)
    return Subscriber.objects.filter(public_id=public_id).first() if public_id else None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _from_token(token)
    if subscriber is None:
        return _page(request, "public/subscription_invalid.html", {}, status=404)
    error = ""
    if request.method == "POST" and request.POST.get("form") == "phrase":
        try:
            subscriptions.subscriber_phrase_set(
                subscriber=subscriber, phrase=request.POST.get("phrase", "")
            )
            return redirect("public:subscription", token=token)
        except ValidationError as exc:
            error = exc.messages[0]
    elif request.method == "POST" and subscriber.incident_id is not None:
        error = "A follower of one incident has no components to choose."
    elif request.method == "POST":
        if request.POST.get("scope") == "all":
            ids = None
        else:
            wanted = request.POST.getlist("components")
            ids = list(
                public_components().filter(public_id__in=wanted).values_list("pk", flat=True)
            )
        try:
            subscriptions.subscriber_components_set(subscriber=subscriber, component_ids=ids)
            return redirect("public:subscription", token=token)
        except ValidationError as exc:
            error = exc.messages[0]
    chosen = set(subscriber.components.values_list("public_id", flat=True))
    context = {
        "subscriber": subscriber,
        "components": _components(),
        "chosen": chosen,
        "token": token,
        "error": error,
        "confirmed": subscriber.state == SubscriberState.CONFIRMED,
    }
    return _page(request, "public/subscription.html", context, status=400 if error else 200)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: a POST with List-Unsubscribe=One-Click unsubscribes, with nothing else."""
    subscriber = _from_token(token)
    if subscriber is None:
        return _page(request, "public/subscription_invalid.html", {}, status=404)
    if request.method == "GET":
        return _page(request, "public/unsubscribe.html", {"token": token, "done": False})
    subscriptions.subscriber_unsubscribe(subscriber=subscriber)
    return _page(request, "public/unsubscribe.html", {"token": token, "done": True})


@csrf_exempt
@require_POST
def webhook_secret(request: HttpRequest, token: str) -> HttpResponse:
    """Rotate a webhook's signing secret with the signed manage link; shown this once."""
    subscriber = _from_token(token)
    if subscriber is None or subscriber.channel != SubscriberChannel.WEBHOOK:
        return _page(request, "public/subscription_invalid.html", {}, status=404)
    if subscriber.state != SubscriberState.CONFIRMED:
        return _page(request, "public/subscription_invalid.html", {}, status=410)
    secret = webhook_secret_rotate(subscriber=subscriber)
    return _page(
        request,
        "public/webhook_secret.html",
        {"subscriber": subscriber, "secret": secret, "token": token},
    )


# -- Twilio callbacks ---------------------------------------------------------------------


def _twilio_signed(request: HttpRequest) -> bool:
    """X-Twilio-Signature over the URL Twilio called (on the app's URL) and the form."""
    url = links.app_absolute(request.get_full_path())
    params = {key: request.POST.get(key) or "" for key in request.POST}
    return signature_valid(url, params, request.headers.get("X-Twilio-Signature", ""))


def _twiml(text: str) -> HttpResponse:
    from xml.sax.saxutils import escape

    message = f"<Message>{escape(text)}</Message>" if text else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
    return _private(HttpResponse(body, content_type="application/xml"))


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not _twilio_signed(request):
        return HttpResponseForbidden("Bad signature")
    sender, body = request.POST.get("From", ""), request.POST.get("Body", "")
    # Staff post an approved update from their phone ("UPDATE <incident> <status> <PIN>")...
    posted = sms_post_reply(
        sender=sender, body=body, message_sid=request.POST.get("MessageSid", "")
    )
    if posted is not None:
        return _twiml(posted)
    # ...and answer a reminder ("ACK <code>") on the same number as subscribers write to.
    return _twiml(inbound.sms_reply(sender=sender, body=body))


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _twilio_signed(request):
        return HttpResponseForbidden("Bad signature")
    outbox.delivery_provider_status(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return _private(HttpResponse(status=204))
