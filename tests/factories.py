"""Small builders for records and files that tests share."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot


def national_number(birth: datetime.date, sequence: int) -> str:
    """A valid Belgian national number: odd sequence for boys, even for girls."""
    first9 = f"{birth:%y%m%d}{sequence:03d}"
    base = int(("2" if birth.year >= 2000 else "") + first9)
    return f"{first9}{97 - base % 97:02d}"


def pupil(
    sequence: int,
    class_code: str = "1A",
    class_number: int | None = 1,
    *,
    family_name: str = "Peeters",
    given_name: str = "Zoë",
    birth: datetime.date = datetime.date(2016, 3, 14),
    line: int = 0,
    **extra,
) -> PupilRecord:
    gender = "M" if sequence % 2 else "F"
    return PupilRecord(
        line=line or sequence + 1,
        source_id=extra.pop("source_id", f"W{sequence}"),
        class_code=class_code,
        class_number=class_number,
        family_name=family_name,
        given_name=given_name,
        gender=extra.pop("gender", gender),
        birth_date=birth,
        national_number=(
            extra.pop("national_number")
            if "national_number" in extra
            else national_number(birth, sequence)
        ),
        **extra,
    )


def klass(code: str = "1A", year: int = 1, curriculum: str = "LO", **extra) -> ClassRecord:
    return ClassRecord(
        code=code, stage=extra.pop("stage", ""), year=year, curriculum=curriculum, **extra
    )


def snapshot(pupils, classes=None, institution: str = "012345", **extra) -> Snapshot:
    if classes is None:
        classes = [klass(code) for code in sorted({p.class_code for p in pupils})]
    return Snapshot(
        source=extra.pop("source", "wisa"),
        institution_number=institution,
        classes=classes,
        pupils=list(pupils),
        files={"pupils": "leerlingen.csv", "classes": "klassen.csv"},
        **extra,
    )


@dataclass
class Validation:
    """A validation result with every pupil accepted, for planner tests."""

    accepted: list = field(default_factory=list)
    deferred: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    classes: dict = field(default_factory=dict)

    @classmethod
    def accepting(cls, snap: Snapshot) -> Validation:
        return cls(accepted=list(snap.pupils), classes={c.code: c for c in snap.classes})


WISA_PUPIL_HEADER = (
    "KLAS;KLASNUMMER;NAAM;VOORNAAM;GEBOORTEDATUM;WISAID;STAMBOEKNUMMER;GESLACHT;RIJKSREGISTERNR"
)


def wisa_files(
    tmp_path,
    pupils: list[PupilRecord],
    classes: list[ClassRecord],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ";",
):
    """Write a WISA pupils and classes export for these records; returns both paths."""
    # The optional EMAIL column of the pupil's main record, only when a pupil has one.
    emails = any(p.email for p in pupils)
    rows = [(WISA_PUPIL_HEADER + (";EMAIL" if emails else "")).replace(";", delimiter)]
    for p in pupils:
        cells = [
            p.class_code,
            "" if p.class_number is None else str(p.class_number),
            p.family_name,
            p.given_name,
            f"{p.birth_date.day}/{p.birth_date.month}/{p.birth_date.year}" if p.birth_date else "",
            p.source_id,
            p.registration_number,
            {"M": "M", "F": "V", "X": "X"}.get(p.gender, p.gender),
            p.national_number,
            *([p.email] if emails else []),
        ]
        rows.append(delimiter.join(cells))
    class_rows = [delimiter.join(["KLAS", "GRAAD", "LEERJAAR", "VAKKENPAKKET"])]
    for c in classes:
        year = ",".join(map(str, c.years)) if c.years else ("" if c.year is None else str(c.year))
        class_rows.append(delimiter.join([c.code, c.stage, year, c.curriculum]))
    pupils_path = tmp_path / "leerlingen.csv"
    classes_path = tmp_path / "klassen.csv"
    pupils_path.write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))
    classes_path.write_bytes(("\r\n".join(class_rows) + "\r\n").encode(encoding))
    return pupils_path, classes_path
