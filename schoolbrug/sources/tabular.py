"""Read CSV exports as schools send them, and read the values schools type into them.

A school's administration package exports CSV in whatever its Windows and Excel were set to:
UTF-8 with or without a byte order mark, or Windows-1252; `;` (Belgian Excel) or `,`;
CRLF or LF; with or without a final newline; quoted cells where a value holds the separator.
`read_table` works all of that out without asking the user and returns the header and the
rows with their 1-based line numbers in the file, so that a finding can say "regel 12".

What it cannot read at all (empty, binary, an Excel workbook, no separator in the first
line, an unclosed quote that swallows the next rows) raises `BadInput`: the run stops and
writes nothing, because a half-read export would make the missing pupils look like leavers.

Speed matters (1.2 million rows in a few seconds): the file is decoded once and handed to
the C `csv` module in one go; rows are produced lazily so the cells of all rows are never
held in memory next to the records built from them.

The value readers (`parse_date`, `normalise_gender`, `parse_class_number`,
`compact_national_number`) are shared by every source. They return "" / None for what they
cannot read: validation turns that into a finding that shows the school the raw value.
"""

from __future__ import annotations

import csv
import datetime
import gc
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from schoolbrug.sources.errors import BadInput

DELIMITERS = (";", ",")
UTF8_BOM = b"\xef\xbb\xbf"

# The start of files people pick by mistake instead of the CSV export.
_NOT_CSV_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (
        b"PK\x03\x04",
        "Dit is een Excel-werkmap (of zip), geen CSV-bestand. Bewaar de export als CSV.",
        "this is an Excel workbook (or zip), not a CSV file",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "Dit is een oud Excel-bestand (.xls), geen CSV-bestand. Bewaar de export als CSV.",
        "this is a legacy Excel (.xls) file, not a CSV file",
    ),
    (
        b"%PDF",
        "Dit is een PDF-bestand, geen CSV-bestand.",
        "this is a PDF file, not a CSV file",
    ),
    (
        b"\xff\xfe",
        "Het bestand is in UTF-16 bewaard. Bewaar de export als 'CSV UTF-8' of 'CSV'.",
        "the file is UTF-16; expected UTF-8 or Windows-1252",
    ),
    (
        b"\xfe\xff",
        "Het bestand is in UTF-16 bewaard. Bewaar de export als 'CSV UTF-8' of 'CSV'.",
        "the file is UTF-16; expected UTF-8 or Windows-1252",
    ),
)


