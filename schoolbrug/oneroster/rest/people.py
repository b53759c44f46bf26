"""Users (pupils and teachers) and enrollments as OneRoster 1.2 objects: see resources.py
for what each field is made of. Pupils come from their enrolment of the school year (one per
pupil record), teachers from staff teaching a visible class today (a teaching link that
counts today: Teaching.active_sql, the rule every reader of links uses). A pupil's membership
of a subclass is an enrollment of its own, and makes the pupil visible to an app that was
granted that subclass only. A teacher of a school that granted an app all its classes is
visible to it without a class too (a staff list names teachers before they have classes).

Over 500 lines for now: users and enrollments share their SQL rows and visibility joins;
splitting the pupils' and the teachers' halves apart is the next step when either grows."""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Exists, OuterRef

from schoolbrug.oneroster.csv_in.values import USER_ID
from schoolbrug.registry.models import (
    Enrolment,
    Pupil,
    SchoolClass,
    SubclassMembership,
    Teaching,
)
from schoolbrug.sharing.visibility import Visibility

from .collection import Resource
from .params import Column
from .resources import COMMON, Context, grade_list
from .sql import SqlSegment, as_date, as_uuid_text, db_value, moment_text, uuid_text


def visible_pupils(vis: Visibility) -> list:
    """Pupils with this school year's enrolment in a visible class, in two parts: schools
    that granted all classes, and chosen classes. Both are read from the pupil table in its
    own order, the enrolment checked per pupil (EXISTS) and read per pupil (subqueries), so
    a page deep into 1.2 M pupils is a short index range, never a join of everything."""
    enrolled = Enrolment.objects.filter(pupil_id=OuterRef("pk"), school_year_id=vis.school_year_id)
    member = SubclassMembership.objects.filter(
        pupil_id=OuterRef("pk"),
        ended_at__isnull=True,
        subclass__school_year_id=vis.school_year_id,
        subclass_id__in=vis.chosen_subclass_ids(),
    )
    return [
        Pupil.objects.filter(Exists(enrolled), institution_id__in=vis.whole_institution_ids()),
        Pupil.objects.filter(Exists(enrolled)).filter(
            Exists(enrolled.filter(school_class_id__in=vis.chosen_class_ids())) | Exists(member)
        ),
    ]


def visible_teaching(vis: Visibility):
    """Teaching rows (ORM) of visible classes that count today: for routes that filter
    classes by them."""
    return Teaching.objects.active_on(vis.day).filter(
        schoolclass__in=SchoolClass.objects.filter(vis.classes_q())
    )


def active_teaching_sql(vis: Visibility, link: str, assignment: str) -> tuple[str, list]:
    """SQL: the link `link` of the assignment `assignment` counts today (Teaching.active_sql,
    the one rule, with the day bound as the database wants it)."""
    condition, params = Teaching.active_sql(link, assignment, vis.day)
    return condition, [db_value(p) for p in params]


# --- as SQL (sql.py): every table joined on its primary key, paged in the order of `key` ---

# A pupil with this school year's enrolment (one per pupil and year), its class and school.
PUPILS_FROM = (
    "registry_pupil p"
    " JOIN registry_enrolment e ON e.pupil_id = p.id AND e.school_year_id = %s"
    " JOIN registry_schoolclass c ON c.id = e.school_class_id"
    " JOIN registry_institution i ON i.id = p.institution_id"
)
LEAVER_STATUS = "CASE WHEN p.is_leaver THEN 'tobedeleted' ELSE 'active' END"


def kept(column: str, record: str) -> str:
    """What a OneRoster set said of the record whose id is `record` (registry SourceDetails,
    sync/source_details.py): one probe of its unique index."""
    return f"(SELECT d.{column} FROM registry_sourcedetails d WHERE d.sourced_id = {record})"


def kept_user_ids(cell: str | None) -> list[dict]:
    """`{Local:863}` → [{"type": "Local", "identifier": "863"}]."""
    return [{"type": kind, "identifier": value} for kind, value in USER_ID.findall(cell or "")]


