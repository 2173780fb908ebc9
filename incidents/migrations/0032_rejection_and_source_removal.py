"""Rejections of submitted words, write-once like the approvals (0006's trigger function);
and the permission to delete monitor sources, which Admins hold."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TRIGGER = """
CREATE TRIGGER incidents_rejection_write_once BEFORE UPDATE OR DELETE ON incidents_rejection
    FOR EACH ROW EXECUTE FUNCTION candor_write_once();
"""


REMOVE_SOURCES = ("remove_sources", "Delete monitor sources")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)
    # As 0006 did for the other permissions: post_migrate would create it only after
    # every migration, too late to grant it here.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="incidents", model="staffrole")
    codename, name = REMOVE_SOURCES
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(permission)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS incidents_rejection_write_once ON incidents_rejection;"
        )
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="incidents", codename=REMOVE_SOURCES[0]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0031_audit_actions_notify"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Rejection",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "qualifier",
                    models.CharField(
                        choices=[("legal", "Legal"), ("support", "Support")], max_length=16
                    ),
                ),
                ("reason", models.TextField()),
                ("at", models.DateTimeField()),
                (
                    "custom_text",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rejections",
                        to="incidents.customtextrequest",
                    ),
                ),
                (
                    "rejecter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "template_version",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rejections",
                        to="incidents.templateversion",
                    ),
                ),
            ],
            options={
                "ordering": ["at", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("custom_text__isnull", True), ("template_version__isnull", False)
                            ),
                            models.Q(
                                ("custom_text__isnull", False), ("template_version__isnull", True)
                            ),
                            _connector="OR",
                        ),
                        name="rejection_one_subject",
                    ),
                    models.UniqueConstraint(
                        fields=("template_version",), name="rejection_once_per_version"
                    ),
                    models.UniqueConstraint(
                        fields=("custom_text",), name="rejection_once_per_custom_text"
                    ),
                ],
            },
        ),
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
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
