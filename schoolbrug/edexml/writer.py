"""The registry → one institution's EDEXML 2.1 file (`schoolbrug export edexml`).

The Dutch variant for a Dutch institution (BRIN code and dependance code from its BRIN6
number), the Flemish one otherwise (instellingsnummer without leading zeros, the national
number of each pupil that has one, only when asked: `with_national_number`, as for the OneRoster
export, since the file goes to platforms). What it writes is what the reader reads back unchanged:

* the school year's active classes as groups (`naam` = the class code, `jaargroep` from stage
  and year, years.py) and its combined groups as combined groups; subclasses (the school's
  own, not the package's) and the leavers class are not written;
* the pupils enrolled in them, leavers not: each with the source's key it was read with
  (an EDEXML alias), else our own id, and its eckid; names, birth date, gender, e-mail,
  postcode; the groups and combined groups they are in;
* the teachers with a teaching link that counts today (in that school year), with their
  groups and combined groups.

Keys are the id the institution's EDEXML file gave (kept as aliases), else our own id, so a
file read back matches every record. Every file is validated against the schema before it is
written; one that does not validate is a bug and is not written.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path

from django.utils import timezone
from lxml import etree

from schoolbrug.registry.models import (
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    SubclassMembership,
    Teaching,
)

from . import years
from .reader import SOURCE
from .schema import VERSION, schema

GENDER_CODES = {"M": "1", "F": "2", "X": "9"}
NAME_MAX = 64  # roepnaam
FAMILY_MAX = 200


class NothingToExport(LookupError):
    """The institution has no pupil in the school year: EDEXML needs at least one."""


def export_edexml(
    target: Path,
    institution: Institution,
    school_year: SchoolYear,
    *,
    with_national_number: bool = False,
) -> Path:
    root = build_edexml(institution, school_year, with_national_number=with_national_number)
    tree = etree.ElementTree(root)
    checker = schema()
    if not checker.validate(tree):
        raise AssertionError(f"EDEXML export breaks the schema: {checker.error_log[0]}")
    target = Path(target)
    # Written whole or not at all: a platform that fetches the file never reads half of it.
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            tree.write(out, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def is_dutch(institution: Institution) -> bool:
    return institution.country == Institution.Country.NETHERLANDS


def build_edexml(
    institution: Institution, school_year: SchoolYear, *, with_national_number: bool = False
) -> etree._Element:
    root = etree.Element("EDEX")
    _school(etree.SubElement(root, "school"), institution, school_year)
    classes = list(
        SchoolClass.objects.filter(
            institution=institution,
            school_year=school_year,
            parent__isnull=True,
            is_active=True,
            is_leavers=False,
        ).order_by("code")
    )
    class_keys = _keys(SourceAlias.Kind.CLASS, institution.number, classes)
    by_pk = {c.pk: c for c in classes}
    if classes:
        groups = etree.SubElement(root, "groepen")
        for school_class in classes:
            combined = school_class.curriculum == years.CURRICULUM_COMBINED
            element = etree.SubElement(
                groups,
                "samengestelde_groep" if combined else "groep",
                key=class_keys[school_class.pk],
            )
            _add(element, "naam", school_class.code)
            if not combined:
                _add(element, "jaargroep", _jaargroep(school_class))
    pupils = etree.SubElement(root, "leerlingen")
    national_numbers = with_national_number and not is_dutch(institution)
    written = _pupils(pupils, institution, school_year, by_pk, class_keys, national_numbers)
    if not written:
        raise NothingToExport(institution.number)
    _teachers(root, institution, school_year, by_pk, class_keys)
    return root


def _school(school: etree._Element, institution: Institution, school_year: SchoolYear) -> None:
    _add(school, "schooljaar", f"{school_year.start_year}-{school_year.start_year + 1}")
    if is_dutch(institution):
        _add(school, "brincode", institution.number[:4])
        _add(school, "dependancecode", institution.number[4:6] or "00")
    else:
        _add(school, "instellingsnummer", institution.number.lstrip("0").zfill(2))
    _add(
        school, "aanmaakdatum", timezone.localtime().replace(microsecond=0, tzinfo=None).isoformat()
    )
    _add(school, "auteur", "Schoolbrug")
    _add(school, "xsdversie", VERSION)


def _jaargroep(school_class: SchoolClass) -> str:
    return years.jaargroep_for(school_class.stage, school_class.year)


def _keys(kind: str, institution_number: str, rows) -> dict[int, str]:
    """pk → the key the institution's EDEXML file gave the row (its alias), else our id."""
    sourced = {row.sourced_id: row.pk for row in rows}
    scope = "" if kind == SourceAlias.Kind.STAFF else institution_number
    keys = {row.pk: str(row.sourced_id) for row in rows}
    for external_id, sourced_id in SourceAlias.objects.filter(
        source=SOURCE, kind=kind, scope=scope, sourced_id__in=list(sourced)
    ).values_list("external_id", "sourced_id"):
        keys[sourced[sourced_id]] = external_id
    return keys


