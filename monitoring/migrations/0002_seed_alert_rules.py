"""Seed the user guide's thresholds (监控和告警): hit rate > 85%, response < 100 ms, errors < 1%, memory < 80%."""

from django.db import migrations

RULES = [
    ("cache hit rate below 85%", "cache_hit_rate", "lt", 0.85),
    ("response time above 100 ms", "avg_response_time_ms", "gt", 100.0),
    ("error rate above 1%", "error_rate", "gt", 0.01),
    ("memory above 80%", "memory_percent", "gt", 80.0),
]


def seed(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for name, metric, operator, threshold in RULES:
        AlertRule.objects.get_or_create(
            name=name, defaults={"metric": metric, "operator": operator, "threshold": threshold}
        )


def unseed(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(name__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_api_keys_and_alerts")]

    operations = [migrations.RunPython(seed, unseed)]
