"""Candor's schema as of 1.0 in one step, and what a new install needs in it.

Replaces 0001-0055: a fresh database runs this alone; one migrated with some of those
runs the rest of them, then counts as having run this (Django maps a dependency on
0055_audiences here). tests/migrations/ checks both end in the same schema and data.
CONTRIBUTING.md says when the replaced files go.

Three parts: the tables (generated from the models of 0055, nothing repeated or undone);
on PostgreSQL, the triggers that keep the audit log append-only and approved words
write-once (0002, 0006, 0032, 0051, 0054); and one data step, `initial_data`: the staff
roles with their permissions and the default wording policy, each rule in its current
form. The replaced data fixes (0011 promises for incidents already open, 0046 SMS
prefixes) are left out: a new database has no rows for them to fix.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import incidents.models.ids
import incidents.models.subscribers
from django.conf import settings
from django.db import migrations, models

# PostgreSQL refuses UPDATE and DELETE on these for everyone, raw SQL included (SQLite,
# the embedded default, relies on the services alone).
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION candor_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_auditevent_append_only
    BEFORE UPDATE OR DELETE ON incidents_auditevent
    FOR EACH ROW EXECUTE FUNCTION candor_audit_append_only();
"""
WRITE_ONCE = """
CREATE OR REPLACE FUNCTION candor_write_once() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows are write-once';
END;
$$ LANGUAGE plpgsql;
"""
WRITE_ONCE_TABLES = [
    "incidents_templateversion",
    "incidents_customtextrequest",
    "incidents_approval",
    "incidents_wordingrule",
    "incidents_rejection",
    "incidents_postmortemrevision",
    "incidents_postmortemapproval",
    "incidents_postmortemrejection",
    "incidents_templatetranslation",
    "incidents_translationapproval",
]


def triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(APPEND_ONLY)
    schema_editor.execute(WRITE_ONCE)
    for table in WRITE_ONCE_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_write_once BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION candor_write_once();"
        )


def triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WRITE_ONCE_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_write_once ON {table};")
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS incidents_auditevent_append_only ON incidents_auditevent;"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS candor_write_once();")
    schema_editor.execute("DROP FUNCTION IF EXISTS candor_audit_append_only();")


# The console's permissions (models.StaffRole.Meta) and the roles holding them
# (incidents/roles.py). Created here, not left to post_migrate, which runs only after
# every migration: too late to grant them.
PERMISSIONS = {
    "post_updates": "Open incidents, post updates, run maintenance",
    "manage_components": "Create and edit components and groups",
    "write_templates": "Write message templates",
    "approve_wording": "Approve templates and custom text",
    "override_wording": "Publish unapproved text in an emergency",
    "manage_policy": "Edit the wording policy",
    "manage_roles": "Assign roles to staff",
    "remove_sources": "Delete monitor sources",
    "manage_branding": "Set the public page's name, logo, colours and support link",
    "manage_vendors": "Add vendors whose status pages Candor polls",
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
        "remove_sources",
        "manage_branding",
        "manage_vendors",
    ],
}

# The default wording policy (the README lists it), each rule as 0035 left it.
B = r"(?<![^\W_])"  # a word starts here (over folded text)
E = r"(?![^\W_])"  # a word ends here
A = "['\u2019]"  # an apostrophe, straight or curly

VENDORS = """aws
amazon
amazon web services
azure
microsoft
google
google cloud
gcp
cloudflare
akamai
fastly
twilio
sendgrid
mailgun
stripe
paypal
adyen
github
gitlab
atlassian
datadog
pagerduty
digitalocean
hetzner
ovh
linode
heroku
vercel
netlify
oracle
ibm
salesforce
okta
auth0
zendesk
slack
mongodb
elastic
redis labs
comcast
verizon
at&t
vodafone
level 3
lumen
cogent
equinix"""

_FUTURE_NOT = (
    rf"(?:will|would|shall|can|could|does|is going to|are going to)(?:\s+not|n{A}?t|\s+never)"
    rf"|(?:won|can|shan){A}?t|cannot|(?:is|are)(?:\s+not|n{A}t)\s+going\s+to"
)
NEVER_AGAIN = (
    rf"{B}(?:(?:{_FUTURE_NOT})\s+(?:ever\s+)?(?:happen|occur|recur|reoccur|repeat itself)\w*"
    rf"|never[\s,]+(?:\w+[\s,]+){{0,2}}?(?:happen|occur|recur|reoccur|repeat|see this)\w*\s+again"
    r"|(?:fixed|solved|resolved|gone|eliminated)\s+permanently"
    r"|permanently\s+(?:fixed|solved|resolved|gone|eliminated|prevented)"
    r"|never\s+again|once\s+and\s+for\s+all|(?:fixed|solved|resolved|gone)(?:\s+\w+)?\s+for\s+good"
    r"|last\s+time\s+(?:this|that|it|you)\s+(?:will\s+)?(?:happen|see)\w*"
    rf"){E}"
)
NO_DATA_LOSS = (
    rf"{B}(?:(?:no|none\s+of\s+(?:your|the|our))\s*(?:\w+\s+){{0,2}}?data\s+"
    r"(?:was|were|has\s+been|have\s+been|is|got|had\s+been)\s+(?:\w+\s+)?"
    r"(?:lost|affected|exposed|compromised|leaked|deleted|corrupted|at\s+risk|accessed)"
    r"|(?:your|customer|all|our)?\s*data\s+(?:is|was|remains|remained|stays|stayed|has\s+remained)"
    r"\s+(?:\w+\s+)?(?:safe|secure|intact|protected|untouched|unaffected)"
    r"|no\s+(?:\w+\s+)?data\s+(?:lost|loss|affected|exposed)"
    r"|data\s+(?:was|is|were)\s+never\s+at\s+risk|(?:no|zero|without\s+(?:any\s+)?)\s*data\s+loss"
    rf"|(?:nothing|no\s+records?|no\s+files?)\s+(?:was|were|has\s+been)\s+lost){E}"
)
ABSOLUTE = (
    rf"{B}(?:(?:100|[1il]oo)\s*(?:%|percent|per\s+cent)\s+(?:fixed|resolved|secure|safe|reliable"
    r"|stable|available|operational|sure|certain|confident|guaranteed|protected|up|bulletproof"
    r"|uptime|of\s+the\s+time)"
    r"|(?:fully|completely|totally|entirely|absolutely|perfectly|permanently|100%)\s+"
    r"(?:secured?|safe|protected|immune|invulnerable|bullet-?proof|unbreakable|fixed|reliable"
    r"|risk[\s-]?free|guaranteed|foolproof|hack-?proof|resilient)"
    r"|(?:zero|no)\s+(?:risk|chance|possibility)\s+(?:of|that)|zero\s+downtime"
    r"|risk[\s-]?free|bullet[\s-]?proof|unbreakable|unhackable|invulnerable|fool[\s-]?proof"
    r"|fail[\s-]?proof|flawless(?:ly)?|impeccabl[ey]"
    r"|(?:fixed|secure|safe|reliable|resolved|stable|up)\s+(?:100|[1il]oo)\s*(?:%|percent)"
    r"|(?:the\s+)?most\s+(?:reliable|secure|stable|resilient|trusted|available)"
    r"|(?:the\s+)?(?:most\s+\w+|best|fastest|safest|greatest)\s+(?:\w+\s+)?"
    r"(?:in\s+the\s+(?:industry|world|market|business)|on\s+the\s+market|anywhere)"
    r"|unmatched|unparalleled|unrivall?ed|second\s+to\s+none|nothing\s+(?:can|will)\s+go\s+wrong"
    r"|(?:will|shall)\s+always\s+(?:be\s+)?(?:available|up|online|secure|safe|reliable|work)"
    r"|(?:will|can|shall)\s+never\s+(?:again\s+)?(?:fail|go\s+down|be\s+down|break|lose|crash"
    r"|be\s+(?:breached|hacked|compromised|unavailable))"
    r"|impossible\s+(?:to|for)\s+(?:\w+\s+){0,2}(?:happen|occur|recur|fail|breach|hack|lose|break)"
    rf"){E}"
)
SPECULATION = (
    rf"{B}(?:root cause|(?:caused|triggered) by|(?:probably|likely|possibly|apparently"
    rf"|we (?:think|believe|suspect))[^.\n]{{0,40}}?(?:caused|due to|because)){E}"
)

