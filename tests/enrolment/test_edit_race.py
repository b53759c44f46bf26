"""A school admin saves while the rollover runs. On PostgreSQL two threads, each with its own
connection: the rollover holds its transaction open after moving next year's rows and deleting
the current year's; the save of a current-year row it deleted must end in a clear refusal, not
a server error (the rows used to be read before the lock, the lock then found nothing)."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection

from schoolbrug.enrolment import editing, rollover
from schoolbrug.enrolment.models import Lop, Offer, Period, SchoolAdminRights, Year
from tests.races import second_while_first_holds

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_save_racing_the_rollover_is_refused_not_a_server_error(lop_world, monkeypatch):
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    school = lop_world.schools["so"]
    doomed = lop_world.offers[("so", Year.CURRENT)]
    moved = threading.Event()
    real_save = Lop.save

    def slow_save(self, *args, **kwargs):
        # Rows moved and deleted, not yet committed: let the school admin save now.
        moved.set()
        time.sleep(1.0)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Lop, "save", slow_save)
    outcomes: dict[str, str] = {}

    def roll() -> None:
        try:
            rollover.roll_over(lop_world.lop, 2027)
            outcomes["rollover"] = "done"
        finally:
            connection.close()

    def save() -> None:
        try:
            editing.save_offers(
                lop_world.admins["so"],
                school,
                {doomed.pk: {"free_places": "4"}},
                datetime.date(2027, 3, 15),
            )
            outcomes["save"] = "saved"
        except editing.Refused as refused:
            outcomes["save"] = f"refused {refused.refused}"
        except Exception as error:  # what the page would show as a 500
            outcomes["save"] = f"error {type(error).__name__}"
        finally:
            connection.close()

    second_while_first_holds(roll, save, moved)
    assert outcomes == {
        "rollover": "done",
        "save": f"refused [('{doomed.pk}', 'aanbod van een andere school')]",
    }
    assert not Offer.objects.filter(pk=doomed.pk).exists()
