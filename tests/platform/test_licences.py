"""Linking licences to classes and pupils: seats counted, refusals in Dutch, every change
logged with the person who made it."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.platform import licences
from schoolbrug.platform.models import Licence, LicenceSeat
from schoolbrug.platform.refusals import Refused

from .conftest import add_pupils

pytestmark = pytest.mark.django_db
ICT = "ict@regenboog.be"


def test_a_group_licence_covers_the_pupils_of_its_classes(platform_school):
    s = platform_school
    jan, mila, noah, lotte = s.pupils
    with acting(ICT, "licenties"):
        licences.link_class(s.catalogue.group, s.classes["1A"])
    assert licences.used_seats(s.catalogue.group) == 2
    assert [p.code for p in licences.licensed_products(jan)] == ["REK-1"]
    assert licences.licensed_products(noah) == []
    entry = AuditEntry.objects.get(entity="licence_class")
    assert (entry.actor, entry.action, entry.institution_number) == (ICT, "create", "012345")


def test_a_group_licence_refuses_a_class_larger_than_its_seats(platform_school):
    s = platform_school
    s.catalogue.group.seats = 2
    s.catalogue.group.save()
    add_pupils(s, 3, "2B")
    licences.link_class(s.catalogue.group, s.classes["1A"])
    with pytest.raises(Refused) as refused:
        licences.link_class(s.catalogue.group, s.classes["2B"])
    assert refused.value.reason_nl == (
        "Er zijn niet genoeg licenties: groep 2B heeft 4 leerlingen zonder deze licentie, "
        "er zijn er nog 0 beschikbaar."
    )
    assert s.catalogue.group.class_links.count() == 1


def test_the_leavers_class_and_another_schools_class_cannot_be_linked(platform_school):
    s = platform_school
    with pytest.raises(Refused):
        licences.link_class(s.catalogue.group, s.classes["Schoolverlaters"])
    assert not s.catalogue.group.class_links.exists()


def test_child_seats_are_counted_and_never_oversold(platform_school):
    s = platform_school
    jan, mila, noah, lotte = s.pupils
    with acting(ICT, "licenties"):
        assert licences.link_pupils(s.catalogue.child, [jan]) == 1
        assert licences.available_seats(s.catalogue.child) == 1
        with pytest.raises(Refused) as refused:
            licences.link_pupils(s.catalogue.child, [mila, noah])
    assert refused.value.reason_nl == (
        "Er zijn niet genoeg licenties: je koppelt 2 leerlingen, er is nog 1 beschikbaar. "
        "Er is niets gekoppeld."
    )
    assert list(s.catalogue.child.seat_links.values_list("pupil", flat=True)) == [jan.pk]
    assert [p.code for p in licences.licensed_products(jan)] == ["TAAL-1"]


def test_a_leaver_gets_no_seat(platform_school):
    lotte = platform_school.pupils[3]
    with pytest.raises(Refused):
        licences.link_pupils(platform_school.catalogue.child, [lotte])


def test_ontkoppelen_frees_the_seat_and_both_are_logged_on_the_pupil(platform_school):
    s = platform_school
    jan = s.pupils[0]
    with acting(ICT, "licenties"):
        licences.link_pupils(s.catalogue.child, [jan])
        assert licences.unlink_pupils(s.catalogue.child, [jan]) == 1
    assert licences.available_seats(s.catalogue.child) == 2
    entries = AuditEntry.objects.filter(
        entity="pupil", entity_sourced_id=jan.sourced_id, action__in=["grant", "revoke"]
    )
    assert [(e.action, e.actor, e.changes) for e in entries.order_by("pk")] == [
        ("grant", ICT, {"licentie": [None, "Taalrijk"]}),
        ("revoke", ICT, {"licentie": ["Taalrijk", None]}),
    ]


def test_a_thousand_pupils_link_in_one_action_with_bulk_statements(platform_school):
    s = platform_school
    pupils = add_pupils(s, 1000, "2B")
    licence = Licence.objects.create(
        institution=s.institution, product=s.catalogue.taal, kind="child", seats=2000
    )
    with CaptureQueriesContext(connection) as queries, acting(ICT, "licenties"):
        assert licences.link_pupils(licence, pupils[:500]) == 500
    # A statement per batch (SQLite's limit on parameters makes more), never one per pupil.
    assert len(queries) < 30, [q["sql"][:80] for q in queries.captured_queries]
    more = add_pupils(s, 1000, "2B", start=1000)
    # Timed without the query capture; CPU time, as the machine is shared (bench/ measures
    # the wall clock on PostgreSQL).
    started = time.process_time()
    with acting(ICT, "licenties"):
        assert licences.link_pupils(licence, more) == 1000
    elapsed = time.process_time() - started
    assert LicenceSeat.objects.filter(licence=licence).count() == 1500
    assert AuditEntry.objects.filter(entity="pupil", actor=ICT, action="grant").count() == 1500
    assert elapsed < 1.0


@pytest.mark.parametrize(
    "extra, reason",
    [
        (["--seats", "99999999999"], "tussen 1 en 1000000"),
        (["--seats", "3", "--reference", "x" * 101], "langer dan 100 tekens"),
    ],
)
def test_licences_add_refuses_huge_seat_counts_and_long_references_clearly(
    platform_school, extra, reason
):
    from django.core.management import CommandError, call_command

    before = Licence.objects.count()
    with pytest.raises(CommandError, match=reason):
        call_command(
            "platform",
            "licences",
            "add",
            "--institution",
            platform_school.institution.number,
            "--product",
            "REK-1",
            "--kind",
            "group",
            *extra,
        )
    assert Licence.objects.count() == before