def _shown(columns: dict) -> dict[str, str]:
    """Ids and moments selected as the text the answer holds (sql.moment_text)."""
    shown = {}
    for alias in ("o_id", "o_org", "o_user", "o_class", "o_school"):
        if alias in columns and columns[alias][0] != "NULL":
            shown[alias] = uuid_text(columns[alias][0])
    shown["o_modified"] = moment_text(columns["o_modified"][0])
    if columns.get("o_email", ("",))[0].startswith("LOWER("):
        shown["o_email"] = columns["o_email"][0][len("LOWER(") : -1]
    return shown


def _pupils(
    vis: Visibility,
    columns: dict,
    school=None,
    klass=None,
    members: bool = False,
    as_member: bool = False,
) -> SqlSegment:
    """Pupils (one row each, with this year's enrolment) whose class the app sees, or with
    `as_member` also those in a subclass it sees (the users; an enrolment in a class the app
    does not see stays hidden); with `klass`, those enrolled in it, or with `members` the
    current members of that subclass."""
    granted, params = vis.grant_join("p.institution_id")
    segment = SqlSegment(
        columns,
        PUPILS_FROM + granted,
        (vis.school_year_id, *params),
        key="p.id",
        key_equals=("e.pupil_id",),
        shown=_shown(columns),
        sparse_hint=vis.granted_institutions_sql("p.institution_id"),
    )
    granted_class = vis.granted_class_sql("e.school_class_id")
    if as_member and (member := vis.granted_member_sql("p.id")):
        segment = segment.where(f"{granted_class} OR {member[0]}", *member[1])
    else:
        segment = segment.where(granted_class)
    if school is not None:
        segment = segment.where("p.institution_id = %s", school.pk)
    if klass is not None and members:
        segment = segment.where(
            "EXISTS (SELECT 1 FROM registry_subclassmembership km WHERE km.pupil_id = p.id"
            " AND km.subclass_id = %s AND km.ended_at IS NULL)",
            klass.pk,
        )
    elif klass is not None:
        segment = segment.where("e.school_class_id = %s", klass.pk)
    return segment


def pupil_users(vis: Visibility, school=None, klass=None) -> SqlSegment:
    """Pupils enrolled in a visible class, as user rows."""
    national_number = ("NULL", ())
    if allowed := vis.national_number_sql():
        # Read only for institutions whose accepted protocol allows it.
        national_number = (f"CASE WHEN {allowed} THEN p.national_number END", ())
    username = "CAST(p.sourced_id AS text)" if connection.vendor == "postgresql" else "p.sourced_id"
    columns = {
        "o_id": ("p.sourced_id", ()),
        "o_status": (LEAVER_STATUS, ()),
        "o_modified": ("p.updated_at", ()),
        "o_enabled": ("CASE WHEN p.is_leaver THEN 'false' ELSE 'true' END", ()),
        "o_given": ("p.given_name", ()),
        "o_family": ("p.family_name", ()),
        # Compared in lower case, as staff e-mails are kept (a filter's value is lowered);
        # shown as the source gave it (_shown).
        "o_email": ("LOWER(p.email)", ()),
        "o_phone": ("p.phone", ()),
        "o_username": (username, ()),
        "o_role": ("'student'", ()),
        "o_org": ("i.sourced_id", ()),
        "o_stage": ("c.stage", ()),
        "o_year": ("c.year", ()),
        "o_years": ("c.years", ()),
        "o_nn": national_number,
        # The set's username where it gave its own (else the default above), its userIds.
        "o_login": (f"COALESCE(NULLIF({kept('username', 'p.sourced_id')}, ''), {username})", ()),
        "o_uids": (kept("user_ids", "p.sourced_id"), ()),
    }
    members = klass is not None and klass.is_subclass
    return _pupils(vis, columns, school, klass, members=members, as_member=True)


