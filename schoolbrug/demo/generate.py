"""A synthetic region of Flemish schools, written as WISA exports (seed 000), for demos and
benchmarks. Deterministic for a seed; no real people (names from `names.py`, e-mail at
example domains, phone numbers in the unallocated 0400 range).

`generate_region(pupils)` makes night 1, `next_night(region)` the next night's export with
about 3% of the pupils changed, `write_region(region, out_dir)` writes the files:

    OUT/instellingen.csv                 instellingsnummer;naam;niveau;vestigingsnummer;gemeente
                                         (one row per site, like the government's list)
    OUT/<institution_number>/leerlingen.csv   PUPIL_COLUMNS
    OUT/<institution_number>/klassen.csv      CLASS_COLUMNS

Exports are UTF-8 with BOM and `;`, except every 10th institution (`legacy_export`):
Windows-1252 without BOM and `,`. Lines end in CRLF.

Pupil rows are kept as plain tuples of strings in `PUPIL_COLUMNS` order (1.2 M of them), not
dataclasses: that keeps a region of 1.2 M pupils within seconds to make and write.
"""

from __future__ import annotations

import bisect
import itertools
import random
import shutil
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from schoolbrug.demo import names
from schoolbrug.demo.names import PupilFactory, institution_number

SCHOOL_YEAR = 2025  # start year of the school year the exports describe (2025-2026)
PUPILS_PER_INSTITUTION = 340
SECONDARY_SHARE = 0.25
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PUPIL_HEADER = (
    "KLAS;KLASNUMMER;NAAM;VOORNAAM;GEBOORTEDATUM;WISAID;STAMBOEKNUMMER;GESLACHT;RIJKSREGISTERNR;"
    "STRAAT;STRAATNR;BUSNR;POSTCODE;WOONPLAATS;EMAIL;GSM;EMAIL_VADER;GSM_VADER;EMAIL_MOEDER;"
    "GSM_MOEDER"
)
PUPIL_COLUMNS = tuple(PUPIL_HEADER.split(";"))
CLASS_COLUMNS = ("KLAS", "GRAAD", "LEERJAAR", "VAKKENPAKKET")
COL = {name: index for index, name in enumerate(PUPIL_COLUMNS)}
# Deliberate defects in night 1 (at least one of each), as a share of pupils; the last as a
# share of classes, at most one per institution.
DEFECT_RATES = {
    "class_number_0": 0.001,
    "class_number_empty": 0.001,
    "national_number_missing": 0.001,
    "class_without_curriculum": 0.002,
}
CHANGE_KINDS = {  # next night: share of the changes
    "class_move": 0.30,
    "leaver": 0.20,
    "new_pupil": 0.20,
    "class_number": 0.15,
    "field_update": 0.15,
}


@dataclass(frozen=True, slots=True)
class Institution:
    number: str  # text: 6 digits, the last a check digit like the government's numbers
    name: str
    level: str  # "primary" or "secondary"
    postal_code: str
    city: str
    sites: tuple[str, ...] = ("1",)
    legacy_export: bool = False  # Windows-1252, no BOM, delimiter ","


class SchoolClass(NamedTuple):
    code: str
    stage: str  # GRAAD: "NVT" kindergarten, "" primary, "1".."3" secondary
    year: str  # LEERJAAR as written: "0".."3", "1".."6", "1,2" (multi-grade), "1".."2"
    curriculum: str
    birth_years: tuple[int, ...]  # not exported: the birth years its pupils have


