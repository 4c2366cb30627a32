"""The table of the database cache (CACHES, the default when CACHE_URL is unset): counters of
lock-outs and throttles shared by every worker. Created here so that `migrate` — which `make run`,
deployments and the test database all go through — is the only step needed. Nothing is created
when the cache is Redis; createcachetable skips a table that exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
