"""An EDEXML 2.1 file → one `Snapshot`, for the sync pipeline every source shares.

What it decides, so that a reader need not guess:

* The institution is the one given, else the file's: a Dutch file's BRIN code with its
  dependance code ("99ZZ" + "00" → "99ZZ00", BRIN6; none means "00"), a Flemish file's
  instellingsnummer. A BRIN code makes the institution Dutch (`Snapshot.country`).
* Pupils. Flanders: the key is the national number (`rijksregisternummer`, checked like
  WISA's) where a pupil has one, else the file's key. The Netherlands: the file's key (a Dutch
  file carries no Belgian national number; its BSN or onderwijsnummer is never read), and the
  `eckid` is kept. The family name is `voorvoegsel achternaam` ("van 't Hof"), the given name
  the `roepnaam`, else the `voornamen`, else the initials. Gender 1 is M, 2 is F, 9 (not
  specified) is X; 0 (unknown) is no gender.
* A pupil whose `uitstroomdatum` has come, or who has no group and jaargroep H (history), has
  left: a leaver record. A pupil without group otherwise is a finding (no class), as in WISA.
* Groups become classes: the code is the group's name (what the school calls it: "4A",
  "Kabouters"), the file's key is kept as the class's id, `jaargroep` gives stage and year
  (years.py). Combined groups ("samengestelde groepen") become combined classes without a year
  of their own, and each pupil's list of them the extra groups the pupil belongs to.
* EDEXML has no class numbers: pupils are numbered 1..n per group by family name, given name
  and key (`class_numbers_generated`), as for OneRoster.
* Teachers (`leerkrachten`) become staff with teaching links to their groups and combined
  groups. Staff are known by e-mail: a teacher without `emailadres` (or an e-mail address as
  `gebruikersnaam`) is named in a warning and not created.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from pathlib import Path

from lxml import etree

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.findings import Finding, make_finding
from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot, StaffRecord

from . import years
from .schema import read_edexml

SOURCE = "edexml"
GENDERS = {"1": "M", "2": "F", "9": "X"}
KEY_MAX_LENGTH = 100  # the registry keeps a source's id in 100 characters (SourceAlias)
CODE_MAX_LENGTH = 50  # and a class code in 50
COLUMNS = {
    "source_id": "leerling key",
    "national_number": "rijksregisternummer",
    "family_name": "achternaam",
    "given_name": "roepnaam",
    "gender": "geslacht",
    "birth_date": "geboortedatum",
    "class_code": "groep",
    "class_number": "groep",
    "class.code": "groep naam",
    "class.year": "jaargroep",
    "class.curriculum": "jaargroep",
}


def parse_edexml(
    path: str | Path,
    institution_number: str | None = None,
    *,
    today: datetime.date | None = None,
) -> Snapshot:
    """Read one school's EDEXML file. BadInput when it is not a valid EDEXML 2.1 file."""
    path = Path(path)
    tree, data = read_edexml(path)
    return _Reader(tree.getroot(), path.name, today or datetime.date.today()).snapshot(
        institution_number, hashlib.sha256(data).hexdigest()
    )


# PupilRecord's fields in order: the hot loop passes them by position (see wisa.py).
_POSITIONAL = (
    "line", "source_id", "class_code", "class_number", "family_name", "given_name", "gender",
    "birth_date", "national_number", "registration_number", "email", "phone", "contacts",
    "care_record", "raw_gender", "raw_birth_date", "address", "class_source_id", "is_leaver",
    "kept_fields", "extra_class_codes", "eckid",
)  # fmt: skip
assert PupilRecord.__match_args__ == _POSITIONAL, "PupilRecord reordered"


class _Memo(dict):
    """A value parsed once per distinct text (birth dates repeat across 100,000 pupils)."""

    def __init__(self, parse):
        super().__init__()
        self.parse = parse

    def __missing__(self, key):
        value = self[key] = self.parse(key)
        return value


