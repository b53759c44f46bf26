"""The registry's data version: every commit that writes a registry table, whoever writes it,
gives it a new token, visible with that commit's data and not before."""

from __future__ import annotations

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, transaction

from schoolbrug.registry import data_version
from schoolbrug.registry.models import Institution, Pupil, SourceAlias, Staff
from schoolbrug.staff.upload import run_upload
from schoolbrug.sync.service import sync_snapshot
from tests.factories import pupil as pupil_record
from tests.factories import snapshot
from tests.web.conftest import make_school

pytestmark = pytest.mark.django_db(transaction=True)


def version() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {data_version.token_sql(connection.vendor)}")
        return cursor.fetchone()[0]


def moves(action) -> bool:
    before = version()
    action()
    return version() != before


def test_every_registry_table_has_the_triggers():
    """A registry model added later (a subclass table, ...) gets them from post_migrate."""
    assert data_version.registry_tables()  # the registry's tables are found at all
    assert data_version.installed_on() == set(data_version.registry_tables())


def test_a_table_that_lost_its_triggers_gets_them_back_at_the_next_migrate():
    """SQLite rebuilds a table to alter it, which drops its triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {data_version.TRIGGER} ON registry_pupil")
        else:
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER registry_pupil_changed_by_{event}")
    assert "registry_pupil" not in data_version.installed_on()
    emit_post_migrate_signal(0, False, "default")
    assert "registry_pupil" in data_version.installed_on()


def test_writes_of_every_kind_move_the_version(tmp_path):
    school = make_school()
    pupil = school.pupils[0]
    assert moves(lambda: Pupil.objects.filter(pk=pupil.pk).update(given_name="Jan-Piet"))
    assert moves(lambda: Staff.objects.create(email="juf@x.test", given_name="J", family_name="X"))
    assert moves(lambda: SourceAlias.objects.filter(sourced_id=pupil.sourced_id).delete())
    assert moves(lambda: Institution.objects.filter(pk=school.institution.pk).update(name="X"))
    with connection.cursor() as cursor:  # raw SQL too (the sync's bulk statements)
        assert moves(lambda: cursor.execute("UPDATE registry_enrolment SET class_number = 3"))
    staff = tmp_path / "personeel.csv"
    staff.write_text(
        "email,given_name,family_name,institution_number,role,start_date,end_date\n"
        "directie@x.test,D,R,012345,director,2026-09-01,\n"
    )
    assert moves(lambda: run_upload(staff))
    assert moves(lambda: sync_snapshot(snapshot([pupil_record(1), pupil_record(2)]), force=True))
    assert not moves(lambda: list(Pupil.objects.all()))  # reading is no change


def test_a_rolled_back_transaction_leaves_the_version_as_it_was():
    pupil = make_school().pupils[0]
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Pupil.objects.filter(pk=pupil.pk).update(given_name="Weg")
        inside = version()
        raise RuntimeError("roll back")
    assert inside not in (before, None)  # the transaction sees its own change ...
    assert version() == before  # ... nobody else ever does
