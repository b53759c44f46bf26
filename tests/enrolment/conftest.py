"""A LOP with one school per type, its offer, and the people of the enrolment site."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from schoolbrug.enrolment.models import (
    AdministrativeGroup,
    Lop,
    LopSchool,
    Offer,
    SchoolType,
    Year,
)
from schoolbrug.registry.models import Institution
from schoolbrug.roles.models import RoleGrant

TODAY = datetime.date(2027, 3, 15)


def grant(user, role, lop=None, lop_school=None):
    now = timezone.now()
    return RoleGrant.objects.create(
        user=user,
        role=role,
        lop=lop,
        lop_school=lop_school,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=30),
    )


def make_user(django_user_model, name: str, **extra):
    # No password: hashing one costs seconds per test on a busy machine; pages log in with
    # force_login.
    return django_user_model.objects.create_user(
        username=name, email=f"{name}@lop.example", password=None, **extra
    )


@pytest.fixture
def lop_world(db, django_user_model):
    lop = Lop.objects.create(
        name="LOP Noordrand", slug="noordrand", region="Noordrand", current_year_start=2026
    )
    groups = {
        code: AdministrativeGroup.objects.create(code=code, name=name, form=form, stage=stage)
        for code, name, form, stage in (
            (6246, "1ste leerjaar A", "GSO", "Eerste graad"),
            (6247, "1ste leerjaar B", "GSO", "Eerste graad"),
            (43105, "1e leerjaar in de 3e graad Latijn-Wiskunde ASO", "ASO", "Derde graad"),
            (90001, "1ste leerjaar lager onderwijs", "", ""),
        )
    }
    schools = {}
    for index, school_type in enumerate(SchoolType.values):
        institution = Institution.objects.create(
            number=f"1{index:05d}", name=f"School {school_type}"
        )
        schools[school_type] = LopSchool.objects.create(
            lop=lop, institution=institution, school_type=school_type
        )
    offers = {}
    for school_type, school in schools.items():
        for year in Year.values:
            offers[(school_type, year)] = Offer.objects.create(
                school=school,
                year=year,
                group=groups[6246],
                capacity=20,
                free_places=10,
                free_places_indicator=3,
                seated_pupils=5,
            )
    expert = make_user(django_user_model, "deskundige")
    grant(expert, RoleGrant.Role.LOP_EXPERT, lop=lop)
    admins = {}
    for school_type, school in schools.items():
        admins[school_type] = make_user(django_user_model, f"beheerder-{school_type}")
        grant(admins[school_type], RoleGrant.Role.SCHOOL_ADMIN, lop=lop, lop_school=school)
    site_admin = make_user(django_user_model, "sitebeheerder")
    grant(site_admin, RoleGrant.Role.SITE_ADMIN)
    outsider = make_user(django_user_model, "buitenstaander")
    return SimpleNamespace(
        lop=lop,
        groups=groups,
        schools=schools,
        offers=offers,
        expert=expert,
        admins=admins,
        site_admin=site_admin,
        outsider=outsider,
    )


@pytest.fixture(autouse=True)
def empty_public_cache():
    """Each test's database starts its LOPs at version 0 again: a page kept by an earlier
    test must not be served (in production ids and versions only go up)."""
    from schoolbrug.enrolment import public_cache

    public_cache.clear()
    yield
    public_cache.clear()
