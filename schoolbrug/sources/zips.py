"""Zip files sent to us, read so that every way one can be broken is bad input.

A zip's table of contents can be fine while a member is not: a bad CRC, a truncated or
corrupt compressed stream, a password, a compression method Python cannot read. zipfile
raises a different exception for each (BadZipFile, zlib.error, EOFError, RuntimeError,
NotImplementedError, ...); `reading` turns them all into BadInput naming the zip and the
member, so that a run stops cleanly (exit 2, a `bad_input` run) and never with a traceback.
"""

from __future__ import annotations

import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BadInput

BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    RuntimeError,  # a password
    NotImplementedError,  # a compression method
    OSError,
    ValueError,
    OverflowError,
)

# (what the exception says, the reason in Dutch, in English)
_REASONS = (
    ("CRC", "het controlegetal (CRC) klopt niet", "bad CRC"),
    ("encrypted", "het is met een wachtwoord beveiligd", "encrypted"),
    ("compression", "het gebruikt een onbekende compressiemethode", "unsupported compression"),
    ("ended before", "het is afgebroken", "truncated"),
)


@contextmanager
def reading(zip_name: str, member: str = "") -> Iterator[None]:
    """Reads of `zip_name` (its `member`) inside: a broken zip is BadInput."""
    try:
        yield
    except BROKEN as error:
        raise broken(zip_name, member, error) from None


def open_zip(path: Path) -> zipfile.ZipFile:
    with reading(path.name):
        return zipfile.ZipFile(path)


def broken(zip_name: str, member: str, error: BaseException) -> BadInput:
    text = str(error)
    reason_nl, reason_en = "het is beschadigd", "damaged"
    for clue, nl, en in _REASONS:
        if clue in text:
            reason_nl, reason_en = nl, en
            break
    what = f"Het bestand {member} in het zip-bestand" if member else "Het zip-bestand"
    return BadInput(
        f"{what} kan niet gelezen worden: {reason_nl}. Maak de export opnieuw.",
        f"cannot read the zip{f' member {member}' if member else ''}: {reason_en}"
        f" ({type(error).__name__})",
        file=zip_name,
    )
