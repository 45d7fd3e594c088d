"""The files dataset's version (issue 14): one row per import, and when a corporate action last changed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketdata", "0002_instrument_simulated"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportBatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("imported_at", models.DateTimeField()),
                ("files", models.JSONField(help_text="the file names imported")),
                ("counts", models.JSONField(help_text="bars written per symbol")),
                (
                    "limit_breach_reason",
                    models.CharField(
                        blank=True,
                        help_text="why closes outside the daily limit were accepted, if they were",
                        max_length=200,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "import batches",
                "ordering": ["-id"],
            },
        ),
        migrations.AddField(
            model_name="corporateaction",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
    ]
