"""What the school's sharing, app and account pages read (seed 001), in a few queries each.

Nothing here changes data: switching sharing on or off is `sharing.consent`, granting and
revoking app access is `sharing.access`. A national number is never read here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from schoolbrug.registry.models import (
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SubclassMembership,
)
from schoolbrug.sharing.models import App, AppGrant, Sharing

from . import class_tree


def sharing_periods(institution: Institution) -> QuerySet[Sharing]:
    """Every period the institution shared class information, newest first."""
    return Sharing.objects.filter(institution=institution).select_related("protocol")


def grant_classes(institution: Institution) -> list[SchoolClass]:
    """The classes an app can be given access to: those of the current school year (the year
    `access.grant` looks codes up in), Schoolverlaters left out, subclasses under their class."""
    year = SchoolYear.start_year_for(timezone.localdate())
    classes = (
        SchoolClass.objects.filter(
            Q(parent__isnull=True) | Q(is_active=True),  # not a removed subclass
            institution=institution,
            school_year__start_year=year,
            is_leavers=False,
        )
        .select_related("parent")
        .order_by("-is_active", "code")
    )
    return class_tree.as_tree(classes)


@dataclass
class AppAccess:
    app: App
    grant: AppGrant | None
    class_codes: list[str] = field(default_factory=list)

    @property
    def has_access(self) -> bool:
        return self.grant is not None

    @property
    def all_classes(self) -> bool:
        return self.grant is not None and self.grant.all_classes


def app_access(institution: Institution, apps: QuerySet[App] | None = None) -> list[AppAccess]:
    """Every registered app (or those of `apps`) with what this institution granted it."""
    apps = (App.objects.all() if apps is None else apps).select_related("application")
    grants = {
        grant.app_id: grant
        for grant in AppGrant.objects.filter(institution=institution).prefetch_related("classes")
    }
    rows = []
    for app in apps.order_by("name"):
        grant = grants.get(app.pk)
        codes = sorted(c.code for c in grant.classes.all()) if grant else []
        rows.append(AppAccess(app=app, grant=grant, class_codes=codes))
    return rows


def start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class AccountRow:
    pupil_id: int  # a pupil stands under their class and each subclass they are in
    given_name: str
    family_name: str
    class_code: str
    class_number: int | None
    is_new: bool
    changed_at: datetime.datetime

    @property
    def status(self) -> str:
        return "nieuw" if self.is_new else "gewijzigd"


@dataclass
class AccountGroup:
    """The new or changed pupils of one (sub)class; `school_class` None: without a class."""

    school_class: SchoolClass | None
    rows: list[AccountRow]

    @property
    def code(self) -> str:
        return self.school_class.code if self.school_class else ""

    @property
    def depth(self) -> int:
        return getattr(self.school_class, "depth", 0)

    @property
    def new_count(self) -> int:
        return sum(row.is_new for row in self.rows)


def changed_accounts(
    institution: Institution,
    school_year: SchoolYear | None,
    since: datetime.datetime,
    pupils: QuerySet[Pupil] | None = None,
) -> list[AccountGroup]:
    """Pupils created or changed since `since` (their own record or their enrolment), grouped
    per (sub)class of `school_year` in class order, subclasses right after their class, and
    pupils without a class that year last; only those of `pupils` (the ones the user sees).
    A pupil stands under their class and again under each subclass they are in (who hands out
    a subclass's accounts gets them all). Leavers are left out: they get no account to hand
    out. Four queries."""
    enrolments = Enrolment.objects.filter(pupil=OuterRef("pk"))
    this_year = enrolments.filter(school_year=school_year)
    pupils = (
        (Pupil.objects.all() if pupils is None else pupils)
        .filter(institution=institution, is_leaver=False)
        .filter(
            Q(created_at__gte=since)
            | Q(updated_at__gte=since)
            | Exists(enrolments.filter(updated_at__gte=since))
        )
        .annotate(
            class_id=Subquery(this_year.values("school_class_id")[:1]),
            class_number=Subquery(this_year.values("class_number")[:1]),
            enrolment_changed_at=Subquery(
                enrolments.order_by().values("pupil").annotate(at=Max("updated_at")).values("at")
            ),
        )
        .values(
            "pk",
            "given_name",
            "family_name",
            "created_at",
            "updated_at",
            "class_id",
            "class_number",
            "enrolment_changed_at",
        )
    )
    classes = (
        class_tree.as_tree(
            SchoolClass.objects.filter(institution=institution, school_year=school_year)
            .select_related("parent")
            .order_by("is_leavers", "-is_active", "code")
        )
        if school_year
        else []
    )
    by_id = {c.pk: c for c in classes}
    pupils = list(pupils)
    subclasses_of: dict[int, list[int]] = {}
    for pupil_id, subclass_id in SubclassMembership.objects.filter(
        pupil_id__in=[p["pk"] for p in pupils],
        subclass__in=[c.pk for c in classes if c.parent_id is not None and c.is_active],
        ended_at__isnull=True,
    ).values_list("pupil_id", "subclass_id"):
        subclasses_of.setdefault(pupil_id, []).append(subclass_id)
    rows_by_class: dict[int | None, list[AccountRow]] = {}
    for pupil in pupils:
        school_class = by_id.get(pupil["class_id"])
        moments = [pupil["created_at"], pupil["updated_at"], pupil["enrolment_changed_at"]]
        row = AccountRow(
            pupil_id=pupil["pk"],
            given_name=pupil["given_name"],
            family_name=pupil["family_name"],
            class_code=school_class.code if school_class else "",
            class_number=pupil["class_number"] if school_class else None,
            is_new=pupil["created_at"] >= since,
            changed_at=max(m for m in moments if m is not None),
        )
        rows_by_class.setdefault(school_class.pk if school_class else None, []).append(row)
        for subclass_id in subclasses_of.get(pupil["pk"], ()):
            subclass_row = replace(row, class_code=by_id[subclass_id].code)
            rows_by_class.setdefault(subclass_id, []).append(subclass_row)

    def order(row: AccountRow):
        return (row.class_number is None, row.class_number or 0, row.family_name, row.given_name)

    groups = [
        AccountGroup(school_class=c, rows=sorted(rows_by_class[c.pk], key=order))
        for c in classes
        if c.pk in rows_by_class
    ]
    if None in rows_by_class:
        groups.append(AccountGroup(school_class=None, rows=sorted(rows_by_class[None], key=order)))
    return groups


def account_totals(groups: list[AccountGroup]) -> tuple[int, int]:
    """(pupils, new pupils) of the groups, each pupil counted once."""
    rows = {row.pupil_id: row for group in groups for row in group.rows}
    return len(rows), sum(row.is_new for row in rows.values())


ACCOUNT_CSV_HEADER = [
    "klas",
    "klasnummer",
    "voornaam",
    "naam",
    "nieuw of gewijzigd",
    "gewijzigd op",
]


def account_csv_rows(groups: list[AccountGroup]):
    yield ACCOUNT_CSV_HEADER
    for group in groups:
        for row in group.rows:
            yield [
                row.class_code,
                "" if row.class_number is None else str(row.class_number),
                row.given_name,
                row.family_name,
                row.status,
                timezone.localtime(row.changed_at).strftime("%d/%m/%Y %H:%M"),
            ]


# What switching on would share (shown before the protocol) ----------------------------------


@dataclass
class SharedWithApp:
    """One app that would read class information once sharing is on."""

    name: str
    all_classes: bool
    class_codes: list[str]
    pupils: int


def sharing_preview(institution: Institution) -> list[SharedWithApp]:
    """Per app that has access: which classes of this school year and how many pupils in
    them (enrolled, or current members of a chosen subclass), Schoolverlaters left out."""
    classes = grant_classes(institution)
    rows = []
    for access in app_access(institution):
        if not access.has_access:
            continue
        codes = set(access.class_codes)
        chosen = [c for c in classes if access.all_classes or c.code in codes]
        plain = [c.pk for c in chosen if c.parent_id is None]
        subs = [c.pk for c in chosen if c.parent_id is not None]
        enrolled = Enrolment.objects.filter(school_class_id__in=plain, pupil__is_leaver=False)
        members = SubclassMembership.objects.filter(subclass_id__in=subs, ended_at__isnull=True)
        pupils = set(enrolled.values_list("pupil_id", flat=True))
        pupils |= set(members.values_list("pupil_id", flat=True))
        rows.append(
            SharedWithApp(
                name=access.app.name,
                all_classes=access.all_classes,
                class_codes=[c.code for c in chosen],
                pupils=len(pupils),
            )
        )
    return rows


def staff_names(emails) -> dict[str, str]:
    """E-mail address (lower case) → "Given Family" of the staff list, for pages that name
    who may or who did something (the audit stores the address)."""
    wanted = {e.strip().lower() for e in emails if e}
    if not wanted:
        return {}
    from django.db.models.functions import Lower

    from schoolbrug.registry.models import Staff

    rows = (
        Staff.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=wanted)
        .order_by("pk")
        .values_list("email_lower", "given_name", "family_name")
    )
    names: dict[str, str] = {}
    for email, given, family in rows:
        names.setdefault(email, f"{given} {family}".strip())
    return names
