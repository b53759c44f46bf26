"""A pupil's values are built positionally in their two producers (for speed); every other
reader takes them by name. These tests catch a value that lands under another name."""

import datetime

import pytest

from schoolbrug.registry.models import Enrolment, Institution, Pupil, SchoolClass, SchoolYear
from schoolbrug.sources.records import PupilRecord
from schoolbrug.sync.plan import record_values
from schoolbrug.sync.state import PUPIL_FIELDS, PupilValues, load_states

# One distinct value per field, so that two swapped fields cannot look right.
EXPECTED = {
    "family_name": "Peeters",
    "given_name": "Lotte",
    "gender": "F",
    "birth_date": datetime.date(2015, 3, 4),
    "registration_number": "STB-17",
    "email": "lotte@leerling.test",
    "phone": "+32 470 00 00 01",
    "contacts": {"mother": {"family_name": "Janssens"}},
    "address": {"city": "Gent"},
    "care_record": {"note": "bril"},
    "eckid": "https://ketenid.nl/201703/eck-1",
}


def test_every_field_has_an_expected_value():
    assert set(EXPECTED) == set(PUPIL_FIELDS)


def test_a_record_s_values_land_under_their_own_names():
    record = PupilRecord(
        line=2,
        source_id="1",
        class_code="1A",
        class_number=1,
        national_number="",
        **{name: value for name, value in EXPECTED.items()},
    )
    values = record_values(record, Institution.ContactSource.HEADER)
    assert isinstance(values, PupilValues)
    assert values._asdict() == EXPECTED


@pytest.mark.django_db
def test_the_registry_s_values_land_under_their_own_names():
    school = Institution.objects.create(number="012345", name="De Linde")
    year = SchoolYear.objects.create(start_year=2026)
    klas = SchoolClass.objects.create(institution=school, school_year=year, code="1A", year=1)
    pupil = Pupil.objects.create(institution=school, **EXPECTED)
    Enrolment.objects.create(pupil=pupil, school_class=klas, school_year=year, class_number=1)

    states = load_states(["012345"], year.pk, "wisa")

    (state,) = states["012345"].pupils
    assert state.values._asdict() == EXPECTED
