"""Scan badges: one card per pupil with name, class, school and a QR code that carries the
pupil's stable id (`sourced_id`), as a PDF sheet (fpdf2) to print and cut.

The code is the id that never changes, not even in a merge (seed 003: the vendor's barcodes
carry a database-bound person id, so every badge must be printed again after a merge). A
scanner reads the id exactly as the registry writes it (`str(sourced_id)`, 36 characters),
so an app that scans a badge finds the pupil by the same id the portal and the API use.

Why a QR code and not one of fpdf2's own barcodes: the id is 36 characters; as Code 39 that
is about 600 narrow-bar widths, which on a 90 mm card makes bars of 0.15 mm, finer than
most hand scanners read; Interleaved 2 of 5 carries digits only. A QR code (python `segno`,
pure Python, no dependencies) holds the id in a 29 × 29 grid that fits in 30 mm and is read
by every camera and 2D scanner. The id is also printed in text under it.

Pure: takes plain rows, returns bytes; who may print whose badges is the caller's business.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from typing import NamedTuple

import segno
from fpdf import FPDF

CARD_W, CARD_H = 90, 52
COLUMNS, ROWS = 2, 5
QR_SIZE = 30  # mm, quiet zone included


class Badge(NamedTuple):
    """What one card shows."""

    given_name: str
    family_name: str
    class_code: str
    institution_name: str
    sourced_id: uuid.UUID


def badge_code(sourced_id: uuid.UUID | str) -> str:
    """The text a badge's code carries: the pupil's stable id as the registry writes it."""
    return str(uuid.UUID(str(sourced_id)))


def _latin1(text: str) -> str:
    """The core PDF fonts speak Latin-1: keep é, ë, ç; spell other letters without accents."""
    if all(ord(ch) < 256 for ch in text):
        return text
    plain = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in plain if ord(ch) < 256 and not unicodedata.combining(ch))


def _fit(pdf: FPDF, style: str, size: float, text: str, width: float, lines: int) -> None:
    """Set the largest font size down from `size` (6 at least) at which `text` fills at most
    `lines` lines of `width` (with room for word wrapping): a long double name stays on
    its card instead of running into the next line."""
    while True:
        pdf.set_font("Helvetica", style, size)
        if size <= 6 or pdf.get_string_width(text) <= width * lines * 0.8:
            return
        size -= 0.5


def _qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of `text` as filled rectangles, one per run of dark modules in a row
    (crisp at any print size, and a few hundred drawing operations per card)."""
    code = segno.make(text, error="m", micro=False)
    matrix = list(code.matrix_iter(scale=1, border=4))
    module = size / len(matrix)
    for row_index, row in enumerate(matrix):
        start = None
        for col_index, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col_index
            elif not dark and start is not None:
                pdf.rect(
                    x + start * module,
                    y + row_index * module,
                    (col_index - start) * module,
                    module,
                    style="F",
                )
                start = None


def badge_sheet(title: str, badges: Iterable[Badge]) -> bytes:
    """A4 pages of 10 cards; a page that says so when there are no pupils."""
    badges = list(badges)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(_latin1(title))
    pdf.set_fill_color(0, 0, 0)
    per_page = COLUMNS * ROWS
    for index, badge in enumerate(badges):
        if index % per_page == 0:
            pdf.add_page()
            pdf.set_font("Helvetica", "B", 14)
            pdf.set_xy(10, 8)
            pdf.cell(0, 8, _latin1(title))
        slot = index % per_page
        x = 10 + (slot % COLUMNS) * (CARD_W + 10)
        y = 20 + (slot // COLUMNS) * (CARD_H + 3)
        code = badge_code(badge.sourced_id)
        pdf.set_draw_color(120, 120, 120)
        pdf.rect(x, y, CARD_W, CARD_H)
        text_w = CARD_W - QR_SIZE - 8
        pdf.set_xy(x + 4, y + 5)
        name = _latin1(f"{badge.given_name} {badge.family_name}")
        _fit(pdf, "B", 12, name, text_w, lines=2)
        pdf.multi_cell(text_w, 6, name)
        pdf.set_font("Helvetica", "", 10)
        pdf.set_xy(x + 4, y + 20)
        pdf.cell(text_w, 5, _latin1(f"Klas {badge.class_code}"))
        pdf.set_xy(x + 4, y + 26)
        school = _latin1(badge.institution_name)
        _fit(pdf, "", 9, school, text_w, lines=3)
        pdf.multi_cell(text_w, 4.2, school)
        _qr(pdf, code, x + CARD_W - QR_SIZE - 2, y + 4, QR_SIZE)
        pdf.set_font("Courier", "", 7)
        pdf.set_xy(x + 4, y + CARD_H - 7)
        pdf.cell(CARD_W - 8, 4, code)
    if not badges:
        pdf.add_page()
        pdf.set_font("Helvetica", "", 12)
        pdf.set_xy(10, 10)
        pdf.cell(0, 10, _latin1(f"{title}: geen leerlingen."))
    return bytes(pdf.output())
