"""The rights matrix in full: role × school type × period × field, each allowed and refused.

For a school admin a change is allowed exactly when the LOP opened that right for the school's
type in today's period. To show that no other cell leaks into it, the "opened" case opens only
that right in that one cell, and the "closed" case opens every other right in that cell and
every right in every other cell. The LOP expert and a site admin may change anything; another
school's admin and a person without a role nothing. A refused save writes nothing.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import transaction

from schoolbrug.enrolment import editing, rights
from schoolbrug.enrolment.models import (
    FreeEnrolmentStart,
    Offer,
    Period,
    SchoolAdminRights,
    SchoolType,
    Year,
)

from .conftest import TODAY

# Each offer field a page may send, with a value that differs from the stored one.
NEW_VALUES = {
    "capacity": "25",
    "free_places": "12",
    "free_places_indicator": "4",
    "seated_pupils": "6",
    "extra_info": "Infoavond op 20 april",
    "starts_on": "2027-04-01",
    "ends_on": "2027-04-30",
    "indicator_percentage": "35",
    "suffix": "(campus Noord)",
}
# Adding and removing a programme are the "programmes" right.
ACTIONS = [*NEW_VALUES, "add_programme", "remove_programme"]
ROLES = ["school_admin", "lop_expert", "site_admin", "other_school_admin", "no_role"]


def right_for(action: str) -> str | None:
    if action in ("add_programme", "remove_programme"):
        return rights.PROGRAMMES
    return rights.right_of_field(action)


def set_period(lop, school_type: str, period: str) -> str:
    """Today's period for this type as asked; returns the offer year it concerns."""
    if period == Period.CURRENT:
        # Free enrolment for next year has started: must not matter for the current year.
        starts_on = TODAY - datetime.timedelta(days=30)
        year = Year.CURRENT
    elif period == Period.NEXT_BEFORE:
        starts_on = TODAY + datetime.timedelta(days=1)
        year = Year.NEXT
    else:
        starts_on = TODAY  # the start day itself is after
        year = Year.NEXT
    FreeEnrolmentStart.objects.update_or_create(
        lop=lop, school_type=school_type, defaults={"starts_on": starts_on}
    )
    return year


def open_rights(lop, school_type: str, period: str, right: str | None, opened: bool) -> None:
    for cell_type, cell_period in itertools.product(SchoolType.values, Period.values):
        this_cell = (cell_type, cell_period) == (school_type, period)
        values = {
            name: (name == right) if (this_cell and opened) else not (this_cell and name == right)
            for name in rights.RIGHTS
        }
        SchoolAdminRights.objects.create(
            lop=lop, school_type=cell_type, period=cell_period, **values
        )


def person(world, role: str, school_type: str):
    if role == "school_admin":
        return world.admins[school_type]
    if role == "other_school_admin":
        other = next(t for t in SchoolType.values if t != school_type)
        return world.admins[other]
    return {"lop_expert": world.expert, "site_admin": world.site_admin, "no_role": world.outsider}[
        role
    ]


def attempt(world, user, school, offer, action: str) -> None:
    if action == "add_programme":
        editing.add_programme(user, school, offer.year, 43105, today=TODAY)
    elif action == "remove_programme":
        editing.remove_programme(user, offer, today=TODAY)
    else:
        editing.save_offers(user, school, {offer.pk: {action: NEW_VALUES[action]}}, today=TODAY)


def offer_state(school):
    return sorted(
        Offer.objects.filter(school=school).values_list(
            "year",
            "group__code",
            *(name for name in NEW_VALUES),
        )
    )


@pytest.mark.parametrize("school_type", SchoolType.values)
@pytest.mark.parametrize("role", ROLES)
def test_rights_matrix(lop_world, role, school_type, subtests):
    # Every period × action × opened/closed cell on one world, each in a savepoint rolled
    # back after it: the cells stay independent and the world is built 25 times, not 1,650.
    for period, action, opened in itertools.product(Period.values, ACTIONS, (True, False)):
        state = "opened" if opened else "closed"
        with subtests.test(period=period, action=action, right=state), transaction.atomic():
            check_cell(lop_world, role, school_type, period, action, opened)
            transaction.set_rollback(True)


