"""Two coordinators take the last seat of a licence at the same moment: one gets it, the other
a clear refusal. On PostgreSQL two threads, each with its own connection and transaction; the
first holds its transaction open after counting, so without the row lock both would count
one free seat and both would write."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from schoolbrug.audit.context import acting
from schoolbrug.platform import licences
from schoolbrug.platform.models import LicenceSeat
from schoolbrug.platform.refusals import Refused
from tests.races import second_while_first_holds
from tests.web.conftest import make_school

from .conftest import make_catalogue

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_coordinators_taking_the_last_seat_at_once(monkeypatch):
    school = make_school()
    catalogue = make_catalogue(school)
    jan, mila, noah, _ = school.pupils
    licences.link_pupils(catalogue.child, [jan])  # one of two seats left
    real_bulk_create = LicenceSeat.objects.bulk_create
    first_counted = threading.Event()

    def slow_bulk_create(rows, **kwargs):
        # Counted, not yet written: let the other coordinator start now.
        first_counted.set()
        time.sleep(1.0)
        return real_bulk_create(rows, **kwargs)

    monkeypatch.setattr(LicenceSeat.objects, "bulk_create", slow_bulk_create)
    outcomes: dict[str, str] = {}

    def coordinator(name: str, pupil) -> None:
        try:
            with acting(f"{name}@regenboog.be", "licenties"):
                licences.link_pupils(catalogue.child, [pupil])
            outcomes[name] = "gekoppeld"
        except Refused as refused:
            outcomes[name] = refused.reason_nl
        finally:
            connection.close()

    second_while_first_holds(
        lambda: coordinator("eerste", mila), lambda: coordinator("tweede", noah), first_counted
    )
    assert outcomes == {
        "eerste": "gekoppeld",
        "tweede": "Er zijn niet genoeg licenties: je koppelt 1 leerling, er zijn nog 0 "
        "beschikbaar. Er is niets gekoppeld.",
    }
    assert sorted(catalogue.child.seat_links.values_list("pupil_id", flat=True)) == sorted(
        [jan.pk, mila.pk]
    )
