"""A small school made through the ORM, shared by the view and browser tests."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Assignment,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    Staff,
)
from schoolbrug.sharing import subclasses as subclass_logic
from schoolbrug.sync.models import SyncRun

# Full national numbers that must never reach a page or a URL.
NATIONAL_NUMBERS = ("15073028761", "16021574329", "14110390156", "15122481734")
PASSWORD = "een-lang-wachtwoord-2026"


def make_school(number: str = "012345", name: str = "Basisschool De Regenboog"):
    already_logged = AuditEntry.objects.values_list("pk", flat=True).order_by("-pk").first() or 0
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
    # This school stands for one the sync made: the sync writes its rows in bulk, without the
    # automatic log's entries, and entries of its own (below).
    AuditEntry.objects.filter(pk__gt=already_logged).delete()
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


SECRETARY_EMAIL = "secretariaat@regenboog.be"


def make_staff(
    institution: Institution,
    email: str,
    role: str = Assignment.Role.TEACHER,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Assignment:
    """A staff member (found or made by e-mail) with an assignment in `institution`; by default
    one that started a year ago and has no end."""
    staff, _ = Staff.objects.get_or_create(
        email=email, defaults={"given_name": email.split("@")[0].title(), "family_name": "Test"}
    )
    return Assignment.objects.create(
        staff=staff,
        institution=institution,
        role=role,
        start_date=start or timezone.localdate() - datetime.timedelta(days=365),
        end_date=end,
    )


def make_user(django_user_model, username: str, email: str = "", **extra):
    return django_user_model.objects.create_user(username, email=email, password=PASSWORD, **extra)


@pytest.fixture
def school(db):
    school = make_school()
    # The secretary works here: pages show a user only the institutions they work at.
    make_staff(school.institution, SECRETARY_EMAIL, Assignment.Role.SECRETARY)
    return school


@pytest.fixture
def secretary(django_user_model):
    return django_user_model.objects.create_user(
        "secretariaat",
        email=SECRETARY_EMAIL,
        password=PASSWORD,
        first_name="An",
        last_name="Secretaris",
    )


@pytest.fixture
def other_school(db):
    """A second school the users of `school` do not work at."""
    return make_school("054321", "Vrije Basisschool Sint-Jozef")


@pytest.fixture
def director(school, django_user_model):
    """The director of `school`, so its data manager, as a web user."""
    make_staff(school.institution, "directie@regenboog.be", Assignment.Role.DIRECTOR)
    return make_user(
        django_user_model,
        "directie",
        "Directie@Regenboog.be",
        first_name="Dirk",
        last_name="Ceulen",
    )


@pytest.fixture
def teacher(school, django_user_model):
    """A teacher of `school`: may see it, may not switch sharing or grant apps."""
    make_staff(school.institution, "leerkracht@regenboog.be", Assignment.Role.TEACHER)
    return make_user(django_user_model, "leerkracht", "leerkracht@regenboog.be")


@pytest.fixture
def ict_coordinator(school, django_user_model):
    make_staff(school.institution, "ict@regenboog.be", Assignment.Role.ICT_COORDINATOR)
    return make_user(django_user_model, "ict", "ict@regenboog.be")


@pytest.fixture
def subclasses(school):
    """Three more pupils of 1A (Sara 3, Wout 4, Yara 5) and two subclasses of 1A made as a
    director makes them: "1A wiskunde" (Sara, Yara) and "1A Frans" (Wout)."""
    made = {}
    for number, given in ((3, "Sara"), (4, "Wout"), (5, "Yara")):
        pupil = Pupil.objects.create(
            institution=school.institution,
            family_name="Subklas",
            given_name=given,
            origin="wisa",
        )
        Enrolment.objects.create(
            pupil=pupil,
            school_class=school.classes["1A"],
            school_year=school.school_year,
            class_number=number,
        )
        made[given] = pupil.sourced_id
    for code, members in (("1A wiskunde", ("Sara", "Yara")), ("1A Frans", ("Wout",))):
        made_class = subclass_logic.create_subclass(
            school.classes["1A"], code, [made[m] for m in members], by="directie@regenboog.be"
        )
        made[code] = made_class
    return {code: value for code, value in made.items() if " " in code}
