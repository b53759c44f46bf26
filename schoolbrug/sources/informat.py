"""Informat: a saved response of the Informat pupils API (JSON) → one `Snapshot`.

The file holds a JSON list of pupils, or an object with that list under "pupils", "data",
"students", "leerlingen", "items" or "results". One pupil:

    {
      "personId": "c3f1e0d2-…",              → source_id
      "lastName": "Peeters",                  → family_name
      "firstName": "Zoë",                     → given_name
      "dateOfBirth": "2016-03-14",            → birth_date (ISO; a time part is ignored)
      "sex": "V",                             → gender (M/V/F/X, as WISA)
      "nationalRegistrationNo": "16.03.14-002.84",  → national_number (separators removed)
      "instituteNo": "012345",                only pupils of this institution are read
      "registrationNo": "1234",               optional → registration_number
      "email": "…", "mobile": "…", "phone": "…",        optional → email, phone
      "address": {"street", "number", "box", "postalCode", "city"},   optional → address
      "relations": [                           optional → contacts
        {"role": "mother", "email": "…", "mobile": "…", "street": "…", …}
      ],
      "classRegistrations": [
        {"classCode": "1A", "classNumber": 3, "startDate": "2025-09-01", "endDate": null}
      ]
    }

Choosing the class registration, on `today`:

* the current one: started (or no start date) and not yet ended (or no end date); of
  several, the one that started last;
* none current but one still to come: the first to come, without its class number, so the
  pupil waits like a WISA pupil without class number until the registration starts;
* only ended registrations: the pupil has left this institution and is not in the snapshot;
* no registrations at all: the pupil is kept without class (validation rejects it).

Informat sends no classes file: the snapshot's classes are the class codes the pupils'
registrations name (code only) and `classes_known` is False, so no class is "unknown".

Rows are filtered on `instituteNo` (leading zeros ignored, "012345" = "12345"); a pupil
without one is kept. JSON has no useful line numbers (an API response is usually a single
line), so a pupil's `line` is its 1-based position in the pupils list.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot
from schoolbrug.sources.tabular import (
    compact_national_number,
    gc_paused,
    normalise_gender,
    parse_class_number,
    parse_date,
)

LIST_KEYS = ("pupils", "data", "students", "leerlingen", "items", "results")
COLUMNS = {
    "source_id": "personId",
    "family_name": "lastName",
    "given_name": "firstName",
    "birth_date": "dateOfBirth",
    "gender": "sex",
    "national_number": "nationalRegistrationNo",
    "registration_number": "registrationNo",
    "email": "email",
    "class_code": "classRegistrations.classCode",
    "class_number": "classRegistrations.classNumber",
}
ADDRESS_KEYS = {
    "street": "street",
    "number": "number",
    "box": "box",
    "postal_code": "postalCode",
    "city": "city",
}
ROLES = {
    "father": "father",
    "vader": "father",
    "mother": "mother",
    "moeder": "mother",
    "guardian": "guardian",
    "voogd": "guardian",
}


def parse_informat(
    json_path: str | Path,
    institution_number: str,
    *,
    today: datetime.date | None = None,
) -> Snapshot:
    """Read one institution's pupils from a saved Informat API response.

    Raises `BadInput` (with line and column for broken JSON) when the file is not such a
    response.
    """
    path = Path(json_path)
    today = today or datetime.date.today()
    data = _read_bytes(path)
    pupils_data = _pupil_list(_load_json(data, path.name), path.name)
    with gc_paused():
        pupils, class_codes = _read_pupils(pupils_data, institution_number, today, path.name)
    return Snapshot(
        source="informat",
        institution_number=str(institution_number),
        classes=[ClassRecord(code=code) for code in class_codes],
        pupils=pupils,
        files={"pupils": path.name},
        source_hash=hashlib.sha256(data).hexdigest(),
        key="national_number",
        classes_known=False,
        columns=dict(COLUMNS),
    )


def _read_pupils(
    pupils_data: list, institution_number: str, today: datetime.date, file: str
) -> tuple[list[PupilRecord], dict[str, None]]:
    wanted = _institution_key(institution_number)
    pupils: list[PupilRecord] = []
    class_codes: dict[str, None] = {}  # in order of first appearance
    for position, item in enumerate(pupils_data, start=1):
        if not isinstance(item, dict):
            raise BadInput(
                f"Leerling {position} in de lijst is geen JSON-object.",
                f"pupil {position} in the list is not a JSON object",
                file=file,
                line=position,
            )
        institute = _institution_key(_text(item.get("instituteNo")))
        if institute and wanted and institute != wanted:
            continue
        registration = current_registration(item.get("classRegistrations"), today)
        if registration is LEFT:
            continue
        record = _pupil(item, position, registration)
        if record.class_code:
            class_codes.setdefault(record.class_code)
        pupils.append(record)
    return pupils, class_codes


LEFT: dict = {}  # what current_registration returns when every registration has ended


def current_registration(registrations: object, today: datetime.date) -> dict | None:
    """The registration that places the pupil today (see the module docstring).

    Returns None when there is none at all, `LEFT` when all have ended, and for a
    registration still to come a copy without class number.
    """
    if not isinstance(registrations, list):
        return None
    current: list[tuple[datetime.date, int, dict]] = []
    coming: list[tuple[datetime.date, int, dict]] = []
    ended = False
    for order, registration in enumerate(registrations):
        if not isinstance(registration, dict):
            continue
        start = parse_date(_text(registration.get("startDate")))
        end = parse_date(_text(registration.get("endDate")))
        if end is not None and end < today:
            ended = True
        elif start is not None and start > today:
            coming.append((start, order, registration))
        else:
            current.append((start or datetime.date.min, order, registration))
    if current:
        return max(current, key=lambda item: item[:2])[2]
    if coming:
        first = min(coming, key=lambda item: item[:2])[2]
        return {**first, "classNumber": None}
    return LEFT if ended else None


def _pupil(item: dict, position: int, registration: dict | None) -> PupilRecord:
    registration = registration or {}
    raw_birth = _text(item.get("dateOfBirth"))
    raw_gender = _text(item.get("sex"))
    address = item.get("address")
    return PupilRecord(
        line=position,
        source_id=_text(item.get("personId")),
        class_code=_code(registration.get("classCode")),
        class_number=parse_class_number(_text(registration.get("classNumber"))),
        family_name=_text(item.get("lastName")),
        given_name=_text(item.get("firstName")),
        gender=normalise_gender(raw_gender),
        birth_date=parse_date(raw_birth) if raw_birth else None,
        national_number=compact_national_number(_text(item.get("nationalRegistrationNo"))),
        registration_number=_text(item.get("registrationNo")),
        email=_text(item.get("email")),
        phone=_text(item.get("mobile")) or _text(item.get("phone")),
        contacts=_contacts(item.get("relations")),
        raw_gender=raw_gender,
        raw_birth_date=raw_birth,
        address=_address(address) if isinstance(address, dict) else {},
    )


def _address(data: dict) -> dict[str, str]:
    values = {field: _text(data.get(key)) for field, key in ADDRESS_KEYS.items()}
    return {field: value for field, value in values.items() if value}


def _contacts(relations: object) -> dict[str, dict[str, str]]:
    contacts: dict[str, dict[str, str]] = {}
    if not isinstance(relations, list):
        return contacts
    for relation in relations:
        if not isinstance(relation, dict):
            continue
        role = ROLES.get(_text(relation.get("role")).lower())
        if role is None or role in contacts:
            continue
        values = _address(relation)
        for field, value in (
            ("email", _text(relation.get("email"))),
            ("phone", _text(relation.get("mobile")) or _text(relation.get("phone"))),
        ):
            if value:
                values[field] = value
        if values:
            contacts[role] = values
    return contacts


def _text(value: object) -> str:
    """A JSON value as stripped text; None → ""."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _code(value: object) -> str:
    """A class code exactly as sent (every letter and space counts); blank → ""."""
    if value is None or isinstance(value, dict | list):
        return ""
    code = str(value)
    return "" if code.isspace() else code


