"""Seed the calendar horizon rule: fires when a market's trading calendar has 30 days or fewer left."""

from django.db import migrations

NAME = "trading calendar runs out"


def seed(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.get_or_create(
        name=NAME, defaults={"metric": "calendar_days_left", "operator": "lt", "threshold": 31.0}
    )


def unseed(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_calendar_days_left_metric")]

    operations = [migrations.RunPython(seed, unseed)]
