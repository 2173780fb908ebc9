from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0052_sso_identity"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
    ]