def _teaching(vis: Visibility, t: str, school=None, klass=None, staff: str | None = None):
    """Teaching rows `t` (with their assignment `{t}a` and class `{t}c`) of a teacher's
    class the app may see, optionally in one school or class or of one staff member (an
    SQL expression): (FROM, its parameters, WHERE, its parameters)."""
    granted, source_params = vis.grant_join(f"{t}c.institution_id", grant=f"{t}g")
    source = (
        f"registry_assignment_classes {t}"
        f" JOIN registry_assignment {t}a ON {t}a.id = {t}.assignment_id"
        f" JOIN registry_schoolclass {t}c ON {t}c.id = {t}.schoolclass_id{granted}"
    )
    active, params = active_teaching_sql(vis, t, f"{t}a")
    where = (
        f"{active} AND {t}c.school_year_id = %s AND ({vis.granted_class_sql(f'{t}c.id', f'{t}g')})"
    )
    params.append(vis.school_year_id)
    if school is not None:
        where += f" AND {t}c.institution_id = %s"
        params.append(school.pk)
    if klass is not None:
        where += f" AND {t}c.id = %s"
        params.append(klass.pk)
    if staff is not None:
        where += f" AND {t}a.staff_id = {staff}"
    return source, source_params, where, params


def _school_teacher(vis: Visibility, x: str, school=None, staff: str = "s.id"):
    """SQL: the staff member `staff` has a teacher assignment `{x}a` that counts on the day
    at a school that shares and granted this app all its classes (optionally `school`):
    (FROM, WHERE, parameters), or None when no school granted this app all its classes.

    Such a teacher is one of the school's even before a class is theirs (the staff list
    names teachers before the timetable gives them classes); a grant of chosen classes
    shows the teachers of those classes only."""
    if not vis.kinds().whole:
        return None
    granted, params = vis.grant_join(f"{x}a.institution_id", grant=f"{x}g")
    where = (
        f"{x}a.staff_id = {staff} AND {x}a.role = 'teacher' AND {x}a.start_date <= %s"
        f" AND ({x}a.end_date IS NULL OR {x}a.end_date >= %s) AND {x}g.all_classes"
    )
    params += [db_value(vis.day)] * 2
    if school is not None:
        where += f" AND {x}a.institution_id = %s"
        params.append(school.pk)
    return f"registry_assignment {x}a{granted}", where, params


def teacher_users(vis: Visibility, school=None, klass=None) -> SqlSegment:
    """Staff teaching a visible class (of `school`, or `klass`), and without `klass` also
    the teachers of a school that granted the app all its classes (_school_teacher), as user
    rows; their primary org is the first institution (by number) where they teach a visible
    class, else the first such school."""
    source, source_params, where, params = _teaching(vis, "t", school, klass, staff="s.id")
    teaches = (f"EXISTS (SELECT 1 FROM {source} WHERE {where})", [*source_params, *params])
    source, source_params, where, params = _teaching(vis, "f", school, klass, staff="s.id")
    first_org = (
        f"(SELECT fi.sourced_id FROM {source}"
        f" JOIN registry_institution fi ON fi.id = fa.institution_id"
        f" WHERE {where} ORDER BY fi.number LIMIT 1)",
        (*source_params, *params),
    )
    of_school = _school_teacher(vis, "x", school) if klass is None else None
    if of_school is not None:
        teaches = (
            f"({teaches[0]} OR EXISTS (SELECT 1 FROM {of_school[0]} WHERE {of_school[1]}))",
            [*teaches[1], *of_school[2]],
        )
        from_, condition, org_params = _school_teacher(vis, "y", school)
        first_org = (
            f"COALESCE({first_org[0]}, (SELECT yi.sourced_id FROM {from_}"
            f" JOIN registry_institution yi ON yi.id = ya.institution_id"
            f" WHERE {condition} ORDER BY yi.number LIMIT 1))",
            (*first_org[1], *org_params),
        )
    columns = {
        "o_id": ("s.sourced_id", ()),
        "o_status": ("'active'", ()),
        "o_modified": ("s.updated_at", ()),
        "o_enabled": ("'true'", ()),
        "o_given": ("s.given_name", ()),
        "o_family": ("s.family_name", ()),
        "o_email": ("s.email", ()),
        "o_phone": ("NULL", ()),
        "o_username": ("s.email", ()),
        "o_role": ("'teacher'", ()),
        "o_org": first_org,
        "o_stage": ("NULL", ()),
        "o_year": ("NULL", ()),
        "o_years": ("NULL", ()),
        "o_nn": ("NULL", ()),
        "o_login": (f"COALESCE(NULLIF({kept('username', 's.sourced_id')}, ''), s.email)", ()),
        "o_uids": (kept("user_ids", "s.sourced_id"), ()),
    }
    segment = SqlSegment(columns, "registry_staff s", (), key="s.id", shown=_shown(columns))
    return segment.where(teaches[0], *teaches[1])


