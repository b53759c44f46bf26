"""The class sheet ("Printversie", seed 004 §4): one card per pupil with name, class, class
number and PIN or picture, as a PDF (fpdf2). The PIN is decrypted only into the PDF."""

from __future__ import annotations

import io
import unicodedata

from fpdf import FPDF

from .models import LoginMethod
from .pictures import PICTURES

CARD_W, CARD_H = 90, 52
COLUMNS, ROWS = 2, 5


# Letters of pupils' names that have no accent to take off (NFKD leaves them whole): spelled
# as their plain letters, not dropped ("Yıldız" is not "Yldz" on a child's card).
PLAIN_LETTERS = str.maketrans(
    {"ı": "i", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "Œ": "OE", "œ": "oe"}
)


def _latin1(text: str) -> str:
    """The core PDF fonts speak Latin-1: keep é, ë, ç, ó; spell other letters without their
    accents, one letter at a time."""
    if all(ord(ch) < 256 for ch in text):
        return text
    return "".join(_latin1_letter(ch) for ch in text.translate(PLAIN_LETTERS))


def _latin1_letter(ch: str) -> str:
    if ord(ch) < 256:
        return ch
    plain = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in plain if ord(c) < 256 and not unicodedata.combining(c))


def _picture(pdf: FPDF, name: str, x: float, y: float, size: float) -> None:
    title, shapes = PICTURES[name]
    drawing = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
        f"{shapes}</svg>"
    )
    pdf.image(io.BytesIO(drawing.encode()), x=x, y=y, w=size, h=size)


def class_sheet(school_class, method: str, rows, class_code: str = "") -> bytes:
    """`rows`: (pupil with class_number, PupilLogin or None) in class-number order;
    `class_code` opens the class's login screen on a tablet (class_codes.py)."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(_latin1(f"Inloggegevens {school_class.code}"))
    per_page = COLUMNS * ROWS
    for index, (pupil, login) in enumerate(rows):
        if index % per_page == 0:
            pdf.add_page()
            pdf.set_font("Helvetica", "B", 14)
            pdf.set_xy(10, 8)
            pdf.cell(0, 8, _latin1(f"Inloggegevens groep {school_class.code}"))
            if class_code:
                pdf.set_xy(120, 8)
                pdf.cell(80, 8, f"Klascode: {class_code}", align="R")
        slot = index % per_page
        x = 10 + (slot % COLUMNS) * (CARD_W + 10)
        y = 20 + (slot // COLUMNS) * (CARD_H + 3)
        pdf.set_draw_color(120, 120, 120)
        pdf.rect(x, y, CARD_W, CARD_H)
        pdf.set_xy(x + 4, y + 4)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(CARD_W - 8, 7, _latin1(f"{pupil.given_name} {pupil.family_name}"))
        pdf.set_font("Helvetica", "", 11)
        pdf.set_xy(x + 4, y + 13)
        pdf.cell(CARD_W - 8, 6, _latin1(f"Groep: {school_class.code}"))
        pdf.set_xy(x + 4, y + 19)
        number = pupil.class_number if pupil.class_number is not None else "-"
        pdf.cell(CARD_W - 8, 6, f"Klasnummer: {number}")
        pdf.set_xy(x + 4, y + 28)
        pdf.set_font("Helvetica", "B", 16)
        if login is None:
            pdf.cell(CARD_W - 8, 8, "Nog geen inloggegevens")
        elif method == LoginMethod.PIN:
            pdf.cell(CARD_W - 8, 8, f"Pincode: {login.pin}")
        else:
            pdf.cell(CARD_W - 40, 8, _latin1(f"Plaatje: {login.picture}"))
            _picture(pdf, login.picture, x + CARD_W - 34, y + 16, 30)
    if not rows:
        pdf.add_page()
        if class_code:
            pdf.set_font("Helvetica", "B", 14)
            pdf.cell(0, 10, f"Klascode: {class_code}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 12)
        pdf.cell(0, 10, _latin1(f"Groep {school_class.code} heeft geen leerlingen."))
    return bytes(pdf.output())