RULES = [
    # key, kind, pattern, element, limit, channel, scope, reason
    ("marketing-speak", "banned_phrase",
     "seamless\nseamlessly\nbest-in-class\nworld-class\nindustry-leading\ncutting-edge"
     "\nstate-of-the-art\nrobust and reliable\nnext-generation",
     "", None, "all", "all",
     "Marketing language has no place in an incident update: say plainly what happened "
     "and what it means for the reader."),
    ("promise-no-data-loss", "banned_pattern", NO_DATA_LOSS, "", None, "all", "all",
     "An unapproved promise about data: only an approved template may say data is safe. "
     "Say what you know has been checked."),
    ("promise-guarantee", "banned_phrase",
     "guarantee\nguaranteed\nguarantees\nguaranteeing\nwe promise\ni promise\npromise you"
     "\n100% uptime\nwe assure you\nrest assured\nyou have our word",
     "", None, "all", "all",
     "Guarantees and promises need legal approval: describe what we are doing instead."),
    ("promise-never-again", "banned_pattern", NEVER_AGAIN, "", None, "all", "all",
     "Nobody can promise it never happens again: say what we are changing."),
    ("vendor-blame", "vendor_blame", VENDORS, "", None, "all", "all",
     "Blames a named vendor: we own our availability. Describe the effect, not whose fault "
     "it was."),
    ("speculation-before-identified", "banned_pattern", SPECULATION,
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
    ("foreign-links", "allowed_links", "", "", None, "all", "all",
     "Links only to our own status page (or a host the policy allows): a link elsewhere in a "
     "notice is what phishing during an outage looks like."),
    ("absolute-claims", "banned_pattern", ABSOLUTE, "", None, "all", "all",
     "Absolute claims and superlatives (“100% fixed”, “fully secure”, “the most reliable”) "
     "are promises nobody can keep: say what was done and what we see now."),
]  # fmt: skip


def initial_data(apps, schema_editor):
    """The roles and the default wording policy. Also what tests/conftest.py writes again
    into each transactional test's emptied tables."""
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
    rules_create(apps.get_model("incidents", "WordingRule"))


def rules_create(WordingRule):
    """Version 1 of each default rule (a database that ran the replaced migrations has
    some at version 2: the same words)."""
    from django.utils import timezone

    now = timezone.now()
    WordingRule.objects.bulk_create(
        WordingRule(
            key=key, version=1, kind=kind, pattern=pattern, element=element, limit=limit,
            channel=channel, scope=scope, reason=reason, active=True, created_at=now,
        )
        for key, kind, pattern, element, limit, channel, scope, reason in RULES
    )  # fmt: skip


def initial_data_remove(apps, schema_editor):
    # The rules' table goes with the tables; the groups are auth's.
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="incidents", codename__in=PERMISSIONS
    ).delete()


