"""The school-year rollover: the 1 July copy, the move on 1 August, safe twice, and the
scheduler that runs it."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment import rollover
from schoolbrug.enrolment.models import FreePlacesSnapshot, Offer, Year


def fill(world):
    for (_type, year), offer in world.offers.items():
        offer.capacity = 24 if year == Year.NEXT else 20
        offer.free_places = 6 if year == Year.NEXT else 2
        offer.free_places_indicator = 1
        offer.indicator_percentage = 30
        offer.suffix = "(A)" if year == Year.NEXT else ""
        offer.extra_info = "info"
        offer.starts_on = datetime.date(2027, 3, 1)
        offer.save()


def state(world):
    return sorted(
        Offer.objects.filter(school__lop=world.lop).values_list(
            "school__school_type",
            "year",
            "group__code",
            "capacity",
            "free_places",
            "free_places_indicator",
            "seated_pupils",
            "indicator_percentage",
            "suffix",
            "extra_info",
            "starts_on",
        )
    )


def test_nothing_is_due_before_1_july(lop_world):
    assert rollover.run(datetime.date(2027, 6, 30)) == []
    assert not FreePlacesSnapshot.objects.exists()


def test_1_july_keeps_the_free_places_once(lop_world, client):
    fill(lop_world)
    lines = rollover.run(datetime.date(2027, 7, 1))
    assert lines == ["noordrand: vrije plaatsen 2026-2027 bewaard (01/07/2027)"]
    assert rollover.run(datetime.date(2027, 7, 2)) == []
    (snapshot,) = FreePlacesSnapshot.objects.all()
    sheet = load_workbook(io.BytesIO(bytes(snapshot.xlsx))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Schooljaar", "Type", "Instellingsnummer")
    assert len(rows) == 1 + len(lop_world.offers)
    assert {(r[0], r[7], r[8]) for r in rows[1:]} == {(("2026-2027"), 20, 2), ("2027-2028", 24, 6)}
    client.force_login(lop_world.expert)
    response = client.get(f"/aanmelden/noordrand/beheer/vrije-plaatsen/{snapshot.pk}/")
    assert response.status_code == 200
    assert bytes(response.content) == bytes(snapshot.xlsx)
    client.force_login(lop_world.admins["so"])
    assert (
        client.get(f"/aanmelden/noordrand/beheer/vrije-plaatsen/{snapshot.pk}/").status_code == 404
    )


@pytest.mark.parametrize("first_day", [datetime.date(2027, 8, 1), datetime.date(2027, 9, 15)])
def test_1_august_moves_next_year_on_and_a_second_run_changes_nothing(lop_world, first_day):
    fill(lop_world)
    lines = rollover.run(first_day)
    assert lines[0].startswith("noordrand: vrije plaatsen 2026-2027 bewaard")  # none taken yet
    assert lines[1] == "noordrand: lopend schooljaar is nu 2027-2028 (5 opleidingen overgenomen)"
    lop_world.lop.refresh_from_db()
    assert lop_world.lop.year_label(Year.NEXT) == "2028-2029"
    after = state(lop_world)
    for school_type in lop_world.schools:
        current = [r for r in after if r[0] == school_type and r[1] == "current"]
        following = [r for r in after if r[0] == school_type and r[1] == "next"]
        march = datetime.date(2027, 3, 1)
        assert current == [(school_type, "current", 6246, 24, 6, 1, 5, 30, "(A)", "info", march)]
        assert following == [(school_type, "next", 6246, 24, None, None, None, 30, "(A)", "", None)]
    entries = AuditEntry.objects.count()
    assert rollover.run(first_day) == []
    assert rollover.run(first_day + datetime.timedelta(days=1)) == []
    assert state(lop_world) == after
    assert AuditEntry.objects.count() == entries


def test_the_command_and_the_scheduler_run_it(lop_world, monkeypatch):
    out = io.StringIO()
    call_command("enrolment", "rollover", "--today", "2027-08-01", stdout=out)
    assert "lopend schooljaar is nu 2027-2028" in out.getvalue()
    out = io.StringIO()
    call_command("enrolment", "rollover", "--today", "2027-08-01", stdout=out)
    assert out.getvalue() == ""
    # the scheduler's pass on 1 August a year later does the next one, as "scheduler"
    from django.utils import timezone

    moment = timezone.make_aware(datetime.datetime(2028, 8, 1, 3, 0))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "noordrand: lopend schooljaar is nu 2028-2029" in out.getvalue()
    assert AuditEntry.objects.filter(entity="offer", actor="scheduler").exists()


def test_a_1_july_copy_kept_by_another_process_meanwhile_is_no_crash(lop_world, monkeypatch):
    """Two schedulers (or one and a `rollover` by hand) on 1 July: both find no copy, both
    write one; the second used to end in an IntegrityError that stopped its pass."""
    real_xlsx = rollover.free_places_xlsx

    def other_process_first(lop):
        data = real_xlsx(lop)
        FreePlacesSnapshot.objects.create(
            lop=lop, school_year="2026-2027", taken_on=datetime.date(2027, 7, 1), xlsx=data
        )
        return data

    monkeypatch.setattr(rollover, "free_places_xlsx", other_process_first)
    assert rollover.run(datetime.date(2027, 7, 1)) == []
    assert FreePlacesSnapshot.objects.filter(lop=lop_world.lop).count() == 1
