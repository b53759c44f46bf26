"""Synthetic Dutch schools as EDEXML 2.1 files (`schoolbrug generate --country nl`), for the
demo and the benchmark. Deterministic for a seed; no real people (the generator's word lists,
e-mail at example.nl, eckids at an example domain).

A school has groep 1–8: groep 1/2 as combination groups of kindergarten pupils (jaargroep C,
each pupil its own 1 or 2), groep 3–8 in parallel groups ("5A", "5B"), a few combined groups
("Plusklas", "Leesclub", …) that pupils of several groups belong to, and a teacher per group
(with e-mail) who also teaches a combined group. Every file is valid against the schema.

    OUT/instellingen.csv       BRIN6;naam;niveau;…      (like `schoolbrug generate`'s list)
    OUT/<BRIN6>.xml            one school
"""

from __future__ import annotations

import csv
import datetime
import random
import string
from pathlib import Path

from lxml import etree

from schoolbrug.demo import names
from schoolbrug.edexml.schema import VERSION

GROUP_SIZE = 27
COMBINED_GROUPS = ("Plusklas", "Leesclub", "Rekenlab", "Schoolkoor", "Techniek")
CITIES = ("Zwolle", "Utrecht", "Tilburg", "Groningen", "Amersfoort", "Leiden", "Delft", "Ede")
PUPILS_PER_SCHOOL = 230


def brin(rng: random.Random) -> str:
    """A BRIN code ("12AB") with dependance "00": BRIN6."""
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
    return f"{rng.randrange(10, 100)}{letters}00"


def write_dutch_region(pupils: int, out: Path, seed: int = 2026, school_year: int = 2025):
    """About `pupils / 230` Dutch schools, one EDEXML file each, and their list; returns the
    BRIN6 numbers."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    count = max(1, round(pupils / PUPILS_PER_SCHOOL))
    numbers: list[str] = []
    while len(numbers) < count:
        if (number := brin(rng)) not in numbers:
            numbers.append(number)
    sizes = [pupils // count + (1 if i < pupils % count else 0) for i in range(count)]
    with (out / "instellingen.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["brin", "naam", "niveau", "gemeente"])
        for number, size in zip(numbers, sizes, strict=True):
            city = rng.choice(CITIES)
            name = f"Basisschool {rng.choice(names.PRIMARY_NAMES)}"
            writer.writerow([number, name, "primary", city])
            write_dutch_school(out / f"{number}.xml", number, size, rng, school_year)
    return numbers


def write_dutch_school(
    path: Path, number: str, pupils: int, rng: random.Random, school_year: int = 2025
) -> Path:
    """One Dutch school of `pupils` pupils as an EDEXML 2.1 file."""
    root = etree.Element("EDEX")
    school = etree.SubElement(root, "school")
    _add(school, "schooljaar", f"{school_year}-{school_year + 1}")
    _add(school, "brincode", number[:4])
    _add(school, "dependancecode", number[4:6] or "00")
    _add(school, "aanmaakdatum", f"{school_year}-10-01T02:00:00")
    _add(school, "auteur", "Schoolbrug generator")
    _add(school, "xsdversie", VERSION)
    groups = _groups(pupils)
    parent = etree.SubElement(root, "groepen")
    for key, name, jaargroep, _ in groups:
        element = etree.SubElement(parent, "groep", key=key)
        _add(element, "naam", name)
        _add(element, "jaargroep", jaargroep)
    combined = [(f"SG{i + 1}", name) for i, name in enumerate(COMBINED_GROUPS)]
    for key, name in combined:
        _add(etree.SubElement(parent, "samengestelde_groep", key=key), "naam", name)
    _pupils(etree.SubElement(root, "leerlingen"), groups, combined, rng, number, school_year)
    _teachers(etree.SubElement(root, "leerkrachten"), groups, combined, rng, number)
    etree.ElementTree(root).write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


def _groups(pupils: int) -> list[tuple[str, str, str, list[int]]]:
    """(key, name, jaargroep, the jaargroep of each pupil) for every group of the school."""
    per_year = [pupils // 8 + (1 if i < pupils % 8 else 0) for i in range(8)]
    groups = []
    kindergarten = per_year[0] + per_year[1]
    parallel = max(1, -(-kindergarten // GROUP_SIZE))
    years = [1] * per_year[0] + [2] * per_year[1]
    for index in range(parallel):
        share = years[index::parallel]
        if share:
            groups.append((f"G12{_letter(index)}", f"1/2{_letter(index)}", "C", share))
    for year in range(3, 9):
        size = per_year[year - 1]
        parallel = max(1, -(-size // GROUP_SIZE))
        for index in range(parallel):
            count = size // parallel + (1 if index < size % parallel else 0)
            if count:
                name = f"{year}{_letter(index)}"
                groups.append((f"G{name}", name, str(year), [year] * count))
    return groups


def _letter(index: int) -> str:
    """A, B, …, Z, then A1, B1, …: a benchmark school has hundreds of parallel groups."""
    letter = string.ascii_uppercase[index % 26]
    return letter if index < 26 else f"{letter}{index // 26}"


def _pupils(parent, groups, combined, rng: random.Random, number: str, school_year: int):
    boys, girls, families = names.BOYS, names.GIRLS, names.FAMILY_NAMES
    prefixes = ("", "", "", "", "van", "de", "van der", "van den", "ter")
    key = 100_000
    for group_key, _name, _jaargroep, years in groups:
        for year in years:
            key += 1
            element = etree.SubElement(
                parent,
                "leerling",
                key=str(key),
                eckid=f"https://eck.example.nl/{number}/{key:08d}",
            )
            boy = rng.random() < 0.5
            prefix = rng.choice(prefixes)
            _add(element, "achternaam", rng.choice(families))
            _add(element, "voorvoegsel", prefix)
            _add(element, "roepnaam", rng.choice(boys if boy else girls))
            # Groep 1 is four years old on 1 October of the school year.
            born = datetime.date(school_year - 3 - year, 1, 1) + datetime.timedelta(
                days=rng.randrange(365)
            )
            _add(element, "geboortedatum", born.isoformat())
            _add(element, "geslacht", "1" if boy else "2")
            _add(element, "jaargroep", str(year))
            etree.SubElement(element, "groep", key=group_key)
            if year >= 4 and rng.random() < 0.15:
                extra = etree.SubElement(element, "samengestelde_groepen")
                for combined_key, _ in rng.sample(combined, rng.choice((1, 1, 2))):
                    etree.SubElement(extra, "samengestelde_groep", key=combined_key)


def _teachers(parent, groups, combined, rng: random.Random, number: str):
    used: set[str] = set()
    for index, (group_key, _name, _jaargroep, _years) in enumerate(groups):
        given, family = rng.choice(names.GIRLS + names.BOYS), rng.choice(names.FAMILY_NAMES)
        email = f"{names.slug(given)}.{names.slug(family)}@{number.lower()}.example.nl"
        while email in used:
            email = email.replace("@", f"{len(used) % 10}@", 1)
        used.add(email)
        element = etree.SubElement(parent, "leerkracht", key=f"LK{index + 1}")
        _add(element, "achternaam", family)
        _add(element, "roepnaam", given)
        _add(element, "emailadres", email)
        links = etree.SubElement(element, "groepen")
        etree.SubElement(links, "groep", key=group_key)
        if index < len(combined):
            etree.SubElement(links, "samengestelde_groep", key=combined[index][0])


def _add(parent, tag: str, text: str) -> None:
    if text:
        etree.SubElement(parent, tag).text = text
