"""Which institutions a web user may see, in one place for every page.

A superuser sees every institution. Anyone else sees the institutions where the staff member
with their e-mail address (case-insensitive) has an assignment today, whatever the role: the
right follows from the staff upload, it is never granted by hand. Another institution's pages
answer 404, as if they did not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from schoolbrug.registry.models import Assignment, Institution
from schoolbrug.sharing import consent

# Who may give apps access to the school's classes or take it away again.
APP_MANAGER_ROLES = (Assignment.Role.DIRECTOR, Assignment.Role.ICT_COORDINATOR)


def user_email(user) -> str:
    return (getattr(user, "email", "") or "").strip()


def actor(user) -> str:
    """How the audit log names the user: the e-mail address, else the username."""
    return user_email(user).lower() or user.get_username()


def sees_everything(user) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


def institutions_for(user) -> QuerySet[Institution]:
    """The institutions `user` may see (a lazy queryset, usable as a subquery)."""
    if sees_everything(user):
        return Institution.objects.all()
    email = user_email(user) if user.is_authenticated else ""
    if not email:
        return Institution.objects.none()
    today = timezone.localdate()
    current = (
        Assignment.objects.filter(staff__email__iexact=email, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values("institution_id")
    )
    return Institution.objects.filter(pk__in=current)


def only_theirs(queryset: QuerySet, user, via: str = "institution") -> QuerySet:
    """`queryset` limited to rows of the user's institutions; `via` is the path to the
    institution (`"institution"`, `"school_class__institution"`, ...)."""
    if sees_everything(user):
        return queryset
    return queryset.filter(**{f"{via}__in": institutions_for(user)})


def only_their_numbers(queryset: QuerySet, user, field: str = "institution_number") -> QuerySet:
    """The same for rows that store an institution number (sync runs, audit entries)."""
    if sees_everything(user):
        return queryset
    return queryset.filter(**{f"{field}__in": institutions_for(user).values("number")})


def may_see(user, institution_number: str) -> bool:
    return institutions_for(user).filter(number=institution_number).exists()


def institution_or_404(user, number: str) -> Institution:
    """The institution with this number if the user works there; 404 otherwise."""
    institution = institutions_for(user).filter(number=number).first()
    if institution is None:
        raise Http404("Geen instelling met dit nummer.")
    return institution


def require_number(user, institution_number: str) -> None:
    """404 unless the user may see the institution with this number."""
    if not sees_everything(user) and not may_see(user, institution_number):
        raise Http404("Geen instelling met dit nummer.")


def may_manage_apps(user, institution: Institution) -> bool:
    """A superuser, or a director or ICT coordinator with a current assignment there."""
    if sees_everything(user):
        return True
    email = user_email(user)
    return bool(email) and (
        consent.current_assignments(email, institution, APP_MANAGER_ROLES).exists()
    )


APP_MANAGER_REFUSAL = (
    "Alleen een directeur of ict-coördinator met een lopende opdracht in deze school kan "
    "applicaties toegang geven of die toegang intrekken. Die opdracht volgt uit de "
    "personeelsupload van het administratiepakket."
)


def may_manage_subclasses(user, institution: Institution) -> bool:
    """Who may make, fill and remove subclasses: whoever may give apps access to them (a
    superuser, or a director — the data manager — or ICT coordinator with a current
    assignment there): a subclass exists to be given to an app."""
    return may_manage_apps(user, institution)


SUBCLASS_MANAGER_REFUSAL = (
    "Alleen een directeur (databeheerder) of ict-coördinator met een lopende opdracht in deze "
    "school kan subklassen maken, wijzigen of verwijderen. Die opdracht volgt uit de "
    "personeelsupload van het administratiepakket."
)
