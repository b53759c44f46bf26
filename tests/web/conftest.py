"""A small school made through the ORM, shared by the view and browser tests."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
)
from schoolbrug.sync.models import SyncRun

# Full national numbers that must never reach a page or a URL.
NATIONAL_NUMBERS = ("15073028761", "16021574329", "14110390156", "15122481734")
PASSWORD = "een-lang-wachtwoord-2026"


def make_school(number: str = "012345", name: str = "Basisschool De Regenboog"):
    school_year, _ = SchoolYear.objects.get_or_create(
        start_year=SchoolYear.start_year_for(timezone.localdate())
    )
    institution = Institution.objects.create(number=number, name=name)
    classes = {
        code: SchoolClass.objects.create(
            institution=institution,
            school_year=school_year,
            code=code,
            year=year,
            curriculum="BaO",
            is_leavers=code == LEAVERS_CLASS_CODE,
        )
        for code, year in (("1A", 1), (LEAVERS_CLASS_CODE, None), ("2B", 2))
    }
    rows = (
        ("Peeters", "Jan", "M", datetime.date(2015, 7, 30), "1A", 1, False),
        ("Janssens", "Mila", "F", datetime.date(2016, 2, 15), "1A", 2, False),
        ("Maes", "Noah", "M", datetime.date(2014, 11, 3), "2B", None, False),
        ("Claes", "Lotte", "F", datetime.date(2015, 12, 24), LEAVERS_CLASS_CODE, 7, True),
    )
    pupils = []
    for (family, given, gender, born, code, class_number, leaver), nn in zip(
        rows, NATIONAL_NUMBERS, strict=True
    ):
        pupil = Pupil.objects.create(
            institution=institution,
            national_number=nn,
            family_name=family,
            given_name=given,
            gender=gender,
            birth_date=born,
            origin="wisa",
            is_leaver=leaver,
            contacts={
                "mother": {
                    "street": "Kerkstraat",
                    "number": "1",
                    "city": "Gent",
                    "email": "moeder@example.be",
                }
            },
        )
        Enrolment.objects.create(
            pupil=pupil,
            school_class=classes[code],
            school_year=school_year,
            class_number=class_number,
        )
        pupils.append(pupil)
    SourceAlias.objects.create(
        source="wisa", kind="pupil", external_id=f"W{number}-1", sourced_id=pupils[0].sourced_id
    )
    now = timezone.now()
    run = SyncRun.objects.create(
        started_at=now - datetime.timedelta(minutes=5),
        finished_at=now,
        started_by="secretariaat",
        source="wisa",
        institution_number=number,
        status=SyncRun.Status.APPLIED,
        counts={"created": 3, "moved": 0, "left": 1, "deferred": 1, "rejected": 1},
        findings=[
            {
                "code": "PUPIL_NATIONAL_NUMBER_INVALID",
                "severity": "error",
                "outcome": "reject",
                "message": "Het rijksregisternummer is ongeldig (controlegetal klopt niet).",
                "hint": "Controleer het rijksregisternummer op de leerlingfiche.",
                "file": "leerlingen.csv",
                "line": 4,
                "field": "rijksregisternummer",
                # Stored wrongly in full: pages and the report must mask it all the same.
                "national_number_masked": NATIONAL_NUMBERS[1],
                "national_number": NATIONAL_NUMBERS[1],
                "class_code": "1A",
                "pupil_name": "Janssens Mila",
            },
            {
                "code": "PUPIL_NO_CLASS_NUMBER",
                "severity": "warning",
                "outcome": "defer",
                "message": "Leerling heeft geen klasnummer (of klasnummer 0) en wordt nog niet "
                "gesynchroniseerd.",
                "hint": "Geef de leerling een klasnummer in het administratiepakket.",
                "file": "leerlingen.csv",
                "line": 5,
                "field": "klasnummer",
                "national_number_masked": "14.11.03-***.**",
                "class_code": "2B",
                "pupil_name": "Maes Noah",
            },
        ],
    )
    for pupil in pupils:
        AuditEntry.objects.create(
            at=now,
            actor="secretariaat",
            reason=f"synchronisatie {run.pk} (wisa)",
            sync_run=run,
            institution_number=number,
            entity="pupil",
            entity_sourced_id=pupil.sourced_id,
            action=AuditEntry.Action.CREATE,
            # The sync stores national numbers masked; a full one must be masked on display.
            changes={
                "class": [None, "1A"],
                "class_number": [None, 1],
                "national_number": [None, pupil.national_number],
            },
        )
    AuditEntry.objects.create(
        at=now,
        actor="secretariaat",
        reason=f"synchronisatie {run.pk} (wisa)",
        sync_run=run,
        institution_number=number,
        entity="class",
        entity_sourced_id=classes["1A"].sourced_id,
        action=AuditEntry.Action.CREATE,
        changes={"year": [None, 1]},
    )
    return SimpleNamespace(
        institution=institution, school_year=school_year, classes=classes, pupils=pupils, run=run
    )


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The default hasher takes a second per login on purpose; tests need no such cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def school(db):
    return make_school()


@pytest.fixture
def secretary(django_user_model):
    return django_user_model.objects.create_user(
        "secretariaat", password=PASSWORD, first_name="An", last_name="Secretaris"
    )
