"""Each role may do what it is for, and the server refuses the rest, in console and API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import roles, wording
from incidents.audit import Actor
from incidents.console.forms.wording import RuleForm
from incidents.models import AuditEvent, Incident
from incidents.wording import approvals
from tests.conftest import staff_user
from tests.factories import promised

pytestmark = pytest.mark.django_db

OPEN = {"name": "Outage", "impact": "major", "status": "investigating", "body": "Down."}
RULE = {
    "key": "hype", "kind": "banned_phrase", "pattern": "amazing", "channel": "all",
    "scope": "all", "reason": "Hype.", "active": "on",
}  # fmt: skip


def _after_dry_run(data: dict[str, str]) -> dict[str, str]:
    """Saving a rule, as after its dry run (the form carries the digest of what it ran)."""
    form = RuleForm(data)
    assert form.is_valid()
    return {**data, "save": "1", "previewed": form.digest()}


SAVE_RULE = _after_dry_run(RULE)
TEMPLATE = {"name": "Short", "phase": "resolved", "channel": "web", "body": "All is well."}


def _console(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# (role, may open incidents, may write templates, may edit the policy, may set roles)
MATRIX = [
    (roles.RESPONDER, True, False, False, False),
    (roles.COMMUNICATOR, True, True, False, False),
    (roles.APPROVER_LEGAL, False, False, False, False),
    (roles.APPROVER_SUPPORT, False, False, False, False),
    (roles.ADMIN, True, True, True, True),
    (None, False, False, False, False),  # staff with no role yet
]


@pytest.mark.parametrize(("role", "incidents", "templates", "policy", "staff"), MATRIX)
def test_console_writes_by_role(
    role: str | None, incidents: bool, templates: bool, policy: bool, staff: bool
) -> None:
    user = staff_user("pat", *([role] if role else []))
    other = staff_user("quinn")
    console = _console(user)

    def status(name: str, data: dict[str, str], *args: str) -> int:
        return console.post(reverse(f"console:{name}", args=args), data).status_code

    assert status("incident_new", OPEN | {"body": promised(OPEN["body"])}) == (
        302 if incidents else 403
    )
    assert status("templates", TEMPLATE) == (302 if templates else 403)
    assert status("policy", SAVE_RULE) == (302 if policy else 403)
    roles_data = {f"u{other.pk}-roles": roles.RESPONDER}
    assert status("staff_roles", roles_data, other.username) == (302 if staff else 403)
    # Every page still reads for every staff member.
    for page in ("dashboard", "approvals", "templates", "policy", "staff", "incident_list"):
        assert console.get(reverse(f"console:{page}")).status_code == 200, page


@pytest.mark.parametrize(
    ("role", "approves"),
    [(roles.APPROVER_LEGAL, True), (roles.APPROVER_SUPPORT, True), (roles.RESPONDER, False),
     (roles.ADMIN, False)],
)  # fmt: skip
def test_only_approvers_approve_in_the_console(role: str, approves: bool) -> None:
    author = staff_user("cole", roles.RESPONDER)
    custom = approvals.custom_text_request(
        actor=Actor.staff(author, channel="console"), body="Fine again.", phase="resolved"
    )
    response = _console(staff_user("pat", role)).post(
        reverse("console:approvals"), {"custom_text": custom.public_id}
    )

    assert response.status_code == (302 if approves else 403)
    assert approvals.custom_text_approved(custom) is approves


@pytest.mark.parametrize(
    ("role", "writes"),
    [(roles.RESPONDER, True), (roles.COMMUNICATOR, True), (roles.ADMIN, True),
     (roles.APPROVER_LEGAL, False), (None, False)],
)  # fmt: skip
def test_api_writes_by_role(role: str | None, writes: bool) -> None:
    api = _api(staff_user("pat", *([role] if role else [])))

    opened = api.post("/api/staff/incidents/", {"name": "X", "body": promised("x")}, format="json")
    listed = api.get("/api/staff/incidents/")

    assert opened.status_code == (201 if writes else 403), opened.content
    assert listed.status_code == 200
    assert Incident.objects.exists() is writes


def test_components_are_managed_by_responders_and_admins_only() -> None:
    for role, allowed in [(roles.RESPONDER, True), (roles.COMMUNICATOR, False)]:
        api = _api(staff_user(f"pat-{role[:4].lower()}", role))
        response = api.post("/api/staff/components/", {"name": f"CDN {role}"}, format="json")
        assert response.status_code == (201 if allowed else 403)


def test_an_admin_assigns_roles_and_the_audit_log_says_so(admin: User) -> None:
    pat = staff_user("pat")
    response = _console(admin).post(
        reverse("console:staff_roles", args=[pat.username]),
        {f"u{pat.pk}-roles": [roles.APPROVER_LEGAL, roles.COMMUNICATOR]},
    )

    assert response.status_code == 302
    assert sorted(pat.groups.values_list("name", flat=True)) == [
        roles.APPROVER_LEGAL,
        roles.COMMUNICATOR,
    ]
    assert AuditEvent.objects.filter(action="staff.roles_set", actor_label="ada").exists()


def test_the_policy_page_lists_every_rule_in_force(responder: User) -> None:
    html = _console(responder).get(reverse("console:policy")).content.decode()
    rules = wording.current_rules()
    assert len(rules) >= 10
    for rule in rules:
        assert rule.key in html
