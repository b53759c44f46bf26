"""Each pupil's structured payment reference (gestructureerde mededeling, OGM/VCS): issued,
checked, matched.

A reference is 10 digits and a mod-97 check (python-stdnum's `be.ogm_vcs`), written for
people as +++123/4567/89012+++ and stored as its 12 digits. It is unique per database, like
the SIS vendor's (seed 003), but a merge does not leave duplicates to be reconciled by hand:
the moving pupil gets a new reference and the old one stays a `PaymentReferenceAlias`, so a
payment that still carries it is matched (`match`).

No SIS format Schoolbrug reads carries one today (WISA's pupils export, Informat's pupils
API, EDEXML and OneRoster have no such field: Informat keeps its OGM per invoice), so
Schoolbrug issues them: at the sync for new pupils (`issue`, in bulk), on a save by hand
(`Pupil.save`), and for rows a bulk path left without one (`issue_missing`).

Where the numbers come from: on PostgreSQL from a sequence (migration 0017; it starts at a
random point per database, so two databases merged later rarely share one), because syncs
write in parallel (sync/parallel.py) and a sequence never gives two transactions the same
number, committed or not; random draws would collide between two first nights of a region
(600,000 references each: some 36 pairs expected in 10¹⁰). On SQLite, one writer at a time,
they are drawn at random. Either way every reference is checked against the database
(pupils and aliases: a merge's or the migration's random ones) in bulk before it is handed
out, and the unique index on `Pupil.structured_reference` is the last guard.
`new_reference(taken)` draws at random against a set the caller holds (the merge, which
runs alone while the site is read-only).

Never logs a reference together with a national number; a reference alone is no secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import connections
from django.utils import timezone
from stdnum.be import ogm_vcs
from stdnum.exceptions import ValidationError

from schoolbrug.audit.context import current
from schoolbrug.audit.models import AuditEntry

from .models import PaymentReferenceAlias, Pupil

BASE_LIMIT = 10**10  # 10 digits before the check digits
LOOKUP_BATCH = 5000  # references per IN (...) query: 10,000 variables, under SQLite's limit
ISSUE_REASON = "betaalreferentie uitgereikt"


def compact(value: str) -> str:
    """The 12 digits of a reference as written in any usual way ("+++010/8068/17183+++")."""
    return ogm_vcs.compact(value or "")


def is_valid(value: str) -> bool:
    """A structured reference with the right length and check digits."""
    return ogm_vcs.is_valid(value or "")


def why_invalid(value: str) -> str:
    """Why `value` is no structured reference, in Dutch for a finding; "" when it is one."""
    try:
        ogm_vcs.validate(value or "")
    except ValidationError as error:
        kind = type(error).__name__
        if kind == "InvalidLength":
            return "een gestructureerde mededeling heeft 12 cijfers"
        if kind == "InvalidChecksum":
            return "de controlegetallen (de laatste 2 cijfers) kloppen niet"
        return "alleen cijfers, met eventueel +++ en / ertussen"
    return ""


def formatted(reference: str | None) -> str:
    """+++123/4567/89012+++, as on a transfer form; "" for none."""
    if not reference:
        return ""
    return f"+++{ogm_vcs.format(reference)}+++"


def _draw() -> str:
    base = f"{secrets.randbelow(BASE_LIMIT - 1) + 1:010d}"  # 0 is not valid
    return base + ogm_vcs.calc_check_digits(base)


def new_reference(taken: set[str]) -> str:
    """A valid reference not in `taken` (12-digit references, as stored); it is added to
    `taken`, so a loop over many pupils never hands out one twice. The caller knows what is
    taken (a merge: both databases' references and aliases)."""
    while True:
        reference = _draw()
        if reference not in taken:
            taken.add(reference)
            return reference


def references_in_use(candidates: Iterable[str], using: str = "default") -> set[str]:
    """Which of `candidates` a pupil or an alias of this database holds already: on
    PostgreSQL one query per 50,000 with the batch as one array parameter (both unique
    indexes probed), elsewhere per 5,000 as an IN list."""
    candidates = list(candidates)
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    batch_size = LOOKUP_BATCH * 10 if postgres else LOOKUP_BATCH
    used: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(candidates), batch_size):
            batch = candidates[start : start + batch_size]
            if postgres:
                cursor.execute(
                    "SELECT structured_reference FROM registry_pupil"
                    " WHERE structured_reference = ANY(%s::varchar[])"
                    " UNION ALL SELECT structured_reference FROM registry_paymentreferencealias"
                    " WHERE structured_reference = ANY(%s::varchar[])",
                    [batch, batch],
                )
            else:
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(
                    "SELECT structured_reference FROM registry_pupil"
                    f" WHERE structured_reference IN ({marks})"
                    " UNION ALL SELECT structured_reference FROM registry_paymentreferencealias"
                    f" WHERE structured_reference IN ({marks})",
                    batch + batch,
                )
            used.update(row[0] for row in cursor.fetchall())
    return used


