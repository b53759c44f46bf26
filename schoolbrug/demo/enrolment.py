"""The demo's LOP (enrolment site, issue 20): every Flemish school of the generated region in
one LOP with double quotas, an offer for both years, rights for school admins, and two logins:

* `lop` / the demo password: LOP expert of the demo LOP;
* `schoolbeheerder` / the demo password: school admin of its first primary and first
  secondary school.

The secondary programmes are real administrative-group codes (the examples of the official
list); the primary ones are the demo's own codes (99101…), which no official list holds.
Made once, found again on the next start.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from schoolbrug.enrolment.models import (
    AdministrativeGroup,
    FreeEnrolmentStart,
    Lop,
    LopSchool,
    Offer,
    Period,
    SchoolAdminRights,
    SchoolType,
    Year,
)
from schoolbrug.registry.models import Institution
from schoolbrug.roles.models import RoleGrant

from .logins import DemoLogin, _user

LOP_SLUG = "demo"
LOP_NAME = "LOP Demo"
EXPERT = ("lop", "lop@schoolbrug.invalid", "Lotte", "Deskundige")
SCHOOL_ADMIN = ("schoolbeheerder", "schoolbeheerder@schoolbrug.invalid", "Sam", "Beheerder")
SECONDARY = (
    (6246, "1ste leerjaar A", "GSO", "Eerste graad", "1"),
    (6247, "1ste leerjaar B", "GSO", "Eerste graad", "1"),
    (40091, "2e leerjaar A Economie en organisatie", "GSO", "Eerste graad", "2"),
    (43105, "1e leerjaar in de 3e graad Latijn-Wiskunde ASO", "ASO", "Derde graad", "1"),
)
PRIMARY = (
    (99101, "Instapklas (kleuter)", "", "", ""),
    (99102, "1ste leerjaar lager onderwijs", "", "", ""),
)


def _groups(rows) -> list[AdministrativeGroup]:
    return [
        AdministrativeGroup.objects.get_or_create(
            code=code, defaults={"name": name, "form": form, "stage": stage, "year": year}
        )[0]
        for code, name, form, stage, year in rows
    ]


def _grant(user, role, lop, lop_school=None, by=None) -> None:
    current = RoleGrant.objects.current().filter(user=user, role=role, lop=lop)
    if not current.filter(lop_school=lop_school).exists():
        RoleGrant.objects.create(
            user=user,
            role=role,
            lop=lop,
            lop_school=lop_school,
            granted_by=by,
            ends_at=timezone.now() + datetime.timedelta(days=365),
        )


def prepare(demo_user, password: str, seed: int = 2026) -> list[DemoLogin]:
    institutions = list(
        Institution.objects.filter(country=Institution.Country.BELGIUM).order_by("number")
    )
    if not institutions:
        return []
    today = timezone.localdate()
    start_year = today.year if today.month >= 8 else today.year - 1
    lop, created = Lop.objects.get_or_create(
        slug=LOP_SLUG,
        defaults={
            "name": LOP_NAME,
            "region": "de demoregio",
            "double_quota": True,
            "current_year_start": start_year,
        },
    )
    if created:
        _fill(lop, institutions, random.Random(seed), today)
    expert = _user(EXPERT, password)
    _grant(expert, RoleGrant.Role.LOP_EXPERT, lop, by=demo_user)
    admin = _user(SCHOOL_ADMIN, password)
    firsts = [
        LopSchool.objects.filter(lop=lop, school_type=t).order_by("id").first()
        for t in (SchoolType.BAO, SchoolType.SO)
    ]
    for school in filter(None, firsts):
        _grant(admin, RoleGrant.Role.SCHOOL_ADMIN, lop, school, by=demo_user)
    names = ", ".join(s.display_name for s in firsts if s)
    return [
        DemoLogin(expert.username, f"LOP-deskundige van {LOP_NAME}, /aanmelden/{LOP_SLUG}/beheer/"),
        DemoLogin(admin.username, f"schoolbeheerder van {names}, /aanmelden/{LOP_SLUG}/"),
    ]


def _fill(lop: Lop, institutions, rng: random.Random, today: datetime.date) -> None:
    primary, secondary = _groups(PRIMARY), _groups(SECONDARY)
    newcomers = AdministrativeGroup.newcomers()
    for index, institution in enumerate(institutions):
        is_primary = institution.level == Institution.Level.PRIMARY
        school_type = SchoolType.BAO if is_primary else SchoolType.SO
        school = LopSchool.objects.create(lop=lop, institution=institution, school_type=school_type)
        groups = primary if is_primary else secondary
        if is_primary and index % 3 == 0:
            groups = [*groups, newcomers]
        for year in Year.values:
            for group in groups:
                capacity = rng.choice((24, 28, 48, 56, 84))
                free = rng.randint(0, capacity // 4)
                Offer.objects.create(
                    school=school,
                    year=year,
                    group=group,
                    capacity=capacity,
                    free_places=free,
                    free_places_indicator=free // 3,
                    indicator_percentage=rng.choice((20, 25, 35)),
                    seated_pupils=capacity - free,
                )
    for school_type in SchoolType.values:
        FreeEnrolmentStart.objects.create(
            lop=lop,
            school_type=school_type,
            starts_on=datetime.date(lop.current_year_start + 1, 4, 20),
        )
        SchoolAdminRights.objects.create(
            lop=lop, school_type=school_type, period=Period.CURRENT, free_places=True
        )
        SchoolAdminRights.objects.create(
            lop=lop,
            school_type=school_type,
            period=Period.NEXT_BEFORE,
            capacity=True,
            free_places=True,
            extra_info=True,
            dates=True,
            programmes=True,
        )
        SchoolAdminRights.objects.create(
            lop=lop, school_type=school_type, period=Period.NEXT_AFTER, free_places=True
        )