class UserRow(NamedTuple):
    """A user (pupil or teacher) as USERS selects it from SQL: one field per alias, in the
    order of USERS.aliases, then the paging key. Ids and moments are already text."""

    sourced_id: str  # o_id
    status: str  # o_status
    modified: str  # o_modified
    enabled: str  # o_enabled
    given_name: str  # o_given
    family_name: str  # o_family
    email: str | None  # o_email
    phone: str | None  # o_phone
    username: str  # o_username
    role: str  # o_role
    org_id: str | None  # o_org
    stage: str | None  # o_stage
    year: int | None  # o_year
    years: str | None  # o_years: the class's years, as JSON text
    national_number: str | None  # o_nn: only where the school's protocol allows it
    login: str | None  # o_login: the set's username, else what o_username is
    user_ids: str | None  # o_uids: the set's userIds (no national number)
    key: object  # o_key


def user_json(row: tuple, ctx: Context) -> dict:
    """A user from a row of USERS.aliases (SQL: ids and moments already as text)."""
    user_row = UserRow._make(row)
    is_pupil = user_row.role == "student"
    org = ctx.org(user_row.org_id)
    national_number = user_row.national_number
    user = {
        "sourcedId": user_row.sourced_id,
        "status": user_row.status,
        "dateLastModified": user_row.modified,
        # The set's username where it gave one; else a pupil's id, a teacher's e-mail (a
        # teacher known by a source's key alone logs in by their id, as pupils).
        "username": _username(user_row, is_pupil),
        "userIds": kept_user_ids(user_row.user_ids)
        + ([{"type": "RRN", "identifier": national_number}] if national_number else []),
        "enabledUser": user_row.enabled,
        "givenName": user_row.given_name,
        "familyName": user_row.family_name,
        "roles": [{"roleType": "primary", "role": user_row.role, "org": org}],
        "primaryOrg": org,
        "identifier": user_row.sourced_id if is_pupil else user_row.username or user_row.sourced_id,
        "agents": [],
        "grades": grade_list(user_row.stage, user_row.year, user_row.years) if is_pupil else [],
    }
    # Left out rather than "": strict clients refuse an empty e-mail, and one that matches
    # users by e-mail (Google Classroom) would take every pupil without one for the same.
    if user_row.email:
        user["email"] = user_row.email
    if user_row.phone:
        user["phone"] = user_row.phone
    return user


def _username(user_row: UserRow, is_pupil: bool) -> str:
    if user_row.login and user_row.login != user_row.username:
        return user_row.login  # the set's own
    return user_row.sourced_id if is_pupil else user_row.username or user_row.sourced_id


