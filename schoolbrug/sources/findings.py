"""Findings: what validation says about a row, with a stable code the secretary can look up.

Each code has one short Dutch title, one Dutch message and fix hint (for the school) and one
English message (for logs). A finding never carries a full national number, only the masked
form: besides the `national_number_masked` field, every text of a finding is masked when it is
made (`mask_national_numbers_in`), because a shifted column puts a national number where a name,
a birth date or a gender should be, and messages quote those cells.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from enum import StrEnum

from django.utils.translation import gettext
from stdnum.be import bis, nn


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Outcome(StrEnum):
    """What a finding does to its pupil(s)."""

    DEFER = "defer"  # not synced yet; synced once the SIS fixes it
    REJECT = "reject"  # not synced; the SIS must fix it
    NONE = ""  # a warning: synced anyway


@dataclass(frozen=True, slots=True)
class Rule:
    severity: Severity
    outcome: Outcome
    message: str  # Dutch, may use {class_code}, {value}
    hint: str  # Dutch
    message_en: str
    # Dutch, a few words: what the report shows above the message, with the code in small
    # print. A keyword, required: a new rule without a title does not load.
    title: str


RULES: dict[str, Rule] = {
    "PUPIL_NO_CLASS_NUMBER": Rule(
        Severity.WARNING,
        Outcome.DEFER,
        "Leerling heeft geen klasnummer (of klasnummer 0) en wordt nog niet gesynchroniseerd.",
        "Geef de leerling een klasnummer in het administratiepakket zodra hij of zij instapt.",
        "pupil has no class number (or 0): deferred until it gets one",
        title="Geen klasnummer",
    ),
    "PUPIL_NATIONAL_NUMBER_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Leerling heeft geen rijksregisternummer.",
        "Vul het rijksregisternummer (of BIS-nummer) in op de leerlingfiche.",
        "pupil has no national number",
        title="Rijksregisternummer ontbreekt",
    ),
    "PUPIL_NATIONAL_NUMBER_INVALID": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Het rijksregisternummer is ongeldig (controlegetal klopt niet).",
        "Controleer het rijksregisternummer op de leerlingfiche (11 cijfers, zie "
        "identiteitskaart).",
        "national number fails its check digits",
        title="Ongeldig rijksregisternummer",
    ),
    "PUPIL_NATIONAL_NUMBER_DUPLICATE": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Hetzelfde rijksregisternummer staat bij meer dan één leerling in deze instelling.",
        "Zoek de dubbele leerlingfiches in het administratiepakket en voeg ze samen of verbeter "
        "het nummer.",
        "the same national number appears on more than one pupil in this institution",
        title="Dubbel rijksregisternummer in de export",
    ),
    # The planner's (sync/national_numbers.py): the registry holds a number once per school.
    "PUPIL_NATIONAL_NUMBER_TAKEN": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Dit rijksregisternummer hoort in het register al bij een andere leerling van deze "
        "instelling ({value}); deze leerling wordt niet gesynchroniseerd.",
        "Controleer het rijksregisternummer op beide leerlingfiches in het administratiepakket "
        "en verbeter het verkeerde. Werd de andere leerling met de hand ingevoerd, vraag de "
        "beheerder van Schoolbrug dan die fiche na te kijken.",
        "the new national number is held by another pupil of the institution who keeps it",
        title="Rijksregisternummer al bij een andere leerling",
    ),
    "PUPIL_SOURCE_ID_DUPLICATE": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Dezelfde leerling-id staat meer dan eens in de export.",
        "Laat het pakket de export opnieuw maken; meld het aan de leverancier als het blijft.",
        "the same source id appears more than once in the export",
        title="Dubbele leerling-id in de export",
    ),
    "PUPIL_FAMILY_NAME_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "De naam van de leerling ontbreekt.",
        "Vul de naam in op de leerlingfiche.",
        "family name missing",
        title="Naam ontbreekt",
    ),
    "PUPIL_GIVEN_NAME_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "De voornaam van de leerling ontbreekt.",
        "Vul de voornaam in op de leerlingfiche.",
        "given name missing",
        title="Voornaam ontbreekt",
    ),
    "PUPIL_NAME_HOLDS_NATIONAL_NUMBER": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "De naam of voornaam bevat een rijksregisternummer ({value}); de kolommen zijn "
        "waarschijnlijk verschoven en de leerling wordt niet gesynchroniseerd.",
        "Controleer in het administratiepakket welke kolommen de export bevat en in welke "
        "volgorde (of het kolommenbestand van --mapping), en maak de export opnieuw.",
        "a name holds a national number: columns shifted, pupil rejected",
        title="Rijksregisternummer in de naam (verschoven kolommen)",
    ),
    "PUPIL_CLASS_NUMBER_INVALID": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Het klasnummer moet tussen 1 en 99 liggen (nu {value}); de leerling wordt niet "
        "gesynchroniseerd.",
        "Verbeter het klasnummer op de leerlingfiche. Een lang getal wijst op verschoven "
        "kolommen in de export.",
        "class number outside 1-99: pupil rejected",
        title="Ongeldig klasnummer",
    ),
    "PUPIL_GENDER_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Het geslacht van de leerling ontbreekt of is onleesbaar ({value}).",
        "Vul het geslacht in op de leerlingfiche (M, V of X).",
        "gender missing or unreadable",
        title="Geslacht ontbreekt",
    ),
    "PUPIL_BIRTH_DATE_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "De geboortedatum ontbreekt of is onleesbaar ({value}).",
        "Vul de geboortedatum in als dag/maand/jaar, bijvoorbeeld 30/7/2015.",
        "birth date missing or unreadable",
        title="Geboortedatum ontbreekt",
    ),
    "PUPIL_BIRTH_DATE_CONTRADICTS_NATIONAL_NUMBER": Rule(
        Severity.WARNING,
        Outcome.NONE,
        "De geboortedatum past niet bij het rijksregisternummer.",
        "Controleer geboortedatum en rijksregisternummer op de leerlingfiche.",
        "birth date contradicts the national number",
        title="Geboortedatum past niet bij het rijksregisternummer",
    ),
    "PUPIL_GENDER_CONTRADICTS_NATIONAL_NUMBER": Rule(
        Severity.WARNING,
        Outcome.NONE,
        "Het geslacht past niet bij het rijksregisternummer.",
        "Controleer het geslacht op de leerlingfiche; bij een BIS-nummer kan dit kloppen.",
        "gender contradicts the national number",
        title="Geslacht past niet bij het rijksregisternummer",
    ),
    "PUPIL_EMAIL_INVALID": Rule(
        Severity.WARNING,
        Outcome.NONE,
        "Het e-mailadres van de leerling is geen geldig e-mailadres en wordt niet overgenomen; "
        "de leerling wordt wel gesynchroniseerd.",
        "Verbeter het e-mailadres op de leerlingfiche (vorm naam@domein.be, zonder spaties).",
        "pupil e-mail malformed: left out, pupil synced",
        title="Ongeldig e-mailadres",
    ),
    "PUPIL_CLASS_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "De leerling zit in geen klas.",
        "Plaats de leerling in een klas in het administratiepakket.",
        "pupil has no class",
        title="Leerling zit in geen klas",
    ),
    "CLASS_UNKNOWN": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Klas '{class_code}' staat niet in het klassenbestand; de leerlingen worden niet "
        "gesynchroniseerd.",
        "Controleer de klascode: elke letter en spatie telt. Voeg de klas toe aan de export.",
        "class code not in the classes file: its pupils are rejected",
        title="Onbekende klas",
    ),
    "CLASS_YEAR_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Klas '{class_code}' heeft geen geldig leerjaar; de leerlingen worden niet "
        "gesynchroniseerd.",
        "Geef de klas een leerjaar in het administratiepakket.",
        "class has no valid year: its pupils are rejected",
        title="Leerjaar ontbreekt",
    ),
    "CLASS_YEAR_UNKNOWN": Rule(
        Severity.WARNING,
        Outcome.NONE,
        "Klas '{class_code}' heeft geen leerjaar (OneRoster grades is leeg); de leerlingen "
        "worden gesynchroniseerd, maar apps zien geen leerjaar bij de klas.",
        "Vul in de bron de grades van de klas of van haar cursus in als apps het leerjaar "
        "nodig hebben.",
        "class has no grades (optional in OneRoster 1.2): synced with its year unknown",
        title="Leerjaar onbekend",
    ),
    "CLASS_CURRICULUM_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Klas '{class_code}' heeft geen vakkenpakket; de leerlingen worden niet gesynchroniseerd.",
        "Wijs de klas een vakkenpakket toe in het administratiepakket.",
        "class has no curriculum: its pupils are rejected",
        title="Vakkenpakket ontbreekt",
    ),
    "CLASS_KINDERGARTEN_INVALID": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Kleuterklas '{class_code}' moet graad NVT en leerjaar 0 tot 3 hebben.",
        "Zet bij de kleuterklas graad op NVT en leerjaar op 0, 1, 2 of 3.",
        "kindergarten class needs stage NVT and year 0-3: its pupils are rejected",
        title="Ongeldige kleuterklas",
    ),
    "CLASS_DUPLICATE": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Klas '{class_code}' staat meer dan eens in het klassenbestand.",
        "Laat het pakket de export opnieuw maken.",
        "class code appears more than once in the classes file",
        title="Dubbele klas in het klassenbestand",
    ),
    "ROW_TOO_MANY_CELLS": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Deze regel heeft meer cellen dan de kopregel ({value}); de kolommen zijn verschoven "
        "en de leerling wordt niet gesynchroniseerd.",
        "Een waarde bevat waarschijnlijk het scheidingsteken (; of ,) zonder aanhalingstekens. "
        "Verbeter de waarde in het administratiepakket of maak de export opnieuw.",
        "row has more cells than the header: columns shifted, pupil rejected",
        title="Te veel cellen op de regel (verschoven kolommen)",
    ),
    # OneRoster (oneroster/csv_in/): a row the parser skips; a pupil it concerns is
    # withheld (neither synced nor made a leaver).
    "ONEROSTER_VALUE_MISSING": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Een verplichte waarde ontbreekt (kolom {value}); deze regel wordt niet ingelezen.",
        "Vul de waarde in het pakket in en maak de OneRoster-export opnieuw.",
        "required value missing: row skipped",
        title="Verplichte waarde ontbreekt",
    ),
    "ONEROSTER_REFERENCE_UNKNOWN": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Deze regel verwijst naar '{value}', maar die id staat niet in de export; de regel "
        "wordt niet ingelezen.",
        "Controleer of de export alle bestanden bevat (ook courses.csv en orgs.csv) en of de "
        "id klopt; meld het aan de leverancier als het blijft.",
        "reference to an id that is not in the set: row skipped",
        title="Verwijzing naar een onbekende id",
    ),
    "ONEROSTER_ORG_NOT_SCHOOL": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "Deze regel hoort bij organisatie '{value}', maar die is in orgs.csv geen school; de "
        "regel wordt niet ingelezen.",
        "Laat het pakket klassen en inschrijvingen aan de school koppelen (type school), niet "
        "aan een afdeling of schoolbestuur.",
        "schoolSourcedId points to an org that is not of type school: row skipped",
        title="Organisatie is geen school",
    ),
    "ONEROSTER_ID_DUPLICATE": Rule(
        Severity.ERROR,
        Outcome.REJECT,
        "De id '{value}' staat meer dan eens in dit bestand; geen van die regels wordt ingelezen.",
        "Laat het pakket de export opnieuw maken; meld het aan de leverancier als het blijft.",
        "the same sourcedId appears more than once in the file: those rows are skipped",
        title="Dubbele id in het bestand",
    ),
    # The sync's summer rule (sync/blackout.py): leavers wait until the period is over.
    "PUPIL_LEAVING_HELD": Rule(
        Severity.WARNING,
        Outcome.DEFER,
        "De leerling staat niet meer (of als uitgeschreven) in de export, maar verlaat de "
        "school niet tijdens de zomerperiode ({value}): de leerling gaat naar Schoolverlaters "
        "bij de eerste synchronisatie na die periode.",
        "Niets te doen als de leerling echt vertrekt. Moet de leerling nu al naar "
        "Schoolverlaters, start de synchronisatie dan opnieuw met --force.",
        "leaver held in the blackout period: leaves at the first sync after it, or with --force",
        title="Vertrek wacht tot na de zomerperiode",
    ),
    "CLASS_NUMBER_CHANGED": Rule(
        Severity.WARNING,
        Outcome.NONE,
        "Het klasnummer van de leerling is gewijzigd: de leerling meldt zich voortaan met het "
        "nieuwe nummer aan.",
        "Breng de klasleraar op de hoogte van de nieuwe klasnummers.",
        "class number changed: the pupil logs in with the new number",
        title="Klasnummer gewijzigd",
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    outcome: Outcome
    message: str
    hint: str
    file: str = ""
    line: int | None = None
    field: str = ""
    national_number_masked: str = ""
    class_code: str = ""
    pupil_name: str = ""

    def __post_init__(self) -> None:
        # However a finding is made, its texts leave here without a full national number.
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            masked = mask_national_numbers_in(value)
            if masked is not value:
                object.__setattr__(self, name, masked)

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

    def log_text(self) -> str:
        """English, without personal data: code, place and reason only."""
        where = ":".join(str(p) for p in (self.file, self.line) if p not in ("", None))
        return f"{self.code} {where} {self.field} {RULES[self.code].message_en}".strip()


def finding_title(code: str) -> str:
    """The Dutch title of a finding code; a code no rule knows (a report stored by an older
    version) is shown as it is."""
    rule = RULES.get(code)
    return gettext(rule.title) if rule else code


def make_finding(
    code: str,
    *,
    file: str = "",
    line: int | None = None,
    field: str = "",
    national_number: str = "",
    class_code: str = "",
    pupil_name: str = "",
    value: str = "",
) -> Finding:
    rule = RULES[code]
    return Finding(
        code=code,
        severity=rule.severity,
        outcome=rule.outcome,
        # In the institution's words: a Dutch school's report says "groep" (registry/language.py).
        message=gettext(rule.message).format(class_code=class_code, value=value or "leeg"),
        hint=gettext(rule.hint),
        file=file,
        line=line,
        field=field,
        national_number_masked=mask_national_number(national_number),
        class_code=class_code,
        pupil_name=pupil_name,
    )


_TEXT_FIELDS = tuple(
    f.name for f in fields(Finding) if f.type == "str" and f.name != "national_number_masked"
)


def mask_national_number(number: str) -> str:
    """`85073012345` → `85.07.30-***.**`: the birth date part stays, the rest is hidden."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 6:
        return "***" if number else ""
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}-***.**"