@dataclass(slots=True)
class Region:
    seed: int
    institutions: list[Institution]
    classes: dict[str, list[SchoolClass]]  # institution number → classes
    pupils: dict[str, list[tuple[str, ...]]]  # institution number → rows (PUPIL_COLUMNS)
    night: int = 1
    changes: dict[str, int] = field(default_factory=dict)  # next night: kind → pupils
    change_log: list[tuple[str, str, str]] = field(default_factory=list)  # kind, inst, WISAID

    @property
    def pupil_count(self) -> int:
        return sum(map(len, self.pupils.values()))

    @property
    def class_count(self) -> int:
        return sum(map(len, self.classes.values()))

    def defects(self) -> dict[str, int]:
        """The defects the region's rows hold now (night 1's, minus those fixed since)."""
        rows = [row for rows in self.pupils.values() for row in rows]
        classes = [cls for classes in self.classes.values() for cls in classes]
        return {
            "class_number_0": sum(row[COL["KLASNUMMER"]] == "0" for row in rows),
            "class_number_empty": sum(row[COL["KLASNUMMER"]] == "" for row in rows),
            "national_number_missing": sum(row[COL["RIJKSREGISTERNR"]] == "" for row in rows),
            "class_without_curriculum": sum(cls.curriculum == "" for cls in classes),
        }


def generate_region(pupils: int, seed: int = 2026) -> Region:
    """A region of exactly `pupils` pupils in about `pupils / 340` institutions."""
    rng = random.Random(seed)
    institutions = _institutions(rng, max(1, round(pupils / PUPILS_PER_INSTITUTION)))
    sizes = _sizes(rng, institutions, pupils)
    factory = PupilFactory(rng, set())
    classes: dict[str, list[SchoolClass]] = {}
    rows: dict[str, list[tuple[str, ...]]] = {}
    for inst, size in zip(institutions, sizes, strict=True):
        if inst.level == "secondary":
            plan = _secondary_classes(rng, size)
        else:
            plan = _primary_classes(rng, inst, size)
        # In class-code order, like an export sorted on KLAS.
        plan = sorted(((c, n) for c, n in plan if n), key=lambda item: item[0].code)
        classes[inst.number] = [cls for cls, _ in plan]
        school_rows: list[tuple[str, ...]] = []
        next_id = 10_001 + int(rng.random() * 80_000)
        for cls, count in plan:
            school_rows += factory.rows(inst, cls, count, 1, next_id)
            next_id += count
        rows[inst.number] = school_rows
    region = Region(seed, institutions, classes, rows)
    _add_defects(rng, region)
    return region


def _institutions(rng: random.Random, count: int) -> list[Institution]:
    span = min(max(10_000, 3 * count), 90_000)  # 1xxxxx like the recent real numbers
    bases = sorted(rng.sample(range(10_000, 10_000 + span), count))
    secondary = set(rng.sample(range(count), round(count * SECONDARY_SHARE) if count > 1 else 0))
    result = []
    for index, base in enumerate(bases):
        level = "secondary" if index in secondary else "primary"
        network = rng.choices(names.NETWORKS, names.NETWORK_WEIGHTS)[0]
        postal_code, city = rng.choice(names.MUNICIPALITIES)
        if level == "secondary":
            name = rng.choice(names.SECONDARY_NAMES[network])
        else:
            kind = rng.random()
            prefixes = names.KINDERGARTEN_PREFIXES if kind < 0.05 else names.PRIMARY_PREFIXES
            name = f"{rng.choice(prefixes[network])} {rng.choice(names.PRIMARY_NAMES)}"
        if network != "vrij" or rng.random() < 0.3:
            name = f"{name} {city}"
        roll = rng.random()
        sites = ("1",) if roll < 0.9 else ("1", "2") if roll < 0.97 else ("1", "2", "3")
        result.append(
            Institution(institution_number(base), name, level, postal_code, city, sites,
                        legacy_export=index % 10 == 1)
        )  # fmt: skip
    return result


def _sizes(rng: random.Random, institutions: list[Institution], total: int) -> list[int]:
    """Pupils per institution, summing to `total`: secondary schools about 2.4× primary."""
    means = {"primary": 250, "secondary": 610}  # 0.75 × 250 + 0.25 × 610 ≈ 340
    weights = [means[inst.level] * rng.lognormvariate(0, 0.4) for inst in institutions]
    return _spread(rng, total, weights)


