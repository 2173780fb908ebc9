# The three reminder indexes nothing needs (issue 16): the plain incident_id and
# maintenance_id indexes, which the partial unique constraints already lead with, and the
# LIKE index that unique=True adds to public_id on PostgreSQL (a plain unique constraint
# takes its place).

import django.db.models.deletion
from django.db import migrations, models

import incidents.models.ids


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0043_vendors"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reminder",
            name="incident",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reminders",
                to="incidents.incident",
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="maintenance",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reminders",
                to="incidents.maintenance",
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="public_id",
            field=models.CharField(default=incidents.models.ids.new_public_id, max_length=12),
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                fields=("public_id",), name="reminder_public_id_unique"
            ),
        ),
    ]
