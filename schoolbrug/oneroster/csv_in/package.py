"""The package a OneRoster set comes in: a folder or a zip (a zipped folder is read as its
folder), with its files found by name regardless of case when only one fits."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from schoolbrug.sources import zips
from schoolbrug.sources.errors import BadInput


class Package:
    def __init__(
        self, names: dict[str, object], read, close=lambda: None, zip_name: str = ""
    ) -> None:
        self._names = names  # file name → handle for `read`
        self._read = read
        self._close = close
        self._zip_name = zip_name  # "": a folder

    @classmethod
    def open(cls, path: Path) -> Package:
        if path.is_dir():
            files = {p.name: p for p in path.iterdir() if p.is_file()}
            return cls(files, Path.read_bytes)
        if path.is_file() and zipfile.is_zipfile(path):
            archive = zips.open_zip(path)
            entries = [
                i
                for i in archive.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            ]
            folders = {str(PurePosixPath(i.filename).parent) for i in entries}
            # Everything in one folder (a zipped folder): read that folder as the root.
            folder = folders.pop() if "." not in folders and len(folders) == 1 else "."
            files = {
                PurePosixPath(i.filename).name: i
                for i in entries
                if str(PurePosixPath(i.filename).parent) == folder
            }
            return cls(files, archive.read, archive.close, zip_name=path.name)
        if not path.exists():
            raise BadInput(
                "De map of het zip-bestand bestaat niet.",
                "no such folder or zip file",
                file=path.name,
            )
        raise BadInput(
            "Dit is geen map en geen zip-bestand met een OneRoster-export.",
            "not a folder or a zip file holding a OneRoster set",
            file=path.name,
        )

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def find(self, name: str) -> str | None:
        """The file's name in the package: exact, else the one name that differs in case."""
        if name in self._names:
            return name
        matches = sorted(n for n in self._names if n.lower() == name.lower())
        if len(matches) > 1:
            raise BadInput(
                f"Meerdere bestanden heten {name} op hoofdletters na ({', '.join(matches)}); "
                "het is niet duidelijk welk bedoeld is.",
                f"several files match {name} but for case: {', '.join(matches)}",
                file=matches[0],
            )
        return matches[0] if matches else None

    def read(self, name: str) -> bytes:
        if not self._zip_name:
            try:
                return self._read(self._names[name])
            except OSError as exc:
                raise BadInput(
                    f"Het bestand kan niet gelezen worden ({exc.strerror}).",
                    f"cannot read the file: {exc.strerror}",
                    file=name,
                ) from None
        with zips.reading(self._zip_name, name):
            return self._read(self._names[name])
