"""Who must approve a plan, who did, and recording a yes.

Every director involved approves the plan by its digest (seed 003 asks for a signed paper form;
here a click in the portal or `schoolbrug merge approve`). The receiving side's directors
approve in this database; the moving side's in their own Schoolbrug, so their approvals are
read from the source database at execute (`missing(plan, source_alias=...)`). A plan edited
after an approval has another digest: the approval does not count for it.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from schoolbrug.registry.models import Institution
from schoolbrug.roles.permissions import is_director_of

from .errors import MergeRefused
from .models import MergeApproval
from .records import register


class Approver(NamedTuple):
    email: str  # lower case
    institution: str  # institution number
    side: str  # "receiving" | "moving"


def approvers(plan: dict) -> list[Approver]:
    """The plan's approvers (its `approvers` list), e-mail addresses in lower case."""
    return [
        Approver(str(item["email"]).strip().lower(), str(item["institution"]), str(item["side"]))
        for item in plan.get("approvers") or []
    ]


def given(plan: dict, *, source_alias: str | None = None) -> dict[Approver, MergeApproval]:
    """The approvals that count for this plan: the receiving side's from this database, the
    moving side's from the source database (when `source_alias` names its connection)."""
    found: dict[Approver, MergeApproval] = {}
    places = [("default", MergeApproval.Side.RECEIVING)]
    if source_alias:
        places.append((source_alias, MergeApproval.Side.MOVING))
    wanted = set(approvers(plan))
    for alias, side in places:
        rows = MergeApproval.objects.using(alias).filter(digest=plan["digest"], side=side)
        for row in rows:
            key = Approver(row.email.lower(), row.institution_number, row.side)
            if key in wanted:
                found[key] = row
    return found


def recorded_here(plan: dict) -> dict[Approver, MergeApproval]:
    """The approvals of this plan recorded in this database, of either side (what its pages
    and `status` show: in the source database, the moving side approves)."""
    wanted = set(approvers(plan))
    found = {}
    for row in MergeApproval.objects.filter(digest=plan["digest"]):
        key = Approver(row.email.lower(), row.institution_number, row.side)
        if key in wanted:
            found[key] = row
    return found


def missing(plan: dict, *, source_alias: str | None = None) -> list[Approver]:
    """The approvers whose approval is not (yet) there, in the plan's order."""
    there = given(plan, source_alias=source_alias)
    return [approver for approver in approvers(plan) if approver not in there]


def missing_sentence(missing_ones: list[Approver]) -> str:
    """'Nog goed te keuren door: a@x.be (instelling 012345, verhuizende databank), ...'."""
    sides = dict(MergeApproval.Side.choices)
    names = ", ".join(
        f"{a.email} (instelling {a.institution}, {sides.get(a.side, a.side)})" for a in missing_ones
    )
    return f"Nog goed te keuren door: {names}."


def approvable_by(plan: dict, email: str) -> list[Approver]:
    """The approver entries `email` may approve here: theirs, for an institution of this
    database where they are director today."""
    email = email.strip().lower()
    here = set(Institution.objects.values_list("number", flat=True))
    return [
        a
        for a in approvers(plan)
        if a.email == email and a.institution in here and is_director_of(email, a.institution)
    ]


def approve(plan: dict, email: str, *, via: str) -> list[MergeApproval]:
    """Record `email`'s approval of the plan for each of their institutions in this database
    (again: nothing new). Refused, with nothing written, for anyone the plan does not name as
    a director of an institution here today."""
    email = email.strip().lower()
    mine = [a for a in approvers(plan) if a.email == email]
    if not mine:
        raise MergeRefused(
            f"{email} staat niet in de lijst van wie dit plan moet goedkeuren (de directeurs "
            "van elke betrokken instelling).",
            "approval refused: not among the plan's approvers",
        )
    allowed = approvable_by(plan, email)
    if not allowed:
        numbers = ", ".join(a.institution for a in mine)
        raise MergeRefused(
            f"{email} is vandaag geen directeur van instelling {numbers} in deze databank. "
            "Keur het plan goed in de Schoolbrug van je eigen school; de directeursopdracht "
            "volgt uit de personeelsupload.",
            "approval refused: no director assignment here today",
        )
    recorded = []
    with transaction.atomic():
        register(plan, by=email)
        for approver in allowed:
            approval, _ = MergeApproval.objects.get_or_create(
                digest=plan["digest"],
                email=approver.email,
                institution_number=approver.institution,
                defaults={"side": approver.side, "via": via, "at": timezone.now()},
            )
            recorded.append(approval)
    return recorded
