"""Linking licences to classes and pupils, with seats never oversold.

Every change locks its licence row first (`SELECT ... FOR UPDATE`), then counts and writes in
the same transaction: two coordinators taking the last seat at once are served one after the
other, and the second is refused with the count it saw. (SQLite takes the database's one write
lock instead; the test of this runs on PostgreSQL.)

Seats of a child licence are written in bulk (1,000 pupils in one action) with the audit log's
entries written by hand, on the pupil (the way the sync logs a subclass change); a class
linked to a group licence is one ORM row, logged by `audit.changes`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from schoolbrug.audit.context import current
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Enrolment, Pupil, SchoolClass

from .models import Licence, LicenceClass, LicenceSeat, Product
from .refusals import Refused

SEAT_FIELD = "licentie"


def group_pupils(licence: Licence):
    """The pupils a group licence covers today: enrolled in one of its classes, not leavers."""
    return Pupil.objects.filter(
        is_leaver=False,
        enrolments__school_class__platform_licence_links__licence=licence,
    ).distinct()


def used_seats(licence: Licence) -> int:
    if licence.kind == Licence.Kind.CHILD:
        return licence.seat_links.count()
    return group_pupils(licence).count()


def available_seats(licence: Licence) -> int:
    return max(licence.seats - used_seats(licence), 0)


def _locked(licence: Licence) -> Licence:
    """The licence row, locked until the transaction ends (the seat count's one writer)."""
    return (
        Licence.objects.select_for_update()
        .select_related("institution", "product")
        .get(pk=licence.pk)
    )


def _own_class(licence: Licence, school_class: SchoolClass) -> None:
    if school_class.institution_id != licence.institution_id or school_class.is_leavers:
        raise Refused(
            "Deze groep hoort niet bij de school van de licentie.",
            f"class {school_class.pk} is not a class of licence {licence.pk}'s institution",
        )


@transaction.atomic
def link_class(licence: Licence, school_class: SchoolClass) -> LicenceClass:
    """ "Koppelen" → the class → "Toevoegen" for a group licence."""
    licence = _locked(licence)
    if licence.kind != Licence.Kind.GROUP:
        raise Refused(
            "Dit is een licentie per kind: koppel er leerlingen aan, geen groepen.",
            f"licence {licence.pk} is per child",
        )
    _own_class(licence, school_class)
    if licence.class_links.filter(school_class=school_class).exists():
        raise Refused(
            f"Groep {school_class.code} is al gekoppeld aan deze licentie.",
            f"class {school_class.pk} already linked to licence {licence.pk}",
        )
    covered = set(group_pupils(licence).values_list("pk", flat=True))
    newcomers = set(
        Enrolment.objects.filter(school_class=school_class, pupil__is_leaver=False).values_list(
            "pupil_id", flat=True
        )
    )
    needed = len(covered | newcomers)
    if needed > licence.seats:
        raise Refused(
            f"Er zijn niet genoeg licenties: groep {school_class.code} heeft "
            f"{len(newcomers - covered)} leerlingen zonder deze licentie, er zijn er nog "
            f"{max(licence.seats - len(covered), 0)} beschikbaar.",
            f"licence {licence.pk}: {needed} pupils needed, {licence.seats} seats",
        )
    return LicenceClass.objects.create(licence=licence, school_class=school_class)


@transaction.atomic
def unlink_class(licence: Licence, school_class: SchoolClass) -> None:
    licence = _locked(licence)
    for link in licence.class_links.filter(school_class=school_class):
        link.delete()  # one row, logged by audit.changes


@transaction.atomic
def link_pupils(licence: Licence, pupils: Iterable[Pupil]) -> int:
    """Give each pupil a seat of a child licence; all or none. Returns how many were new."""
    licence = _locked(licence)
    if licence.kind != Licence.Kind.CHILD:
        raise Refused(
            "Dit is een licentie per groep: koppel er groepen aan, geen leerlingen.",
            f"licence {licence.pk} is per group",
        )
    pupils = list(pupils)
    strangers = [p for p in pupils if p.institution_id != licence.institution_id or p.is_leaver]
    if strangers:
        raise Refused(
            f"{strangers[0]} is geen leerling van deze school (of heeft de school verlaten).",
            f"pupil {strangers[0].pk} is not a current pupil of licence {licence.pk}'s school",
        )
    held = set(licence.seat_links.values_list("pupil_id", flat=True))
    new = list({p.pk: p for p in pupils if p.pk not in held}.values())
    free = licence.seats - len(held)
    if len(new) > free:
        raise Refused(
            f"Er zijn niet genoeg licenties: je koppelt {len(new)} "
            f"{'leerling' if len(new) == 1 else 'leerlingen'}, er "
            f"{'is' if free == 1 else 'zijn'} nog {max(free, 0)} beschikbaar. "
            "Er is niets gekoppeld.",
            f"licence {licence.pk}: {len(new)} new seats asked, {free} free",
        )
    LicenceSeat.objects.bulk_create(
        [LicenceSeat(licence=licence, pupil=p) for p in new], batch_size=1000
    )
    _log_seats(licence, new, AuditEntry.Action.GRANT)
    return len(new)


@transaction.atomic
def unlink_pupils(licence: Licence, pupils: Iterable[Pupil]) -> int:
    """ "Ontkoppelen": free the seats these pupils hold. Returns how many were freed."""
    licence = _locked(licence)
    return free_seats(LicenceSeat.objects.filter(licence=licence, pupil__in=list(pupils)))


def free_seats(seats) -> int:
    """Delete these seats with one statement each way and log each on its pupil."""
    rows = list(seats.select_related("licence__institution", "licence__product", "pupil"))
    by_licence: dict[int, tuple[Licence, list[Pupil]]] = {}
    for seat in rows:
        by_licence.setdefault(seat.licence_id, (seat.licence, []))[1].append(seat.pupil)
    # Raw delete: no per-row signals (LicenceSeat is logged on the pupil, below).
    LicenceSeat.objects.filter(pk__in=[s.pk for s in rows])._raw_delete(LicenceSeat.objects.db)
    for licence, pupils in by_licence.values():
        _log_seats(licence, pupils, AuditEntry.Action.REVOKE)
    return len(rows)


def _log_seats(licence: Licence, pupils: list[Pupil], action: str) -> None:
    context = current()
    now = timezone.now()
    name = str(licence.product.name)
    change = [None, name] if action == AuditEntry.Action.GRANT else [name, None]
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                at=now,
                actor=context.actor_name(),
                reason=context.reason_text(),
                institution_number=licence.institution.number,
                entity="pupil",
                entity_sourced_id=pupil.sourced_id,
                action=action,
                changes={SEAT_FIELD: change},
            )
            for pupil in pupils
        ],
        batch_size=1000,
    )


def licensed_products(pupil: Pupil) -> list[Product]:
    """The products a pupil may open: their seats, and their class's group licences."""
    if pupil.is_leaver:
        return []
    return list(
        Product.objects.filter(
            Q(licences__seat_links__pupil=pupil)
            | Q(
                licences__kind=Licence.Kind.GROUP,
                licences__class_links__school_class__enrolments__pupil=pupil,
            ),
            licences__institution_id=pupil.institution_id,
        ).distinct()
    )
