"""Who may switch class-information sharing on or off, and doing it (seed 001).

The data manager right is never granted by hand: it is every current director assignment of
the institution, from its start date to its end date (a temporary director loses it the day
after the end date and gets it back with the next staff upload that names a new assignment).
Switching on or off is logged by the audit log (`audit.changes`) as the data manager's act.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from schoolbrug.audit.context import acting
from schoolbrug.registry.models import Assignment, Enrolment, Institution

from .models import ProtocolVersion, Sharing

REASON = "protocol klasinformatie"


class RefusedError(Exception):
    """A sharing or access change this person may not make; says why in Dutch and English."""

    def __init__(self, reason_nl: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_nl = reason_nl
        self.reason_en = reason_en


class AlreadyActive(RefusedError):
    """Sharing is on already (a second click, or two at once): nothing changed."""


def current_assignments(
    email: str, institution: Institution, roles: tuple[str, ...], on: datetime.date | None = None
):
    on = on or timezone.localdate()
    return Assignment.objects.filter(
        staff__email__iexact=email.strip(),
        institution=institution,
        role__in=roles,
        start_date__lte=on,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))


def is_data_manager(email: str, institution: Institution, on: datetime.date | None = None) -> bool:
    return current_assignments(email, institution, (Assignment.Role.DIRECTOR,), on).exists()


def data_managers(institution: Institution, on: datetime.date | None = None) -> list[str]:
    """E-mail addresses of the current data managers, for the page that says who may."""
    on = on or timezone.localdate()
    return sorted(
        set(
            Assignment.objects.filter(
                institution=institution, role=Assignment.Role.DIRECTOR, start_date__lte=on
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
            .values_list("staff__email", flat=True)
        )
    )


def require_data_manager(email: str, institution: Institution) -> None:
    if is_data_manager(email, institution):
        return
    raise RefusedError(
        f"{email} is geen databeheerder van {institution.number}: alleen wie vandaag een "
        "directeursopdracht heeft in deze school mag het delen van klasinformatie activeren "
        "of stoppen. Het recht volgt uit de personeelsupload; vraag de directeur of laad een "
        "nieuwe opdracht op.",
        f"{email} is not a data manager of {institution.number}: only staff with a current "
        "director assignment there may switch class-information sharing on or off",
    )


def active_sharing(institution: Institution) -> Sharing | None:
    return (
        Sharing.objects.select_related("protocol")
        .filter(institution=institution, deactivated_at__isnull=True)
        .first()
    )


def activate(
    institution: Institution, email: str, protocol: ProtocolVersion | None = None
) -> Sharing:
    """Switch sharing on under `protocol` (default: the current version), accepted by `email`."""
    require_data_manager(email, institution)
    protocol = protocol or ProtocolVersion.current()
    if protocol is None:
        raise RefusedError("Er is nog geen protocol gepubliceerd.", "no protocol published")
    try:
        with transaction.atomic(), acting(email.strip().lower(), REASON):
            current = active_sharing(institution)
            if current is not None:
                raise _already_active(institution, current)
            sharing = Sharing.objects.create(
                institution=institution,
                protocol=protocol,
                activated_at=timezone.now(),
                activated_by=email.strip().lower(),
            )
    except IntegrityError:
        # Two requests at once both found sharing off; the one-active-period constraint let
        # one through. The other answers with what is now the case, as a second click does.
        raise _already_active(institution, active_sharing(institution)) from None
    return sharing


def _already_active(institution: Institution, current: Sharing | None) -> AlreadyActive:
    since = (
        f" (protocol {current.protocol.version}, sinds {current.activated_at:%d/%m/%Y})"
        if current is not None
        else ""
    )
    return AlreadyActive(
        f"{institution.number} deelt al klasinformatie{since}.",
        f"{institution.number} already shares class information",
    )


def deactivate(institution: Institution, email: str) -> Sharing:
    """Stop all sharing of the institution; the next API call already sees it."""
    require_data_manager(email, institution)
    with transaction.atomic(), acting(email.strip().lower(), REASON):
        sharing = active_sharing(institution)
        if sharing is None:
            raise RefusedError(
                f"{institution.number} deelt geen klasinformatie.",
                f"{institution.number} does not share class information",
            )
        sharing.deactivated_at = timezone.now()
        sharing.deactivated_by = email.strip().lower()
        sharing.save(update_fields=["deactivated_at", "deactivated_by"])
    return sharing


def consequences(institution: Institution) -> dict:
    """What stopping would stop: shown before a data manager confirms."""
    grants = list(institution.app_grants.select_related("app").order_by("app__name"))
    return {
        "apps": [grant.app.name for grant in grants],
        "pupils": Enrolment.objects.filter(
            school_class__institution=institution, pupil__is_leaver=False
        )
        .values("pupil_id")
        .distinct()
        .count(),
    }
