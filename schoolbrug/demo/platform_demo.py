"""The learning platform in the demo (issue 21): the catalogue from `platform_products.csv`,
on the first school a group licence linked to its first class (a PIN class) and a child
licence with seats for two pupils of its second class (a picture class), and the login `ict`
(ICT coordinator there). The teacher login `leerkracht` teaches the PIN class. Exercise and
test results of the PIN class, and the school's link with a monitoring system: the demo's own
(`monitoring_receiver.py`, started by `monitoring_system()` on 127.0.0.1 for as long as the
demo runs), to which `deliver()` sends the exercise results through the platform's real
delivery task, so the status page shows them delivered and the test results kept back.
Made once and found again on the next start."""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from schoolbrug.demo.monitoring_receiver import MonitoringReceiver
from schoolbrug.platform import delivery, licences, products, pupil_login
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
SYSTEM = "momento"  # the demo's monitoring system stands in for this one
DEMO_KEY = "demo-sleutel"  # the authorization key the demo's system issued
DELIVERY_INTERVAL = 60  # seconds between deliveries while the demo serves
log = logging.getLogger("schoolbrug.demo.platform")


@contextlib.contextmanager
def monitoring_system():
    """The demo's pupil-monitoring system, running while the block runs: the demo's link
    (SYSTEM) points at it for that time. Yields the receiver; its `schemas` is None when the
    UWLR XSDs are not on this machine (a fresh clone: the standard's files are not part of
    the project), and it then checks each message's envelope, header and request only."""
    schemas = Path(settings.SCHOOLBRUG_UWLR_SCHEMAS)
    if not (schemas / "UWLR_Leerresultaten_v2p2.xsd").is_file():
        log.warning("UWLR schemas not found at SCHOOLBRUG_UWLR_SCHEMAS: no XSD check")
        schemas = None
    receiver = MonitoringReceiver(schemas, DEMO_KEY)
    systems = settings.SCHOOLBRUG_MONITORING_SYSTEMS
    label = f"{systems.get(SYSTEM, {}).get('label', SYSTEM)} (demo)"
    settings.SCHOOLBRUG_MONITORING_SYSTEMS = {
        **systems,
        SYSTEM: {"label": label, "url": receiver.url},
    }
    try:
        yield receiver
    finally:
        settings.SCHOOLBRUG_MONITORING_SYSTEMS = systems
        receiver.close()


def deliver() -> int:
    """Deliver every active demo link's waiting exercise results with the platform's Celery
    task, run in this process (the demo has no broker); returns how many were confirmed."""
    delivered = 0
    for link_id in MonitoringLink.objects.filter(active=True, system=SYSTEM).values_list(
        "pk", flat=True
    ):
        outcome = delivery.deliver_results.apply(args=[link_id])
        if outcome.successful():
            delivered += outcome.result or 0
        else:
            log.warning("demo delivery for link %s failed: %s", link_id, outcome.result)
    return delivered


def deliver_every(interval: float = DELIVERY_INTERVAL) -> threading.Event:
    """While the demo serves: deliver results products post later, as cron would. Set the
    returned event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                deliver()
            except Exception:  # a locked SQLite file: the next round tries again
                log.exception("demo delivery round failed")
            finally:
                close_old_connections()

    threading.Thread(target=loop, name="demo-delivery", daemon=True).start()
    return stop


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
    monitoring system (the demo's own, see `monitoring_system`)."""
    if not MonitoringLink.objects.filter(institution=institution).exists():
        MonitoringLink.objects.create(
            institution=institution,
            system=SYSTEM,
            authorization_key=DEMO_KEY,
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
