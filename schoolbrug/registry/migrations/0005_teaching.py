"""The teacher–class link becomes a model of its own (same table) with a public id, so a
teacher's enrollment has a stable sourcedId in the OneRoster API."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def fill_ids(apps, schema_editor):
    Teaching = apps.get_model("registry", "Teaching")
    rows = list(Teaching.objects.all().only("pk"))
    for row in rows:
        row.sourced_id = uuid.uuid4()
    Teaching.objects.bulk_update(rows, ["sourced_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_assignment_origin")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Teaching",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "assignment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="registry.assignment",
                            ),
                        ),
                        (
                            "schoolclass",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="registry.schoolclass",
                            ),
                        ),
                    ],
                    options={"db_table": "registry_assignment_classes"},
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="classes",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="teachers",
                        through="registry.Teaching",
                        to="registry.schoolclass",
                    ),
                ),
                # The table already has this unique index under Django's generated name.
                migrations.AddConstraint(
                    model_name="teaching",
                    constraint=models.UniqueConstraint(
                        fields=("assignment", "schoolclass"), name="teaching_unique"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="teaching",
            name="sourced_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="teaching",
            name="sourced_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
