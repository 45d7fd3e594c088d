"""Seeded rules get names without their thresholds (the threshold is its own column, and an edited
rule must not read "memory above 80%: memory_percent > 90"), and the rate rules a minimum sample.

Only rules still named as seeded are renamed; a rule an operator renamed keeps its name.
"""

from django.db import migrations

# (seeded name, new name, min_samples)
RENAMES = [
    ("cache hit rate below 85%", "cache hit rate low", 200),
    ("response time above 100 ms", "response time high", 100),
    ("error rate above 1%", "error rate high", 100),
    ("memory above 80%", "memory usage high", 0),
]


def rename(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for old, new, samples in RENAMES:
        if not AlertRule.objects.filter(name=new).exists():
            AlertRule.objects.filter(name=old).update(name=new, min_samples=samples)


def unrename(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for old, new, _ in RENAMES:
        if not AlertRule.objects.filter(name=old).exists():
            AlertRule.objects.filter(name=new).update(name=old)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_alert_rule_min_samples")]

    operations = [migrations.RunPython(rename, unrename)]
