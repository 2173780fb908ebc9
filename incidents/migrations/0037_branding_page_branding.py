"""Page branding (one row, absent by default) and the permission to set it, which Admins
hold."""

from django.db import migrations, models

MANAGE_BRANDING = ("manage_branding", "Set the public page's name, logo, colours and support link")


def forward(apps, schema_editor):
    # As 0032 did: post_migrate would create the permission only after every migration,
    # too late to grant it here.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="incidents", model="staffrole")
    codename, name = MANAGE_BRANDING
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(permission)


def backward(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="incidents", codename=MANAGE_BRANDING[0]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0036_approve_approver_notices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="staffrole",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("post_updates", "Open incidents, post updates, run maintenance"),
                    ("manage_components", "Create and edit components and groups"),
                    ("write_templates", "Write message templates"),
                    ("approve_wording", "Approve templates and custom text"),
                    ("override_wording", "Publish unapproved text in an emergency"),
                    ("manage_policy", "Edit the wording policy"),
                    ("manage_roles", "Assign roles to staff"),
                    ("remove_sources", "Delete monitor sources"),
                    (
                        "manage_branding",
                        "Set the public page's name, logo, colours and support link",
                    ),
                ],
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("incident.opened", "Incident opened"),
                    ("incident.updated", "Incident update posted"),
                    ("incident.resolved", "Incident resolved"),
                    ("component.created", "Component created"),
                    ("component.edited", "Component edited"),
                    ("component.status_set", "Component status set"),
                    ("group.created", "Component group created"),
                    ("maintenance.scheduled", "Maintenance scheduled"),
                    ("maintenance.updated", "Maintenance update posted"),
                    ("maintenance.started", "Maintenance started"),
                    ("maintenance.completed", "Maintenance completed"),
                    ("maintenance.cancelled", "Maintenance cancelled"),
                    ("cadence.policy_set", "Update cadence changed"),
                    ("cadence.override_set", "Incident cadence overridden"),
                    ("incident.owners_set", "Incident owners set"),
                    ("contact.saved", "Reminder contact saved"),
                    ("reminder.acknowledged", "Reminder acknowledged"),
                    ("template.submitted", "Template version submitted"),
                    ("template.approved", "Template version approved"),
                    ("custom_text.requested", "Custom text submitted for approval"),
                    ("custom_text.approved", "Custom text approved"),
                    ("policy.rule_saved", "Wording rule saved"),
                    ("wording.overridden", "Wording policy overridden"),
                    ("wording.override_reviewed", "Override reviewed"),
                    ("staff.roles_set", "Staff roles set"),
                    ("source.saved", "Monitor source saved"),
                    ("source.token_rotated", "Monitor source token rotated"),
                    ("source.rule_added", "Routing rule added"),
                    ("source.rule_removed", "Routing rule removed"),
                    ("proposal.made", "Incident proposed by signals"),
                    ("proposal.dismissed", "Proposal dismissed"),
                    ("subscribers.imported", "Subscribers imported"),
                    ("notifications.retried", "Failed notifications retried"),
                    ("template.rejected", "Template version rejected"),
                    ("custom_text.rejected", "Custom text rejected"),
                    ("staff.recovery_codes_regenerated", "Recovery codes replaced"),
                    ("source.deleted", "Monitor source deleted"),
                    ("branding.set", "Page branding changed"),
                ],
                max_length=48,
            ),
        ),
        migrations.CreateModel(
            name="Branding",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("site_name", models.CharField(blank=True, max_length=100)),
                ("accent_light", models.CharField(blank=True, max_length=7)),
                ("accent_dark", models.CharField(blank=True, max_length=7)),
                ("support_url", models.CharField(blank=True, max_length=500)),
                ("logo", models.BinaryField(blank=True, null=True)),
                ("logo_width", models.PositiveIntegerField(default=0)),
                ("logo_height", models.PositiveIntegerField(default=0)),
                ("favicon", models.BinaryField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="branding_singleton")
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
