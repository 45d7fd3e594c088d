"""Create L3's database cache table (settings CACHES["l3"]) with the schema, so every database that is
migrated (including pytest-django's test databases) has it; `createcachetable` stays idempotent."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    table = settings.CACHES["l3"]["LOCATION"]
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = [("cachemgr", "0002_seed_rules")]
    operations = [migrations.RunPython(create_table, drop_table)]
