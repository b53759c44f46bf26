"""Where the exports that come in over a link are kept: posted to the upload endpoint, left
in the drop folder (copied from it), or pulled from Informat.

Each export is kept under `VAR_DIR/uploads/<upload uuid>/` with fixed names (`leerlingen.csv` +
`klassen.csv` or `export.zip` for WISA, `leerlingen.json` for Informat, `export.zip` or the CSV
files for OneRoster), never the sender's file names. The folder of the newest
`KEEP_UPLOAD_FILES` exports of a link is kept (to look into a report, or to apply a stopped
sync with `schoolbrug sync … --force`); older ones are removed.
"""

from __future__ import annotations

import datetime
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import LinkUpload, SourceLink

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # per file, and unpacked per zip
KEEP_UPLOAD_FILES = 3
# A file in the drop folder changed less than this many seconds ago may still be written.
DROP_SETTLE_SECONDS = 30

EXPORT_ZIP = "export.zip"
INFORMAT_FILE = "leerlingen.json"


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