USERS = Resource(
    collection="users",
    singular="user",
    reference_type="user",
    columns={
        **COMMON,
        "enabledUser": Column("o_enabled"),
        "givenName": Column("o_given"),
        "familyName": Column("o_family"),
        "email": Column("o_email", "email"),
        "phone": Column("o_phone"),
        "username": Column("o_login"),
        "identifier": Column("o_username"),
        "role": Column("o_role"),
        "roles.role": Column("o_role"),
    },
    fields=(
        "sourcedId",
        "status",
        "dateLastModified",
        "username",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "roles",
        "primaryOrg",
        "identifier",
        "email",
        "phone",
        "agents",
        "grades",
    ),  # fmt: skip
    aliases=(
        "o_id",
        "o_status",
        "o_modified",
        "o_enabled",
        "o_given",
        "o_family",
        "o_email",
        "o_phone",
        "o_username",
        "o_role",
        "o_org",
        "o_stage",
        "o_year",
        "o_years",
        "o_nn",
        "o_login",
        "o_uids",
    ),  # fmt: skip
    to_json=user_json,
    decoders={"o_id": as_uuid_text, "o_org": as_uuid_text},
)


# --- enrollments --------------------------------------------------------------------------


def pupil_enrollments(vis: Visibility, school=None, klass=None) -> SqlSegment:
    columns = {
        "o_id": ("e.sourced_id", ()),
        "o_status": (LEAVER_STATUS, ()),
        "o_modified": ("e.updated_at", ()),
        "o_user": ("p.sourced_id", ()),
        "o_class": ("c.sourced_id", ()),
        "o_school": ("i.sourced_id", ()),
        "o_role": ("'student'", ()),
        "o_primary": ("'false'", ()),
        # The dates the OneRoster set gave the enrollment, where it did.
        "o_begin": (kept("begin_date", "e.sourced_id"), ()),
        "o_end": (kept("end_date", "e.sourced_id"), ()),
    }
    return _pupils(vis, columns, school, klass)


def member_enrollments(vis: Visibility, school=None, klass=None) -> SqlSegment:
    """Pupils' current memberships of visible subclasses (sourcedId = the membership's)."""
    columns = {
        "o_id": ("m.sourced_id", ()),
        "o_status": (LEAVER_STATUS, ()),
        "o_modified": ("m.updated_at", ()),
        "o_user": ("p.sourced_id", ()),
        "o_class": ("c.sourced_id", ()),
        "o_school": ("i.sourced_id", ()),
        "o_role": ("'student'", ()),
        "o_primary": ("'false'", ()),
        # Typed: a sorted page is one UNION with the pupils' (NULL) and teachers' (dates).
        "o_begin": ("CAST(NULL AS date)", ()),
        "o_end": ("CAST(NULL AS date)", ()),
    }
    granted, params = vis.grant_join("c.institution_id")
    segment = SqlSegment(
        columns,
        "registry_subclassmembership m"
        " JOIN registry_schoolclass c ON c.id = m.subclass_id AND c.school_year_id = %s"
        " JOIN registry_pupil p ON p.id = m.pupil_id"
        " JOIN registry_institution i ON i.id = c.institution_id" + granted,
        (vis.school_year_id, *params),
        key="m.id",
        shown=_shown(columns),
    )
    segment = segment.where("m.ended_at IS NULL").where(vis.granted_class_sql("c.id"))
    if school is not None:
        segment = segment.where("c.institution_id = %s", school.pk)
    if klass is not None:
        segment = segment.where("m.subclass_id = %s", klass.pk)
    return segment


