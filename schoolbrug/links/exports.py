"""Reading an export that came in over a link into the snapshot of the link's institution:
WISA (two CSV files or a zip), Informat (JSON) or OneRoster (zip or CSV files); the format of
a drop folder is recognised from its files. A zip is refused from its table of contents when
it would unpack too large."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from schoolbrug.sources import zips
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import Snapshot
from schoolbrug.sources.wisa import CLASSES_FILE, PUPILS_FILE

from . import storage
from .storage import private_dir, private_file

WISA_FROM_ZIP = "uitgepakt"  # sub-folder a WISA zip is unpacked into
ONEROSTER_NAMES = frozenset({"manifest.csv", "orgs.csv", "users.csv", "enrollments.csv"})


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
    if sum(info.file_size for info in members) > storage.MAX_UPLOAD_BYTES:
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
