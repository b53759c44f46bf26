"""On PostgreSQL, the sequence the sync draws payment references from
(registry/payment_references.issue): a sequence hands each transaction numbers no other one
gets, even before either commits, so two syncs writing at once never pick the same
reference. SQLite has one writer at a time and needs none."""

from django.db import migrations

SEQUENCE = "registry_payment_reference_seq"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # 10 digits before the two check digits: 1 .. 9,999,999,999.
        schema_editor.execute(
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} MINVALUE 1 MAXVALUE 9999999999"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0016_payment_references")]

    operations = [migrations.RunPython(create, drop)]