def teacher_enrollments(vis: Visibility, school=None, klass=None) -> SqlSegment:
    """A teacher's visible class that counts today, from the link's first to its last day.
    The first teacher of a class by name (of its links that count) is its primary teacher,
    as in the CSV export."""
    source, source_params, where, params = _teaching(vis, "t", school, klass)
    active, active_params = active_teaching_sql(vis, "b", "ba")
    earlier = (
        "EXISTS (SELECT 1 FROM registry_assignment_classes b"
        " JOIN registry_assignment ba ON ba.id = b.assignment_id"
        " JOIN registry_staff bs ON bs.id = ba.staff_id"
        f" WHERE b.schoolclass_id = t.schoolclass_id AND {active}"
        " AND (bs.family_name < s.family_name"
        " OR (bs.family_name = s.family_name AND ba.staff_id < ta.staff_id)))"
    )
    # The link's period within its assignment's: its own dates where it has them.
    end = (
        "CASE WHEN t.end_date IS NULL THEN ta.end_date"
        " WHEN ta.end_date IS NULL OR t.end_date < ta.end_date THEN t.end_date"
        " ELSE ta.end_date END"
    )
    columns = {
        "o_id": ("t.sourced_id", ()),
        "o_status": ("'active'", ()),
        "o_modified": (
            "CASE WHEN t.updated_at > ta.updated_at THEN t.updated_at ELSE ta.updated_at END",
            (),
        ),
        "o_user": ("s.sourced_id", ()),
        "o_class": ("tc.sourced_id", ()),
        "o_school": ("ti.sourced_id", ()),
        "o_role": ("'teacher'", ()),
        "o_primary": (f"CASE WHEN {earlier} THEN 'false' ELSE 'true' END", tuple(active_params)),
        "o_begin": ("COALESCE(t.start_date, ta.start_date)", ()),
        "o_end": (end, ()),
    }
    source += (
        " JOIN registry_staff s ON s.id = ta.staff_id"
        " JOIN registry_institution ti ON ti.id = tc.institution_id"
    )
    segment = SqlSegment(columns, source, tuple(source_params), key="t.id", shown=_shown(columns))
    return segment.where(where, *params)


class EnrollmentRow(NamedTuple):
    """An enrollment as ENROLLMENTS selects it from SQL: one field per alias, in the order of
    ENROLLMENTS.aliases, then the paging key. Ids and moments are already text."""

    sourced_id: str  # o_id
    status: str  # o_status
    modified: str  # o_modified
    user_id: str  # o_user
    class_id: str  # o_class
    school_id: str  # o_school
    role: str  # o_role
    primary: str  # o_primary
    begin: datetime.date | None  # o_begin
    end: datetime.date | None  # o_end
    key: object  # o_key


def enrollment_json(row: tuple, ctx: Context) -> dict:
    """An enrollment from a row of ENROLLMENTS.aliases (SQL)."""
    enrollment_row = EnrollmentRow._make(row)
    enrollment = {
        "sourcedId": enrollment_row.sourced_id,
        "status": enrollment_row.status,
        "dateLastModified": enrollment_row.modified,
        "user": ctx.ref("users", enrollment_row.user_id, "user"),
        "class": ctx.ref("classes", enrollment_row.class_id, "class"),
        "school": ctx.org(enrollment_row.school_id),
        "role": enrollment_row.role,
        "primary": enrollment_row.primary,
    }
    if enrollment_row.begin:
        enrollment["beginDate"] = enrollment_row.begin.isoformat()
    if enrollment_row.end:
        enrollment["endDate"] = enrollment_row.end.isoformat()
    return enrollment


ENROLLMENTS = Resource(
    collection="enrollments",
    singular="enrollment",
    reference_type="enrollment",
    columns={
        **COMMON,
        "role": Column("o_role"),
        "primary": Column("o_primary"),
        "user.sourcedId": Column("o_user", "uuid"),
        "class.sourcedId": Column("o_class", "uuid"),
        "school.sourcedId": Column("o_school", "uuid"),
        "beginDate": Column("o_begin", "date"),
        "endDate": Column("o_end", "date"),
    },
    fields=(
        "sourcedId",
        "status",
        "dateLastModified",
        "user",
        "class",
        "school",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),  # fmt: skip
    aliases=(
        "o_id",
        "o_status",
        "o_modified",
        "o_user",
        "o_class",
        "o_school",
        "o_role",
        "o_primary",
        "o_begin",
        "o_end",
    ),  # fmt: skip
    to_json=enrollment_json,
    decoders={
        "o_id": as_uuid_text,
        "o_user": as_uuid_text,
        "o_class": as_uuid_text,
        "o_school": as_uuid_text,
        "o_begin": as_date,
        "o_end": as_date,
    },
)