SEQUENCE = "registry_payment_reference_seq"  # PostgreSQL (migration 0017)


def _with_check_digits(base: int) -> str:
    text = f"{base:010d}"
    return text + ogm_vcs.calc_check_digits(text)


def _from_sequence(count: int, using: str) -> set[str]:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [SEQUENCE, count])
        return {_with_check_digits(row[0]) for row in cursor.fetchall()}


def issue(count: int, using: str = "default") -> list[str]:
    """`count` distinct references no pupil or alias of the database holds (see the module
    docstring for where they come from), checked against the database in bulk; the (rare)
    ones in use are replaced by new ones."""
    chosen: set[str] = set()
    while len(chosen) < count:
        drawn = _fresh(count - len(chosen), using) - chosen
        chosen |= drawn - references_in_use(drawn, using)
    return list(chosen)


def _fresh(count: int, using: str) -> set[str]:
    """Up to `count` new candidate references: from the sequence on PostgreSQL, at random
    elsewhere (see the module docstring)."""
    if connections[using].vendor == "postgresql":
        return _from_sequence(count, using)
    drawn: set[str] = set()
    while len(drawn) < count:
        new_reference(drawn)
    return drawn


def issue_one(using: str = "default") -> str:
    """One reference for a pupil saved by hand."""
    return issue(1, using)[0]


def issue_missing(institution_ids: Iterable[int] | None = None, using: str = "default") -> int:
    """Give every pupil without a reference one (of these institutions, or all), in bulk
    and audited; returns how many. For rows that a bulk path wrote without one."""
    pupils = Pupil.objects.using(using).filter(structured_reference__isnull=True)
    if institution_ids is not None:
        pupils = pupils.filter(institution_id__in=list(institution_ids))
    rows = list(pupils.values_list("pk", "sourced_id", "institution__number"))
    if not rows:
        return 0
    references = issue(len(rows), using)
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE registry_pupil SET structured_reference = given.reference"
                " FROM unnest(%s::bigint[], %s::text[]) AS given(id, reference)"
                " WHERE registry_pupil.id = given.id",
                [[pk for pk, _, _ in rows], references],
            )
        else:
            cursor.executemany(
                "UPDATE registry_pupil SET structured_reference = %s WHERE id = %s",
                [(reference, pk) for (pk, _, _), reference in zip(rows, references, strict=True)],
            )
    context, now = current(), timezone.now()
    AuditEntry.objects.using(using).bulk_create(
        [
            AuditEntry(
                at=now,
                actor=context.actor_name(),
                reason=context.reason_text() or ISSUE_REASON,
                institution_number=number,
                entity="pupil",
                entity_sourced_id=sourced_id,
                action=AuditEntry.Action.UPDATE,
                changes={"structured_reference": [None, reference]},
            )
            for (_, sourced_id, number), reference in zip(rows, references, strict=True)
        ],
        batch_size=1000,
    )
    return len(rows)


def match(reference: str, using: str = "default") -> Pupil | None:
    """The pupil a payment with this reference is for: the pupil who holds it now, else the
    one it was an alias of (an invoice sent before a merge); None when no one or not valid."""
    if not is_valid(reference):
        return None
    reference = compact(reference)
    pupil = Pupil.objects.using(using).filter(structured_reference=reference).first()
    if pupil is not None:
        return pupil
    alias = (
        PaymentReferenceAlias.objects.using(using)
        .select_related("pupil")
        .filter(structured_reference=reference)
        .first()
    )
    return alias.pupil if alias is not None else None
