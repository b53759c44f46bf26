"""The safety check: a broken export must not move a whole school to the leavers."""

from __future__ import annotations

from schoolbrug.sources.records import Snapshot

from .plan import Plan, PupilActionKind


def check_safety(plan: Plan, snapshot: Snapshot, threshold: float, force: bool) -> str:
    """Why this plan must not be applied (Dutch, for the school), or "" when it may."""
    if force:
        return ""
    if not snapshot.is_delta and not snapshot.pupils:
        return (
            "De export bevat geen enkele leerling. Er is niets gewijzigd. Controleer de export; "
            "is ze toch juist, start de synchronisatie dan opnieuw met --force."
        )
    leaving = plan.counts[PupilActionKind.LEAVE]
    if plan.active_before and leaving / plan.active_before > threshold:
        return (
            f"Deze export zou {leaving} van de {plan.active_before} leerlingen "
            f"({leaving / plan.active_before:.0%}) naar Schoolverlaters verplaatsen; de grens is "
            f"{threshold:.0%}. Er is niets gewijzigd. Controleer de export; is ze toch juist, "
            "start de synchronisatie dan opnieuw met --force."
        )
    return ""
