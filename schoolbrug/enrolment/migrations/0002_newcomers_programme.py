"""Programme 10000, newcomers (anderstalige nieuwkomers, basisonderwijs): no government list of
secondary administrative groups holds it, so it is here from the start (seed 002)."""

from django.db import migrations


def add_newcomers(apps, schema_editor):
    group = apps.get_model("enrolment", "AdministrativeGroup")
    group.objects.get_or_create(code=10000, defaults={"name": "Anderstalige nieuwkomers"})


class Migration(migrations.Migration):
    dependencies = [("enrolment", "0001_initial")]

    operations = [migrations.RunPython(add_newcomers, migrations.RunPython.noop)]
