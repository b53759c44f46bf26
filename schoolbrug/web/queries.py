"""What the pages show, read in a few queries each: no query per row.

Views call these and render; the functions take plain values and return querysets or
lists, so they are tested without HTTP.
"""

from __future__ import annotations

import datetime
import uuid

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    SubclassMembership,
)
from schoolbrug.sources.records import COMBINED_CURRICULUM
from schoolbrug.sync.models import SyncRun


def _count(queryset: QuerySet, group_by: str) -> Coalesce:
    """A correlated COUNT(*) subquery: one number per outer row, no join blow-up."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def current_school_year(today: datetime.date | None = None) -> SchoolYear | None:
    """The school year running today, or the latest one the registry knows."""
    today = today or timezone.localdate()
    start_year = SchoolYear.start_year_for(today)
    current = SchoolYear.objects.filter(start_year=start_year).first()
    return current or SchoolYear.objects.order_by("-start_year").first()


def school_year_shown(institution: Institution) -> SchoolYear | None:
    """The current school year if the institution has classes in it, else its latest one."""
    current = current_school_year()
    if (
        current
        and SchoolClass.objects.filter(institution=institution, school_year=current).exists()
    ):
        return current
    latest = (
        SchoolClass.objects.filter(institution=institution)
        .order_by("-school_year__start_year")
        .values_list("school_year_id", flat=True)
        .first()
    )
    return SchoolYear.objects.filter(pk=latest).first() if latest else current


def institution_overview(institutions: QuerySet[Institution] | None = None) -> list[Institution]:
    """Every institution (or those of `institutions`) with its pupil and class counts and its
    last sync run.

    Two queries whatever the number of institutions: one with counts as subqueries, one
    for the last runs.
    """
    school_year = current_school_year()
    pupils = Pupil.objects.filter(institution=OuterRef("pk"))
    classes = SchoolClass.objects.filter(
        institution=OuterRef("pk"), school_year=school_year, is_active=True, is_leavers=False
    )
    last_run = SyncRun.objects.filter(institution_number=OuterRef("number")).order_by(
        "-started_at", "-id"
    )
    institutions = list(
        (Institution.objects.all() if institutions is None else institutions)
        .annotate(
            pupil_count=_count(pupils.filter(is_leaver=False), "institution"),
            leaver_count=_count(pupils.filter(is_leaver=True), "institution"),
            class_count=_count(classes, "institution"),
            last_run_id=Subquery(last_run.values("id")[:1]),
        )
        .order_by("number")
    )
    runs = SyncRun.objects.in_bulk([i.last_run_id for i in institutions if i.last_run_id])
    for institution in institutions:
        institution.last_run = runs.get(institution.last_run_id)
    return institutions


def classes_with_counts(
    institution: Institution,
    school_year: SchoolYear | None,
    among: QuerySet[SchoolClass] | None = None,
) -> list[SchoolClass]:
    """The institution's classes of one school year (those of `among`, the ones the user
    sees) with pupil counts (a subclass: its current members; a removed one is left out);
    Schoolverlaters last."""
    if school_year is None:
        return []
    enrolled = _count(Enrolment.objects.filter(school_class=OuterRef("pk")), "school_class")
    members = _count(
        SubclassMembership.objects.filter(subclass=OuterRef("pk"), ended_at__isnull=True),
        "subclass",
    )
    classes = (
        (SchoolClass.objects.all() if among is None else among)
        .filter(
            Q(parent__isnull=True) | Q(is_active=True),
            institution=institution,
            school_year=school_year,
        )
        .annotate(pupil_count=Case(When(parent__isnull=True, then=enrolled), default=members))
        .order_by("is_leavers", "-is_active", "code")
    )
    return list(classes)


def runs(institution_number: str = "") -> QuerySet[SyncRun]:
    """Sync runs, newest first, optionally of one institution."""
    queryset = SyncRun.objects.order_by("-started_at", "-id")
    if institution_number:
        queryset = queryset.filter(institution_number=institution_number)
    return queryset


def institution_names(numbers) -> dict[str, str]:
    """Institution number → name, for the numbers given (runs and audit store numbers)."""
    return dict(Institution.objects.filter(number__in=set(numbers)).values_list("number", "name"))


def institution_choices() -> list[tuple[str, str]]:
    return list(Institution.objects.order_by("number").values_list("number", "name"))


def name_filter(q: str, prefix: str = "") -> Q:
    """Every word of `q` must appear in the family name or the given name."""
    condition = Q()
    for word in q.split():
        condition &= Q(**{f"{prefix}family_name__icontains": word}) | Q(
            **{f"{prefix}given_name__icontains": word}
        )
    return condition


def class_pupils(school_class: SchoolClass, q: str = "") -> QuerySet[Enrolment]:
    """The pupils in a class (of a subclass: its current members, with their enrolment in its
    class; of a source's combined group: its current members, with their enrolment in their
    own class), by class number (pupils without one last), filtered by name."""
    enrolments = Enrolment.objects.filter(school_class=school_class)
    if school_class.parent_id is None and school_class.curriculum == COMBINED_CURRICULUM:
        enrolments = Enrolment.objects.filter(
            school_year_id=school_class.school_year_id,
            pupil__in=SubclassMembership.objects.filter(
                subclass=school_class, ended_at__isnull=True
            ).values("pupil_id"),
        )
    if school_class.parent_id is not None:
        enrolments = Enrolment.objects.filter(
            school_class_id=school_class.parent_id,
            pupil__in=SubclassMembership.objects.filter(
                subclass=school_class, ended_at__isnull=True
            ).values("pupil_id"),
        )
    enrolments = enrolments.select_related("pupil")
    if q:
        enrolments = enrolments.filter(name_filter(q, prefix="pupil__"))
    return enrolments.order_by(
        "class_number", "pupil__family_name", "pupil__given_name", "pupil_id"
    )


def search_pupils(
    institution: Institution,
    school_year: SchoolYear | None,
    q: str = "",
    class_sourced_id: uuid.UUID | None = None,
) -> QuerySet[Pupil]:
    """Pupils of one institution by name and/or class (a subclass: its current members),
    each with its class that school year."""
    pupils = Pupil.objects.filter(institution=institution)
    if q:
        pupils = pupils.filter(name_filter(q))
    enrolment = Enrolment.objects.filter(pupil=OuterRef("pk"), school_year=school_year)
    if class_sourced_id:
        chosen = SchoolClass.objects.filter(institution=institution, sourced_id=class_sourced_id)
        members = SubclassMembership.objects.filter(
            subclass__in=chosen.filter(parent__isnull=False), ended_at__isnull=True
        )
        pupils = pupils.filter(
            Q(
                enrolments__school_year=school_year,
                enrolments__school_class__in=chosen.filter(parent__isnull=True),
            )
            | Q(pk__in=members.values("pupil_id"))
        ).distinct()
    return pupils.annotate(
        class_code=Subquery(enrolment.values("school_class__code")[:1]),
        class_sourced_id=Subquery(enrolment.values("school_class__sourced_id")[:1]),
        class_number=Subquery(enrolment.values("class_number")[:1]),
    ).order_by("family_name", "given_name", "pk")


def subclasses_of(school_class: SchoolClass) -> QuerySet[SchoolClass]:
    """The live subclasses of a class, with their current member counts."""
    members = SubclassMembership.objects.filter(subclass=OuterRef("pk"), ended_at__isnull=True)
    return (
        SchoolClass.objects.filter(parent=school_class, is_active=True)
        .annotate(pupil_count=_count(members, "subclass"))
        .order_by("code")
    )


def renamed_by_sync(subclass: SchoolClass) -> AuditEntry | None:
    """The sync's latest renaming of a subclass (the SIS sent a class with its code)."""
    return (
        AuditEntry.objects.filter(
            entity="subclass",
            entity_sourced_id=subclass.sourced_id,
            sync_run__isnull=False,
            changes__has_key="code",
        )
        .order_by("-at", "-id")
        .first()
    )