def _pupils(
    parent, institution, school_year, classes: dict, class_keys: dict, national_numbers: bool
) -> int:
    enrolments = dict(
        Enrolment.objects.filter(
            school_year=school_year,
            school_class_id__in=[pk for pk, c in classes.items() if not _combined(c)],
            pupil__is_leaver=False,
        ).values_list("pupil_id", "school_class_id")
    )
    pupils = list(Pupil.objects.filter(pk__in=list(enrolments)).order_by("family_name", "pk"))
    keys = _keys(SourceAlias.Kind.PUPIL, institution.number, pupils)
    extra: dict[int, list[int]] = {}
    for pupil_pk, group_pk in SubclassMembership.objects.filter(
        subclass_id__in=[pk for pk, c in classes.items() if _combined(c)],
        ended_at__isnull=True,
        pupil_id__in=list(enrolments),
    ).values_list("pupil_id", "subclass_id"):
        extra.setdefault(pupil_pk, []).append(group_pk)
    for pupil in pupils:
        element = etree.SubElement(parent, "leerling", key=keys[pupil.pk])
        if pupil.eckid:
            element.set("eckid", pupil.eckid)
        if pupil.family_name:
            _add(element, "achternaam", pupil.family_name[:FAMILY_MAX])
        _add(element, "roepnaam", (pupil.given_name or pupil.family_name)[:NAME_MAX])
        if pupil.birth_date:
            _add(element, "geboortedatum", pupil.birth_date.isoformat())
        _add(element, "geslacht", GENDER_CODES.get(pupil.gender, ""))
        school_class = classes[enrolments[pupil.pk]]
        jaargroep = _jaargroep(school_class)
        _add(element, "jaargroep", jaargroep)
        etree.SubElement(element, "groep", key=class_keys[school_class.pk])
        if groups := sorted(extra.get(pupil.pk, ()), key=lambda pk: classes[pk].code):
            combined = etree.SubElement(element, "samengestelde_groepen")
            for group_pk in groups:
                etree.SubElement(combined, "samengestelde_groep", key=class_keys[group_pk])
        _add(element, "emailadres", pupil.email)
        if national_numbers:
            _add(element, "rijksregisternummer", pupil.national_number or "")
        _add(element, _postcode_element(postcode := pupil.address.get("postal_code", "")), postcode)
    return len(pupils)


def _teachers(root, institution, school_year, classes: dict, class_keys: dict) -> None:
    day = school_year.day_within(datetime.date.today())
    links = (
        Teaching.objects.active_on(day)
        .filter(assignment__institution=institution, schoolclass_id__in=list(classes))
        .select_related("assignment__staff")
        .order_by("assignment__staff__family_name", "assignment__staff_id", "schoolclass__code")
    )
    teachers: dict[int, tuple] = {}
    for link in links:
        staff = link.assignment.staff
        teachers.setdefault(staff.pk, (staff, []))[1].append(link.schoolclass_id)
    if not teachers:
        return
    keys = _keys(SourceAlias.Kind.STAFF, institution.number, [s for s, _ in teachers.values()])
    parent = etree.SubElement(root, "leerkrachten")
    for staff, class_pks in teachers.values():
        element = etree.SubElement(parent, "leerkracht", key=keys[staff.pk])
        if staff.family_name:
            _add(element, "achternaam", staff.family_name[:FAMILY_MAX])
        _add(element, "roepnaam", (staff.given_name or staff.family_name)[:NAME_MAX])
        _add(element, "emailadres", staff.email)
        groups = etree.SubElement(element, "groepen")
        for pk in dict.fromkeys(class_pks):
            tag = "samengestelde_groep" if _combined(classes[pk]) else "groep"
            etree.SubElement(groups, tag, key=class_keys[pk])


def _combined(school_class: SchoolClass) -> bool:
    return school_class.curriculum == years.CURRICULUM_COMBINED


def _postcode_element(postcode: str) -> str:
    if (
        len(postcode) == 6
        and postcode[:4].isdigit()
        and postcode[4:].isalpha()
        and postcode[4:].isupper()
    ):
        return "postcodenl"
    if len(postcode) == 4 and postcode.isdigit():
        return "postnummerbe"
    return "postcodeoverig"


def _add(parent: etree._Element, tag: str, text: str) -> None:
    """A child with this text; none for an empty value (the schema's strings are not empty)."""
    if text:
        etree.SubElement(parent, tag).text = text