@dataclass(frozen=True, slots=True)
class Table:
    """One decoded CSV file: its header and (lazily) its rows."""

    file: str  # the file's name, for findings and errors
    header: list[str]  # header cells exactly as in the file
    header_line: int  # 1-based line of the header (1 unless a `sep=` line precedes it)
    encoding: str  # "utf-8-sig", "utf-8" or "cp1252"
    delimiter: str
    sha256: str  # of the file's bytes
    text: str  # the decoded text, from the first header character on

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield `(line, cells)` for every non-blank data row, line 1-based in the file.

        A quoted cell may span lines; `line` is where its row starts. Rows may hold fewer
        or more cells than the header: the caller decides what that means.
        """
        reader, previous, offset = self.reader()
        try:
            for cells in reader:
                end = reader.line_num
                line = previous + 1
                if end != line:
                    self.check_multiline(cells, line + offset)
                previous = end
                if any(cells) and (len(cells) > 1 or cells[0].strip()):
                    yield line + offset, cells
        except csv.Error as exc:
            raise self.unreadable(exc, previous + 1 + offset) from exc

    def reader(self) -> tuple[Iterator[list[str]], int, int]:
        """`(reader, previous, offset)` for a loop that must not pay for `rows()`'s generator.

        `reader` is a `csv.reader` past the header. The loop keeps `previous` (the reader's
        `line_num` after the last row; a row starts on `previous + 1`), adds `offset` to get
        the line in the file, calls `check_multiline` when a row ends elsewhere than it
        starts, skips blank rows, and turns `csv.Error` into `unreadable(...)`.
        """
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        next(reader, None)  # the header
        return reader, reader.line_num, self.header_line - 1

    def unreadable(self, exc: csv.Error, line: int) -> BadInput:
        """The error for a row the csv module refuses (e.g. a cell over its size limit)."""
        return BadInput(
            f"Dit bestand is geen leesbare CSV: {exc}.",
            f"not a readable CSV file: {exc}",
            file=self.file,
            line=line,
        )

    def check_multiline(self, cells: list[str], line: int) -> None:
        """Refuse a row whose quoted cell swallowed the following rows.

        A quoted cell may hold a line break (an address on two lines). When it also holds
        the separator, an unclosed quote swallowed the next rows: refuse the file rather
        than silently lose those pupils (they would look like leavers).
        """
        for cell in cells:
            if ("\n" in cell or "\r" in cell) and self.delimiter in cell:
                raise BadInput(
                    'Aanhalingsteken (") wordt niet afgesloten: de volgende regels worden '
                    "als één cel gelezen. Verbeter de waarde of maak de export opnieuw.",
                    "unclosed quote swallows the following lines",
                    file=self.file,
                    line=line,
                )

    def column_index(self) -> dict[str, int]:
        """Header name (upper case, surrounding spaces removed) → position; first wins."""
        index: dict[str, int] = {}
        for position, name in enumerate(self.header):
            index.setdefault(header_key(name), position)
        return index

    @property
    def is_padded(self) -> bool:
        """True when the export pads every header cell with spaces (`KLAS ; NAAM ; ...`).

        Such an export aligns its columns with spaces, so surrounding spaces in its cells
        are formatting, not data.
        """
        names = [name for name in self.header if name.strip()]
        return len(names) > 1 and all(name != name.strip() for name in names)


def header_key(name: str) -> str:
    """How header names are compared: case-insensitive, ignoring surrounding spaces."""
    return name.strip().upper()


def read_table(path: str | Path, *, file: str | None = None) -> Table:
    """Read a CSV export from disk; see `parse_table`."""
    path = Path(path)
    name = file or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(
            "Het bestand kan niet gelezen worden.",
            f"cannot read file: {exc.strerror}",
            file=name,
        ) from exc
    return parse_table(data, file=name)


def parse_table(data: bytes, *, file: str) -> Table:
    """Decode `data` (a CSV export) and find its separator and header.

    Raises `BadInput` naming `file` (and the line, where there is one) when the bytes are
    empty, binary or otherwise not a CSV file.
    """
    text, encoding = decode(data, file=file)
    position, line = _skip_blank_lines(text)
    if position >= len(text):
        raise BadInput("Het bestand is leeg.", "the file is empty", file=file, line=1)
    first_end = _line_end(text, position)
    first = text[position:first_end]
    delimiter = ""
    if first.lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter = first.strip()[4]  # Excel's "sep=;" hint line
        position, line = _next_line(text, first_end, line)
        position, line = _skip_blank_lines(text, position, line)
        if position >= len(text):
            raise BadInput("Het bestand is leeg.", "the file is empty", file=file, line=line)
        first = text[position : _line_end(text, position)]
    if any(ch < " " and ch != "\t" for ch in first):
        raise BadInput(
            "Dit is geen CSV-bestand: de eerste regel bevat onleesbare tekens.",
            "not a CSV file: control characters in the header line",
            file=file,
            line=line,
        )
    delimiter = delimiter or detect_delimiter(first)
    if not delimiter:
        raise BadInput(
            "Dit is geen CSV-bestand: de kopregel bevat geen scheidingsteken (; of ,).",
            "not a CSV file: no ; or , in the header line",
            file=file,
            line=line,
        )
    text = text[position:]
    header = next(csv.reader(io.StringIO(first, newline=""), delimiter=delimiter))
    return Table(
        file=file,
        header=header,
        header_line=line,
        encoding=encoding,
        delimiter=delimiter,
        sha256=hashlib.sha256(data).hexdigest(),
        text=text,
    )


def decode(data: bytes, *, file: str) -> tuple[str, str]:
    """Return `(text, encoding)`: UTF-8 (with or without BOM), else Windows-1252."""
    for signature, reason_nl, reason_en in _NOT_CSV_SIGNATURES:
        if data.startswith(signature):
            raise BadInput(reason_nl, reason_en, file=file, line=1)
    if b"\x00" in data:
        raise BadInput(
            "Dit is geen tekstbestand (binaire gegevens); kies de CSV-export.",
            "binary data (NUL bytes): not a text file",
            file=file,
            line=data.count(b"\n", 0, data.index(b"\x00")) + 1,
        )
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        return data[bom:].decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as exc:
        if _UTF8_LATIN_LETTER.search(data):
            # é written as UTF-8 elsewhere in the file: read as Windows-1252 it would become
            # "Ã©" in the registry. Two encodings in one file: refused, naming the line.
            raise _mixed(data, exc.start + bom, file) from exc
    try:
        return data[bom:].decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:  # the five bytes Windows-1252 leaves undefined
        raise _undecodable(data, exc.start + bom, file) from exc


# À to ÿ in UTF-8: "Ã" (C3) and then a byte that Windows-1252 reads as punctuation or a
# symbol; no Dutch or French name has that pair, so it is UTF-8 in a file that is not.
_UTF8_LATIN_LETTER = re.compile(rb"\xc3[\x80-\xbf]")


def _mixed(data: bytes, position: int, file: str) -> BadInput:
    return BadInput(
        "Het bestand mengt twee tekensets: deze regel is geen UTF-8, de rest wel. Bewaar de "
        "export opnieuw als 'CSV UTF-8' (of verbeter de tekens met accent op deze regel).",
        "mixed encodings: this line is not UTF-8, the rest is",
        file=file,
        line=data.count(b"\n", 0, position) + 1,
    )


def _undecodable(data: bytes, position: int, file: str) -> BadInput:
    return BadInput(
        "Het bestand bevat tekens die niet als UTF-8 of Windows-1252 te lezen zijn.",
        "cannot decode as UTF-8 or Windows-1252",
        file=file,
        line=data.count(b"\n", 0, position) + 1,
    )


def detect_delimiter(header_line: str) -> str:
    """`;` or `,`, whichever the header line holds more of outside quotes ("" if neither).

    A tie goes to `;`, the Belgian Excel default.
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on a tie
    return best if counts[best] else ""


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    if end < 0:
        end = len(text)
    carriage = text.find("\r", position, end)
    return end if carriage < 0 else carriage


