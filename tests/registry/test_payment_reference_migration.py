"""The update to payment references gives every pupil already in the registry one: valid,
distinct, and logged like any change of a pupil."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from stdnum.be import ogm_vcs

from schoolbrug.registry import data_version
from schoolbrug.registry.models import Pupil

BEFORE = [("registry", "0015_source_details")]
AFTER = [("registry", "0016_payment_references")]


@pytest.fixture
def back_to_latest():
    """Whatever the test leaves, the database ends at every app's latest migration again
    (going back to 0015 also unapplies what later apps built on 0016), with the data
    version's triggers, which `migrate` installs after it and SQLite's table rebuilds drop."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    data_version.install()
    assert Pupil._meta.db_table in data_version.installed_on()


@pytest.mark.django_db(transaction=True)
def test_the_migration_issues_a_reference_to_every_existing_pupil(back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    institution = old.get_model("registry", "Institution").objects.create(
        number="012345", name="De Regenboog"
    )
    Pupil = old.get_model("registry", "Pupil")
    Pupil.objects.bulk_create(
        [
            Pupil(institution=institution, family_name="Peeters", given_name=str(i))
            for i in range(25)
        ]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps
    references = list(
        new.get_model("registry", "Pupil").objects.values_list("structured_reference", flat=True)
    )
    assert len(references) == 25 and len(set(references)) == 25
    assert all(ogm_vcs.is_valid(reference) for reference in references)
    entries = new.get_model("audit", "AuditEntry").objects.filter(entity="pupil")
    assert sorted(e.changes["structured_reference"][1] for e in entries) == sorted(references)
    assert {e.institution_number for e in entries} == {"012345"}
