"""On PostgreSQL, the sequence the sync draws payment references from
(registry/payment_references.issue): a sequence hands each transaction numbers no other one
gets, even before either commits, so two syncs writing at once never pick the same
reference. SQLite has one writer at a time and needs none.

Each database's sequence starts at a random point of the 10-digit range (and wraps round
at its end): two databases that are merged later then hold references from ranges far
apart, instead of both counting from 1 and colliding on nearly every pupil."""

import secrets

from django.db import migrations

SEQUENCE = "registry_payment_reference_seq"
LAST = 9_999_999_999  # 10 digits before the two check digits


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        start = secrets.randbelow(LAST) + 1
        schema_editor.execute(
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}"
            f" MINVALUE 1 MAXVALUE {LAST} START WITH {start} CYCLE"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0016_payment_references")]

    operations = [migrations.RunPython(create, drop)]
