"""SMS subscribers stored before 0042 kept no prefix: fill it with their number's country
(incidents/notify/prefixes.py), so the send forecast stops parsing their numbers. In
batches of their own transactions (atomic = False): a large table is not held locked."""

from typing import Any

from django.db import migrations

from incidents.notify.prefixes import sms_prefixes_fill


def fill(apps: Any, schema_editor: Any) -> None:
    sms_prefixes_fill(apps.get_model("incidents", "Subscriber"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0045_audit_action_checked_in_code"),
    ]

    operations = [
        # Nothing to undo: an emptied prefix would only be parsed again.
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
