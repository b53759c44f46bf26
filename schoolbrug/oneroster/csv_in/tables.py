"""One CSV file of a OneRoster set: decoded as UTF-8 (a BOM allowed), its header matched
without regard to case (with the 1.0 aliases), and rows of the asked columns; what cannot be
read as CSV raises BadInput naming file, line and column."""

from __future__ import annotations

import csv
import io
from collections import namedtuple
from collections.abc import Iterator

from schoolbrug.sources.errors import BadInput


def decode(file: str, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]  # a bare CR ends a line too, as for the csv module
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise BadInput(
            "Het bestand is niet in UTF-8 bewaard: deze cel bevat onleesbare tekens. "
            "OneRoster-bestanden moeten UTF-8 zijn.",
            "undecodable bytes: OneRoster files must be UTF-8",
            file=file,
            line=line,
            field=_column_at(data, exc.start),
        ) from None


def _column_at(data: bytes, position: int) -> str:
    """The header name of the cell that holds byte `position` (of an undecodable file), as
    far as the line up to there can tell; "" when it cannot."""
    start = max(data.rfind(b"\n", 0, position), data.rfind(b"\r", 0, position)) + 1
    before = data[start:position].decode("utf-8", "replace")
    first = data.split(b"\n", 1)[0].split(b"\r", 1)[0].decode("utf-8", "replace")
    try:
        cells = len(next(csv.reader([before + "x"])))
        header = next(csv.reader([first]), [])
    except csv.Error:  # a quote that opens a cell of several lines: no column to name
        return ""
    return header[cells - 1].strip() if cells <= len(header) else f"#{cells}"


class Table:
    """One CSV file: the header, then rows as namedtuples of the asked columns, stripped."""

    def __init__(self, file: str, text: str, aliases: dict[str, tuple[str, ...]]) -> None:
        self.file = file
        self._reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in self._next() or []]
        while header and not header[-1]:
            header.pop()  # empty trailing header names (a stray comma): nothing to read there
        self.header = header
        self._index: dict[str, int] = {}
        for i, name in enumerate(header):
            self._index.setdefault(name.lower(), i)
        for name, others in aliases.items():
            for other in others:
                if name not in self._index and other in self._index:
                    self._index[name] = self._index[other]

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader, None)
        except csv.Error as exc:
            raise BadInput(
                f"Deze regel is geen geldige CSV ({exc}).",
                f"not valid CSV: {exc}",
                file=self.file,
                line=self._reader.line_num,
            ) from None

    def has(self, column: str) -> bool:
        return column.lower() in self._index

    def require(self, *columns: str) -> None:
        for column in columns:
            if not self.has(column):
                raise BadInput(
                    f"De verplichte kolom {column} ontbreekt in de kopregel.",
                    f"required column {column} missing from the header",
                    file=self.file,
                    line=1,
                    field=column,
                )

    def rows(self, *columns: str) -> Iterator:
        row_type = namedtuple("Row", ("line", *columns))
        positions = [self._index.get(c.lower()) for c in columns]
        width = len(self.header)
        line = self._reader.line_num
        while (cells := self._next()) is not None:
            start, line = line + 1, self._reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # an empty line
            if len(cells) != width:
                self._check_width(cells, start)
            yield row_type(start, *("" if i is None else cells[i].strip() for i in positions))

    def _check_width(self, cells: list[str], line: int) -> None:
        width = len(self.header)
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            return  # trailing empty cells (an extra comma): harmless
        column = self.header[len(cells)] if len(cells) < width else f"#{width + 1}"
        raise BadInput(
            f"Deze regel heeft {len(cells)} cellen, de kopregel {width}: de kolommen zijn "
            "verschoven en de regel kan niet gelezen worden.",
            f"row has {len(cells)} cells, the header {width}",
            file=self.file,
            line=line,
            field=column,
        )