def _institution_key(number: str) -> str:
    return str(number).strip().lstrip("0")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(
            "Het bestand kan niet gelezen worden.",
            f"cannot read file: {exc.strerror}",
            file=path.name,
        ) from exc


def _load_json(data: bytes, file: str) -> object:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(
            "Het bestand is geen UTF-8-tekst en dus geen Informat-export.",
            "not UTF-8 text: not an Informat export",
            file=file,
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"Het bestand is geen geldige JSON: {exc.msg}.",
            f"not valid JSON: {exc.msg}",
            file=file,
            line=exc.lineno,
            field=str(exc.colno),
        ) from exc
    except RecursionError:
        raise BadInput(
            "Het bestand is geen Informat-export: de JSON is te diep genest (lijsten of "
            "objecten honderden lagen diep in elkaar).",
            "not an Informat export: JSON nested too deeply",
            file=file,
        ) from None
    except ValueError as exc:  # a number of thousands of digits
        raise BadInput(
            "Het bestand is geen Informat-export: het bevat een getal van duizenden cijfers.",
            f"not an Informat export: {exc}",
            file=file,
        ) from None


def _pupil_list(data: object, file: str) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in LIST_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
    raise BadInput(
        "Het bestand bevat geen lijst met leerlingen (verwacht een JSON-lijst of een object "
        'met "pupils" of "data").',
        "no pupil list: expected a JSON list or an object with 'pupils' or 'data'",
        file=file,
        line=1,
    )
