"""Small exports and links for the SIS link tests (upload, scheduler, pages)."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from pathlib import Path

from schoolbrug.links import editing
from schoolbrug.links.models import SourceLink
from schoolbrug.registry.models import Institution
from tests.factories import klass, national_number, pupil, wisa_files

NUMBER = "012345"
CLASSES = [klass("1A"), klass("2B", year=2)]
PUPILS = [
    pupil(i, "1A" if i % 2 else "2B", class_number=i, birth=datetime.date(2016, 3, i))
    for i in range(1, 7)
]


def make_link(
    number: str = NUMBER, source: str = "wisa", *, active: bool = True, **fields
) -> tuple[SourceLink, str]:
    """An institution with a link; returns the link and its token."""
    institution, _ = Institution.objects.get_or_create(
        number=number, defaults={"name": f"School {number}"}
    )
    link = SourceLink(institution=institution, source=source, sync_active=active, **fields)
    token = editing.create_link(link, "test")
    return link, token


def secret_part(token: str) -> str:
    """What follows the displayable prefix `sbk_1a2b3c4d_` (it may hold "_" itself)."""
    return token[len("sbk_1a2b3c4d_") :]


def wisa_pair(folder: Path, pupils=PUPILS, classes=CLASSES) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return wisa_files(folder, pupils, classes)


def wisa_zip(folder: Path, pupils=PUPILS, classes=CLASSES, inner: str = "export/") -> bytes:
    pupils_path, classes_path = wisa_pair(folder, pupils, classes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(inner + "leerlingen.csv", pupils_path.read_bytes())
        archive.writestr(inner + "klassen.csv", classes_path.read_bytes())
    return buffer.getvalue()


def informat_pupil(sequence: int, class_code: str = "1A", number: str = NUMBER) -> dict:
    birth = datetime.date(2016, 4, sequence)
    return {
        "personId": f"p{sequence}",
        "lastName": f"Janssens{sequence}",
        "firstName": "Mila",
        "dateOfBirth": birth.isoformat(),
        "sex": "V" if sequence % 2 == 0 else "M",
        "nationalRegistrationNo": national_number(birth, sequence),
        "instituteNo": number,
        "classRegistrations": [
            {"classCode": class_code, "classNumber": sequence, "startDate": "2020-09-01"}
        ],
    }


def informat_json(count: int = 4) -> bytes:
    pupils = [informat_pupil(i, "1A" if i % 2 else "2B") for i in range(1, count + 1)]
    return json.dumps({"pupils": pupils}, ensure_ascii=False).encode("utf-8")


def oneroster_zip() -> bytes:
    from tests.sources.test_oneroster import base_set

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in base_set().items():
            archive.writestr(name, text)
    return buffer.getvalue()