class Migration(migrations.Migration):

    replaces = [
        ('incidents', '0001_initial'),
        ('incidents', '0002_audit_append_only'),
        ('incidents', '0003_idempotency_keys'),
        ('incidents', '0004_publish_state'),
        ('incidents', '0005_wording'),
        ('incidents', '0006_wording_data'),
        ('incidents', '0010_cadence'),
        ('incidents', '0011_cadence_open_incidents'),
        ('incidents', '0012_audit_actions_cadence_and_wording'),
        ('incidents', '0020_ingest'),
        ('incidents', '0021_audit_actions_ingest'),
        ('incidents', '0030_notify_subscribers'),
        ('incidents', '0031_audit_actions_notify'),
        ('incidents', '0032_rejection_and_source_removal'),
        ('incidents', '0033_audit_actions_console'),
        ('incidents', '0034_chansec_contact_sms_stopped'),
        ('incidents', '0035_wording_policy_v2'),
        ('incidents', '0036_approve_approver_notices'),
        ('incidents', '0037_branding_page_branding'),
        ('incidents', '0038_channels_registry'),
        ('incidents', '0039_incremental_site_changes'),
        ('incidents', '0040_dependencies'),
        ('incidents', '0041_maintenance_that_behaves'),
        ('incidents', '0042_forecast_costcap_follow'),
        ('incidents', '0043_vendors'),
        ('incidents', '0044_reminder_redundant_indexes'),
        ('incidents', '0045_audit_action_checked_in_code'),
        ('incidents', '0046_sms_subscriber_prefixes'),
        ('incidents', '0047_statuspage_import'),
        ('incidents', '0048_post_in'),
        ('incidents', '0049_reliability_report'),
        ('incidents', '0050_signed_notices'),
        ('incidents', '0051_postmortems'),
        ('incidents', '0052_sso_identity'),
        ('incidents', '0053_subscriber_language'),
        ('incidents', '0054_translations'),
        ('incidents', '0055_audiences'),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The roles' groups and permissions are seeded below.
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='StaffRole',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ],
            options={
                'permissions': [('post_updates', 'Open incidents, post updates, run maintenance'), ('manage_components', 'Create and edit components and groups'), ('write_templates', 'Write message templates'), ('approve_wording', 'Approve templates and custom text'), ('override_wording', 'Publish unapproved text in an emergency'), ('manage_policy', 'Edit the wording policy'), ('manage_roles', 'Assign roles to staff'), ('remove_sources', 'Delete monitor sources'), ('manage_branding', "Set the public page's name, logo, colours and support link"), ('manage_vendors', 'Add vendors whose status pages Candor polls')],
                'managed': False,
                'default_permissions': (),
            },
        ),
        migrations.CreateModel(
            name='Audience',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.CharField(max_length=63, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9-]{0,62}$', 'Lower-case letters, digits and hyphens.')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('oidc_groups', models.JSONField(blank=True, default=list)),
                ('ip_allowlist', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='ComponentGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('position', models.PositiveIntegerField(default=0)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['position', 'name'],
            },
        ),
        migrations.CreateModel(
            name='ImportRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('page_id', models.CharField(max_length=64)),
                ('base_url', models.CharField(max_length=300)),
                ('api_key', models.CharField(blank=True, max_length=200)),
                ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed (run it again to resume)')], default='queued', max_length=8)),
                ('started_by', models.CharField(max_length=150)),
                ('checkpoint', models.JSONField(blank=True, default=dict)),
                ('counts', models.JSONField(blank=True, default=dict)),
                ('problems', models.JSONField(blank=True, default=list)),
                ('error', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='PublishTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, unique=True)),
                ('last_version', models.BigIntegerField(blank=True, null=True)),
                ('last_published_at', models.DateTimeField(blank=True, null=True)),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.TextField(blank=True)),
                ('behind_since', models.DateTimeField(blank=True, null=True)),
                ('stale_alerted_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='SigningKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key_id', models.CharField(max_length=16, unique=True)),
                ('public_key', models.CharField(max_length=64)),
                ('valid_from', models.DateTimeField()),
                ('valid_until', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['valid_from', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='SiteChange',
            fields=[
                ('version', models.BigIntegerField(primary_key=True, serialize=False)),
                ('incidents', models.JSONField(blank=True, default=list)),
                ('maintenance', models.JSONField(blank=True, default=list)),
                ('everything', models.BooleanField(default=False)),
                ('at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='Source',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.SlugField(unique=True)),
                ('format', models.CharField(choices=[('alertmanager', 'Prometheus Alertmanager (webhook v4)'), ('grafana', 'Grafana alerting (webhook contact point)'), ('generic', 'Generic JSON (scripts, curl)')], max_length=16)),
                ('token_hash', models.CharField(max_length=64)),
                ('signing_secret', models.CharField(blank=True, max_length=128)),
                ('can_propose', models.BooleanField(default=True)),
                ('can_set_status', models.BooleanField(default=False)),
                ('can_open', models.BooleanField(default=False)),
                ('during_maintenance', models.CharField(choices=[('record', 'Record as during maintenance'), ('mute', 'Mute')], default='record', max_length=8)),
                ('rate_per_second', models.PositiveIntegerField(default=200)),
                ('burst', models.PositiveIntegerField(default=1000)),
                ('hold_seconds', models.PositiveIntegerField(default=60)),
                ('hold_count', models.PositiveIntegerField(default=3)),
                ('recover_seconds', models.PositiveIntegerField(default=300)),
                ('flap_changes', models.PositiveIntegerField(default=4)),
                ('flap_window_seconds', models.PositiveIntegerField(default=600)),
                ('created_at', models.DateTimeField()),
                ('token_rotated_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('actor_label', models.CharField(max_length=150)),
                ('channel', models.CharField(max_length=16)),
                ('action', models.CharField(max_length=48)),
                ('target_type', models.CharField(max_length=32)),
                ('target_id', models.CharField(max_length=32)),
                ('summary', models.CharField(max_length=300)),
                ('data', models.JSONField(blank=True, default=dict)),
                ('ip', models.GenericIPAddressField(blank=True, null=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Branding',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('site_name', models.CharField(blank=True, max_length=100)),
                ('accent_light', models.CharField(blank=True, max_length=7)),
                ('accent_dark', models.CharField(blank=True, max_length=7)),
                ('support_url', models.CharField(blank=True, max_length=500)),
                ('logo', models.BinaryField(blank=True, null=True)),
                ('logo_width', models.PositiveIntegerField(default=0)),
                ('logo_height', models.PositiveIntegerField(default=0)),
                ('favicon', models.BinaryField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='branding_singleton')],
            },
        ),
        migrations.CreateModel(
            name='CadencePolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('impact', models.CharField(choices=[('none', 'None'), ('minor', 'Minor'), ('major', 'Major'), ('critical', 'Critical')], max_length=16, unique=True)),
                ('first_minutes', models.PositiveIntegerField()),
                ('then_minutes', models.PositiveIntegerField()),
                ('every_minutes', models.PositiveIntegerField()),
                ('updated_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['impact'],
                'constraints': [models.CheckConstraint(condition=models.Q(('first_minutes__gte', 1), ('first_minutes__lte', 1440), ('then_minutes__gte', 1), ('then_minutes__lte', 1440), ('every_minutes__gte', 1), ('every_minutes__lte', 1440)), name='cadence_policy_intervals_in_range')],
            },
        ),
        migrations.CreateModel(
            name='Component',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('position', models.PositiveIntegerField(default=0)),
                ('manual_status', models.CharField(choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], default='operational', max_length=32)),
                ('status', models.CharField(choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], default='operational', max_length=32)),
                ('showcase', models.BooleanField(default=True)),
                ('only_show_if_degraded', models.BooleanField(default=False)),
                ('start_date', models.DateField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('audiences', models.ManyToManyField(blank=True, related_name='components', to='incidents.audience')),
                ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='components', to='incidents.componentgroup')),
            ],
            options={
                'ordering': ['position', 'name'],
            },
        ),
        migrations.CreateModel(
            name='ComponentSignalState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], default='operational', max_length=32)),
                ('changed_at', models.DateTimeField(blank=True, null=True)),
                ('status_set', models.CharField(blank=True, choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], max_length=32)),
                ('component', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.component')),
            ],
        ),
        migrations.CreateModel(
            name='ImportedObject',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('page_id', models.CharField(max_length=64)),
                ('kind', models.CharField(max_length=24)),
                ('source_id', models.CharField(max_length=64)),
                ('target_id', models.BigIntegerField()),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('page_id', 'kind', 'source_id'), name='imported_object_unique')],
            },
        ),
        migrations.CreateModel(
            name='InboundPoster',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone', models.CharField(blank=True, max_length=16)),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('pin_hash', models.CharField(blank=True, max_length=128)),
                ('secret_hash', models.CharField(blank=True, max_length=128)),
                ('created_at', models.DateTimeField()),
                ('last_posted_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='inbound_poster', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['user__username'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('phone', ''), _negated=True), fields=('phone',), name='poster_phone'), models.UniqueConstraint(condition=models.Q(('email', ''), _negated=True), fields=('email',), name='poster_email')],
            },
        ),
        migrations.CreateModel(
            name='InboundPost',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'Email')], max_length=8)),
                ('message_id', models.CharField(max_length=200)),
                ('sender', models.CharField(max_length=254)),
                ('outcome', models.CharField(choices=[('posted', 'Posted'), ('refused', 'Refused')], max_length=8)),
                ('reason', models.CharField(max_length=300)),
                ('update_public_id', models.CharField(blank=True, max_length=12)),
                ('at', models.DateTimeField()),
                ('poster', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='incidents.inboundposter')),
            ],
            options={
                'ordering': ['-at', '-pk'],
                'constraints': [models.UniqueConstraint(fields=('channel', 'message_id'), name='inbound_post_once')],
            },
        ),
        migrations.CreateModel(
            name='Incident',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('status', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring'), ('resolved', 'Resolved')], default='investigating', max_length=16)),
                ('impact', models.CharField(choices=[('none', 'None'), ('minor', 'Minor'), ('major', 'Major'), ('critical', 'Critical')], default='minor', max_length=16)),
                ('started_at', models.DateTimeField()),
                ('identified_at', models.DateTimeField(blank=True, null=True)),
                ('monitoring_at', models.DateTimeField(blank=True, null=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('next_update_due', models.DateTimeField(blank=True, null=True)),
                ('cadence_first_minutes', models.PositiveIntegerField(blank=True, null=True)),
                ('cadence_then_minutes', models.PositiveIntegerField(blank=True, null=True)),
                ('cadence_every_minutes', models.PositiveIntegerField(blank=True, null=True)),
                ('imported', models.BooleanField(default=False)),
                ('audiences', models.ManyToManyField(blank=True, related_name='incidents', to='incidents.audience')),
            ],
            options={
                'ordering': ['-started_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('status', 'resolved'), _negated=True), fields=['-started_at'], name='incident_unresolved')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'resolved'), ('resolved_at__isnull', False)), models.Q(models.Q(('status', 'resolved'), _negated=True), ('resolved_at__isnull', True)), _connector='OR'), name='incident_resolved_at_iff_resolved'), models.CheckConstraint(condition=models.Q(models.Q(('cadence_every_minutes__isnull', True), ('cadence_first_minutes__isnull', True), ('cadence_then_minutes__isnull', True)), models.Q(('cadence_every_minutes__isnull', False), ('cadence_first_minutes__isnull', False), ('cadence_then_minutes__isnull', False)), _connector='OR'), name='incident_cadence_override_whole')],
            },
        ),
        migrations.CreateModel(
            name='Contact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('name', models.CharField(max_length=100)),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('phone', models.CharField(blank=True, max_length=16)),
                ('sms_stopped_at', models.DateTimeField(blank=True, null=True)),
                ('on_call', models.BooleanField(default=False)),
                ('escalation_rank', models.PositiveSmallIntegerField(blank=True, null=True, unique=True)),
                ('created_at', models.DateTimeField()),
                ('incidents', models.ManyToManyField(blank=True, related_name='owners', to='incidents.incident')),
            ],
            options={
                'ordering': ['name', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('email', ''), _negated=True), models.Q(('phone', ''), _negated=True), _connector='OR'), name='contact_reachable')],
            },
        ),
        migrations.CreateModel(
            name='IncidentComponent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], max_length=32)),
                ('component', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.component')),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='affected', to='incidents.incident')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('incident', 'component'), name='incident_component_unique')],
            },
        ),
        migrations.AddField(
            model_name='incident',
            name='components',
            field=models.ManyToManyField(related_name='incidents', through='incidents.IncidentComponent', to='incidents.component'),
        ),
        migrations.CreateModel(
            name='IncidentUpdate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('body', models.TextField()),
                ('body_html', models.TextField()),
                ('affected_components', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField()),
                ('display_at', models.DateTimeField()),
                ('notify', models.CharField(choices=[('all', 'Every subscriber'), ('free_only', 'Email and chat only (no SMS)'), ('none', 'Nobody (do not notify)')], default='all', max_length=16)),
                ('status', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring'), ('resolved', 'Resolved')], max_length=16)),
                ('due_at', models.DateTimeField(blank=True, null=True)),
                ('audience', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.audience')),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='incidents.incident')),
            ],
            options={
                'ordering': ['-display_at', '-pk'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Maintenance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('status', models.CharField(choices=[('scheduled', 'Scheduled'), ('in_progress', 'In progress'), ('verifying', 'Verifying'), ('completed', 'Completed')], default='scheduled', max_length=16)),
                ('scheduled_for', models.DateTimeField()),
                ('scheduled_until', models.DateTimeField()),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('auto_start', models.BooleanField(default=True)),
                ('auto_complete', models.BooleanField(default=True)),
                ('notify_prior_minutes', models.PositiveIntegerField(blank=True, null=True)),
                ('notify_start', models.BooleanField(default=True)),
                ('notify_end', models.BooleanField(default=True)),
                ('prior_notice_due', models.DateTimeField(blank=True, null=True)),
                ('prior_notice_at', models.DateTimeField(blank=True, null=True)),
                ('next_update_due', models.DateTimeField(blank=True, null=True)),
                ('imported', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('audiences', models.ManyToManyField(blank=True, related_name='maintenances', to='incidents.audience')),
            ],
            options={
                'ordering': ['-scheduled_for', '-pk'],
                'indexes': [models.Index(condition=models.Q(('status', 'completed'), _negated=True), fields=['scheduled_for'], name='maintenance_not_completed')],
                'constraints': [models.CheckConstraint(condition=models.Q(('scheduled_until__gt', models.F('scheduled_for'))), name='maintenance_window_positive'), models.CheckConstraint(condition=models.Q(('notify_prior_minutes__isnull', True), models.Q(('notify_prior_minutes__gte', 1), ('notify_prior_minutes__lte', 10080)), _connector='OR'), name='maintenance_prior_notice_in_range'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), ('completed_at__isnull', False)), models.Q(models.Q(('status', 'completed'), _negated=True), ('completed_at__isnull', True)), _connector='OR'), name='maintenance_completed_at_iff_completed')],
            },
        ),
        migrations.CreateModel(
            name='CustomTextRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('phase', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring'), ('resolved', 'Resolved'), ('maintenance_scheduled', 'Maintenance scheduled'), ('maintenance_started', 'Maintenance started'), ('maintenance_completed', 'Maintenance completed'), ('postmortem', 'Postmortem')], max_length=32)),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField()),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.incident')),
                ('maintenance', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.maintenance')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='MaintenanceComponent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('impact', models.CharField(choices=[('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('operational', 'No visible impact')], default='under_maintenance', max_length=24)),
                ('component', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='incidents.component')),
                ('maintenance', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='incidents.maintenance')),
            ],
            options={
                'db_table': 'incidents_maintenance_components',
                'unique_together': {('maintenance', 'component')},
            },
        ),
        migrations.AddField(
            model_name='maintenance',
            name='components',
            field=models.ManyToManyField(blank=True, related_name='maintenances', through='incidents.MaintenanceComponent', to='incidents.component'),
        ),
        migrations.CreateModel(
            name='MaintenanceUpdate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('body', models.TextField()),
                ('body_html', models.TextField()),
                ('affected_components', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField()),
                ('display_at', models.DateTimeField()),
                ('notify', models.CharField(choices=[('all', 'Every subscriber'), ('free_only', 'Email and chat only (no SMS)'), ('none', 'Nobody (do not notify)')], default='all', max_length=16)),
                ('status', models.CharField(choices=[('scheduled', 'Scheduled'), ('in_progress', 'In progress'), ('verifying', 'Verifying'), ('completed', 'Completed')], max_length=16)),
                ('reminder', models.BooleanField(default=False)),
                ('audience', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.audience')),
                ('maintenance', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='incidents.maintenance')),
            ],
            options={
                'ordering': ['-display_at', '-pk'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='MessageTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('phase', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring'), ('resolved', 'Resolved'), ('maintenance_scheduled', 'Maintenance scheduled'), ('maintenance_started', 'Maintenance started'), ('maintenance_completed', 'Maintenance completed'), ('postmortem', 'Postmortem')], max_length=32)),
                ('channel', models.CharField(choices=[('web', 'Web and email'), ('sms', 'SMS')], default='web', max_length=8)),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['phase', 'channel', 'name'],
                'constraints': [models.UniqueConstraint(fields=('name', 'phase', 'channel'), name='template_unique')],
            },
        ),
        migrations.CreateModel(
            name='OverrideReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('phase', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring'), ('resolved', 'Resolved'), ('maintenance_scheduled', 'Maintenance scheduled'), ('maintenance_started', 'Maintenance started'), ('maintenance_completed', 'Maintenance completed'), ('postmortem', 'Postmortem')], max_length=32)),
                ('body', models.TextField()),
                ('reason', models.TextField()),
                ('target_type', models.CharField(max_length=32)),
                ('target_id', models.CharField(max_length=32)),
                ('actor_label', models.CharField(max_length=150)),
                ('at', models.DateTimeField()),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('review_note', models.TextField(blank=True)),
                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('reviewed_at', None)), fields=['at'], name='override_unreviewed')],
            },
        ),
        migrations.CreateModel(
            name='Postmortem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('created_at', models.DateTimeField()),
                ('published_body', models.TextField(blank=True)),
                ('published_body_html', models.TextField(blank=True)),
                ('published_at', models.DateTimeField(blank=True, null=True)),
                ('body_last_updated_at', models.DateTimeField(blank=True, null=True)),
                ('incident', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='postmortem', to='incidents.incident')),
            ],
        ),
        migrations.CreateModel(
            name='PostmortemRevision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField()),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('postmortem', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='revisions', to='incidents.postmortem')),
            ],
            options={
                'ordering': ['postmortem', '-number'],
                'constraints': [models.UniqueConstraint(fields=('postmortem', 'number'), name='postmortem_revision_unique')],
            },
        ),
        migrations.CreateModel(
            name='PostmortemRejection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('qualifier', models.CharField(choices=[('legal', 'Legal'), ('support', 'Support')], max_length=16)),
                ('reason', models.TextField()),
                ('at', models.DateTimeField()),
                ('rejecter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('revision', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='rejection', to='incidents.postmortemrevision')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PostmortemApproval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('qualifier', models.CharField(choices=[('legal', 'Legal'), ('support', 'Support')], max_length=16)),
                ('at', models.DateTimeField()),
                ('approver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('revision', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='approvals', to='incidents.postmortemrevision')),
            ],
            options={
                'ordering': ['at', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('revision', 'approver'), name='postmortem_approval_once')],
            },
        ),
        migrations.AddField(
            model_name='postmortem',
            name='published_revision',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.postmortemrevision'),
        ),
        migrations.CreateModel(
            name='Proposal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('kind', models.CharField(choices=[('open', 'Open an incident'), ('resolve', 'Resolve an incident'), ('impact', 'Open an incident for downstream impact')], max_length=16)),
                ('state', models.CharField(choices=[('pending', 'Waiting for a responder'), ('accepted', 'Published'), ('dismissed', 'Dismissed'), ('withdrawn', 'Withdrawn (the cause recovered)')], default='pending', max_length=16)),
                ('name', models.CharField(max_length=200)),
                ('body', models.TextField()),
                ('impact', models.CharField(choices=[('none', 'None'), ('minor', 'Minor'), ('major', 'Major'), ('critical', 'Critical')], max_length=16)),
                ('components', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decided_by', models.CharField(blank=True, max_length=150)),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='incidents.incident')),
                ('source', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='incidents.source')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('kind', 'open'), ('state', 'pending')), fields=('kind',), name='proposal_one_pending_open'), models.UniqueConstraint(condition=models.Q(('kind', 'resolve'), ('state', 'pending')), fields=('incident',), name='proposal_one_pending_resolve')],
            },
        ),
        migrations.CreateModel(
            name='ImpactCause',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=32)),
                ('at', models.DateTimeField()),
                ('component', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.component')),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='causes', to='incidents.incident')),
                ('proposal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='causes', to='incidents.proposal')),
            ],
            options={
                'ordering': ['at', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('proposal__isnull', False), ('incident__isnull', False), _connector='OR'), name='impact_cause_of_something'), models.UniqueConstraint(condition=models.Q(('proposal__isnull', False)), fields=('proposal', 'component'), name='impact_cause_once_per_proposal'), models.UniqueConstraint(condition=models.Q(('incident__isnull', False)), fields=('incident', 'component'), name='impact_cause_once_per_incident')],
            },
        ),
        migrations.CreateModel(
            name='ReliabilityReportSettings',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('enabled', models.BooleanField(default=False)),
                ('show_uptime', models.BooleanField(default=True)),
                ('show_incidents', models.BooleanField(default=True)),
                ('show_first_post', models.BooleanField(default=True)),
                ('show_resolve', models.BooleanField(default=True)),
                ('show_promises', models.BooleanField(default=True)),
                ('updated_at', models.DateTimeField(blank=True, null=True)),
                ('hidden', models.ManyToManyField(blank=True, related_name='+', to='incidents.component')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='reliability_report_singleton')],
            },
        ),
        migrations.CreateModel(
            name='Reminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12)),
                ('kind', models.CharField(choices=[('update_due', 'Update due'), ('escalation', 'Update overdue: escalation'), ('maintenance_start', 'Maintenance starts'), ('maintenance_end', 'Maintenance ends'), ('maintenance_overrun', 'Maintenance overran')], max_length=24)),
                ('level', models.PositiveSmallIntegerField(default=0)),
                ('due_at', models.DateTimeField()),
                ('send_at', models.DateTimeField()),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('claimed', 'Claimed'), ('sending', 'Sending'), ('sent', 'Sent'), ('cancelled', 'Cancelled'), ('failed', 'Failed')], default='pending', max_length=16)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('recipients', models.JSONField(blank=True, default=list)),
                ('email_result', models.CharField(blank=True, max_length=200)),
                ('sms_result', models.CharField(blank=True, max_length=200)),
                ('draft', models.TextField(blank=True)),
                ('error', models.TextField(blank=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('retry_at', models.DateTimeField(blank=True, null=True)),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                ('acknowledged_by', models.CharField(blank=True, max_length=150)),
                ('created_at', models.DateTimeField()),
                ('incident', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='incidents.incident')),
                ('maintenance', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='incidents.maintenance')),
            ],
            options={
                'ordering': ['-send_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('state', 'pending')), fields=['send_at'], name='reminder_pending'), models.Index(condition=models.Q(('state', 'claimed')), fields=['claimed_at'], name='reminder_claimed')],
                'constraints': [models.CheckConstraint(condition=models.Q(('incident__isnull', True), ('maintenance__isnull', True), _connector='XOR'), name='reminder_about_one_thing'), models.UniqueConstraint(fields=('public_id',), name='reminder_public_id_unique'), models.UniqueConstraint(condition=models.Q(('incident__isnull', False)), fields=('incident', 'kind', 'due_at', 'level'), name='reminder_incident_unique'), models.UniqueConstraint(condition=models.Q(('maintenance__isnull', False)), fields=('maintenance', 'kind', 'due_at', 'level'), name='reminder_maintenance_unique')],
            },
        ),
        migrations.CreateModel(
            name='SignedNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=32)),
                ('subject_id', models.CharField(max_length=12)),
                ('notice_id', models.CharField(max_length=64)),
                ('code', models.CharField(max_length=9, unique=True)),
                ('key_id', models.CharField(max_length=16)),
                ('payload', models.TextField()),
                ('signature', models.CharField(max_length=100)),
                ('content_sha256', models.CharField(max_length=64)),
                ('published_at', models.DateTimeField()),
                ('signed_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['published_at', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'notice_id', 'content_sha256'), name='signed_notice_once')],
            },
        ),
        migrations.CreateModel(
            name='SiteVersion',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('version', models.BigIntegerField(default=0)),
                ('changed_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='site_version_singleton')],
            },
        ),
        migrations.CreateModel(
            name='SmsCostCap',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('updated_at', models.DateTimeField(blank=True, null=True)),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='sms_cost_cap_singleton')],
            },
        ),
        migrations.CreateModel(
            name='Signal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fingerprint', models.CharField(max_length=128)),
                ('status', models.CharField(choices=[('firing', 'Firing'), ('resolved', 'Resolved')], max_length=16)),
                ('name', models.CharField(max_length=200)),
                ('summary', models.CharField(blank=True, max_length=1000)),
                ('severity', models.CharField(blank=True, max_length=32)),
                ('labels', models.JSONField(default=dict)),
                ('starts_at', models.DateTimeField(blank=True, null=True)),
                ('ends_at', models.DateTimeField(blank=True, null=True)),
                ('first_received_at', models.DateTimeField()),
                ('last_received_at', models.DateTimeField()),
                ('received_count', models.PositiveIntegerField(default=1)),
                ('transitions', models.JSONField(default=list)),
                ('component_status', models.CharField(blank=True, choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], max_length=32)),
                ('routed_at', models.DateTimeField(blank=True, null=True)),
                ('flapping', models.BooleanField(default=False)),
                ('during_maintenance', models.CharField(blank=True, choices=[('record', 'Record as during maintenance'), ('mute', 'Mute')], default='', max_length=8)),
                ('component', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='incidents.component')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signals', to='incidents.source')),
            ],
            options={
                'ordering': ['-last_received_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('routed_at__isnull', True)), fields=['id'], name='signal_unrouted'), models.Index(fields=['component', 'status'], name='signal_component_status')],
                'constraints': [models.UniqueConstraint(fields=('source', 'fingerprint'), name='signal_fingerprint')],
            },
        ),
        migrations.CreateModel(
            name='RoutingRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField(default=0)),
                ('kind', models.CharField(choices=[('exact', 'Label equals'), ('regex', 'Label matches regular expression'), ('service', '`service` label names the component')], max_length=16)),
                ('label', models.CharField(blank=True, max_length=100)),
                ('pattern', models.CharField(blank=True, max_length=300)),
                ('status', models.CharField(blank=True, choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], max_length=32)),
                ('component', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.component')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rules', to='incidents.source')),
            ],
            options={
                'ordering': ['position', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind', 'service'), ('component__isnull', False), _connector='OR'), name='routing_rule_has_component')],
            },
        ),
        migrations.CreateModel(
            name='SsoIdentity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('issuer', models.CharField(max_length=255)),
                ('subject', models.CharField(max_length=255)),
                ('created_at', models.DateTimeField()),
                ('last_sign_in_at', models.DateTimeField()),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sso_identities', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('issuer', 'subject'), name='sso_identity_unique')],
            },
        ),
        migrations.CreateModel(
            name='Subscriber',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('channel', models.CharField(max_length=32)),
                ('destination', models.CharField(max_length=500)),
                ('state', models.CharField(choices=[('pending', 'Waiting for confirmation'), ('confirmed', 'Confirmed'), ('unsubscribed', 'Unsubscribed'), ('stopped', 'Stopped')], default='pending', max_length=16)),
                ('all_components', models.BooleanField(default=True)),
                ('confirmation_hash', models.CharField(blank=True, max_length=64)),
                ('confirmation_expires_at', models.DateTimeField(blank=True, null=True)),
                ('confirmation_sent_at', models.DateTimeField(blank=True, null=True)),
                ('confirmation_attempts', models.PositiveSmallIntegerField(default=0)),
                ('webhook_secret', models.CharField(blank=True, default=incidents.models.subscribers.new_webhook_secret, max_length=64)),
                ('stopped_reason', models.CharField(blank=True, max_length=300)),
                ('prefix', models.CharField(blank=True, max_length=300)),
                ('personal_phrase', models.CharField(blank=True, max_length=40)),
                ('created_at', models.DateTimeField()),
                ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                ('language', models.CharField(default='en', max_length=8)),
                ('audience', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='subscribers', to='incidents.audience')),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='followers', to='incidents.incident')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('state', 'confirmed')), fields=['channel'], name='subscriber_confirmed')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('incident__isnull', True)), fields=('channel', 'destination'), name='subscriber_channel_destination_unique'), models.UniqueConstraint(condition=models.Q(('incident__isnull', False)), fields=('channel', 'destination', 'incident'), name='subscriber_follower_unique')],
            },
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(max_length=32)),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed, will retry'), ('dead', 'Failed')], default='pending', max_length=8)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField()),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('provider_id', models.CharField(blank=True, max_length=64)),
                ('provider_status', models.CharField(blank=True, max_length=32)),
                ('created_at', models.DateTimeField()),
                ('incident_update', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='incidents.incidentupdate')),
                ('maintenance_update', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='incidents.maintenanceupdate')),
                ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='incidents.subscriber')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('state__in', ['pending', 'failed'])), fields=['channel', 'next_attempt_at'], name='delivery_due'), models.Index(condition=models.Q(('state', 'sending')), fields=['claimed_at'], name='delivery_in_flight'), models.Index(condition=models.Q(('provider_id', ''), _negated=True), fields=['provider_id'], name='delivery_provider_id')],
                'constraints': [models.CheckConstraint(condition=models.Q(('incident_update__isnull', True), ('maintenance_update__isnull', True), _connector='XOR'), name='delivery_one_update'), models.UniqueConstraint(condition=models.Q(('incident_update__isnull', False)), fields=('subscriber', 'incident_update', 'channel'), name='delivery_unique_incident_update'), models.UniqueConstraint(condition=models.Q(('maintenance_update__isnull', False)), fields=('subscriber', 'maintenance_update', 'channel'), name='delivery_unique_maintenance_update')],
            },
        ),
        migrations.CreateModel(
            name='SubscriberComponent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('component', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.component')),
                ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.subscriber')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('subscriber', 'component'), name='subscriber_component_unique')],
            },
        ),
        migrations.AddField(
            model_name='subscriber',
            name='components',
            field=models.ManyToManyField(blank=True, related_name='subscribers', through='incidents.SubscriberComponent', to='incidents.component'),
        ),
        migrations.CreateModel(
            name='TemplateVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField()),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('template', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='versions', to='incidents.messagetemplate')),
            ],
            options={
                'ordering': ['template', '-number'],
                'constraints': [models.UniqueConstraint(fields=('template', 'number'), name='template_version_unique')],
            },
        ),
        migrations.CreateModel(
            name='TemplateTranslation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(max_length=16)),
                ('number', models.PositiveIntegerField()),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField()),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='translations', to='incidents.templateversion')),
            ],
            options={
                'ordering': ['version', 'language', '-number'],
                'constraints': [models.UniqueConstraint(fields=('version', 'language', 'number'), name='template_translation_unique')],
            },
        ),
        migrations.CreateModel(
            name='Rejection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('qualifier', models.CharField(choices=[('legal', 'Legal'), ('support', 'Support')], max_length=16)),
                ('reason', models.TextField()),
                ('at', models.DateTimeField()),
                ('custom_text', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rejections', to='incidents.customtextrequest')),
                ('rejecter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('template_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rejections', to='incidents.templateversion')),
            ],
            options={
                'ordering': ['at', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('custom_text__isnull', True), ('template_version__isnull', False)), models.Q(('custom_text__isnull', False), ('template_version__isnull', True)), _connector='OR'), name='rejection_one_subject'), models.UniqueConstraint(fields=('template_version',), name='rejection_once_per_version'), models.UniqueConstraint(fields=('custom_text',), name='rejection_once_per_custom_text')],
            },
        ),
        migrations.AddField(
            model_name='postmortemrevision',
            name='template_version',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.templateversion'),
        ),
        migrations.CreateModel(
            name='ApproverNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS')], max_length=8)),
                ('to', models.CharField(max_length=254)),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('cancelled', 'Cancelled'), ('failed', 'Failed')], default='pending', max_length=16)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField()),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField()),
                ('approver', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('custom_text', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='incidents.customtextrequest')),
                ('translation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='incidents.templatetranslation')),
                ('template_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='incidents.templateversion')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('state', 'pending')), fields=['next_attempt_at'], name='approver_notice_due')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('custom_text__isnull', False), ('template_version', None), ('translation', None)), models.Q(('custom_text', None), ('template_version__isnull', False), ('translation', None)), models.Q(('custom_text', None), ('template_version', None), ('translation__isnull', False)), _connector='OR'), name='approver_notice_about_one_thing'), models.UniqueConstraint(condition=models.Q(('custom_text__isnull', False)), fields=('approver', 'custom_text', 'channel'), name='approver_notice_custom_unique'), models.UniqueConstraint(condition=models.Q(('template_version__isnull', False)), fields=('approver', 'template_version', 'channel'), name='approver_notice_version_unique'), models.UniqueConstraint(condition=models.Q(('translation__isnull', False)), fields=('approver', 'translation', 'channel'), name='approver_notice_translation_unique')],
            },
        ),
        migrations.CreateModel(
            name='Approval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('qualifier', models.CharField(choices=[('legal', 'Legal'), ('support', 'Support')], max_length=16)),
                ('at', models.DateTimeField()),
                ('approver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('custom_text', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='approvals', to='incidents.customtextrequest')),
                ('template_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='approvals', to='incidents.templateversion')),
            ],
            options={
                'ordering': ['at', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('custom_text__isnull', True), ('template_version__isnull', False)), models.Q(('custom_text__isnull', False), ('template_version__isnull', True)), _connector='OR'), name='approval_one_subject'), models.UniqueConstraint(fields=('template_version', 'approver'), name='approval_once_per_version'), models.UniqueConstraint(fields=('custom_text', 'approver'), name='approval_once_per_custom_text')],
            },
        ),
        migrations.CreateModel(
            name='TranslationApproval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('qualifier', models.CharField(choices=[('legal', 'Legal'), ('support', 'Support')], max_length=16)),
                ('at', models.DateTimeField()),
                ('approver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('translation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='approvals', to='incidents.templatetranslation')),
            ],
            options={
                'ordering': ['at', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('translation', 'approver'), name='translation_approval_once')],
            },
        ),
        migrations.CreateModel(
            name='Vendor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('url', models.URLField(max_length=500, unique=True)),
                ('kind', models.CharField(choices=[('statuspage', 'Statuspage v2 (summary.json)'), ('feed', 'RSS/Atom status feed')], max_length=16)),
                ('show_on_public_page', models.BooleanField(default=False)),
                ('active', models.BooleanField(default=True)),
                ('interval', models.PositiveIntegerField(default=60)),
                ('state', models.CharField(choices=[('ok', 'Fetched'), ('unknown', 'Unknown')], default='ok', max_length=16)),
                ('etag', models.CharField(blank=True, max_length=300)),
                ('last_modified', models.CharField(blank=True, max_length=100)),
                ('last_fetched_at', models.DateTimeField(blank=True, null=True)),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('last_changed_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('failures', models.PositiveIntegerField(default=0)),
                ('next_poll_at', models.DateTimeField()),
                ('public_refreshed_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['name', 'pk'],
                'indexes': [models.Index(fields=['next_poll_at'], name='vendor_next_poll')],
            },
        ),
        migrations.CreateModel(
            name='VendorComponent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('external_id', models.CharField(max_length=200)),
                ('name', models.CharField(max_length=200)),
                ('group_name', models.CharField(blank=True, max_length=200)),
                ('status', models.CharField(choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage'), ('unknown', 'Unknown')], default='unknown', max_length=32)),
                ('reported_status', models.CharField(blank=True, max_length=32)),
                ('position', models.PositiveIntegerField(default=0)),
                ('picked', models.BooleanField(default=False)),
                ('component', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='vendor_link', to='incidents.component')),
                ('vendor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='components', to='incidents.vendor')),
            ],
            options={
                'ordering': ['position', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('vendor', 'external_id'), name='vendor_component_unique')],
            },
        ),
        migrations.CreateModel(
            name='WordingRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(max_length=64)),
                ('version', models.PositiveIntegerField()),
                ('kind', models.CharField(choices=[('banned_phrase', 'Banned phrase'), ('banned_pattern', 'Banned pattern'), ('required_element', 'Required element'), ('max_chars', 'Length limit (characters)'), ('max_sms_segments', 'Length limit (SMS segments)'), ('vendor_blame', 'Blames a named vendor'), ('allowed_links', 'Links only to allowed hosts')], max_length=24)),
                ('pattern', models.TextField(blank=True)),
                ('element', models.CharField(blank=True, choices=[('status_url', 'The canonical status page URL'), ('next_update', 'When the next update will come')], max_length=16)),
                ('limit', models.PositiveIntegerField(blank=True, null=True)),
                ('channel', models.CharField(choices=[('all', 'Every channel'), ('web', 'Web'), ('email', 'Email'), ('sms', 'SMS'), ('email_sms', 'Email and SMS'), ('postmortem', 'Postmortems')], default='all', max_length=16)),
                ('scope', models.CharField(choices=[('all', 'Every phase'), ('open_incident', 'Incident updates before resolution'), ('before_identified', 'Before the cause is identified')], default='all', max_length=24)),
                ('reason', models.CharField(max_length=300)),
                ('language', models.CharField(blank=True, default='', max_length=16)),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField()),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['key', '-version'],
                'constraints': [models.UniqueConstraint(fields=('key', 'version'), name='wording_rule_version_unique')],
            },
        ),
        migrations.CreateModel(
            name='ComponentDependency',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=incidents.models.ids.new_public_id, max_length=12, unique=True)),
                ('kind', models.CharField(choices=[('hard', 'Hard: down when it is down'), ('soft', 'Soft: degraded when it is down')], max_length=8)),
                ('auto_apply', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('downstream', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dependencies', to='incidents.component')),
                ('upstream', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dependents', to='incidents.component')),
            ],
            options={
                'ordering': ['upstream__name', 'downstream__name', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('upstream', 'downstream'), name='dependency_once'), models.CheckConstraint(condition=models.Q(('upstream', models.F('downstream')), _negated=True), name='dependency_not_itself')],
            },
        ),
        migrations.CreateModel(
            name='ComponentStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('operational', 'Operational'), ('under_maintenance', 'Under maintenance'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], max_length=32)),
                ('at', models.DateTimeField(db_index=True)),
                ('component', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='history', to='incidents.component')),
            ],
            options={
                'ordering': ['at', 'pk'],
                'indexes': [models.Index(fields=['component', 'at'], name='status_change_component_at')],
            },
        ),
        migrations.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=100)),
                ('fingerprint', models.CharField(max_length=64)),
                ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('response', models.JSONField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='idempotency_key_unique'), models.CheckConstraint(condition=models.Q(('response__isnull', True), ('status_code__isnull', False), _connector='OR'), name='idempotency_response_has_status')],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
        migrations.RunPython(initial_data, initial_data_remove),
    ]
