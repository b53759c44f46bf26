"""UWLR 2.2 `BrengLeerresultaten` (Edustandaard): the SOAP message that brings a school's
exercise results to its pupil-monitoring system, with the authorization key in its header.

The message is built with lxml in the standard's namespaces; `validate` checks the header and
the body against the standard's own XSDs (`../shared/uwlr/Schemas`, not copied into the
project: `SCHOOLBRUG_UWLR_SCHEMAS` points to them), as the tests do for every message sent.
A result's `key` attribute is the result's own id: sent twice, it is the same result.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from django.utils import timezone
from lxml import etree

from .models import ProductResult

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
LR = "http://www.edustandaard.nl/leerresultaten/2/leerresultaten"
AU = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"
SOAP_ACTION = "BrengLeerresultaten"
XSD_VERSION = "2.2"
BRIN = re.compile(r"\d{2}[A-Z]{2}")


class NotAnExercise(ValueError):
    """A test result reached the message: never sent (seed 004 §5)."""


def _text(parent, tag: str, value: str, ns: str = LR):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    element.text = value
    return element


def school_year(day) -> str:
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


def message(link, results: list[ProductResult]) -> bytes:
    """The SOAP envelope for these results (exercise results of one institution)."""
    if any(r.kind != ProductResult.Kind.EXERCISE for r in results):
        raise NotAnExercise("only exercise results are delivered")
    institution = link.institution
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, "lr": LR, "au": AU})
    header = etree.SubElement(envelope, f"{{{SOAP}}}Header")
    authorization = etree.SubElement(header, f"{{{AU}}}autorisatie")
    _text(authorization, "autorisatiesleutel", link.authorization_key, AU)
    _text(authorization, "klantcode", institution.number[:64], AU)
    _text(authorization, "klantnaam", institution.name[:64], AU)
    body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
    request = etree.SubElement(body, f"{{{LR}}}leerresultaten_verzoek")
    school = etree.SubElement(request, f"{{{LR}}}school")
    now = timezone.now()
    _text(school, "schooljaar", school_year(timezone.localdate()))
    if BRIN.fullmatch(institution.number):
        _text(school, "brincode", institution.number)
    else:
        _text(school, "schoolkey", institution.number)
    _text(school, "aanmaakdatum", now.replace(microsecond=0).isoformat())
    _text(school, "auteur", "Schoolbrug")
    _text(school, "xsdversie", XSD_VERSION)
    sessions = etree.SubElement(request, f"{{{LR}}}toetsafnames")
    by_pupil: dict[int, list[ProductResult]] = {}
    for result in results:
        by_pupil.setdefault(result.pupil_id, []).append(result)
    for pupil_results in by_pupil.values():
        pupil = pupil_results[0].pupil
        session = etree.SubElement(sessions, f"{{{LR}}}toetsafname")
        _text(session, "leerlingid", str(pupil.sourced_id))
        if pupil.eckid:
            _text(session, "eckid", pupil.eckid)
        listed = etree.SubElement(session, f"{{{LR}}}resultaten")
        for result in pupil_results:
            item = etree.SubElement(listed, f"{{{LR}}}resultaat", key=str(result.sourced_id))
            _text(item, "afnamedatum", result.taken_on.isoformat())
            _text(item, "toetscode", result.code)
            _text(item, "score", str(result.score))
    tests = etree.SubElement(request, f"{{{LR}}}toetsen")
    for code, name in sorted({(r.code, r.product.name) for r in results}):
        test = etree.SubElement(tests, f"{{{LR}}}toets")
        _text(test, "toetscode", code)
        _text(test, "toetsnaam", name[:128])
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


@functools.cache
def _schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


def validate(envelope: bytes, schemas: Path | None) -> list[str]:
    """The XSD errors of the header's authorization and the body's request ([] when valid).
    Without `schemas` (a machine without the standard's files) only that both are there."""
    root = etree.fromstring(envelope)
    errors = []
    for xpath, xsd in (
        ("soap:Header/au:autorisatie", "UWLR_Autorisatie_v2p2.xsd"),
        ("soap:Body/lr:leerresultaten_verzoek", "UWLR_Leerresultaten_v2p2.xsd"),
    ):
        found = root.xpath(xpath, namespaces={"soap": SOAP, "lr": LR, "au": AU})
        if len(found) != 1:
            errors.append(f"{xpath}: missing")
            continue
        if schemas is None:
            continue
        schema = _schema(str(schemas / xsd))
        if not schema.validate(etree.ElementTree(found[0])):
            errors += [f"{xsd}:{e.line}: {e.message}" for e in schema.error_log]
    return errors


def keys(envelope: bytes) -> list[str]:
    """The result keys in a message (what a receiver stores them under)."""
    root = etree.fromstring(envelope)
    return root.xpath("//lr:resultaat/@key", namespaces={"lr": LR})


def authorization_keys(envelope: bytes) -> list[str]:
    """The authorization key(s) in a message's header (what a receiver checks)."""
    root = etree.fromstring(envelope)
    return root.xpath("//au:autorisatie/au:autorisatiesleutel/text()", namespaces={"au": AU})


def is_confirmation(answer: bytes) -> bool:
    try:
        root = etree.fromstring(answer)
    except etree.XMLSyntaxError:
        return False
    return bool(root.xpath("//lr:leerresultaten_bevestiging", namespaces={"lr": LR}))
