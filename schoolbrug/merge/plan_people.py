"""Who is the same person on both sides (by national number, by e-mail address for staff
and accounts), and who may be (the same name and birth date, one of them without a national
number): candidates a person confirms ("same") or rejects ("different") in the plan.

No national number is ever written into the plan: a pair names both records by `sourced_id`."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS

from schoolbrug.registry.models import Pupil, Staff

from .folder import Context
from .tables import RULES


def _fold(text: str | None) -> str:
    return (text or "").strip().casefold()


def _moving_pupils(ctx: Context):
    rows = Pupil.objects.using(ctx.alias).filter(institution__in=ctx.institutions)
    fields = ("national_number", "sourced_id", "institution__number")
    return rows.values_list(*fields, "family_name", "given_name", "birth_date").iterator(
        chunk_size=5000
    )


def _receiving_pupils():
    rows = Pupil.objects.using(DEFAULT_DB_ALIAS).values_list(
        "national_number", "sourced_id", "institution__number", "family_name", "given_name",
        "birth_date",
    )  # fmt: skip
    return rows.iterator(chunk_size=5000)


def _moving_staff(ctx: Context):
    rows = ctx.rows(Staff, RULES["registry.Staff"])
    return list(rows.values_list("email", "sourced_id", "given_name", "family_name"))


def same_people(ctx: Context) -> list[dict]:
    by_number = defaultdict(list)
    for number, sourced_id, institution, *_ in _receiving_pupils():
        if number:
            by_number[number].append((sourced_id, institution))
    same = []
    for number, sourced_id, institution, *_ in _moving_pupils(ctx):
        for theirs, where in by_number.get(number, ()) if number else ():
            same.append(
                {
                    "kind": "pupil",
                    "by": "national_number",
                    "moving": str(sourced_id),
                    "moving_institution": institution,
                    "receiving": str(theirs),
                    "receiving_institution": where,
                }
            )
    staff = {
        _fold(email): sourced_id
        for email, sourced_id in Staff.objects.exclude(email=None).values_list(
            "email", "sourced_id"
        )
    }
    for email, sourced_id, *_ in _moving_staff(ctx):
        if email and _fold(email) in staff:
            same.append(
                {
                    "kind": "staff",
                    "by": "email",
                    "email": _fold(email),
                    "moving": str(sourced_id),
                    "receiving": str(staff[_fold(email)]),
                }
            )
    same += _same_users(ctx)
    return same


def _same_users(ctx: Context) -> list[dict]:
    user = get_user_model()
    theirs = {
        _fold(email): name
        for email, name in user.objects.exclude(email="").values_list("email", "username")
    }
    moving = ctx.rows(user, RULES["auth.User"]).exclude(email="")
    return [
        {
            "kind": "user",
            "by": "email",
            "email": _fold(email),
            "moving_username": name,
            "receiving_username": theirs[_fold(email)],
        }
        for email, name in moving.values_list("email", "username")
        if _fold(email) in theirs
    ]


def candidates(ctx: Context) -> list[dict]:
    index = defaultdict(list)
    for number, sourced_id, institution, family, given, born in _receiving_pupils():
        if born is not None:
            index[(_fold(family), _fold(given), born)].append((sourced_id, institution, number))
    found = []
    for number, sourced_id, institution, family, given, born in _moving_pupils(ctx):
        if born is None:
            continue
        for theirs, where, their_number in index.get((_fold(family), _fold(given), born), ()):
            if number and their_number:
                continue  # both have one: the same number is the same person, else not
            found.append(
                {
                    "kind": "pupil",
                    "moving": str(sourced_id),
                    "moving_institution": institution,
                    "receiving": str(theirs),
                    "receiving_institution": where,
                    "name": f"{family} {given}",
                    "birth_date": born.isoformat(),
                    "decision": None,
                }
            )
    return found + _staff_candidates(ctx)


def _staff_candidates(ctx: Context) -> list[dict]:
    """Staff without e-mail on one side (a teacher a source knows only by its own key), with
    the same name as someone on the other: no birth date to go on, so a person decides."""
    index = defaultdict(list)
    for email, sourced_id, given, family in Staff.objects.values_list(
        "email", "sourced_id", "given_name", "family_name"
    ):
        index[(_fold(given), _fold(family))].append((sourced_id, email))
    found = []
    for email, sourced_id, given, family in _moving_staff(ctx):
        for theirs, their_email in index.get((_fold(given), _fold(family)), ()):
            if email and their_email:
                continue  # both have an address: the same one joins them, else two people
            found.append(
                {
                    "kind": "staff",
                    "moving": str(sourced_id),
                    "receiving": str(theirs),
                    "name": f"{given} {family}",
                    "birth_date": None,
                    "decision": None,
                }
            )
    return found
