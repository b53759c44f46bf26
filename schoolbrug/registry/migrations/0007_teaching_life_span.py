"""A teaching link gets a life span (start and end date, never deleted) and a moment of its
own: a source that stops sending a link ends it, a new one is a new period. The one unique
(assignment, class) pair becomes one *open* link per pair.

Existing links keep counting as they did: no start (from their assignment's start), no end;
their moment is their assignment's, so a delta export does not send them all again."""

from django.db import migrations, models
from django.utils import timezone


PAIR = ["assignment_id", "schoolclass_id"]


def drop_pair_unique(apps, schema_editor):
    """The unique (assignment, class) pair has a generated name on PostgreSQL (the one of
    the many-to-many table: 0005 told only the state it is "teaching_unique"), that name on
    SQLite (where 0005 remade the table): drop it by its columns."""
    Teaching = apps.get_model("registry", "Teaching")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Teaching._meta.db_table)
    names = [
        name
        for name, info in constraints.items()
        if info["unique"] and not info["primary_key"] and info["columns"] == PAIR
    ]
    if not names:
        return
    if connection.vendor == "sqlite":  # no ALTER TABLE ... DROP CONSTRAINT: remake it
        Teaching._meta.constraints = []
        schema_editor._remake_table(Teaching)
        return
    for name in names:
        schema_editor.execute(schema_editor._delete_unique_sql(Teaching, name))


def add_pair_unique(apps, schema_editor):
    Teaching = apps.get_model("registry", "Teaching")
    schema_editor.add_constraint(
        Teaching,
        models.UniqueConstraint(fields=["assignment", "schoolclass"], name="teaching_unique"),
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_pupils_of_a_school_in_id_order")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="teaching", name="teaching_unique")
            ],
            database_operations=[migrations.RunPython(drop_pair_unique, add_pair_unique)],
        ),
        migrations.AddField(
            model_name="teaching",
            name="start_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="teaching",
            name="end_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="teaching",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True, default=timezone.now),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE registry_assignment_classes SET updated_at = (SELECT a.updated_at"
            " FROM registry_assignment a WHERE a.id = registry_assignment_classes.assignment_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="teaching",
            constraint=models.UniqueConstraint(
                condition=models.Q(end_date__isnull=True),
                fields=("assignment", "schoolclass"),
                name="teaching_open_unique",
            ),
        ),
    ]
