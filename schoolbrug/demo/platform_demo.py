"""The learning platform in the demo (issue 21): the catalogue from `platform_products.csv`,
on the first school a group licence linked to its first class (a PIN class) and a child
licence with seats for two pupils of its second class (a picture class), and the login `ict`
(ICT coordinator there). The teacher login `leerkracht` teaches the PIN class. Exercise and
test results of the PIN class, and a link with a monitoring system whose results wait (the
demo has no system to deliver to). Made once and found again on the next start."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.utils import timezone

from schoolbrug.platform import licences, products, pupil_login
from schoolbrug.platform.models import (
    Licence,
    LoginMethod,
    MonitoringLink,
    Product,
    ProductResult,
)
from schoolbrug.registry.models import Assignment, Institution, SchoolClass, Staff

ICT = ("ict", "ict@schoolbrug.invalid", "Ivo", "Coördinator")
CATALOGUE = Path(__file__).with_name("platform_products.csv")


def prepare(institution: Institution, password: str, user_for) -> str | None:
    """Returns the ICT coordinator's username (None without classes)."""
    classes = list(
        SchoolClass.objects.filter(
            institution=institution, parent__isnull=True, is_leavers=False, is_active=True
        )
        .filter(enrolments__isnull=False)
        .distinct()
        .order_by("-school_year__start_year", "code")[:2]
    )
    if len(classes) < 2:
        return None
    products.load(CATALOGUE)
    pin_class, picture_class = classes
    group = _licence(institution, "DEMO-REKENEN", Licence.Kind.GROUP, 60)
    child = _licence(institution, "DEMO-TAAL", Licence.Kind.CHILD, 5)
    if not group.class_links.exists():
        licences.link_class(group, pin_class)
    if not child.seat_links.exists():
        licences.link_pupils(child, list(pupil_login.class_pupils(picture_class)[:2]))
    pupil_login.set_method(pin_class, LoginMethod.PIN)
    pupil_login.set_method(picture_class, LoginMethod.PICTURES)
    user = user_for(ICT, password)
    staff, _ = Staff.objects.get_or_create(
        email=user.email, defaults={"given_name": ICT[2], "family_name": ICT[3]}
    )
    Assignment.objects.get_or_create(
        staff=staff,
        institution=institution,
        role=Assignment.Role.ICT_COORDINATOR,
        defaults={
            "start_date": timezone.localdate() - datetime.timedelta(days=30),
            "origin": "demo",
        },
    )
    _results(institution, group, pin_class, user.email)
    return user.username


def _results(institution: Institution, licence: Licence, school_class, consent_by: str) -> None:
    """Exercise and test results of the PIN class's first pupils, and the school's link with a
    monitoring system (waiting: the demo has no system to deliver to)."""
    if not MonitoringLink.objects.filter(institution=institution).exists():
        MonitoringLink.objects.create(
            institution=institution,
            system="momento",
            authorization_key="demo-sleutel",
            consent_by=consent_by,
            consent_at=timezone.now(),
        )
    if ProductResult.objects.filter(institution=institution).exists():
        return
    today = timezone.localdate()
    ProductResult.objects.bulk_create(
        [
            ProductResult(
                institution=institution,
                pupil=pupil,
                product=licence.product,
                kind=ProductResult.Kind.TEST if n == 0 else ProductResult.Kind.EXERCISE,
                code=f"rekenrijk-blok{n + 1}",
                score=5 + n,
                taken_on=today - datetime.timedelta(days=n),
            )
            for pupil in pupil_login.class_pupils(school_class)[:3]
            for n in range(3)
        ]
    )


def _licence(institution: Institution, code: str, kind: str, seats: int) -> Licence:
    product = Product.objects.get(code=code)
    licence = Licence.objects.filter(institution=institution, product=product, kind=kind).first()
    return licence or Licence.objects.create(
        institution=institution, product=product, kind=kind, seats=seats, reference="DEMO"
    )
