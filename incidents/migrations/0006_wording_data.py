"""Roles, write-once guards on PostgreSQL, and the default wording policy (README lists it)."""

from django.db import migrations

WRITE_ONCE_TABLES = [
    "incidents_templateversion",
    "incidents_customtextrequest",
    "incidents_approval",
    "incidents_wordingrule",
]
FUNCTION = """
CREATE OR REPLACE FUNCTION candor_write_once() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows are write-once';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER {table}_write_once BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION candor_write_once();
"""

PERMISSIONS = {
    "post_updates": "Open incidents, post updates, run maintenance",
    "manage_components": "Create and edit components and groups",
    "write_templates": "Write message templates",
    "approve_wording": "Approve templates and custom text",
    "override_wording": "Publish unapproved text in an emergency",
    "manage_policy": "Edit the wording policy",
    "manage_roles": "Assign roles to staff",
}
ROLES = {
    "Responder": ["post_updates", "manage_components"],
    "Communicator": ["post_updates", "write_templates"],
    "Approver (legal)": ["approve_wording"],
    "Approver (support)": ["approve_wording"],
    "Admin": [
        "post_updates",
        "manage_components",
        "write_templates",
        "override_wording",
        "manage_policy",
        "manage_roles",
    ],
}

B = r"(?<![^\W_])"  # a word starts here (over folded text)
E = r"(?![^\W_])"  # a word ends here
VENDORS = (
    r"aws|amazon(?: web services)?|azure|microsoft|google(?: cloud)?|gcp|cloudflare|akamai"
    r"|fastly|twilio|stripe|github|datadog|digitalocean|hetzner|ovh"
)
RULES = [
    # key, kind, pattern, element, limit, channel, scope, reason
    ("marketing-speak", "banned_phrase",
     "seamless\nseamlessly\nbest-in-class\nworld-class\nindustry-leading\ncutting-edge"
     "\nstate-of-the-art\nrobust and reliable\nnext-generation",
     "", None, "all", "all",
     "Marketing language has no place in an incident update: say plainly what happened "
     "and what it means for the reader."),
    ("promise-no-data-loss", "banned_phrase",
     "no data was lost\nno data loss\nno data has been lost\ndata is safe\nyour data is safe",
     "", None, "all", "all",
     "An unapproved promise about data: only an approved template may say data is safe. "
     "Say what you know has been checked."),
    ("promise-guarantee", "banned_phrase",
     "guarantee\nguaranteed\nguarantees\nwe promise\n100% uptime",
     "", None, "all", "all",
     "Guarantees and promises need legal approval: describe what we are doing instead."),
    ("promise-never-again", "banned_phrase",
     "will never happen again\nwon't happen again\nwill not happen again\nnever again",
     "", None, "all", "all",
     "Nobody can promise it never happens again: say what we are changing."),
    ("vendor-blame", "banned_pattern",
     rf"{B}(?:due to|caused by|because of|blame[sd]?|fault of|failure (?:at|of)|outage (?:at|of))"
     rf"{E}[^.\n]{{0,30}}?{B}(?:{VENDORS}){E}",
     "", None, "all", "all",
     "Blames a named vendor: we own our availability. Describe the effect, not whose fault "
     "it was."),
    ("speculation-before-identified", "banned_pattern",
     rf"{B}(?:root cause|(?:caused|triggered) by|(?:probably|likely|possibly|apparently"
     rf"|we (?:think|believe|suspect))[^.\n]{{0,40}}?(?:caused|due to|because)){E}",
     "", None, "all", "before_identified",
     "Speculates about the cause while we are still investigating: say what is affected "
     "and that we are investigating."),
    ("next-update-time", "required_element", "", "next_update", None, "all", "open_incident",
     "Every update before resolution says when the next one comes, e.g. “Next update by "
     "15:00 UTC” or “next update within 30 minutes”."),
    ("status-url", "required_element", "", "status_url", None, "email_sms", "all",
     "Email and SMS carry the status page address, so readers can follow along."),
    ("length-web", "max_chars", "", "", 2000, "web", "all",
     "Public updates stay short: at most 2000 characters."),
    ("length-email", "max_chars", "", "", 5000, "email", "all",
     "Emails stay short: at most 5000 characters."),
    ("length-sms", "max_sms_segments", "", "", 2, "sms", "all",
     "At most 2 SMS segments: longer messages cost more and may arrive split."),
]  # fmt: skip


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        for table in WRITE_ONCE_TABLES:
            schema_editor.execute(TRIGGER.format(table=table))
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="incidents", model="staffrole")
    permissions = {
        code: Permission.objects.get_or_create(
            content_type=content_type, codename=code, defaults={"name": name}
        )[0]
        for code, name in PERMISSIONS.items()
    }
    for role, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*(permissions[code] for code in codes))
    WordingRule = apps.get_model("incidents", "WordingRule")
    from django.utils import timezone

    now = timezone.now()
    WordingRule.objects.bulk_create(
        WordingRule(
            key=key, version=1, kind=kind, pattern=pattern, element=element, limit=limit,
            channel=channel, scope=scope, reason=reason, active=True, created_at=now,
        )
        for key, kind, pattern, element, limit, channel, scope, reason in RULES
    )  # fmt: skip


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in WRITE_ONCE_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_write_once ON {table};")
        schema_editor.execute("DROP FUNCTION IF EXISTS candor_write_once();")
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_wording"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, backward)]
