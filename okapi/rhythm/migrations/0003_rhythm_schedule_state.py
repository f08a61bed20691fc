from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rhythm", "0002_test_kind_and_ping_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="rhythmsettings",
            name="reminders_done_for",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="rhythmsettings",
            name="reminders_queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="rhythmsettings",
            name="digest_done_for",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="rhythmsettings",
            name="digest_queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="rhythmsettings",
            name="scanned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="kpialertstate",
            name="seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