def is_valid_national_number(digits: str) -> bool:
    """11 ASCII digits that pass the national register's (or the BIS register's) checks."""
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        return False
    # The month digits say which register: 20-32 / 40-52 is a BIS number (stdnum.be.ssn).
    return (bis if digits[2] in "2345" else nn).is_valid(digits)


# A run of digits, each next digit at most three separators (". - / space") from the last:
# "85.07.30-033.28", "850730 033 28", "85073003328", and longer runs that hold one.
_DIGIT_RUN = re.compile(r"[0-9](?:[ ./-]{0,3}[0-9]){10,}")


def mask_national_numbers_in(text: str) -> str:
    """`text` with every valid national (or BIS) number in it masked as `85.07.30-***.**`.

    Any 11 digits in a row count, written with or without separators, also inside a longer
    run of digits; other numbers (phone numbers, ids, dates) are left as they are. Returns
    `text` itself when nothing is masked.
    """
    if not isinstance(text, str) or len(text) < 11:
        return text
    pieces: list[str] = []
    done = 0
    for run in _DIGIT_RUN.finditer(text):
        start = run.start()
        positions = [start + i for i, ch in enumerate(run.group()) if "0" <= ch <= "9"]
        digits = "".join(text[i] for i in positions)
        first = 0
        while first + 11 <= len(digits):
            window = digits[first : first + 11]
            if is_valid_national_number(window):
                begin, end = positions[first], positions[first + 10] + 1
                pieces.append(text[done:begin])
                pieces.append(mask_national_number(window))
                done = end
                first += 11
            else:
                first += 1
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)
