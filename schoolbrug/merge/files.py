"""The files a merge writes where the person says (`merge plan --out`, `merge execute
--report`): checked before any work starts, written whole or not at all, never over a file
that is there (an approved plan, an earlier report, or whatever a link points to).

A file is first written next to its place under a temporary name, then linked into place in
one step that fails if the name is taken (`os.link`): a reader never sees half a file, and a
failure leaves nothing behind. Readable by Schoolbrug's own account only: plans and reports
name people."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import MergeRefused


def _refuse(path: Path, what: str, reason_nl: str, reason_en: str):
    raise MergeRefused(
        f"Kan {what} niet schrijven naar {path}: {reason_nl}", f"merge file: {reason_en}"
    )


def check_new(path, what: str) -> Path:
    """Refuse a place where a new file cannot come: taken, a folder, no folder, no rights."""
    path = Path(path)
    if path.is_dir():
        _refuse(path, what, "dat is een map; geef een bestandsnaam.", "a folder")
    if path.exists() or path.is_symlink():
        _refuse(
            path,
            what,
            "dat bestand bestaat al (er wordt nooit een bestand overschreven); kies een "
            "andere naam of verwijder het eerst.",
            "the file exists",
        )
    folder = path.parent
    if not folder.is_dir():
        _refuse(path, what, f"de map {folder} bestaat niet.", "no such folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        _refuse(path, what, f"geen schrijfrechten in de map {folder}.", "folder not writable")
    return path


def _temporary(path: Path, text: str) -> Path:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as out:
        try:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    return Path(out.name)


def write_new(path, text: str, what: str) -> Path:
    """Write `text` to `path`, which must not exist: whole, or not at all."""
    path = check_new(path, what)
    try:
        temporary = _temporary(path, text)
    except OSError as error:
        _refuse(path, what, f"{error.strerror or error}.", f"write failed ({type(error).__name__})")
    try:
        os.link(temporary, path)
    except FileExistsError:
        _refuse(path, what, "dat bestand bestaat intussen.", "the file appeared meanwhile")
    except OSError:  # a file system without hard links: created exclusively, removed on failure
        _exclusive(path, text, what)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _exclusive(path: Path, text: str, what: str) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _refuse(path, what, "dat bestand bestaat intussen.", "the file appeared meanwhile")
    except OSError as error:
        _refuse(path, what, f"{error.strerror or error}.", f"open failed ({type(error).__name__})")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        path.unlink(missing_ok=True)
        _refuse(path, what, f"{error.strerror or error}.", f"write failed ({type(error).__name__})")


def replace(path, text: str, what: str) -> Path:
    """Write `text` over the file at `path` (a plan sealed again): whole, or not at all."""
    path = Path(path)
    if path.is_dir():
        _refuse(path, what, "dat is een map; geef een bestandsnaam.", "a folder")
    temporary = None
    try:
        temporary = _temporary(path, text)
        os.replace(temporary, path)
    except OSError as error:
        _refuse(path, what, f"{error.strerror or error}.", f"write failed ({type(error).__name__})")
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    return path
