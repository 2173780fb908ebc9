from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from twilio.request_validator import RequestValidator

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Incident
from incidents.post_in import credentials
from incidents.post_in.credentials import Issued
from incidents.wording.default_templates import default_templates_install
from tests.conftest import staff_user
from tests.factories import ComponentFactory, promised

TWILIO_TOKEN = "twilio-test-auth-token"
PHONE = "+14155550123"
ADDRESS = "olga@ops.example.com"


@pytest.fixture
def approved_templates(admin: User, legal: User, support: User) -> None:
    default_templates_install(
        author=Actor.staff(admin, channel="console"),
        approvers=[Actor.staff(legal, channel="console"), Actor.staff(support, channel="console")],
    )


@pytest.fixture
def incident(actor: Actor) -> Incident:
    checkout = ComponentFactory(name="Checkout")
    return lifecycle.incident_open(
        actor=actor,
        name="Checkout errors",
        body=promised("We are investigating failed payments."),
        components={checkout: "major_outage"},
    )


@pytest.fixture
def olga(db: None, admin: User, approved_templates: None) -> Issued:
    user = staff_user("olga", "Responder")
    return credentials.register(
        actor=Actor.staff(admin, channel="console"), user=user, phone=PHONE, email=ADDRESS
    )


@pytest.fixture
def twilio_signed(settings: Any) -> Any:
    settings.CANDOR_TWILIO_AUTH_TOKEN = TWILIO_TOKEN

    def post(client: Any, params: dict[str, str]) -> Any:
        path = "/notify/twilio/inbound"
        url = settings.CANDOR_APP_URL + path
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)

    return post