def _next_line(text: str, end: int, line: int) -> tuple[int, int]:
    if text.startswith("\r\n", end):
        return end + 2, line + 1
    return end + 1, line + 1


def _skip_blank_lines(text: str, position: int = 0, line: int = 1) -> tuple[int, int]:
    while position < len(text):
        end = _line_end(text, position)
        if text[position:end].strip():
            return position, line
        position, line = _next_line(text, end, line)
    return position, line


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a million acyclic records.

    Every few hundred new containers the collector would otherwise walk all the records
    built so far: at 1.2 million pupils that more than doubles the parse time. Records
    hold no reference cycles, so nothing is left behind; the previous state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Memo(dict):
    """A dict that computes a missing value once: `memo[key]` is then a C-level lookup.

    For values that repeat a lot in an export (dates, genders, class numbers).
    """

    def __init__(self, function: Callable) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key):
        value = self[key] = self.function(key)
        return value


MIN_YEAR = 1900
MAX_YEAR = 2100


@lru_cache(maxsize=65536)
def parse_date(value: str) -> datetime.date | None:
    """Read a date as schools type it; None when missing or unreadable.

    Accepts `d/M/yyyy`, `dd/MM/yyyy`, `d-M-yyyy`, `d.M.yyyy` (day first, as in Belgium) and
    ISO `yyyy-mm-dd`; a time part after a space or `T` (`2015-07-30T00:00:00`) is ignored.
    Two-digit years are refused: `1/2/15` could be 1915 or 2015.
    """
    text = value.strip()
    for cut in (" ", "T"):
        if cut in text:
            text, _, rest = text.partition(cut)
            if rest and ":" not in rest:
                return None
    parts = text.replace("/", "-").replace(".", "-").split("-")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    if len(parts[0]) == 4 and len(parts[1]) <= 2 and len(parts[2]) <= 2:
        year, month, day = parts
    elif len(parts[2]) == 4 and len(parts[0]) <= 2 and len(parts[1]) <= 2:
        day, month, year = parts
    else:
        return None
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


_GENDERS = {
    **dict.fromkeys(("m", "man", "mannelijk", "j", "jongen", "male"), "M"),
    **dict.fromkeys(("v", "f", "vrouw", "vrouwelijk", "meisje", "female"), "F"),
    "x": "X",
}
_GENDERS.update({key.upper(): value for key, value in _GENDERS.items()})


def normalise_gender(value: str) -> str:
    """`M`, `F` or `X` from how schools write it (M/Man/J/jongen, V/F/Vrouw/meisje, X)."""
    return _GENDERS.get(value) or _GENDERS.get(value.strip().lower(), "")


@lru_cache(maxsize=4096)
def parse_class_number(value: str) -> int | None:
    """The pupil's number in the class; None when empty, 0 or unreadable (seed 000)."""
    text = value.strip()
    if text.endswith(".0"):  # a number that went through Excel
        text = text[:-2]
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) or None


def compact_national_number(value: str) -> str:
    """`85.07.30-033.28` → `85073003328`; other characters are kept so validation sees them."""
    if len(value) == 11:
        return value
    value = value.replace(".", "").replace("-", "")
    if len(value) == 11:
        return value
    return value.replace(" ", "").replace("/", "").strip()
