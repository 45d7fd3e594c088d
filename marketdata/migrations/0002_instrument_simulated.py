"""Instrument rows record whether their source is simulated (issue 14): a real source never serves them."""

from typing import Any

from django.db import migrations, models


def mark_simulated(apps: Any, schema_editor: Any) -> None:
    apps.get_model("marketdata", "Instrument").objects.filter(source="simulated").update(simulated=True)


class Migration(migrations.Migration):
    dependencies = [("marketdata", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="instrument",
            name="simulated",
            field=models.BooleanField(
                default=False, help_text="written by a simulated source: its names and figures are invented"
            ),
        ),
        migrations.RunPython(mark_simulated, migrations.RunPython.noop),
    ]
