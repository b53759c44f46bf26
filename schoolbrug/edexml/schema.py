"""Read an EDEXML file safely and check it against the EDEXML 2.1 schema.

The parser resolves no entities and fetches nothing from the network, and a file with a DTD
is refused outright: an EDEXML file has none, so a DOCTYPE can only be an attack (an external
entity that reads a server file, a "billion laughs" that eats its memory). What is not
EDEXML 2.1, or breaks the schema, raises `BadInput` naming the line and the element; the sync
then writes nothing but the refused run.
"""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path

from lxml import etree

from schoolbrug.sources.errors import BadInput

XSD_DIR = Path(__file__).with_name("xsd")
SCHEMA_FILE = XSD_DIR / "EDEXML.structuur.xsd"
VERSION = "2.1"
ROOT = "EDEX"
_ELEMENT_IN_MESSAGE = re.compile(r"Element '([^']+)'")
_STEP_INDEX = re.compile(r"\[\d+\]$")


def safe_parser() -> etree.XMLParser:
    """A parser for files from outside: no entities, no network, no DTD, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
    )


def schema() -> etree.XMLSchema:
    """The EDEXML 2.1 schema shipped with the package, its school years brought up to date.

    `EDEXML.types.variabel.xsd` holds the standard's *variable* types, which Edustandaard
    extends as years pass; the 2.1 copy lists school years up to 2024-2025, so a package's
    file of this year would break it. The schema is read with that list extended (in memory:
    the shipped files stay the standard's, byte for byte) through next school year.
    """
    return _schema(SchoolYearList.last_start_year())


@functools.cache
def _schema(last_start_year: int) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(SchoolYearList(last_start_year))
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), parser))


class SchoolYearList(etree.Resolver):
    """Serves the variable types with the school years after the standard's last one."""

    FILE = "EDEXML.types.variabel.xsd"
    LAST_LISTED = 2024  # "2024-2025", the list's last entry

    @staticmethod
    def last_start_year() -> int:
        today = datetime.date.today()
        return today.year + 1  # this school year and next, whatever the month

    def __init__(self, last_start_year: int):
        super().__init__()
        self.last_start_year = last_start_year

    def resolve(self, system_url, public_id, context):
        if not system_url.endswith(self.FILE):
            return None
        text = (XSD_DIR / self.FILE).read_text(encoding="utf-8")
        last = f'<xs:enumeration value="{self.LAST_LISTED}-{self.LAST_LISTED + 1}"/>'
        added = "".join(
            f'<xs:enumeration value="{year}-{year + 1}"/>'
            for year in range(self.LAST_LISTED + 1, self.last_start_year + 1)
        )
        assert last in text, "the schema's school years changed: revisit SchoolYearList"
        return self.resolve_string(
            text.replace(last, last + added).encode("utf-8"), context, base_url=system_url
        )


def read_edexml(path: str | Path) -> tuple[etree._ElementTree, bytes]:
    """(the file's tree, its bytes), once it is known to be a valid EDEXML 2.1 file;
    BadInput otherwise."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(
            "Het bestand kan niet gelezen worden.",
            f"cannot read the file: {error.strerror or error}",
            file=path.name,
        ) from None
    return parse_edexml_bytes(data, path.name), data


def parse_edexml_bytes(data: bytes, file: str) -> etree._ElementTree:
    """The tree of an EDEXML 2.1 file's bytes; BadInput when they are not one."""
    try:
        tree = etree.ElementTree(etree.fromstring(data, safe_parser()))
    except etree.XMLSyntaxError as error:
        raise BadInput(
            f"Het bestand is geen leesbare XML: {error.msg}.",
            f"not well-formed XML: {error.msg}",
            file=file,
            line=error.lineno or None,
        ) from None
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise BadInput(
            "Het bestand bevat een DOCTYPE (DTD). Een EDEXML-bestand heeft er geen; het wordt "
            "om veiligheidsredenen niet gelezen.",
            "the file has a DOCTYPE (DTD): refused (no entities are read)",
            file=file,
            line=1,
            field="!DOCTYPE",
            field_is_element=True,
        )
    check_edexml(tree, file)
    return tree


def check_edexml(tree: etree._ElementTree, file: str) -> None:
    """BadInput unless the tree is an EDEXML 2.1 file that the schema accepts."""
    root = tree.getroot()
    if root.tag != ROOT:
        raise BadInput(
            f"Dit is geen EDEXML-bestand: het hoofdelement is <{root.tag}>, niet <{ROOT}>.",
            f"not an EDEXML file: root element <{root.tag}>",
            file=file,
            line=root.sourceline,
            field=str(root.tag),
            field_is_element=True,
        )
    version = root.find("school/xsdversie")
    if version is not None and (version.text or "").strip() != VERSION:
        raise BadInput(
            f"Dit is een EDEXML-bestand van versie {(version.text or '').strip() or '(leeg)'}; "
            f"Schoolbrug leest versie {VERSION}. Laat het pakket een EDEXML {VERSION}-bestand "
            "maken.",
            f"EDEXML version {(version.text or '').strip()!r}, expected {VERSION}",
            file=file,
            line=version.sourceline,
            field="xsdversie",
            field_is_element=True,
        )
    checker = schema()
    if checker.validate(tree):
        return
    error = checker.error_log[0]
    raise BadInput(
        f"Het bestand voldoet niet aan het EDEXML {VERSION}-schema: {error.message}",
        f"breaks the EDEXML {VERSION} schema: {error.message}",
        file=file,
        line=error.line or None,
        field=_element_of(error),
        field_is_element=True,
    )


def _element_of(error) -> str:
    """The element an error of the schema is about: the path's last step, else the message's."""
    if error.path:
        return _STEP_INDEX.sub("", error.path.rsplit("/", 1)[-1])
    found = _ELEMENT_IN_MESSAGE.search(error.message or "")
    return found.group(1) if found else ""
