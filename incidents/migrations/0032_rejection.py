"""Rejections of submitted words: write-once like the approvals (0006's trigger function)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TRIGGER = """
CREATE TRIGGER incidents_rejection_write_once BEFORE UPDATE OR DELETE ON incidents_rejection
    FOR EACH ROW EXECUTE FUNCTION candor_write_once();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS incidents_rejection_write_once ON incidents_rejection;"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0031_audit_actions_notify"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
        migrations.RunPython(forward, backward),
    ]