def pupil_subclasses(pupil: Pupil) -> QuerySet[SubclassMembership]:
    """The pupil's current subclasses."""
    return (
        SubclassMembership.objects.filter(pupil=pupil, ended_at__isnull=True)
        .select_related("subclass", "subclass__parent", "subclass__school_year")
        .order_by("-subclass__school_year__start_year", "subclass__code")
    )


def pupil_enrolments(pupil: Pupil) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(pupil=pupil)
        .select_related("school_class", "school_year")
        .order_by("-school_year__start_year")
    )


def pupil_source_ids(pupil: Pupil) -> QuerySet[SourceAlias]:
    """The ids the sources give this pupil (WISA id, Informat personId, ...)."""
    return SourceAlias.objects.filter(
        sourced_id=pupil.sourced_id, kind=SourceAlias.Kind.PUPIL
    ).order_by("source")


def history(sourced_id: uuid.UUID) -> QuerySet[AuditEntry]:
    """Everything the audit log says about one entity, newest first."""
    return AuditEntry.objects.filter(entity_sourced_id=sourced_id).order_by("-at", "-id")


def audit_entries(
    institution_number: str = "", entity: str = "", entity_sourced_id: uuid.UUID | None = None
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.order_by("-at", "-id")
    if institution_number:
        entries = entries.filter(institution_number=institution_number)
    if entity:
        entries = entries.filter(entity=entity)
    if entity_sourced_id:
        entries = entries.filter(entity_sourced_id=entity_sourced_id)
    return entries


def audit_entity_kinds() -> list[str]:
    return list(AuditEntry.objects.order_by("entity").values_list("entity", flat=True).distinct())
