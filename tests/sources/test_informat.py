import datetime
import hashlib
import json

import pytest

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.informat import current_registration, parse_informat
from schoolbrug.sources.validate import validate

TODAY = datetime.date(2025, 10, 1)


def national_number(birth: datetime.date, sequence: int) -> str:
    first9 = f"{birth:%y%m%d}{sequence:03d}"
    base = int(("2" if birth.year >= 2000 else "") + first9)
    return f"{first9}{97 - base % 97:02d}"


ZOE = national_number(datetime.date(2016, 3, 14), 2)
LUCAS = national_number(datetime.date(2015, 11, 2), 1)


def registration(code="1A", number=3, start="2025-09-01", end=None):
    return {"classCode": code, "classNumber": number, "startDate": start, "endDate": end}


def informat_pupil(person_id="p1", **fields):
    pupil = {
        "personId": person_id,
        "lastName": "Peeters",
        "firstName": "Zoë",
        "dateOfBirth": "2016-03-14T00:00:00",
        "sex": "V",
        "nationalRegistrationNo": f"{ZOE[:2]}.{ZOE[2:4]}.{ZOE[4:6]}-{ZOE[6:9]}.{ZOE[9:]}",
        "instituteNo": "012345",
        "classRegistrations": [registration()],
    }
    pupil.update(fields)
    return pupil


def write(tmp_path, data, name="leerlingen.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_an_informat_response_becomes_a_snapshot(tmp_path):
    path = write(
        tmp_path,
        {
            "pupils": [
                informat_pupil(
                    registrationNo="1001",
                    email="zoe@example.be",
                    mobile="0470 12 34 56",
                    address={"street": "Kerkstraat", "number": "12", "postalCode": "9000"},
                    relations=[
                        {"role": "Moeder", "email": "moeder@example.be", "phone": "09 1"},
                        {"role": "father", "mobile": "0471"},
                        {"role": "oma", "email": "oma@example.be"},
                    ],
                )
            ]
        },
    )
    snapshot = parse_informat(path, "012345", today=TODAY)
    assert (snapshot.source, snapshot.key, snapshot.classes_known) == (
        "informat",
        "national_number",
        False,
    )
    assert snapshot.files == {"pupils": "leerlingen.json"}
    assert snapshot.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    [pupil] = snapshot.pupils
    assert (pupil.line, pupil.source_id, pupil.class_code, pupil.class_number) == (1, "p1", "1A", 3)
    assert (pupil.family_name, pupil.given_name, pupil.gender) == ("Peeters", "Zoë", "F")
    assert pupil.birth_date == datetime.date(2016, 3, 14)
    assert pupil.national_number == ZOE
    assert (pupil.registration_number, pupil.email, pupil.phone) == (
        "1001",
        "zoe@example.be",
        "0470 12 34 56",
    )
    assert pupil.address == {"street": "Kerkstraat", "number": "12", "postal_code": "9000"}
    assert pupil.contacts == {
        "mother": {"email": "moeder@example.be", "phone": "09 1"},
        "father": {"phone": "0471"},
    }
    assert [(c.code, c.year, c.curriculum) for c in snapshot.classes] == [("1A", None, "")]
    assert snapshot.columns["national_number"] == "nationalRegistrationNo"


@pytest.mark.parametrize("key", ["pupils", "data"])
def test_the_list_may_sit_under_a_key_or_be_the_whole_file(tmp_path, key):
    wrapped = parse_informat(write(tmp_path, {key: [informat_pupil()]}), "012345", today=TODAY)
    bare = parse_informat(write(tmp_path, [informat_pupil()], "bare.json"), "012345", today=TODAY)
    assert wrapped.pupils == bare.pupils


def test_only_pupils_of_this_institution_are_read(tmp_path):
    path = write(
        tmp_path,
        [
            informat_pupil("p1", instituteNo="012345"),
            informat_pupil("p2", instituteNo="054321"),
            informat_pupil("p3", instituteNo=12345),  # a number loses its leading zero
            informat_pupil("p4", instituteNo=None),
        ],
    )
    snapshot = parse_informat(path, "012345", today=TODAY)
    assert [p.source_id for p in snapshot.pupils] == ["p1", "p3", "p4"]
    assert [p.line for p in snapshot.pupils] == [1, 3, 4]  # the position in the list


def test_the_current_registration_places_the_pupil():
    registrations = [
        registration("K3A", 5, "2024-09-01", "2025-06-30"),
        registration("1A", 3, "2025-09-01", None),
        registration("1B", 7, "2025-09-15", "2026-06-30"),
        registration("2A", 1, "2026-09-01", None),
    ]
    assert current_registration(registrations, TODAY)["classCode"] == "1B"  # started last
    assert current_registration(registrations[:2], TODAY)["classCode"] == "1A"


def test_a_pupil_who_starts_later_waits_without_class_number(tmp_path):
    path = write(
        tmp_path,
        [informat_pupil(classRegistrations=[registration("1A", 9, "2026-01-05")])],
    )
    snapshot = parse_informat(path, "012345", today=TODAY)
    [pupil] = snapshot.pupils
    assert (pupil.class_code, pupil.class_number) == ("1A", None)
    assert validate(snapshot).deferred == [pupil]


def test_a_pupil_whose_registrations_all_ended_has_left(tmp_path):
    ended = [registration("1A", 3, "2024-09-01", "2025-06-30")]
    path = write(
        tmp_path,
        [informat_pupil("p1", classRegistrations=ended), informat_pupil("p2")],
    )
    assert [p.source_id for p in parse_informat(path, "012345", today=TODAY).pupils] == ["p2"]


def test_a_pupil_without_registrations_is_kept_without_class(tmp_path):
    path = write(tmp_path, [informat_pupil(classRegistrations=[])])
    snapshot = parse_informat(path, "012345", today=TODAY)
    assert snapshot.pupils[0].class_code == ""
    result = validate(snapshot)
    assert [f.code for f in result.findings] == ["PUPIL_CLASS_MISSING"]
    assert result.rejected == snapshot.pupils


def test_without_a_classes_file_no_class_is_unknown(tmp_path):
    path = write(
        tmp_path,
        [
            informat_pupil("p1"),
            informat_pupil(
                "p2",
                nationalRegistrationNo=LUCAS,
                sex="M",
                dateOfBirth="2015-11-02",
                classRegistrations=[registration("3 C", 1)],
            ),
        ],
    )
    snapshot = parse_informat(path, "012345", today=TODAY)
    result = validate(snapshot)
    assert result.findings == []
    assert result.accepted == snapshot.pupils
    assert list(result.classes) == ["1A", "3 C"]


def test_broken_json_names_line_and_column(tmp_path):
    path = tmp_path / "leerlingen.json"
    path.write_text('[\n  {"personId": "p1",\n   "lastName" "Peeters"}\n]', encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        parse_informat(path, "012345")
    error = caught.value
    assert (error.file, error.line, error.field) == ("leerlingen.json", 3, "15")
    assert error.user_text().startswith("leerlingen.json, regel 3, kolom 15: ")


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"", 1),
        (b'{"total": 3}', 1),
        (b'"pupils"', 1),
        (b"[1, 2]", 1),
        (b"\xff\xfe[\x00]\x00", 1),
    ],
)
def test_what_is_not_an_informat_response_is_bad_input(tmp_path, content, line):
    path = tmp_path / "leerlingen.json"
    path.write_bytes(content)
    with pytest.raises(BadInput) as caught:
        parse_informat(path, "012345")
    assert (caught.value.file, caught.value.line) == ("leerlingen.json", line)
