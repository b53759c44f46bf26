"""Small EDEXML 2.1 files for tests, built from plain values; and the shared reference files."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "edexml"
SAMPLES = SHARED / "samples"
FLEMISH = SAMPLES / "voorbeeld-2.1-vlaanderen.xml"
DUTCH = SAMPLES / "voorbeeld-2.1-nederland.xml"
INVALID = [SAMPLES / "invalid-1.xml", SAMPLES / "invalid-toevoegingen.xml"]
SHARED_SCHEMA = SHARED / "xsd-2.1" / "EDEXML.structuur.xsd"


def group(key, name, jaargroep):
    return ("groep", key, name, jaargroep)


def combined(key, name):
    return ("samengestelde_groep", key, name, None)


def leerling(key, family, given, group_key, *, jaargroep="5", birth="2017-03-04", gender="2",
             combined=(), eckid=None, rrn=None, left=None, prefix=None, email=None):  # fmt: skip
    return dict(key=key, family=family, given=given, group=group_key, jaargroep=jaargroep,
                birth=birth, gender=gender, combined=combined, eckid=eckid, rrn=rrn, left=left,
                prefix=prefix, email=email)  # fmt: skip


def leerkracht(key, family, given, email, groups=(), combined=()):
    return dict(key=key, family=family, given=given, email=email, groups=groups, combined=combined)


def write(path, *, groups, pupils, teachers=(), brin=None, dependance=None, number=None,
          year="2024-2025"):  # fmt: skip
    root = etree.Element("EDEX")
    school = etree.SubElement(root, "school")
    _add(school, "schooljaar", year)
    if brin:
        _add(school, "brincode", brin)
        _add(school, "dependancecode", dependance)
    else:
        _add(school, "instellingsnummer", number)
    _add(school, "xsdversie", "2.1")
    parent = etree.SubElement(root, "groepen")
    for tag, key, name, jaargroep in groups:
        element = etree.SubElement(parent, tag, key=key)
        _add(element, "naam", name)
        _add(element, "jaargroep", jaargroep)
    parent = etree.SubElement(root, "leerlingen")
    for p in pupils:
        element = etree.SubElement(parent, "leerling", key=p["key"])
        if p["eckid"]:
            element.set("eckid", p["eckid"])
        _add(element, "achternaam", p["family"])
        _add(element, "voorvoegsel", p["prefix"])
        _add(element, "roepnaam", p["given"])
        _add(element, "geboortedatum", p["birth"])
        _add(element, "geslacht", p["gender"])
        _add(element, "jaargroep", p["jaargroep"])
        if p["group"]:
            etree.SubElement(element, "groep", key=p["group"])
        if p["combined"]:
            extra = etree.SubElement(element, "samengestelde_groepen")
            for key in p["combined"]:
                etree.SubElement(extra, "samengestelde_groep", key=key)
        _add(element, "emailadres", p["email"])
        _add(element, "rijksregisternummer", p["rrn"])
        _add(element, "uitstroomdatum", p["left"])
    if teachers:
        parent = etree.SubElement(root, "leerkrachten")
        for t in teachers:
            element = etree.SubElement(parent, "leerkracht", key=t["key"])
            _add(element, "achternaam", t["family"])
            _add(element, "roepnaam", t["given"])
            _add(element, "emailadres", t["email"])
            if t["groups"] or t["combined"]:
                links = etree.SubElement(element, "groepen")
                for key in t["groups"]:
                    etree.SubElement(links, "groep", key=key)
                for key in t["combined"]:
                    etree.SubElement(links, "samengestelde_groep", key=key)
    etree.ElementTree(root).write(str(path), xml_declaration=True, encoding="UTF-8")
    return Path(path)


def _add(parent, tag, text):
    if text:
        etree.SubElement(parent, tag).text = text


def shared_schema() -> etree.XMLSchema:
    """The standard's schema exactly as kept in ../shared (school years up to 2024-2025)."""
    return etree.XMLSchema(etree.parse(str(SHARED_SCHEMA)))