def _spread(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`; the remainder handed out at random."""
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    extra = rng.choices(range(len(weights)), weights, k=total - sum(counts))
    for i in extra:
        counts[i] += 1
    return counts


def _split(count: int, target: int) -> list[int]:
    """`count` pupils over classes of about `target`."""
    n = max(1, round(count / target))
    return [count // n + (1 if i < count % n else 0) for i in range(n)]


def _primary_classes(rng: random.Random, inst: Institution, size: int) -> list:
    """(class, pupil count) pairs: kindergarten K0-K3 and years 1-6, small years paired."""
    style = rng.randrange(3)
    k_code = ("K{}{}", "K{}{}", "K{} {}")[style]
    l_code = ("{}{}", "L{}{}", "{} {}")[style]
    name = inst.name.lower()
    kind = "kindergarten" if "kleuterschool" in name else "lower" if "lagere" in name else "full"
    k_weights = [0.4, 1, 1, 1] if kind != "lower" else [0, 0, 0, 0]
    l_weights = [1.0] * 6 if kind != "kindergarten" else [0.0] * 6
    counts = _spread(rng, size, k_weights + l_weights)
    plan = []
    k_counts = counts[:4]
    merged = 0 < k_counts[0] < 8  # a small instap group sits in the first kindergarten class
    if merged:
        k_counts[1], k_counts[0] = k_counts[1] + k_counts[0], 0
    for level, count in enumerate(k_counts):
        years = (SCHOOL_YEAR - 2 - level,) + ((SCHOOL_YEAR - 2,) if level == 1 and merged else ())
        for i, part in enumerate(_split(count, 20)):
            code = k_code.format(level, LETTERS[i])
            plan.append((SchoolClass(code, "NVT", str(level), "KO-STANDAARD", years), part))
    l_counts = counts[4:]
    year = 1
    while year <= 6:
        pair = year % 2 == 1 and 0 < l_counts[year - 1] + l_counts[year] <= 24
        group = (year, year + 1) if pair else (year,)
        count = sum(l_counts[y - 1] for y in group)
        births = tuple(SCHOOL_YEAR - 5 - y for y in group)
        label = "-".join(map(str, group))
        for i, part in enumerate(_split(count, 22)):
            code = l_code.format(label, LETTERS[i])
            year_text = ",".join(map(str, group))
            plan.append((SchoolClass(code, "", year_text, "LO-STANDAARD", births), part))
        year += len(group)
    return plan


def _secondary_classes(rng: random.Random, size: int) -> list:
    """(class, pupil count) pairs: 1A/1B, second-year options, programmes in stages 2-3."""
    sep = rng.choice(("", " "))
    roll = rng.random()
    years = range(1, 7) if roll < 0.55 else range(1, 3) if roll < 0.75 else range(3, 7)
    counts = _spread(rng, size, [1.0 if y in years else 0.0 for y in range(1, 7)])
    programmes = rng.sample(names.UPPER_PROGRAMMES, rng.randint(4, 8))
    second = rng.sample(names.SECOND_YEAR_OPTIONS, rng.randint(2, 4))
    plan = []
    for year, count in zip(range(1, 7), counts, strict=True):
        if not count:
            continue
        stage, leerjaar = str((year + 1) // 2), str(2 - year % 2)
        births = (SCHOOL_YEAR - 11 - year,)
        if year == 1:
            b_count = round(count * 0.1) if count >= 60 else 0
            groups = [("1A", "1A", count - b_count), ("1B", "1B", b_count)]
        elif year == 2:
            spread = _spread(rng, count, [rng.random() + 0.2 for _ in second])
            pairs = zip(second, spread, strict=True)
            groups = [(f"2{sep}{code}", cur, n) for (code, cur), n in pairs]
        else:
            spread = _spread(rng, count, [rng.random() + 0.2 for _ in programmes])
            groups = [
                (f"{year}{sep}{code}", f"{track}-{code}", n)
                for (track, code), n in zip(programmes, spread, strict=True)
            ]
        for code, curriculum, n in groups:
            parts = _split(n, 22) if n else []
            for i, part in enumerate(parts):
                suffix = f"{sep}{i + 1}" if len(parts) > 1 else ""
                cls = SchoolClass(f"{code}{suffix}", stage, leerjaar, curriculum, births)
                plan.append((cls, part))
    return plan


def _add_defects(rng: random.Random, region: Region) -> None:
    """Night 1's deliberate defects, so that a demo shows findings (at least one of each)."""
    total = region.pupil_count
    wanted = {kind: max(1, round(rate * total)) for kind, rate in DEFECT_RATES.items()}
    wanted["class_without_curriculum"] = max(1, round(0.002 * region.class_count))
    numbers, starts = _starts(region.pupils)
    picks = iter(rng.sample(range(total), min(total, sum(wanted.values()))))
    for kind, column, value in (
        ("class_number_0", COL["KLASNUMMER"], "0"),
        ("class_number_empty", COL["KLASNUMMER"], ""),
        ("national_number_missing", COL["RIJKSREGISTERNR"], ""),
    ):
        for position in itertools.islice(picks, wanted[kind]):
            i = bisect.bisect_right(starts, position) - 1
            rows, j = region.pupils[numbers[i]], position - starts[i]
            rows[j] = (*rows[j][:column], value, *rows[j][column + 1 :])
    chosen = rng.sample(numbers, min(len(numbers), wanted["class_without_curriculum"]))
    for number in chosen:
        classes = region.classes[number]
        i = rng.randrange(len(classes))
        classes[i] = classes[i]._replace(curriculum="")


def next_night(region: Region, change_share: float = 0.03, seed: int | None = None) -> Region:
    """The next night's export: `change_share` of the pupil count changed, spread over
    CHANGE_KINDS. Pupils without a national number (no key to follow) are left alone; a
    few pupils waiting with class number 0 or empty get a number."""
    rng = random.Random(region.seed * 1000 + region.night if seed is None else seed)
    klas, number, nn = COL["KLAS"], COL["KLASNUMMER"], COL["RIJKSREGISTERNR"]
    pupils = {inst: list(rows) for inst, rows in region.pupils.items()}
    factory = PupilFactory(rng, {r[nn][:9] for rows in pupils.values() for r in rows if r[nn]})
    insts = {inst.number: inst for inst in region.institutions}
    numbers, starts = _starts(pupils)
    total = round(change_share * starts[-1])
    counts = _spread(rng, total, list(CHANGE_KINDS.values())) if total else [0] * 5
    wanted = dict(zip(CHANGE_KINDS, counts, strict=True))
    waiting = [
        (i, j) for i in pupils for j, r in enumerate(pupils[i]) if r[number] in ("0", "") and r[nn]
    ]
    waiting = rng.sample(waiting, min(len(waiting) // 2, wanted["class_number"] // 4))
    touched = set(waiting)
    top: dict[tuple[str, str], int] = {}  # (institution, class code) → highest class number
    for inst, rows in pupils.items():
        top[inst, ""] = max(map(int, map(itemgetter(COL["WISAID"]), rows)), default=10_000)
        for r in rows:  # "" above: the highest WISAID
            value = int(r[number]) if r[number].isdigit() else 0
            if value > top.get((inst, r[klas]), 0):
                top[inst, r[klas]] = value

    def next_number(inst: str, code: str) -> str:
        top[inst, code] = top.get((inst, code), 0) + 1
        return str(top[inst, code])

    def picks():
        for position in rng.sample(range(starts[-1]), min(starts[-1], 3 * total + 10)):
            i = bisect.bisect_right(starts, position) - 1
            place = (numbers[i], position - starts[i])
            if place not in touched and pupils[place[0]][place[1]][nn]:
                touched.add(place)
                yield place

    places = picks()
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    log: list[tuple[str, str, str]] = []
    gone: dict[str, set[int]] = {}
    for kind in CHANGE_KINDS:
        todo = itertools.chain(waiting, places) if kind == "class_number" else places
        for _, (inst, j) in zip(range(wanted[kind]), todo, strict=False):
            row = list(pupils[inst][j])
            done = kind
            if kind == "leaver":
                gone.setdefault(inst, set()).add(j)
            elif kind == "new_pupil":
                cls = next(c for c in region.classes[inst] if c.code == row[klas])
                wisa_id = int(next_number(inst, ""))
                row = list(factory.rows(insts[inst], cls, 1, 0, wisa_id)[0])
                row[number] = next_number(inst, cls.code)
                pupils[inst].append(tuple(row))
            elif kind == "class_move" and (target := _move_target(rng, region, inst, row[klas])):
                row[klas], row[number] = target, next_number(inst, target)
            elif kind == "class_number":
                row[number] = next_number(inst, row[klas])
            else:
                done = "field_update"
                factory.update_contact(insts[inst], row)
            if kind not in ("leaver", "new_pupil"):
                pupils[inst][j] = tuple(row)
            counts[done] += 1
            log.append((done, inst, row[COL["WISAID"]]))
    for inst, indexes in gone.items():
        pupils[inst] = [r for j, r in enumerate(pupils[inst]) if j not in indexes]
    for inst in {inst for _, inst, _ in log}:
        pupils[inst].sort(key=itemgetter(klas))
    return Region(
        region.seed, region.institutions, region.classes, pupils, region.night + 1, counts, log
    )


def _starts(pupils: dict[str, list]) -> tuple[list[str], list[int]]:
    """Institution numbers and where each one's pupils start in a region-wide count."""
    numbers = list(pupils)
    starts = [0]
    for inst in numbers:
        starts.append(starts[-1] + len(pupils[inst]))
    return numbers, starts


def _move_target(rng: random.Random, region: Region, inst: str, code: str) -> str:
    """A parallel class (same stage and year) or else any other class; "" when none."""
    classes = region.classes[inst]
    current = next(c for c in classes if c.code == code)
    others = [c for c in classes if c.code != code]
    parallel = [c for c in others if (c.stage, c.year) == (current.stage, current.year)]
    return rng.choice(parallel or others).code if others else ""


def write_region(region: Region, out_dir: Path) -> None:
    """Write instellingen.csv and each institution's two exports (see the module docstring).
    Folders of an earlier region in `out_dir` that this one lacks are removed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keep = set(region.pupils)
    for old in out_dir.iterdir():
        if not old.is_dir() or not old.name.isdigit() or old.name in keep:
            continue
        if {p.name for p in old.iterdir()} <= {"leerlingen.csv", "klassen.csv"}:
            shutil.rmtree(old)
    lines = ["instellingsnummer;naam;niveau;vestigingsnummer;gemeente"]
    for inst in region.institutions:
        level = "secundair" if inst.level == "secondary" else "basis"
        lines += [f"{inst.number};{inst.name};{level};{site};{inst.city}" for site in inst.sites]
    (out_dir / "instellingen.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    for inst in region.institutions:
        folder = out_dir / inst.number
        folder.mkdir(exist_ok=True)
        encoding, delimiter = ("cp1252", ",") if inst.legacy_export else ("utf-8-sig", ";")
        class_rows = [cls[:4] for cls in region.classes[inst.number]]
        for name, header, rows in (
            ("klassen.csv", CLASS_COLUMNS, class_rows),
            ("leerlingen.csv", PUPIL_COLUMNS, region.pupils[inst.number]),
        ):
            text = _csv_text(header, rows, delimiter)
            (folder / name).write_bytes(text.encode(encoding))


def _csv_text(header, rows, delimiter: str) -> str:
    """CSV with CRLF; a value holding the delimiter or a quote is quoted (rare: "1,2")."""
    width, join = len(header) - 1, delimiter.join
    lines = [join(header)]
    for row in rows:
        line = join(row)
        if line.count(delimiter) != width or '"' in line:
            line = join(_quoted(value, delimiter) for value in row)
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def _quoted(value: str, delimiter: str) -> str:
    return '"' + value.replace('"', '""') + '"' if delimiter in value or '"' in value else value
