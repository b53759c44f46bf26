"""Validation: which pupils of a snapshot may be synced, which wait, and which the SIS must fix.

Every rule comes from seed 000 (the vendor's conditions for a valid sync):

* a pupil without class number (or 0) waits: deferred until the SIS gives one;
* the national number is the key: missing, failing its check digits (BIS numbers are
  valid too) or held by more than one pupil of the institution → rejected (every holder);
* a class needs a valid year and a curriculum; a kindergarten class has stage NVT and year
  0-3; a class code appears once; a pupil's class must be in the classes file → otherwise
  that class's pupils are rejected, with ONE finding per class that names it;
* name, given name, gender and birth date are required → rejected when missing/unreadable;
* a class number is 1-99 (a longer one is a shifted column, e.g. a national number) and a
  name holds no national number → otherwise rejected, the number masked in the finding;
* a birth date or gender that contradicts the national number is a warning only;
* a pupil's own e-mail that is no e-mail address (`is_email`) is a warning: the pupil is
  synced without it (the finding never quotes it: personal data).

A pupil the source keeps in its leavers class (`is_leaver`, OneRoster) has no class of the
school and no class number to check; the other rules apply.

A pupil has one outcome: rejected beats deferred beats accepted. It may have several
findings (all its problems at once, so the school fixes them in one go).

With `snapshot.key == "source_id"` (OneRoster) the national number is optional (checked
when present) and duplicates are found on the source id instead. With
`snapshot.national_number_optional` (EDEXML Flanders) the key is the national number where a
pupil has one: a missing one is no finding, the other rules are WISA's.

The check digits are verified with `stdnum.be.nn` / `stdnum.be.bis`, the slow part at 1.2
million pupils (about 25 µs a number); numbers in `known_national_numbers` (already stored,
so checked before) skip it. The century, birth date and gender comparisons use the digits
directly. A pupil that breaks no rule takes a fast path of one expression; only the others
are examined rule by rule.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from stdnum.be import bis, nn

from schoolbrug.sources.findings import (
    RULES,
    Finding,
    Outcome,
    make_finding,
    mask_national_numbers_in,
)
from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot
from schoolbrug.sources.tabular import Memo, gc_paused

KINDERGARTEN_YEARS = range(0, 4)
MAX_CLASS_NUMBER = 99
# A name this short cannot hold 11 digits: the fast path skips looking.
_SHORTEST_NAME_WITH_NUMBER = 11

# An e-mail address as HTML's `<input type="email">` accepts one (the WHATWG living
# standard's expression), with a dot in the domain: an app that matches pupils by e-mail
# (Google Classroom) needs one that can be delivered to. Django's EmailValidator says much the
# same at 12 µs an address, too slow for a region's 1.2 M pupils at every sync.
_EMAIL = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
)
MAX_EMAIL_LENGTH = 254


def is_email(text: str) -> bool:
    """`text` is one e-mail address (the pupil's own e-mail is kept only then)."""
    return len(text) <= MAX_EMAIL_LENGTH and _EMAIL.fullmatch(text) is not None


@dataclass(slots=True)
class ValidationResult:
    accepted: list[PupilRecord] = field(default_factory=list)
    deferred: list[PupilRecord] = field(default_factory=list)
    rejected: list[PupilRecord] = field(default_factory=list)
    # Validation's own findings; the parser's stay in `snapshot.findings`.
    findings: list[Finding] = field(default_factory=list)
    classes: dict[str, ClassRecord] = field(default_factory=dict)  # the valid classes
    # Class code → number of its pupils rejected because the class itself is invalid.
    rejected_classes: dict[str, int] = field(default_factory=dict)


def validate(
    snapshot: Snapshot, known_national_numbers: frozenset[str] = frozenset()
) -> ValidationResult:
    """Sort the snapshot's pupils into accepted, deferred and rejected, with findings.

    Findings come class problems first, then pupils in file order.
    """
    with gc_paused():
        return _validate(snapshot, known_national_numbers)


def _validate(snapshot: Snapshot, known_national_numbers: frozenset[str]) -> ValidationResult:
    result = ValidationResult()
    classes, invalid_classes = _check_classes(snapshot, result.findings)
    result.classes = classes
    checks = _PupilChecks.of(snapshot, known_national_numbers)
    pupil_findings: list[Finding] = []
    unknown_lines: dict[str, int] = {}  # unknown class code → first pupil line naming it
    accepted, deferred, rejected = result.accepted, result.deferred, result.rejected

    # The fast path: a pupil that breaks no rule is recognised in one expression, without
    # building a list of problems; anything else takes the slow path that names them all.
    known = known_national_numbers
    is_valid_number = checks.is_valid_number
    duplicates = checks.duplicates
    unreadable = checks.unreadable_lines
    by_source_id = checks.by_source_id
    number_optional = by_source_id or snapshot.national_number_optional
    birth_keys = Memo(_birth_key)
    max_class_number = checks.max_class_number
    short = _SHORTEST_NAME_WITH_NUMBER
    for pupil in snapshot.pupils:
        number = pupil.national_number
        birth = pupil.birth_date
        gender = pupil.gender
        code = pupil.class_code
        if (
            code in classes
            and (class_number := pupil.class_number) is not None
            and class_number <= max_class_number
            and (family := pupil.family_name)
            and (given := pupil.given_name)
            and (len(family) < short or not _holds_national_number(family))
            and (len(given) < short or not _holds_national_number(given))
            and gender
            and birth is not None
            and (not duplicates or (pupil.source_id if by_source_id else number) not in duplicates)
            and (
                (number_optional and not number)
                or (
                    len(number) == 11
                    and number.isdigit()
                    and (number in known or is_valid_number(number))
                    and (expected := birth_keys[birth])[0] == number[:6]
                    # the check digits fit the birth century: "2" prefix from 2000 on
                    and ((value := int(number)) // 100 + expected[1]) % 97 + value % 100 == 97
                    and (
                        number[2] >= "2" or gender == "X" or (gender == "M") == (number[8] in _ODD)
                    )
                )
            )
            and (not unreadable or pupil.line not in unreadable)
            and (not (email := pupil.email) or is_email(email))
        ):
            accepted.append(pupil)
            continue
        reject = pupil.line in unreadable
        if code and code not in classes and not pupil.is_leaver:
            reject = True
            if code not in invalid_classes:
                unknown_lines[code] = pupil.line
                invalid_classes[code] = 0
            invalid_classes[code] += 1
        defer = False
        for finding in checks.findings(pupil, checks.problems(pupil)):
            pupil_findings.append(finding)
            reject = reject or finding.outcome == Outcome.REJECT
            defer = defer or finding.outcome == Outcome.DEFER
        (rejected if reject else deferred if defer else accepted).append(pupil)

    for code, line in unknown_lines.items():
        result.findings.append(
            make_finding(
                "CLASS_UNKNOWN",
                file=checks.file,
                line=line,
                field=checks.column("class_code"),
                class_code=code,
            )
        )
    result.findings.extend(pupil_findings)
    result.rejected_classes = {code: n for code, n in invalid_classes.items() if n}
    return result


@dataclass(slots=True)
class _PupilChecks:
    """The per-pupil rules, with what they need from the whole snapshot computed once."""

    file: str
    columns: dict[str, str]
    by_source_id: bool
    number_optional: bool
    duplicates: set[str]
    unreadable_lines: set[int]
    is_valid_number: Callable[[str], bool]
    # A number the parser made up (OneRoster: a position in the class) may pass 99.
    max_class_number: float = MAX_CLASS_NUMBER

    @classmethod
    def of(cls, snapshot: Snapshot, known: frozenset[str]) -> _PupilChecks:
        file = snapshot.files.get("pupils", "")
        by_source_id = snapshot.key == "source_id"
        keys = [p.source_id if by_source_id else p.national_number for p in snapshot.pupils]
        duplicates: set[str] = set()
        if len(set(keys)) != len(keys):  # counting only when there is something to find
            duplicates = {key for key, n in Counter(keys).items() if n > 1 and key}
        return cls(
            file=file,
            columns=snapshot.columns,
            by_source_id=by_source_id,
            number_optional=by_source_id or snapshot.national_number_optional,
            duplicates=duplicates,
            # Rows the parser could not trust (shifted columns): its finding names them.
            unreadable_lines={
                f.line
                for f in snapshot.findings
                if f.outcome == Outcome.REJECT and f.file == file and f.line is not None
            },
            is_valid_number=_number_checker(known),
            max_class_number=float("inf") if snapshot.class_numbers_generated else MAX_CLASS_NUMBER,
        )

    def column(self, canonical: str) -> str:
        return self.columns.get(canonical) or canonical

    def problems(self, pupil: PupilRecord) -> list[tuple[str, str, str]]:
        """(finding code, canonical field, value shown) for each rule the pupil breaks."""
        problems: list[tuple[str, str, str]] = []
        number = pupil.national_number
        if number:
            if not self.is_valid_number(number):
                problems.append(("PUPIL_NATIONAL_NUMBER_INVALID", "national_number", ""))
            else:
                problems.extend(_contradictions(number, pupil.birth_date, pupil.gender))
        elif not self.number_optional:
            problems.append(("PUPIL_NATIONAL_NUMBER_MISSING", "national_number", ""))
        if self.by_source_id:
            if pupil.source_id in self.duplicates:
                problems.append(("PUPIL_SOURCE_ID_DUPLICATE", "source_id", ""))
        elif number in self.duplicates:
            problems.append(("PUPIL_NATIONAL_NUMBER_DUPLICATE", "national_number", ""))
        if not pupil.family_name:
            problems.append(("PUPIL_FAMILY_NAME_MISSING", "family_name", ""))
        if not pupil.given_name:
            problems.append(("PUPIL_GIVEN_NAME_MISSING", "given_name", ""))
        for canonical in ("family_name", "given_name"):
            name = getattr(pupil, canonical)
            if _holds_national_number(name):
                problems.append(("PUPIL_NAME_HOLDS_NATIONAL_NUMBER", canonical, name))
        # OneRoster keeps gender and birth date in an optional demographics file: a set
        # without it is normal there, unlike a WISA pupil record without them.
        if not pupil.gender and not self.by_source_id:
            problems.append(("PUPIL_GENDER_MISSING", "gender", pupil.raw_gender))
        if pupil.birth_date is None and not self.by_source_id:
            problems.append(("PUPIL_BIRTH_DATE_MISSING", "birth_date", pupil.raw_birth_date))
        if pupil.email and not is_email(pupil.email):
            problems.append(("PUPIL_EMAIL_INVALID", "email", ""))
        if pupil.is_leaver:
            pass  # in the source's leavers class: no class of the school, no class number
        elif not pupil.class_code:  # then a class number means nothing either
            problems.append(("PUPIL_CLASS_MISSING", "class_code", ""))
        elif pupil.class_number is None:
            problems.append(("PUPIL_NO_CLASS_NUMBER", "class_number", ""))
        elif pupil.class_number > self.max_class_number:
            value = str(pupil.class_number)
            problems.append(("PUPIL_CLASS_NUMBER_INVALID", "class_number", value))
        return problems

    def findings(self, pupil: PupilRecord, problems: list[tuple[str, str, str]]):
        name = f"{pupil.given_name} {pupil.family_name}".strip()
        for code, canonical, value in problems:
            yield make_finding(
                code,
                file=self.file,
                line=pupil.line,
                field=self.column(canonical),
                national_number=pupil.national_number,
                class_code=pupil.class_code,
                pupil_name=name,
                value=value,
            )


def _holds_national_number(text: str) -> bool:
    return mask_national_numbers_in(text) is not text


def _contradictions(
    number: str, birth: datetime.date | None, gender: str
) -> list[tuple[str, str, str]]:
    """Warnings when a valid national number disagrees with the birth date or gender."""
    problems = []
    if birth is not None and _birth_date_contradicts(number, birth):
        problems.append(("PUPIL_BIRTH_DATE_CONTRADICTS_NATIONAL_NUMBER", "birth_date", ""))
    # The sequence number is odd for men; a BIS number (month + 20/40) may not say.
    if (
        (gender == "M" or gender == "F")
        and number[2] < "2"
        and (gender == "M") != (number[8] in "13579")
    ):
        problems.append(("PUPIL_GENDER_CONTRADICTS_NATIONAL_NUMBER", "gender", ""))
    return problems


def _check_classes(
    snapshot: Snapshot, findings: list[Finding]
) -> tuple[dict[str, ClassRecord], dict[str, int]]:
    """(valid classes by code, invalid class code → 0) with one finding per class problem.

    Without a classes file (`classes_known` False) every class a pupil names is valid.
    """
    if not snapshot.classes_known:
        classes = {c.code: c for c in snapshot.classes if c.code}
        for pupil in snapshot.pupils:
            if pupil.class_code and pupil.class_code not in classes:
                classes[pupil.class_code] = ClassRecord(code=pupil.class_code)
        return classes, {}
    file = snapshot.files.get("classes", "")
    columns = snapshot.columns
    second_lines: dict[str, int] = {}  # duplicated code → line of its second record
    seen: set[str] = set()
    for record in snapshot.classes:
        if record.code in seen:
            second_lines.setdefault(record.code, record.line)
        seen.add(record.code)
    valid: dict[str, ClassRecord] = {}
    invalid: dict[str, int] = {}
    for record in snapshot.classes:
        code = record.code
        if not code:
            continue  # no pupil can name it (a pupil without class is its own finding)
        if code in second_lines:
            if code not in invalid:
                invalid[code] = 0
                findings.append(
                    make_finding(
                        "CLASS_DUPLICATE",
                        file=file,
                        line=second_lines[code] or None,
                        field=columns.get("class.code") or "code",
                        class_code=code,
                    )
                )
            continue
        problems = class_problems(record, snapshot.source)
        if all(RULES[problem].outcome == Outcome.NONE for problem, _ in problems):
            valid[code] = record  # fit to sync, with at most a warning
        else:
            invalid[code] = 0
        for problem, canonical in problems:
            findings.append(
                make_finding(
                    problem,
                    file=file,
                    line=record.line or None,
                    field=columns.get(f"class.{canonical}") or canonical,
                    class_code=code,
                )
            )
    return valid, invalid


def class_problems(record: ClassRecord, source: str = "") -> list[tuple[str, str]]:
    """(finding code, canonical field) for what makes this class unfit to sync (seed 000), or
    a warning about it (a rule whose outcome is none).

    OneRoster 1.2 makes a class's `grades` optional: a class without them is synced with its
    year unknown (a warning), where a SIS class without year (WISA's rule) is refused."""
    problems: list[tuple[str, str]] = []
    years = record.years or (() if record.year is None else (record.year,))
    if record.is_combined:
        pass  # an extra group across classes (EDEXML): it has no year of its own
    elif not years and source == "oneroster":
        problems.append(("CLASS_YEAR_UNKNOWN", "year"))
    elif not years:
        problems.append(("CLASS_YEAR_MISSING", "year"))
    elif record.is_kindergarten:
        if not all(year in KINDERGARTEN_YEARS for year in years):
            problems.append(("CLASS_KINDERGARTEN_INVALID", "year"))
    elif 0 in years:  # year 0 exists only in kindergarten, which needs stage NVT
        problems.append(("CLASS_KINDERGARTEN_INVALID", "stage"))
    if not record.curriculum.strip():
        problems.append(("CLASS_CURRICULUM_MISSING", "curriculum"))
    return problems


def _number_checker(known: frozenset[str]) -> Callable[[str], bool]:
    """11 ASCII digits, and stdnum's NN-or-BIS check unless the number is already stored."""
    cache: dict[str, bool] = {}

    def is_valid(number: str) -> bool:
        if len(number) != 11 or not (number.isascii() and number.isdigit()):
            return False
        if number in known:
            return True
        valid = cache.get(number)
        if valid is None:
            # What stdnum.be.ssn.is_valid does (BIS, else NN), without its exception detour:
            # the month digits (20-32 / 40-52 for a BIS number) say which one applies.
            valid = cache[number] = (bis if number[2] in "2345" else nn).is_valid(number)
        return valid

    return is_valid


def _birth_key(date: datetime.date) -> tuple[str, int]:
    """(yymmdd, what the century adds before the check digits) of a birth date.

    Outside 1900-2099 the yymmdd is "" so the fast path fails and the slow path explains.
    """
    if date.year // 100 not in (19, 20):
        return "", 0
    offset = 0 if date.year < 2000 else 2_000_000_000
    return f"{date.year % 100:02d}{date.month:02d}{date.day:02d}", offset


_ODD = frozenset("13579")


def _century_fits(number: str, year: int) -> bool:
    """Do the check digits fit the birth year's century ("2" prefix from 2000 on)?"""
    value = int(number)
    base = value // 100
    offset = 0 if year < 2000 else 2_000_000_000
    return year // 100 in (19, 20) and (base + offset) % 97 + value - base * 100 == 97


# A number issued without any known birth date (stdnum.be.nn): says nothing about it.
_UNKNOWN_BIRTH = frozenset({"000001", "002001", "004001"})


def _birth_date_contradicts(number: str, birth: datetime.date) -> bool:
    """Compare the date the number encodes; an unknown month or day (00) says nothing."""
    if number[:6] in _UNKNOWN_BIRTH:
        return False
    month = int(number[2:4]) % 20  # a BIS number adds 20 or 40 to the month
    day = int(number[4:6])
    if int(number[:2]) != birth.year % 100 or not _century_fits(number, birth.year):
        return True
    if month == 0:  # month (and day) unknown, or the day's counter ran out
        return False
    return month != birth.month or (day != 0 and day != birth.day)
