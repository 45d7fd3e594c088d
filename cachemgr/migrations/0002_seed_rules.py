"""Seed the spec's cache rules (缓存管理 API, GET /api/v1/cache/config), with the TTLs configured by
ARGUS_CACHE_TTL_HOT/WARM/COLD (the user guide's cache.ttl.* classes; the spec's values by default)."""

from django.conf import settings
from django.db import migrations

SPEC_RULES = {
    "LATEST_DATA": {"ttl": 30, "max_size": 1000, "level": "L1", "priority": "high", "min_ttl": 5, "max_ttl": 120},
    "HISTORY_DATA": {"ttl": 300, "max_size": 5000, "level": "L2", "priority": "medium", "min_ttl": 60, "max_ttl": 3600},
    "BASIC_INFO": {"ttl": 3600, "max_size": 2000, "level": "L3", "priority": "low", "min_ttl": 600, "max_ttl": 86400},
}
TTL_SETTINGS = {
    "LATEST_DATA": "ARGUS_CACHE_TTL_HOT",
    "HISTORY_DATA": "ARGUS_CACHE_TTL_WARM",
    "BASIC_INFO": "ARGUS_CACHE_TTL_COLD",
}
RULES = {}
for _name, _values in SPEC_RULES.items():
    _ttl = int(getattr(settings, TTL_SETTINGS[_name], _values["ttl"]))
    RULES[_name] = {
        **_values,
        "ttl": _ttl,
        "min_ttl": min(_values["min_ttl"], _ttl),
        "max_ttl": max(_values["max_ttl"], _ttl),
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
