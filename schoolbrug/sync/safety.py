"""The safety checks: a broken export must not move a whole school to the leavers, nor
rewrite most of it (a wrong school's file, columns shifted, a package that renumbered)."""

from __future__ import annotations

from schoolbrug.sources.records import Snapshot

from .plan import Plan, PupilAction, PupilActionKind


def check_safety(
    plan: Plan, snapshot: Snapshot, threshold: float, change_threshold: float, force: bool
) -> str:
    """Why this plan must not be applied (Dutch, for the school), or "" when it may."""
    if force:
        return ""
    if not snapshot.is_delta and not snapshot.pupils:
        return (
            "De export bevat geen enkele leerling. Er is niets gewijzigd. Controleer de export; "
            "is ze toch juist, start de synchronisatie dan opnieuw met --force."
        )
    active = plan.active_before
    leaving = plan.counts[PupilActionKind.LEAVE]
    if active and leaving / active > threshold:
        return (
            f"Deze export zou {leaving} van de {active} leerlingen ({leaving / active:.0%}) "
            f"naar Schoolverlaters verplaatsen; de grens is {threshold:.0%}. Er is niets "
            f"gewijzigd. {CHECK_OR_FORCE}"
        )
    changing = _changing(plan, change_threshold)
    if changing:
        return (
            f"Deze export zou {changing} van de {active} leerlingen ({changing / active:.0%}) "
            f"wijzigen of naar een andere klas verplaatsen; de grens is {change_threshold:.0%}. "
            f"Er is niets gewijzigd. Is dit wel de export van deze school? {CHECK_OR_FORCE}"
        )
    return ""


CHECK_OR_FORCE = (
    "Controleer de export; is ze toch juist, start de synchronisatie dan opnieuw met --force."
)


def _changing(plan: Plan, change_threshold: float) -> int:
    """How many active pupils the plan updates or moves, when that is more than the share
    allowed; 0 otherwise. A first sync (no active pupils) changes none. Not counted: a pupil
    placed in a class for the first time this school year (the year's first sync places all),
    nor one whose record only changes hands (adopted by another source, or given the source's
    new id): their data stays as it is.
    """
    active = plan.active_before
    counts = plan.counts
    if not active or counts[PupilActionKind.UPDATE] + counts[PupilActionKind.MOVE] <= (
        change_threshold * active
    ):
        return 0  # the common night: decided on the counts alone
    changing = sum(1 for action in plan.pupil_actions if _changes_data(action))
    return changing if changing > change_threshold * active else 0


def _changes_data(action: PupilAction) -> bool:
    if action.kind is PupilActionKind.MOVE:
        return action.state.class_code is not None
    return action.kind is PupilActionKind.UPDATE and any(
        name != "source_id" for name in action.changes
    )