class _Reader:
    def __init__(self, root: etree._Element, file: str, today: datetime.date):
        self.root = root
        self.file = file
        self.today = today
        self.findings: list[Finding] = []

    def snapshot(self, institution_number: str | None, source_hash: str) -> Snapshot:
        number, country = self._institution(institution_number)
        groups, combined = self._groups(country)
        pupils, pupil_years = self._pupils(groups, combined)
        classes = [*groups.values(), *combined.values()]
        for key, record in groups.items():
            if record.year is None:
                _years_from_pupils(record, pupil_years.get(key, ()), country)
        _number_pupils(pupils)
        return Snapshot(
            source=SOURCE,
            institution_number=number,
            classes=classes,
            pupils=pupils,
            files={"pupils": self.file, "classes": self.file, "staff": self.file},
            source_hash=source_hash,
            key="source_id" if country == "NL" else "national_number",
            national_number_optional=country != "NL",
            findings=self.findings,
            columns=COLUMNS,
            staff=self._staff(groups, combined),
            class_numbers_generated=True,
            country=country,
            has_extra_groups=True,
        )

    # The school ------------------------------------------------------------------------

    def _institution(self, given: str | None) -> tuple[str, str]:
        school = self.root.find("school")
        brin = _text(school.find("brincode"))
        flemish = _text(school.find("instellingsnummer"))
        country = "NL" if brin else "BE" if flemish else ""
        if given:
            return given.strip(), country
        if brin:
            return brin + (_text(school.find("dependancecode")) or "00"), country
        if flemish:
            return flemish, country
        raise BadInput(
            "Het bestand noemt geen BRIN-code en geen instellingsnummer (enkel een schoolkey). "
            "Geef de instelling op met --institution.",
            "the file names neither a BRIN code nor an institution number: give --institution",
            file=self.file,
            line=school.sourceline,
            field="school",
            field_is_element=True,
        )

    # Groups ----------------------------------------------------------------------------

    def _groups(self, country: str) -> tuple[dict[str, ClassRecord], dict[str, ClassRecord]]:
        groups: dict[str, ClassRecord] = {}
        combined: dict[str, ClassRecord] = {}
        element = self.root.find("groepen")
        for group in element if element is not None else ():
            key = group.get("key")
            values = {child.tag: _text(child) for child in group}
            name = values.get("naam", "")
            record = ClassRecord(
                code=self._code(name, group),
                line=group.sourceline,
                source_id=self._key(key, group),
                title=name,
            )
            if group.tag == "samengestelde_groep":
                record.is_combined = True
                record.curriculum = years.CURRICULUM_COMBINED
                combined[key] = record
            else:
                found = years.stage_and_year(values.get("jaargroep", ""))
                if found is not None:
                    record.stage, record.year = found
                    record.curriculum = years.curriculum_for(record.stage, country)
                groups[key] = record
        return groups, combined

    def _code(self, name: str, element: etree._Element) -> str:
        if len(name) > CODE_MAX_LENGTH:
            raise BadInput(
                f"De naam van de groep is langer dan {CODE_MAX_LENGTH} tekens; Schoolbrug "
                "gebruikt de naam als klascode. Kort de naam in in het administratiepakket.",
                f"group name longer than {CODE_MAX_LENGTH} characters",
                file=self.file,
                line=element.sourceline,
                field="naam",
                field_is_element=True,
            )
        return name

    def _key(self, key: str, element: etree._Element) -> str:
        if len(key) > KEY_MAX_LENGTH:
            raise BadInput(
                f"De key van <{element.tag}> is langer dan {KEY_MAX_LENGTH} tekens; Schoolbrug "
                "bewaart keys tot die lengte. Meld het aan de leverancier van het pakket.",
                f"key of <{element.tag}> longer than {KEY_MAX_LENGTH} characters",
                file=self.file,
                line=element.sourceline,
                field="key",
                field_is_element=True,
            )
        return key

    # Pupils ----------------------------------------------------------------------------

    def _pupils(
        self, groups: dict[str, ClassRecord], combined: dict[str, ClassRecord]
    ) -> tuple[list[PupilRecord], dict[str, list[str]]]:
        """The pupils, and per group key the jaargroep its pupils carry (for a group "C")."""
        pupils: list[PupilRecord] = []
        pupil_years: dict[str, list[str]] = defaultdict(list)
        today = self.today.isoformat()
        dates = _Memo(_date)
        genders = GENDERS.get
        combined_codes = {key: record.code for key, record in combined.items()}
        make_key = self._key
        append = pupils.append
        # Written for speed at 100,000 pupils: one pass over each pupil's children, the
        # record built by position (PupilRecord's field order, as in wisa.py).
        for pupil in self.root.find("leerlingen"):
            children = {child.tag: child for child in pupil}
            values = {tag: child.text or "" for tag, child in children.items()}
            element = children.get("groep")
            group = groups.get(element.get("key")) if element is not None else None
            element = children.get("samengestelde_groepen")
            extra = (
                tuple(combined_codes[c.get("key")] for c in element) if element is not None else ()
            )
            get = values.get
            jaargroep = get("jaargroep", "")
            left = get("uitstroomdatum", "")
            if group is not None and group.year is None and jaargroep:
                pupil_years[group.source_id].append(jaargroep)  # a group "C": its years
            raw_birth = get("geboortedatum", "")
            raw_gender = get("geslacht", "")
            family = get("achternaam", "")
            prefix = get("voorvoegsel")
            is_leaver = bool(left and left <= today) or (
                group is None and jaargroep == years.HISTORY
            )
            in_group = group is not None and not is_leaver
            append(
                PupilRecord(
                    pupil.sourceline,
                    make_key(pupil.get("key"), pupil),
                    group.code if in_group else "",
                    None,
                    f"{prefix} {family}" if prefix and family else family,
                    get("roepnaam") or get("voornamen") or get("voorletters-1", ""),
                    genders(raw_gender, ""),
                    dates[raw_birth],
                    get("rijksregisternummer", ""),
                    "",
                    get("emailadres", ""),
                    "",
                    {},
                    {},
                    raw_gender,
                    raw_birth,
                    _address(values),
                    group.source_id if in_group else "",
                    is_leaver,
                    frozenset(),
                    extra,
                    pupil.get("eckid") or "",
                )
            )
        return pupils, pupil_years

    # Teachers --------------------------------------------------------------------------

    def _staff(
        self, groups: dict[str, ClassRecord], combined: dict[str, ClassRecord]
    ) -> list[StaffRecord]:
        element = self.root.find("leerkrachten")
        staff: list[StaffRecord] = []
        for teacher in element if element is not None else ():
            values: dict[str, str] = {}
            codes: list[str] = []
            for child in teacher:
                if child.tag == "groepen":
                    for link in child:
                        found = (groups if link.tag == "groep" else combined)[link.get("key")]
                        codes.append(found.code)
                elif child.tag not in ("toevoegingen", "rol", "rolomschrijving"):
                    values[child.tag] = child.text or ""
            email = values.get("emailadres", "")
            if not email and "@" in values.get("gebruikersnaam", ""):
                email = values["gebruikersnaam"]
            record = StaffRecord(
                source_id=self._key(teacher.get("key"), teacher),
                email=email.strip(),
                given_name=values.get("roepnaam") or values.get("voornamen") or "",
                family_name=_family_name(values),
                class_codes=codes,
                line=teacher.sourceline,
            )
            if not record.email:
                self.findings.append(
                    make_finding(
                        "TEACHER_EMAIL_MISSING",
                        file=self.file,
                        line=record.line,
                        field="emailadres",
                        value=f"{record.given_name} {record.family_name}".strip(),
                    )
                )
            staff.append(record)
        return staff


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _family_name(values: dict[str, str]) -> str:
    family = values.get("achternaam", "")
    prefix = values.get("voorvoegsel", "")
    return f"{prefix} {family}" if prefix and family else family


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _address(values: dict[str, str]) -> dict[str, str]:
    for tag in ("postnummerbe", "postcodenl", "postcodeoverig"):
        if values.get(tag):
            return {"postal_code": values[tag]}
    return {}


def _years_from_pupils(record: ClassRecord, carried: list[str] | tuple, country: str) -> None:
    """A group without a year of its own (jaargroep C, S, …): the years its pupils carry."""
    found = sorted({y for value in carried if (y := years.stage_and_year(value)) is not None})
    if not found:
        return
    record.stage, record.year = found[0]
    same_stage = sorted({year for stage, year in found if stage == record.stage})
    record.years = tuple(same_stage) if len(same_stage) > 1 else ()
    record.curriculum = years.curriculum_for(record.stage, country)


def _number_pupils(pupils: list[PupilRecord]) -> None:
    """1..n per group by family name, given name and key (EDEXML has no class numbers)."""
    by_class: dict[str, list[PupilRecord]] = defaultdict(list)
    for pupil in pupils:
        if pupil.class_code:
            by_class[pupil.class_code].append(pupil)
    for members in by_class.values():
        members.sort(key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.source_id))
        for number, pupil in enumerate(members, start=1):
            pupil.class_number = number
