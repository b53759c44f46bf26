"""The link with an institution's administration package: token, audit, and the exports that
come in over it (posted to the upload endpoint, left in the drop folder, pulled from Informat).

Token: `sbk_<8 hex>_<43 url-safe characters>`. The first part (`sbk_1a2b3c4d`) is a random
label with no secret in it: it is stored and shown to recognise the token. The rest holds 256
random bits. Only the SHA-256 of the whole token is stored; a token that is lost is replaced,
never shown again.

Files: each export is kept under `VAR_DIR/uploads/<upload uuid>/` with fixed names
(`leerlingen.csv` + `klassen.csv` or `export.zip` for WISA, `leerlingen.json` for Informat,
`export.zip` or the CSV files for OneRoster), never the sender's file names. The folder of the
newest `KEEP_UPLOAD_FILES` exports of a link is kept (to look into a report, or to apply a
stopped sync with `schoolbrug sync … --force`); older ones are removed.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
import secrets
import shutil
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from schoolbrug.audit.changes import changed_fields
from schoolbrug.audit.context import acting
from schoolbrug.sources import zips
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import Snapshot
from schoolbrug.sources.wisa import CLASSES_FILE, PUPILS_FILE

from .models import LinkUpload, SourceLink

TOKEN_PREFIX = "sbk_"
AUDIT_REASON = "koppeling"

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # per file, and unpacked per zip
KEEP_UPLOAD_FILES = 3
# A file in the drop folder changed less than this many seconds ago may still be written.
DROP_SETTLE_SECONDS = 30

EXPORT_ZIP = "export.zip"
INFORMAT_FILE = "leerlingen.json"
WISA_FROM_ZIP = "uitgepakt"  # sub-folder a WISA zip is unpacked into
ONEROSTER_NAMES = frozenset({"manifest.csv", "orgs.csv", "users.csv", "enrollments.csv"})
WISA_EXPECTED = (
    "WISA: de velden 'leerlingen' en 'klassen' (CSV) of één zip-bestand met leerlingen.csv en "
    "klassen.csv"
)


# --- token --------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A new link token and its displayable prefix."""
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def link_for_token(token: str) -> SourceLink | None:
    """The link a token belongs to, or None. Looked up by hash: the token is never compared."""
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return (
        SourceLink.objects.select_related("institution")
        .filter(token_hash=hash_token(token))
        .first()
    )


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header; "" for anything else."""
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _set_token(link: SourceLink) -> str:
    token, prefix = new_token()
    link.token_hash = hash_token(token)
    link.token_prefix = prefix
    link.token_created_at = timezone.now()
    return token


# --- changes, each audited ----------------------------------------------------------------
# The audit log follows links and institutions by itself (`audit.changes`: entity `link`, the
# token's prefix, "gewijzigd" for the token hash and the client secret, never their value);
# these functions say who changes them and why.


def create_link(link: SourceLink, actor: str, contact_source: str | None = None) -> str:
    """Save a new link (unsaved instance) with a new token; returns the token, to show once."""
    token = _set_token(link)
    institution = link.institution
    with transaction.atomic(), acting(actor, AUDIT_REASON):
        link.save()
        if contact_source is not None and contact_source != institution.contact_source:
            institution.contact_source = contact_source
            institution.save(update_fields=["contact_source", "updated_at"])
    return token


def regenerate_token(link: SourceLink, actor: str) -> str:
    """A new token for the link: the old one stops working at once. Returns the new token."""
    token = _set_token(link)
    with transaction.atomic(), acting(actor, AUDIT_REASON):
        link.save(update_fields=["token_hash", "token_prefix", "token_created_at", "updated_at"])
    return token


# What a school edits on the link page (the form's fields); the log records these and more.
AUDITED_FIELDS = (
    "source",
    "sync_active",
    "daily_time",
    "leaver_blackout",
    "informat_base_url",
    "informat_token_url",
    "informat_client_id",
    "informat_scope",
)


def save_link_changes(
    link: SourceLink, before: SourceLink, actor: str, contact_source: str | None = None
) -> dict:
    """Save an edited link (and the institution's contact source); returns what changed,
    as the audit log records it ({} when nothing did: then nothing is saved)."""
    changes = changed_fields(before, link)
    institution = link.institution
    if contact_source is not None and contact_source != institution.contact_source:
        changes["contact_source"] = [institution.contact_source, contact_source]
        institution.contact_source = contact_source
    if not changes:
        return changes
    with transaction.atomic(), acting(actor, AUDIT_REASON):
        link.save()
        if "contact_source" in changes:
            institution.save(update_fields=["contact_source", "updated_at"])
    return changes


# --- files --------------------------------------------------------------------------------


def uploads_root() -> Path:
    return Path(settings.VAR_DIR) / "uploads"


def upload_dir(upload_id) -> Path:
    return uploads_root() / str(upload_id)


def drop_dir(institution_number: str) -> Path:
    return Path(settings.VAR_DIR) / "drop" / institution_number


def private_dir(path: Path) -> Path:
    """A folder only this user may read: it holds personal data."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


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
        if items[0].size > MAX_UPLOAD_BYTES:
            raise UploadRefused(
                name,
                f"Het bestand in '{name}' is groter dan {MAX_UPLOAD_BYTES // 2**20} MB.",
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


def store_upload(
    link: SourceLink, fmt: str, files: dict[str, object], *, started_by: str
) -> LinkUpload:
    """Write posted files under the uploads folder and make their upload record."""
    upload = LinkUpload(
        link=link,
        origin=LinkUpload.Origin.UPLOAD,
        format=fmt,
        received_at=timezone.now(),
        started_by=started_by,
    )
    folder = private_dir(upload_dir(upload.pk))
    try:
        for name, uploaded in files.items():
            uploaded.seek(0)
            with private_file(folder / name) as out:
                for chunk in uploaded.chunks():
                    out.write(chunk)
        upload.save()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return upload


def private_file(path: Path):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


# --- the drop folder ----------------------------------------------------------------------


def new_drop_files(link: SourceLink) -> list[Path]:
    """The files in the link's drop folder when one is newer than its last run and none is
    still being written; [] otherwise."""
    folder = drop_dir(link.institution.number)
    try:
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    except OSError:
        return []
    if not files:
        return []
    mtimes = [p.stat().st_mtime for p in files]
    if link.last_run_at is not None and max(mtimes) <= link.last_run_at.timestamp():
        return []
    if max(mtimes) > time.time() - DROP_SETTLE_SECONDS:
        return []  # the next check takes it, once the writer is done
    return files


def newest_drop_time(files: Iterable[Path]) -> datetime.datetime:
    newest = max(p.stat().st_mtime for p in files)
    return datetime.datetime.fromtimestamp(newest, tz=datetime.UTC)


def store_drop(link: SourceLink, files: list[Path], *, started_by: str) -> LinkUpload:
    """Copy the drop folder's files into a new upload (the drop folder stays as it is)."""
    upload = LinkUpload(
        link=link,
        origin=LinkUpload.Origin.DROP,
        format=link.source,
        received_at=timezone.now(),
        started_by=started_by,
    )
    folder = private_dir(upload_dir(upload.pk))
    try:
        for path in files:
            target = folder / path.name
            with path.open("rb") as src, private_file(target) as out:
                shutil.copyfileobj(src, out)
        upload.save()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return upload


# --- reading an export --------------------------------------------------------------------


def read_export(folder: Path, fmt: str, institution_number: str) -> tuple[str, list[Snapshot]]:
    """The snapshot of the link's institution from the files in `folder`; (format, [snapshot]).

    `fmt` is wisa, informat, oneroster, or file_drop (the format is recognised from the
    files). Raises BadInput when the files are not such an export.
    """
    names = _files_by_name(folder)
    if fmt == "file_drop":
        fmt = detect_format(names)
    if fmt == "wisa":
        return fmt, [_read_wisa(folder, names, institution_number)]
    if fmt == "informat":
        from schoolbrug.sources.informat import parse_informat

        path = _only(names, ".json", "een Informat-export (JSON-bestand)")
        return fmt, [parse_informat(path, institution_number)]
    if fmt == "oneroster":
        return fmt, [_read_oneroster(folder, names, institution_number)]
    raise ValueError(f"unknown format {fmt!r}")


def _files_by_name(folder: Path) -> dict[str, Path]:
    return {p.name.lower(): p for p in folder.iterdir() if p.is_file()}


def detect_format(names: dict[str, Path]) -> str:
    if PUPILS_FILE in names or CLASSES_FILE in names:
        return "wisa"
    if ONEROSTER_NAMES & names.keys():
        return "oneroster"
    jsons = [n for n in names if n.endswith(".json")]
    archives = [n for n in names if n.endswith(".zip")]
    if len(jsons) == 1 and not archives:
        return "informat"
    if len(archives) == 1 and not jsons:
        archive_path = names[archives[0]]
        with zips.reading(archive_path.name), zipfile.ZipFile(archive_path) as archive:
            inside = {PurePosixPath(n).name.lower() for n in archive.namelist()}
        return "wisa" if PUPILS_FILE in inside else "oneroster"
    raise BadInput(
        "Schoolbrug herkent de bestanden niet. Verwacht: leerlingen.csv en klassen.csv (WISA), "
        "één JSON-bestand (Informat) of de OneRoster-bestanden (zip of CSV).",
        "no known export in the files",
        file=", ".join(sorted(p.name for p in names.values()))[:200],
    )


def _only(names: dict[str, Path], suffix: str, what: str) -> Path:
    found = [path for name, path in sorted(names.items()) if name.endswith(suffix)]
    if len(found) != 1:
        raise BadInput(
            f"Verwacht precies één {what}; gevonden: {len(found)}.",
            f"expected exactly one {suffix} file, found {len(found)}",
            file=", ".join(p.name for p in found)[:200],
        )
    return found[0]


def _read_wisa(folder: Path, names: dict[str, Path], institution_number: str) -> Snapshot:
    from schoolbrug.sources.wisa import parse_wisa

    if PUPILS_FILE not in names and CLASSES_FILE not in names:
        archive = _only(names, ".zip", "zip-bestand met leerlingen.csv en klassen.csv")
        folder = _unpack_wisa(archive, folder / WISA_FROM_ZIP)
        names = _files_by_name(folder)
    pupils = names.get(PUPILS_FILE, folder / PUPILS_FILE)
    classes = names.get(CLASSES_FILE, folder / CLASSES_FILE)
    return parse_wisa(pupils, classes, institution_number)


def _unpack_wisa(archive_path: Path, target: Path) -> Path:
    """Unpack leerlingen.csv and klassen.csv (wherever in the zip) into `target`; nothing else,
    and never outside it."""
    with zips.open_zip(archive_path) as archive:
        found: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            name = PurePosixPath(info.filename).name.lower()
            if info.is_dir() or name not in (PUPILS_FILE, CLASSES_FILE):
                continue
            if name in found:
                raise BadInput(
                    f"Het zip-bestand bevat {name} meer dan eens.",
                    f"the zip holds {name} more than once",
                    file=archive_path.name,
                )
            found[name] = info
        missing = [name for name in (PUPILS_FILE, CLASSES_FILE) if name not in found]
        if missing:
            raise BadInput(
                "Het zip-bestand bevat geen " + " en geen ".join(missing) + ". Een WISA-export "
                "bestaat uit leerlingen.csv en klassen.csv.",
                "the zip lacks " + ", ".join(missing),
                file=archive_path.name,
            )
        _refuse_if_too_large_unpacked(archive_path, found.values())
        private_dir(target)
        for name, info in found.items():
            with (
                zips.reading(archive_path.name, info.filename),
                archive.open(info) as src,
                private_file(target / name) as out,
            ):
                shutil.copyfileobj(src, out)
    return target


def _refuse_if_too_large_unpacked(archive_path: Path, members) -> None:
    """A zip that would unpack to more than MAX_UPLOAD_BYTES (a zip bomb: kilobytes that
    unpack to gigabytes) is refused from its table of contents, before anything is read. The
    sizes it declares bound what is read: zipfile stops a member at its declared size."""
    if sum(info.file_size for info in members) > MAX_UPLOAD_BYTES:
        raise BadInput(
            "Het zip-bestand is uitgepakt te groot.",
            "the zip is too large unpacked",
            file=archive_path.name,
        )


def _read_oneroster(folder: Path, names: dict[str, Path], institution_number: str) -> Snapshot:
    from schoolbrug.oneroster.csv_in.reader import parse_oneroster

    archives = [path for name, path in names.items() if name.endswith(".zip")]
    one_zip = len(archives) == 1 and not ONEROSTER_NAMES & names.keys()
    source = archives[0] if one_zip else folder
    if one_zip:
        with zips.open_zip(source) as archive:
            _refuse_if_too_large_unpacked(source, archive.infolist())
    snapshots = parse_oneroster(source)
    return pick_institution(snapshots, institution_number)


def pick_institution(snapshots: list[Snapshot], institution_number: str) -> Snapshot:
    """The snapshot of the link's institution. A set with a single school is that school,
    whatever its identifier says (the token names the institution), as with --org-map."""
    wanted = institution_number.lstrip("0")
    mine = [s for s in snapshots if s.institution_number.lstrip("0") == wanted]
    if len(mine) == 1:
        chosen = mine[0]
    elif len(snapshots) == 1:
        chosen = snapshots[0]
    else:
        found = ", ".join(sorted(s.institution_number for s in snapshots)) or "geen"
        raise BadInput(
            f"De export bevat geen (of meer dan één) school met instellingsnummer "
            f"{institution_number}; wel: {found}.",
            f"no single school {institution_number} in the set",
            file="orgs.csv",
        )
    return dataclasses.replace(chosen, institution_number=institution_number)


# --- housekeeping -------------------------------------------------------------------------


FINISHED = (LinkUpload.Status.DONE, LinkUpload.Status.FAILED, LinkUpload.Status.SUPERSEDED)


def prune_upload_files(link: SourceLink, keep: int = KEEP_UPLOAD_FILES) -> int:
    """Remove the files of the link's finished uploads but the newest `keep`; returns how many."""
    old = list(
        link.uploads.filter(status__in=FINISHED, files_removed=False)
        .order_by("-received_at")
        .values_list("pk", flat=True)[keep:]
    )
    for upload_id in old:
        shutil.rmtree(upload_dir(upload_id), ignore_errors=True)
    LinkUpload.objects.filter(pk__in=old).update(files_removed=True)
    return len(old)
