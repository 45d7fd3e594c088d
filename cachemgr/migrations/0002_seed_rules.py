"""Seed the spec's cache rules (缓存管理 API, GET /api/v1/cache/config)."""

from django.db import migrations

RULES = {
    "LATEST_DATA": {"ttl": 30, "max_size": 1000, "level": "L1", "priority": "high", "min_ttl": 5, "max_ttl": 120},
    "HISTORY_DATA": {"ttl": 300, "max_size": 5000, "level": "L2", "priority": "medium", "min_ttl": 60, "max_ttl": 3600},
    "BASIC_INFO": {"ttl": 3600, "max_size": 2000, "level": "L3", "priority": "low", "min_ttl": 600, "max_ttl": 86400},
}


def seed(apps, schema_editor):
    CacheRule = apps.get_model("cachemgr", "CacheRule")
    for name, values in RULES.items():
        CacheRule.objects.get_or_create(name=name, defaults=values)


def unseed(apps, schema_editor):
    apps.get_model("cachemgr", "CacheRule").objects.filter(name__in=RULES).delete()


class Migration(migrations.Migration):
    dependencies = [("cachemgr", "0001_cache_rules")]
    operations = [migrations.RunPython(seed, unseed)]
