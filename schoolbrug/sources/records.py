"""Canonical records: what every source is normalised into before validation.

Plain dataclasses, no ORM, so that parsing, validating and planning are testable and
fast without a database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

CONTACT_ROLES = ("father", "mother", "guardian")
CONTACT_FIELDS = ("street", "number", "box", "postal_code", "city", "email", "phone")
ADDRESS_FIELDS = ("street", "number", "box", "postal_code", "city")
# The curriculum that marks a combined group (`ClassRecord.is_combined`) in the registry.
COMBINED_CURRICULUM = "samengestelde groep"


@dataclass(slots=True)
class ClassRecord:
    code: str
    stage: str = ""  # graad: "1".."3" in secondary, "NVT" for kindergarten, "" in primary
    year: int | None = None  # leerjaar; kindergarten 0..3
    curriculum: str = ""  # vakkenpakket
    years: tuple[int, ...] = ()  # a multi-grade class lists every year it holds
    line: int = 0
    source_id: str = ""  # the source's own id where it has one (OneRoster sourcedId)
    title: str = ""
    # A combined group (EDEXML "samengestelde groep"): an extra group pupils belong to besides
    # their class, across classes and years; it has no year of its own.
    is_combined: bool = False

    @property
    def is_kindergarten(self) -> bool:
        return self.stage.strip().upper() == "NVT"

    @property
    def kindergarten_level(self) -> str:
        if self.is_kindergarten and self.year is not None and 0 <= self.year <= 3:
            return f"K{self.year}"
        return ""


@dataclass(slots=True)
class PupilRecord:
    line: int
    source_id: str  # WISA id, Informat personId, OneRoster sourcedId
    class_code: str
    class_number: int | None
    family_name: str
    given_name: str
    gender: str  # "M", "F", "X"; "" when missing or unreadable (see raw_gender)
    birth_date: datetime.date | None  # None when missing or unreadable (see raw_birth_date)
    national_number: str  # 11 digits as given, separators removed; "" when missing
    registration_number: str = ""  # stamboeknummer
    email: str = ""
    phone: str = ""
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> CONTACT_FIELDS
    care_record: dict[str, str] = field(default_factory=dict)
    raw_gender: str = ""
    raw_birth_date: str = ""
    # The pupil's own address from the main record (ADDRESS_FIELDS), only keys with a value.
    address: dict[str, str] = field(default_factory=dict)
    # The source's id of the class (OneRoster classSourcedId). In a OneRoster delta the class
    # row may have come in an earlier set: class_code is then "" and only this id is known.
    class_source_id: str = ""
    # The source keeps this pupil in its leavers class ("Schoolverlaters", e.g. a set Schoolbrug
    # wrote): a leaver, never an active pupil. One the registry does not know is created as a
    # leaver; one it knows stays or becomes a leaver.
    is_leaver: bool = False
    # In a OneRoster delta, what the set does not carry for this pupil (those rows came in an
    # earlier set), so the registry's values stay: "class" (class and class number: a users row
    # without enrollment) and "demographics" (gender and birth date: no demographics row).
    kept_fields: frozenset[str] = frozenset()
    # The combined groups (class codes of `ClassRecord.is_combined`) the pupil belongs to
    # besides their class (EDEXML).
    extra_class_codes: tuple[str, ...] = ()
    # The Dutch chain id (EDEXML `eckid`, "Educatieve Content Keten"), kept for platforms.
    eckid: str = ""


@dataclass(slots=True)
class StaffRecord:
    """A teacher as a source names them (OneRoster users with a teacher role or enrolment)."""

    source_id: str
    email: str
    given_name: str
    family_name: str
    class_codes: list[str] = field(default_factory=list)  # the classes they teach, in file order
    line: int = 0
    # Classes they teach that a OneRoster delta names by id only (the class came in an earlier
    # set): the sync finds them in the registry.
    class_source_ids: list[str] = field(default_factory=list)
    # The classes a OneRoster delta says they no longer teach (an enrollment `tobedeleted`),
    # by code or, for a class from an earlier set, by the source's id: their links end.
    ended_class_codes: list[str] = field(default_factory=list)
    ended_class_source_ids: list[str] = field(default_factory=list)
    # When their teacher role at the school began (OneRoster roles.csv beginDate): a new
    # teacher assignment starts then instead of on the school year's first day.
    begin_date: datetime.date | None = None


@dataclass(slots=True)
class SessionRecord:
    """A OneRoster academicSession as the set gives it (sync/source_sessions.py keeps it)."""

    source_id: str
    title: str
    kind: str  # "schoolYear", "term", "semester" or "gradingPeriod"
    start_date: datetime.date
    end_date: datetime.date
    parent_source_id: str = ""
    line: int = 0


@dataclass(slots=True)
class Snapshot:
    """Everything one source says about one institution at one moment."""

    source: str  # "wisa", "informat", "oneroster"
    institution_number: str
    classes: list[ClassRecord]
    pupils: list[PupilRecord]
    # Which file each kind of row came from, for findings: {"pupils": "leerlingen.csv", ...}
    files: dict[str, str] = field(default_factory=dict)
    source_hash: str = ""  # sha256 of the input files, stored with the run
    # The pupil key: WISA and Informat key on the national number (seed 000), OneRoster on
    # its own sourcedId (it has no national number).
    key: str = "national_number"
    institution_name: str = ""
    institution_source_id: str = ""  # the source's id of the school (OneRoster org sourcedId)
    # A delta set (OneRoster) names only the rows that changed: absence is not leaving.
    is_delta: bool = False
    # Pupils a delta marks tobedeleted, by source_id.
    leaving_source_ids: frozenset[str] = frozenset()
    # Findings the parser already made (a row it could not read).
    findings: list = field(default_factory=list)
    classes_known: bool = True  # False when the source sends no classes file at all
    # Canonical field name -> the column (or key) it came from in the file, so findings
    # name the column the school sees: {"national_number": "RIJKSREGISTERNR", ...}.
    # Class fields are prefixed: {"class.year": "LEERJAAR", ...}.
    columns: dict[str, str] = field(default_factory=dict)
    staff: list[StaffRecord] = field(default_factory=list)  # teachers (OneRoster)
    # Pupils the source names but whose rows the parser had to skip (a finding says why):
    # neither synced nor leavers, like a rejected pupil. By source_id.
    withheld_source_ids: frozenset[str] = frozenset()
    # True when the parser numbered the pupils itself (OneRoster has no class numbers: 1..n
    # per class by family name, given name, source id). Such a number is a position, not the
    # school's: keep a known pupil's number instead of treating a shift as a change.
    class_numbers_generated: bool = False
    # The key is the national number where a pupil has one, else the source's id (EDEXML
    # Flanders): a missing national number is no finding, one that is there is checked.
    national_number_optional: bool = False
    # "BE" or "NL" when the source says which country the institution is in (EDEXML: a BRIN
    # code is Dutch); "" when it does not.
    country: str = ""
    # The source sends combined groups (`PupilRecord.extra_class_codes`, EDEXML): the sync
    # keeps each pupil's memberships of them as the source says.
    has_extra_groups: bool = False
    # A OneRoster set's own ids of what the registry derives, so that our export and API
    # give them back (sync/source_ids.py keeps them as aliases): class id → its course's
    # sourcedId, and (user id, class id) → the enrollment's sourcedId.
    course_ids: dict[str, str] = field(default_factory=dict)
    enrollment_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    # What else a OneRoster set says that the registry keeps as given (sync/source_details.py):
    # user id → (username, userIds) of each user whose row it has, and (user id, class id) →
    # (beginDate, endDate) of a pupil's enrollment.
    user_details: dict[str, tuple[str, str]] = field(default_factory=dict)
    enrollment_dates: dict[tuple[str, str], tuple] = field(default_factory=dict)
    # The set's academicSessions (all of them: a 1.1/1.2 set does not say whose they are) and
    # each class's termSourcedIds (class id → the ids, as listed).
    sessions: list[SessionRecord] = field(default_factory=list)
    class_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
