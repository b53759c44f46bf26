"""Structured payment references: the field (unique per database), its aliases, and a
reference for every pupil already in the registry.

The field is added without its unique index, filled, then made unique: a database of a
region (1.2 M pupils) is filled with one UPDATE per 10,000 pupils, each drawn reference
distinct (a set in memory: no pupil had one before). Each pupil gets an audit entry, like
the sync's, so that the history shows where the reference came from.
"""

import secrets
import uuid

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone
from stdnum.be import ogm_vcs

BATCH = 10_000


def _draw(taken: set[str]) -> str:
    # The same rule as registry/payment_references.new_reference, kept here so the
    # migration does not change when that module does.
    while True:
        base = f"{secrets.randbelow(10**10 - 1) + 1:010d}"
        reference = base + ogm_vcs.calc_check_digits(base)
        if reference not in taken:
            taken.add(reference)
            return reference


def issue_for_existing_pupils(apps, schema_editor):
    Pupil = apps.get_model("registry", "Pupil")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    db = schema_editor.connection.alias
    rows = list(
        Pupil.objects.using(db)
        .filter(structured_reference__isnull=True)
        .values_list("pk", "sourced_id", "institution__number")
    )
    taken = set(
        Pupil.objects.using(db)
        .exclude(structured_reference__isnull=True)
        .values_list("structured_reference", flat=True)
    )
    now = timezone.now()
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = [(_draw(taken), pk, sid, num) for pk, sid, num in rows[start : start + BATCH]]
            cursor.executemany(
                "UPDATE registry_pupil SET structured_reference = %s WHERE id = %s",
                [(reference, pk) for reference, pk, _, _ in batch],
            )
            AuditEntry.objects.using(db).bulk_create(
                [
                    AuditEntry(
                        at=now,
                        actor="Schoolbrug",
                        reason="betaalreferenties bij de update uitgereikt",
                        institution_number=number,
                        entity="pupil",
                        entity_sourced_id=sourced_id
                        if isinstance(sourced_id, uuid.UUID)
                        else uuid.UUID(str(sourced_id)),
                        action="update",
                        changes={"structured_reference": [None, reference]},
                    )
                    for reference, _, sourced_id, number in batch
                ],
                batch_size=1000,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0015_source_details"),
        ("audit", "0005_institution_identifier_any_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="pupil",
            name="structured_reference",
            field=models.CharField(blank=True, editable=False, max_length=12, null=True),
        ),
        migrations.RunPython(issue_for_existing_pupils, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pupil",
            name="structured_reference",
            field=models.CharField(
                blank=True, editable=False, max_length=12, null=True, unique=True
            ),
        ),
        migrations.CreateModel(
            name="PaymentReferenceAlias",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("structured_reference", models.CharField(max_length=12, unique=True)),
                ("reason", models.CharField(blank=True, max_length=100)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "pupil",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="payment_aliases",
                        to="registry.pupil",
                    ),
                ),
            ],
            options={"verbose_name_plural": "payment reference aliases"},
        ),
    ]
