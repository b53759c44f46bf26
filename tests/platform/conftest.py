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
