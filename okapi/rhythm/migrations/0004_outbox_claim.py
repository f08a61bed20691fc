from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rhythm", "0003_rhythm_schedule_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="claim",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="claim",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
    ]
