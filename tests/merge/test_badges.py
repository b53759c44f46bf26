"""A merge lists the scan badges whose code changed, from what it did: none while every
pupil keeps their stable id, and exactly the pupils whose id was replaced otherwise."""

from __future__ import annotations

import io
import uuid

import pytest
from pypdf import PdfReader

from schoolbrug.merge.badges import changed_badge_sheet, changed_badges
from schoolbrug.registry.models import Enrolment, Institution, Pupil, SchoolClass, SchoolYear

pytestmark = pytest.mark.django_db


@pytest.fixture
def pupils():
    school = Institution.objects.create(number="012345", name="De Regenboog")
    year = SchoolYear.objects.create(start_year=2026)
    old_year = SchoolYear.objects.create(start_year=2025)
    made = []
    for given, code in (("Jan", "1A"), ("Mila", "2B")):
        pupil = Pupil.objects.create(institution=school, family_name="Peeters", given_name=given)
        for school_year, class_code in ((old_year, "K3"), (year, code)):
            school_class, _ = SchoolClass.objects.get_or_create(
                institution=school, school_year=school_year, code=class_code
            )
            Enrolment.objects.create(
                pupil=pupil, school_class=school_class, school_year=school_year
            )
        made.append(pupil)
    return made


def test_no_badge_changes_while_every_pupil_keeps_their_id(pupils):
    kept = {str(p.sourced_id): str(p.sourced_id) for p in pupils}
    assert changed_badges(kept) == []
    assert changed_badges({}) == []


def test_a_pupil_whose_id_was_replaced_is_listed_with_old_and_new_code(pupils):
    jan, mila = pupils
    old = uuid.uuid4()
    other_record = uuid.uuid4()  # a class's or staff member's id: not a badge
    id_map = {old: jan.sourced_id, str(mila.sourced_id): str(mila.sourced_id)}
    id_map[str(other_record)] = str(uuid.uuid4())

    (changed,) = changed_badges(id_map)

    assert changed.old_code == str(old) and changed.new_code == str(jan.sourced_id)
    assert (changed.given_name, changed.class_code, changed.institution_number) == (
        "Jan",
        "1A",  # this school year's class, not last year's
        "012345",
    )

    text = PdfReader(io.BytesIO(changed_badge_sheet([changed]))).pages[0].extract_text()
    assert str(jan.sourced_id) in text and str(old) not in text
    assert "Jan Peeters" in text and "Klas 1A" in text


def test_a_pupil_without_an_enrolment_is_listed_without_a_class(pupils):
    jan = pupils[0]
    Enrolment.objects.filter(pupil=jan).delete()
    (changed,) = changed_badges({uuid.uuid4(): jan.sourced_id})
    assert changed.class_code == "" and changed.new_code == str(jan.sourced_id)