def check_cell(world, role, school_type, period, action, opened):
    year = set_period(world.lop, school_type, period)
    right = right_for(action)
    open_rights(world.lop, school_type, period, right, opened)
    school = world.schools[school_type]
    # Read afresh: an earlier cell's removal left its in-memory offer without a key.
    offer = Offer.objects.get(school=school, year=year, group__code=6246)
    assert rights.period_of(school, year, TODAY) == period

    expected = role in ("lop_expert", "site_admin") or (
        role == "school_admin" and opened and right is not None
    )
    before = offer_state(school)
    if expected:
        attempt(world, person(world, role, school_type), school, offer, action)
        assert offer_state(school) != before
    else:
        with pytest.raises(editing.Refused):
            attempt(world, person(world, role, school_type), school, offer, action)
        assert offer_state(school) == before


def test_unchanged_fields_outside_the_rights_pass_and_change_nothing(lop_world):
    """A form sends back what it showed: an unchanged value is no change, refused or not."""
    school = lop_world.schools["so"]
    offer = lop_world.offers[("so", Year.CURRENT)]
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    changed = editing.save_offers(
        lop_world.admins["so"],
        school,
        {offer.pk: {"capacity": "20", "free_places": "7"}},
        today=TODAY,
    )
    offer.refresh_from_db()
    assert (changed, offer.capacity, offer.free_places) == (1, 20, 7)


def test_one_refused_field_refuses_the_whole_save(lop_world):
    school = lop_world.schools["so"]
    offer = lop_world.offers[("so", Year.CURRENT)]
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    with pytest.raises(editing.Refused) as refused:
        editing.save_offers(
            lop_world.admins["so"],
            school,
            {offer.pk: {"free_places": "7", "capacity": "99"}},
            today=TODAY,
        )
    assert refused.value.refused == [("6246 (2026-2027)", "capacity")]
    offer.refresh_from_db()
    assert (offer.capacity, offer.free_places) == (20, 10)


def test_another_schools_offer_is_refused(lop_world):
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, capacity=True
    )
    foreign = lop_world.offers[("bao", Year.CURRENT)]
    with pytest.raises(editing.Refused):
        editing.save_offers(
            lop_world.admins["so"],
            lop_world.schools["so"],
            {foreign.pk: {"capacity": "1"}},
            today=TODAY,
        )
    foreign.refresh_from_db()
    assert foreign.capacity == 20


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("capacity", "-3", "geen geheel getal van 0 of meer"),
        ("capacity", "tien", "geen geheel getal van 0 of meer"),
        ("starts_on", "31/04/2027", "geen datum (jjjj-mm-dd)"),
        ("free_places_indicator", "11", "meer dan het aantal vrije plaatsen"),
        ("indicator_percentage", "120", "geen percentage tussen 0 en 100"),
    ],
)
def test_bad_values_are_named_and_nothing_is_written(lop_world, field, text, reason):
    offer = lop_world.offers[("so", Year.NEXT)]
    school = lop_world.schools["so"]
    with pytest.raises(editing.Invalid) as invalid:
        editing.save_offers(
            lop_world.expert,
            school,
            {offer.pk: {"seated_pupils": "9", field: text}},
            today=TODAY,
        )
    assert invalid.value.problems == [("6246 (2027-2028)", field, reason)]
    offer.refresh_from_db()
    assert offer.seated_pupils == 5


def test_every_change_is_in_the_audit_log_with_its_actor(lop_world):
    from schoolbrug.audit.context import acting
    from schoolbrug.audit.models import AuditEntry

    offer = lop_world.offers[("bubao", Year.NEXT)]
    with acting("deskundige@lop.example", "pagina aanbod"):
        editing.save_offers(
            lop_world.expert, lop_world.schools["bubao"], {offer.pk: {"capacity": "30"}}
        )
    entry = AuditEntry.objects.filter(entity="offer").latest("id")
    assert (entry.actor, entry.action, entry.institution_number, entry.changes) == (
        "deskundige@lop.example",
        "update",
        offer.school.institution.number,
        {"capacity": [20, 30]},
    )
