"""The official offer of a school (seed 002's "synchronisatie aanbod met Onderwijs
Vlaanderen", here self-service) and its comparison with what the LOP site shows.

Read from the Onderwijsaanbod SO API (`/onderwijsaanbod_so/v2/administratievegroep` with
`filter_administratievegroep_ingericht=true` and the institution and site: the offer of one
site, in the paged `meta`/`content` envelope, key in the `x-api-key` header) or from a CSV
with the columns of the open-data list (instellingsnummer, vestigingsplaats,
administratievegroep_code, administratievegroep_omschrijving, ...). A LOP school that is a
whole institution combines the offer of all its sites.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass

import urllib3
from django.conf import settings

from .admin_groups import programme_sort_key
from .models import AdministrativeGroup, LopSchool, Offer

log = logging.getLogger("schoolbrug.enrolment")
PAGE_SIZE = 5000
MAX_PAGES = 50
TIMEOUT = urllib3.Timeout(connect=5, read=30)


class OfficialError(Exception):
    """The official offer could not be read; Dutch for the page."""


def _site_number(school: LopSchool) -> str | None:
    return school.site.number if school.site_id else None


def read_csv(data: bytes, school: LopSchool) -> dict[int, str]:
    """{code: name} of `school` (its site, or every site) in an offered-groups CSV."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OfficialError("Het bestand is geen UTF-8-tekst.") from None
    reader = csv.DictReader(io.StringIO(text))
    needed = {"instellingsnummer", "vestigingsplaats", "administratievegroep_code"}
    if not needed <= set(reader.fieldnames or ()):
        missing = ", ".join(sorted(needed - set(reader.fieldnames or ())))
        raise OfficialError(f"Regel 1: kolom {missing} ontbreekt.")
    site = _site_number(school)
    offered = {}
    for line, row in enumerate(reader, start=2):
        if row["instellingsnummer"].strip() != school.institution.number:
            continue
        if site is not None and row["vestigingsplaats"].strip() != site:
            continue
        code = row["administratievegroep_code"].strip()
        if not code.isdigit():
            raise OfficialError(f"Regel {line}, administratievegroep_code: '{code}' is geen code.")
        offered[int(code)] = (row.get("administratievegroep_omschrijving") or "").strip()
    return offered


def fetch_api(school: LopSchool, base_url: str | None = None, key: str | None = None):
    """{code: name} of `school` from the API, every page."""
    base_url = (base_url or settings.SCHOOLBRUG_ONDERWIJS_API_URL).rstrip("/")
    key = key if key is not None else settings.SCHOOLBRUG_ONDERWIJS_API_KEY
    if not key:
        raise OfficialError("Er is geen API-sleutel voor Onderwijs Vlaanderen ingesteld.")
    fields = {
        "filter_administratievegroep_ingericht": "true",
        "filter_instelling_nummer": school.institution.number,
        "size": str(PAGE_SIZE),
    }
    site = _site_number(school)
    if site is not None:
        fields["filter_instellingslocatie_vestigingsnummer"] = site
    http = urllib3.PoolManager(timeout=TIMEOUT, retries=False)
    offered: dict[int, str] = {}
    page = 1
    while page <= MAX_PAGES:
        try:
            response = http.request(
                "GET",
                f"{base_url}/onderwijsaanbod_so/v2/administratievegroep",
                fields={**fields, "page": str(page)},
                headers={"x-api-key": key, "Accept": "application/json"},
            )
        except (urllib3.exceptions.HTTPError, OSError) as failed:
            log.warning("official offer: request failed: %s", type(failed).__name__)
            raise OfficialError("Onderwijs Vlaanderen is niet bereikbaar.") from None
        if response.status != 200:
            log.warning("official offer: HTTP %s", response.status)
            raise OfficialError(f"Onderwijs Vlaanderen antwoordde met fout {response.status}.")
        try:
            body = json.loads(response.data)
            for record in body["content"]:
                code = int(record["administratievegroep_code"])
                offered[code] = str(record.get("administratievegroep_omschrijving") or "")
            last = body["meta"].get("last", True)
        except (ValueError, KeyError, TypeError):
            raise OfficialError("Onderwijs Vlaanderen gaf een onleesbaar antwoord.") from None
        if last:
            break
        page += 1
    return offered


@dataclass
class Line:
    code: int
    name: str
    official: bool
    here: Offer | None

    @property
    def state(self) -> str:
        if self.official and self.here is None:
            return "missing"  # offered officially, not on the LOP site: green
        if self.here is not None and not self.official:
            return "extra"  # on the LOP site, not offered officially: red
        return "both"


def compare(school: LopSchool, year: str, official: dict[int, str]) -> list[Line]:
    """One line per programme on either side, in the programmes' order."""
    here = {
        o.group.code: o
        for o in Offer.objects.filter(school=school, year=year).select_related("group")
    }
    groups = {
        g.code: g for g in AdministrativeGroup.objects.filter(code__in=set(official) | set(here))
    }
    lines = []
    for code in set(official) | set(here):
        group = groups.get(code) or AdministrativeGroup(code=code, name=official.get(code, ""))
        lines.append(
            (
                programme_sort_key(group),
                Line(code, group.name or official.get(code, ""), code in official, here.get(code)),
            )
        )
    return [line for _, line in sorted(lines, key=lambda pair: pair[0])]
