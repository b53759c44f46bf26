"""EDEXML's `jaargroep` ↔ the registry's stage and year (both ways, so a file read back is
the same).

The schema's own table: jaargroep 0, 1 and 2 are the kindergarten years (Flemish kleuterklas
1–3; Dutch peuters, groep 1 and groep 2), 3–8 the six primary years (Dutch groep 3–8, Flemish
leerjaar 1–6), 11–16 the six secondary years (Flemish graad 1–3, each two years). The letters
(B, D: babies and toddlers; S, V: special education; C: a combination group whose pupils
each carry their own; N: neither; H: history, a pupil who left) name no year: a group with
such a jaargroep takes its years from its pupils'.

The registry keeps the Flemish stage and year (as WISA does), so a Dutch group 5 is primary
year 3: the same age everywhere, and the OneRoster export gives it grade 03.
"""

from __future__ import annotations

from schoolbrug.sources.records import COMBINED_CURRICULUM

KINDERGARTEN = "NVT"
SECONDARY_FIRST = 11
HISTORY = "H"
CURRICULUM_PRIMARY = "basisonderwijs"
CURRICULUM_SECONDARY = {"BE": "secundair onderwijs", "NL": "voortgezet onderwijs"}
CURRICULUM_COMBINED = COMBINED_CURRICULUM


def stage_and_year(jaargroep: str) -> tuple[str, int] | None:
    """(stage, year) for a numeric jaargroep; None for the letters (and anything else)."""
    if not jaargroep.isdigit():
        return None
    value = int(jaargroep)
    if 0 <= value <= 2:
        return KINDERGARTEN, value + 1
    if 3 <= value <= 8:
        return "", value - 2
    if SECONDARY_FIRST <= value <= 16:
        index = value - SECONDARY_FIRST
        return str(index // 2 + 1), index % 2 + 1
    return None


def curriculum_for(stage: str, country: str) -> str:
    if stage in ("", KINDERGARTEN):
        return CURRICULUM_PRIMARY
    return CURRICULUM_SECONDARY.get(country, CURRICULUM_SECONDARY["BE"])


def jaargroep_for(stage: str, year: int | None) -> str:
    """The jaargroep of a registry class; "C" (pupils carry theirs) when it has no one year.

    Kindergarten year 0 (the Flemish instapklas) has no jaargroep of its own: it is written
    as 0, the youngest the schema knows, like kindergarten year 1.
    """
    if year is None:
        return "C"
    if stage.upper() == KINDERGARTEN:
        return str(max(year - 1, 0)) if year <= 3 else "C"
    if stage == "":
        return str(year + 2) if 1 <= year <= 6 else "C"
    if stage.isdigit() and 1 <= year <= 2:
        return str(SECONDARY_FIRST + (int(stage) - 1) * 2 + year - 1)
    return "C"
