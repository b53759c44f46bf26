"""What a school posts to the upload endpoint: which export it is, and the name each file is
stored under; files that are not what the link takes are refused naming the form field."""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from schoolbrug.sources import zips
from schoolbrug.sources.wisa import CLASSES_FILE, PUPILS_FILE

from . import storage
from .storage import EXPORT_ZIP, INFORMAT_FILE

WISA_EXPECTED = (
    "WISA: de velden 'leerlingen' en 'klassen' (CSV) of één zip-bestand met leerlingen.csv en "
    "klassen.csv"
)


class UploadRefused(Exception):
    """The request's files are not what this link takes; names the form field."""

    def __init__(self, field: str, message_nl: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_nl = message_nl
        self.message_en = message_en

    def as_dict(self) -> dict:
        return {
            "error": "bad_file",
            "field": self.field,
            "message": self.message_nl,
            "message_en": self.message_en,
        }


def plan_upload(source: str, files: dict[str, list]) -> tuple[str, dict[str, object]]:
    """Which format the posted files are and the name each is stored under.

    `files`: form field → uploaded files (Django's `request.FILES.lists()`). Returns
    (format, {stored name: uploaded file}); raises UploadRefused naming the field.
    """
    for name, items in files.items():
        if len(items) > 1:
            raise UploadRefused(
                name,
                f"Het veld '{name}' bevat meer dan één bestand; stuur er één per veld.",
                f"field '{name}' holds more than one file",
            )
        if items[0].size == 0:
            raise UploadRefused(name, f"Het bestand in '{name}' is leeg.", f"'{name}' is empty")
        if items[0].size > storage.MAX_UPLOAD_BYTES:
            raise UploadRefused(
                name,
                f"Het bestand in '{name}' is groter dan {storage.MAX_UPLOAD_BYTES // 2**20} MB.",
                f"'{name}' is too large",
            )
    single = {name: items[0] for name, items in files.items()}
    if source in ("wisa", "file_drop") and ({"leerlingen", "klassen"} & single.keys()):
        return "wisa", _wisa_pair(single)
    if source == "wisa":
        name, upload = _one(single, "export", WISA_EXPECTED)
        _require_zip(name, upload, "leerlingen.csv en klassen.csv")
        return "wisa", {EXPORT_ZIP: upload}
    if source == "oneroster":
        name, upload = _one(single, "export", "OneRoster: één zip-bestand")
        _require_zip(name, upload, "de OneRoster-CSV-bestanden")
        return "oneroster", {EXPORT_ZIP: upload}
    if source == "informat":
        _, upload = _one(single, "export", "Informat: één JSON-bestand")
        return "informat", {INFORMAT_FILE: upload}
    name, upload = _one(single, "export", "één export (zip, JSON) of 'leerlingen' + 'klassen'")
    if _is_zip(upload):
        return _zip_format(name, upload), {EXPORT_ZIP: upload}
    return "informat", {INFORMAT_FILE: upload}


def _wisa_pair(single: dict) -> dict:
    for name in single:
        if name not in ("leerlingen", "klassen"):
            raise UploadRefused(
                name,
                f"Onverwacht veld '{name}': een WISA-export heeft de velden 'leerlingen' en "
                "'klassen'.",
                f"unexpected field '{name}': WISA takes 'leerlingen' and 'klassen'",
            )
    for name in ("leerlingen", "klassen"):
        if name not in single:
            raise UploadRefused(
                name,
                f"Het veld '{name}' ontbreekt: een WISA-export bestaat uit het leerlingen- en "
                "het klassenbestand (CSV).",
                f"field '{name}' is missing",
            )
    return {PUPILS_FILE: single["leerlingen"], CLASSES_FILE: single["klassen"]}


def _one(single: dict, expected: str, what: str) -> tuple[str, object]:
    if not single:
        raise UploadRefused(
            expected,
            f"Geen bestand ontvangen. Verwacht: {what}, als multipart/form-data (veld "
            f"'{expected}').",
            f"no file received; expected field '{expected}'",
        )
    if len(single) > 1:
        extra = sorted(single)[1]
        raise UploadRefused(
            extra,
            f"Te veel bestanden (ook in '{extra}'). Verwacht: {what}.",
            f"too many files (also in '{extra}')",
        )
    return next(iter(single.items()))


def _is_zip(upload) -> bool:
    upload.seek(0)
    try:
        return zipfile.is_zipfile(upload)
    finally:
        upload.seek(0)


def _require_zip(name: str, upload, holding: str) -> None:
    if not _is_zip(upload):
        raise UploadRefused(
            name,
            f"Het bestand in '{name}' is geen zip-bestand. Verwacht: een zip met {holding}.",
            f"'{name}' is not a zip file",
        )


def _zip_format(name: str, upload) -> str:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = {PurePosixPath(n).name.lower() for n in archive.namelist()}
    except zips.BROKEN:
        raise UploadRefused(
            name,
            f"Het bestand in '{name}' is geen leesbaar zip-bestand (beschadigd).",
            f"'{name}' is a damaged zip file",
        ) from None
    upload.seek(0)
    return "wisa" if PUPILS_FILE in names else "oneroster"
