"""A school with a product catalogue and licences, for the platform's tests."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from schoolbrug.platform.models import Licence, Product
from schoolbrug.registry.models import Enrolment, Pupil
from tests.web.conftest import make_school


def add_pupils(school, count: int, class_code: str = "2B", start: int = 0) -> list[Pupil]:
    """`count` more pupils in one class, with bulk statements (a big school's class)."""
    pupils = Pupil.objects.bulk_create(
        [
            Pupil(
                institution=school.institution,
                family_name=f"Leerling{n:04d}",
                given_name="Kim",
                birth_date=datetime.date(2016, 1, 1),
            )
            for n in range(start, start + count)
        ]
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                pupil=p,
                school_class=school.classes[class_code],
                school_year=school.school_year,
                class_number=n + 1,
            )
            for n, p in enumerate(pupils)
        ]
    )
    return pupils


def make_catalogue(school):
    rekenen = Product.objects.create(
        code="REK-1", name="Rekenrijk", publisher="Uitgeverij Test", url="https://rekenen.test/"
    )
    taal = Product.objects.create(code="TAAL-1", name="Taalrijk", publisher="Uitgeverij Test")
    group = Licence.objects.create(
        institution=school.institution, product=rekenen, kind=Licence.Kind.GROUP, seats=30
    )
    child = Licence.objects.create(
        institution=school.institution, product=taal, kind=Licence.Kind.CHILD, seats=2
    )
    return SimpleNamespace(rekenen=rekenen, taal=taal, group=group, child=child)


@pytest.fixture
def platform_school(db):
    school = make_school()
    school.catalogue = make_catalogue(school)
    return school


ICT_EMAIL = "ict@regenboog.be"
TEACHER_EMAIL = "juf.1a@regenboog.be"
SECRETARY_EMAIL = "secretariaat@regenboog.be"


@pytest.fixture
def people(platform_school, django_user_model):
    """An ICT coordinator, the teacher of 1A and the secretary of the school, logged in by
    e-mail (their rights follow from their assignments)."""
    from schoolbrug.registry.models import Assignment, Teaching
    from tests.web.conftest import make_staff, make_user

    make_staff(platform_school.institution, ICT_EMAIL, Assignment.Role.ICT_COORDINATOR)
    teacher = make_staff(platform_school.institution, TEACHER_EMAIL, Assignment.Role.TEACHER)
    Teaching.objects.create(assignment=teacher, schoolclass=platform_school.classes["1A"])
    make_staff(platform_school.institution, SECRETARY_EMAIL, Assignment.Role.SECRETARY)
    return SimpleNamespace(
        ict=make_user(django_user_model, "ict", ICT_EMAIL),
        teacher=make_user(django_user_model, "juf", TEACHER_EMAIL),
        secretary=make_user(django_user_model, "secretariaat", SECRETARY_EMAIL),
    )


def set_up_device(client, school_class):
    """Type the class's code on /leerplatform/ as a child would: the device may open the
    class's names from then on."""
    from django.urls import reverse

    from schoolbrug.platform.models import ClassLogin

    code = ClassLogin.objects.get(school_class=school_class).code
    answer = client.post(reverse("platform:pupil_schools"), {"klascode": code.lower()})
    assert answer.status_code == 302, answer.content.decode()[:500]
    return answer
