"""Who may see what, in one place for every page and every app that asks.

Roles granted by hand (`models.RoleGrant`, granted by a site admin in the portal, audited,
and counted only between their start and their end):

* a site admin runs the service and sees everything. A Django superuser counts as a site
  admin (the operator's account from `createsuperuser`), without a grant;
* a board admin (seed 003's "centrale beheerder") sees every institution of one board as a
  whole (every class and pupil, not the care record), may invite people there and see the
  portal as one of them; a board admin is no data manager and gives apps no access.

School roles are never granted by hand: a person sees the institutions where the staff member
with their e-mail address (case-insensitive) has an assignment today, whatever the role; the
right follows from the staff upload and ends with the assignment. Another institution's pages
answer 404, as if they did not exist.

Pupils and classes, per role (what a school's data protection officer expects):

* a director (so its data manager), an ICT coordinator, the secretariat and the care team
  see the whole school: every class and pupil, contacts included, and its sync runs;
* a teacher sees only the classes they teach today (teaching links that count today,
  `Teaching.active_on`, and the subclasses of those) and those classes' pupils (a
  subclass's: its current members); another
  pupil's or class's page answers 404, searches and lists leave them out, and the history
  shows only what concerns them; a teacher sees no sync runs (their reports name every
  pupil of the school);
* the care record (zorgfiche) is for the school's care team and the pupil's teachers today
  (of their class, or of a subclass they are a member of now: the teacher who gives the
  extra time at a test), only (issue 21): not the director, the ICT coordinator, the
  secretariat, a board admin or a site admin, nor a teacher of another class, and not its
  changes in the history either. Care data are the most sensitive a school keeps on a minor;
  who needs them to help the child are those two, and a director who needs them is in the
  care team by assignment (the SIS says so, not this module).

A person with several assignments in a school has the rights of all of them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment.rights import RIGHT_FIELDS, school_admin_rights
from schoolbrug.registry.language import activate_for
from schoolbrug.registry.models import (
    Assignment,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SubclassMembership,
    Teaching,
)
from schoolbrug.sharing import consent

from .models import RoleGrant

# Who may give apps access to the school's classes or take it away again.
APP_MANAGER_ROLES = (Assignment.Role.DIRECTOR, Assignment.Role.ICT_COORDINATOR)
# Who sees every class and pupil of the school (a teacher sees the classes they teach).
WHOLE_SCHOOL_ROLES = (
    Assignment.Role.DIRECTOR,
    Assignment.Role.ICT_COORDINATOR,
    Assignment.Role.SECRETARY,
    Assignment.Role.CARE_TEAM,
)
# Who sees the care record of every pupil of the school (a teacher: of their class's pupils).
CARE_RECORD_ROLES = (Assignment.Role.CARE_TEAM,)


def user_email(user) -> str:
    return (getattr(user, "email", "") or "").strip()


def actor(user) -> str:
    """How the audit log names the user: the e-mail address, else the username."""
    return user_email(user).lower() or user.get_username()


def is_site_admin(user) -> bool:
    """A superuser, or a person with a current site admin grant."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return RoleGrant.objects.current().filter(user=user, role=RoleGrant.Role.SITE_ADMIN).exists()


def may_use_django_admin(user) -> bool:
    """Django's admin (/admin/) is a tool for whoever runs the installation: superusers only.
    A staff flag alone, or a granted site admin role, does not open it; the portal's pages
    are where schools work."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def sees_everything(user) -> bool:
    return is_site_admin(user)


def board_admin_boards(user) -> QuerySet:
    """The ids of the boards `user` is board admin of now (a lazy subquery)."""
    if not user.is_authenticated:
        return RoleGrant.objects.none().values("board_id")
    return (
        RoleGrant.objects.current()
        .filter(user=user, role=RoleGrant.Role.BOARD_ADMIN)
        .values("board_id")
    )


def board_institutions(user) -> QuerySet[Institution]:
    """The institutions of the boards `user` is board admin of now."""
    return Institution.objects.filter(board_id__in=board_admin_boards(user))


def is_board_admin(user) -> bool:
    return board_admin_boards(user).exists()


def _assignments_today(user, roles: tuple[str, ...] | None = None) -> QuerySet[Assignment]:
    """The user's assignments that run today (of these roles), found by e-mail address."""
    email = user_email(user) if user.is_authenticated else ""
    if not email:
        return Assignment.objects.none()
    today = timezone.localdate()
    current = Assignment.objects.filter(staff__email__iexact=email, start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )
    return current if roles is None else current.filter(role__in=roles)


def institutions_for(user) -> QuerySet[Institution]:
    """The institutions `user` may see (a lazy queryset, usable as a subquery)."""
    if sees_everything(user):
        return Institution.objects.all()
    return Institution.objects.filter(
        Q(pk__in=_assignments_today(user).values("institution_id"))
        | Q(board_id__in=board_admin_boards(user))
    )


def whole_school_institutions(user) -> QuerySet[Institution]:
    """The institutions whose every class and pupil `user` sees (WHOLE_SCHOOL_ROLES)."""
    if sees_everything(user):
        return Institution.objects.all()
    current = _assignments_today(user, WHOLE_SCHOOL_ROLES)
    return Institution.objects.filter(
        Q(pk__in=current.values("institution_id")) | Q(board_id__in=board_admin_boards(user))
    )


def sees_whole_school(user, institution: Institution) -> bool:
    return whole_school_institutions(user).filter(pk=institution.pk).exists()


def taught_classes(user) -> QuerySet[SchoolClass]:
    """The classes `user` teaches today (links that count today, of their own e-mail
    address) and the subclasses below them."""
    email = user_email(user) if user.is_authenticated else ""
    if not email:
        return SchoolClass.objects.none()
    taught = (
        Teaching.objects.active_on(timezone.localdate())
        .filter(assignment__staff__email__iexact=email)
        .values("schoolclass_id")
    )
    return SchoolClass.objects.filter(
        Q(pk__in=taught) | Q(parent_id__in=taught) | Q(parent__parent_id__in=taught)
    )


def only_their_classes(queryset: QuerySet, user, via: str = "") -> QuerySet:
    """`queryset` limited to the classes `user` sees: all of a whole-school institution, the
    ones they teach elsewhere. `via` is the path to the class ("school_class__", ...)."""
    if sees_everything(user):
        return queryset
    return queryset.filter(
        Q(**{f"{via}institution__in": whole_school_institutions(user)})
        | Q(**{f"{via}pk__in": taught_classes(user).values("pk")})
    )


def only_their_pupils(queryset: QuerySet, user, via: str = "") -> QuerySet:
    """`queryset` limited to the pupils `user` sees: all of a whole-school institution, the
    pupils enrolled in a class they teach elsewhere. `via` is the path to the pupil."""
    if sees_everything(user):
        return queryset
    return queryset.filter(
        Q(**{f"{via}institution__in": whole_school_institutions(user)}) | taught_pupils(user, via)
    )


def taught_pupils(user, via: str = "") -> Q:
    """The pupils in the classes `user` teaches today: enrolled in such a class, or a current
    member of such a subclass (a subclass's members are not enrolled in it)."""
    classes = taught_classes(user)
    enrolled = Enrolment.objects.filter(school_class__in=classes).values("pupil_id")
    members = SubclassMembership.objects.filter(subclass__in=classes, ended_at__isnull=True).values(
        "pupil_id"
    )
    return Q(**{f"{via}pk__in": enrolled}) | Q(**{f"{via}pk__in": members})


def may_see_care_record(user, pupil: Pupil) -> bool:
    """A care team member of the pupil's school, or one of the pupil's teachers today (of
    their class or a subclass they belong to); nobody else (not the director, the ICT
    coordinator, the secretariat or a site admin)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if (
        _assignments_today(user, CARE_RECORD_ROLES)
        .filter(institution_id=pupil.institution_id)
        .exists()
    ):
        return True
    return Pupil.objects.filter(taught_pupils(user), pk=pupil.pk).exists()


def care_record_shown(user) -> Callable[[AuditEntry], bool]:
    """Whether the history shows an entry's care record changes to `user`: in the schools
    where they are in the care team, and elsewhere only for the pupils they teach. By school
    alone, someone who teaches one class and sees the whole school for another role (an ICT
    coordinator who teaches) saw every pupil's."""
    if not (user.is_authenticated and user.is_active):
        return lambda entry: False
    numbers = set(
        _assignments_today(user, CARE_RECORD_ROLES).values_list("institution__number", flat=True)
    )
    pupils = set(Pupil.objects.filter(taught_pupils(user)).values_list("sourced_id", flat=True))
    return lambda entry: (
        entry.institution_number in numbers
        or (entry.entity == "pupil" and entry.entity_sourced_id in pupils)
    )


def only_their_audit(queryset: QuerySet, user) -> QuerySet:
    """Audit entries of the whole-school institutions, and elsewhere only those about a
    pupil or class `user` sees."""
    if sees_everything(user):
        return queryset
    pupils = only_their_pupils(Pupil.objects.all(), user).values("sourced_id")
    classes = only_their_classes(SchoolClass.objects.all(), user).values("sourced_id")
    return queryset.filter(
        Q(institution_number__in=whole_school_institutions(user).values("number"))
        | Q(entity="pupil", entity_sourced_id__in=pupils)
        | Q(entity="class", entity_sourced_id__in=classes)
    )


def only_theirs(queryset: QuerySet, user, via: str = "institution") -> QuerySet:
    """`queryset` limited to rows of the user's institutions; `via` is the path to the
    institution (`"institution"`, `"school_class__institution"`, ...)."""
    if sees_everything(user):
        return queryset
    return queryset.filter(**{f"{via}__in": institutions_for(user)})


def only_their_numbers(queryset: QuerySet, user, field: str = "institution_number") -> QuerySet:
    """The same for rows that store an institution number and name pupils of the whole school
    (sync runs): only of the institutions the user sees whole."""
    if sees_everything(user):
        return queryset
    return queryset.filter(**{f"{field}__in": whole_school_institutions(user).values("number")})


def may_see(user, institution_number: str) -> bool:
    return institutions_for(user).filter(number=institution_number).exists()


def institution_or_404(user, number: str) -> Institution:
    """The institution with this number if the user works there; 404 otherwise."""
    institution = institutions_for(user).filter(number=number).first()
    if institution is None:
        raise Http404("Geen instelling met dit nummer.")
    activate_for(institution.country)  # its pages speak its country's words
    return institution


def require_number(user, institution_number: str) -> None:
    """404 unless the user sees the whole institution with this number (a sync run's report
    names every pupil of the school)."""
    if sees_everything(user):
        return
    if not whole_school_institutions(user).filter(number=institution_number).exists():
        raise Http404("Geen instelling met dit nummer.")


def may_manage_apps(user, institution: Institution) -> bool:
    """A site admin, or a director or ICT coordinator with a current assignment there."""
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
    site admin, or a director — the data manager — or ICT coordinator with a current
    assignment there): a subclass exists to be given to an app."""
    return may_manage_apps(user, institution)


SUBCLASS_MANAGER_REFUSAL = (
    "Alleen een directeur (databeheerder) of ict-coördinator met een lopende opdracht in deze "
    "school kan subklassen maken, wijzigen of verwijderen. Die opdracht volgt uit de "
    "personeelsupload van het administratiepakket."
)


def administers_people(user) -> bool:
    """A site admin, or a board admin: may invite people and see the portal as one of them."""
    return is_site_admin(user) or is_board_admin(user)


# Who may upload a school's staff list in the portal (seed 001: the school's administration
# keeps it; the board's central administrator for its schools).
STAFF_UPLOAD_ROLES = (
    Assignment.Role.DIRECTOR,
    Assignment.Role.ICT_COORDINATOR,
    Assignment.Role.SECRETARY,
)


def may_upload_staff(user, institution: Institution) -> bool:
    """A site admin, a board admin of the institution's board, or a director, ICT
    coordinator or secretary with a current assignment there (never a teacher or the care
    team: the list gives people their rights, data manager included)."""
    if sees_everything(user):
        return True
    if board_institutions(user).filter(pk=institution.pk).exists():
        return True
    return _assignments_today(user, STAFF_UPLOAD_ROLES).filter(institution=institution).exists()


# The learning platform (platform/): its admin is the ICT coordinator's (seed 004 §3.2: "Alleen
# als je rechten hebt als ict-coördinator krijg je toegang tot dit beheerdeel").
PLATFORM_ADMIN_ROLES = (Assignment.Role.ICT_COORDINATOR,)

PLATFORM_ADMIN_REFUSAL = (
    "Alleen een ict-coördinator met een lopende opdracht in deze school kan het beheer van het "
    "leerplatform openen. Die opdracht volgt uit de personeelsupload van het administratiepakket."
)
CLASS_LOGIN_REFUSAL = (
    "Alleen de leerkrachten van deze groep en de ict-coördinator zien de inloggegevens van de "
    "leerlingen en kunnen ze wijzigen."
)


def may_administer_platform(user, institution: Institution) -> bool:
    """A site admin, or an ICT coordinator with a current assignment in the institution."""
    if sees_everything(user):
        return True
    return _assignments_today(user, PLATFORM_ADMIN_ROLES).filter(institution=institution).exists()


def may_manage_class_logins(user, school_class: SchoolClass) -> bool:
    """The class's pupils' codes (see, change, print, unlock): its teachers today and the ICT
    coordinator of its school (and a site admin)."""
    if may_administer_platform(user, school_class.institution):
        return True
    return taught_classes(user).filter(pk=school_class.pk).exists()


def may_print_badges(user, school_class: SchoolClass) -> bool:
    """A class's scan badges (name, class and the stable id of each pupil): the staff who see
    the class, that is its teachers today, the whole school's staff (director, secretary,
    care team, ICT coordinator), a board admin of its board and a site admin."""
    return only_their_classes(SchoolClass.objects.filter(pk=school_class.pk), user).exists()


# --- the enrolment site of a LOP (enrolment/, seed 002) -----------------------------------
#
# Parents read a LOP's public page without logging in. A LOP expert keeps all of one LOP
# (every school's offer, the rights, the school admins); a school admin edits the offer of the
# schools they were granted, only the fields the LOP opened for that school type and period
# (`enrolment.rights`); a site admin acts as expert of every LOP.


def _lop_grants(user, role: str) -> QuerySet:
    if not (user.is_authenticated and user.is_active):
        return RoleGrant.objects.none()
    return RoleGrant.objects.current().filter(user=user, role=role)


def expert_lops(user) -> QuerySet:
    """The ids of the LOPs `user` is expert of now (a lazy subquery)."""
    return _lop_grants(user, RoleGrant.Role.LOP_EXPERT).values("lop_id")


def is_lop_expert(user, lop) -> bool:
    """A site admin, or a LOP expert of this LOP."""
    return is_site_admin(user) or expert_lops(user).filter(lop_id=lop.pk).exists()


def administered_lop_schools(user) -> QuerySet:
    """The ids of the LOP schools `user` is school admin of now (a lazy subquery)."""
    return _lop_grants(user, RoleGrant.Role.SCHOOL_ADMIN).values("lop_school_id")


def may_edit_lop_school(user, school) -> bool:
    """Whether `user` may open the edit page of a LOP school at all."""
    return (
        is_lop_expert(user, school.lop)
        or administered_lop_schools(user).filter(lop_school_id=school.pk).exists()
    )


def lop_rights_for(user, school, year: str, today=None) -> frozenset[str] | None:
    """What `user` may change in `school`'s offer for `year` (current/next): None for no
    limit (the LOP's expert, a site admin), else the rights of `enrolment.rights.RIGHTS` the
    LOP opened for a school admin of that type in today's period (empty for anyone else)."""
    if is_lop_expert(user, school.lop):
        return None
    if not administered_lop_schools(user).filter(lop_school_id=school.pk).exists():
        return frozenset()
    return school_admin_rights(school, year, today or timezone.localdate())


def lop_fields_allowed(user, school, year: str, today=None) -> frozenset[str] | None:
    """The offer fields `user` may change (None: all), from `lop_rights_for`."""
    rights = lop_rights_for(user, school, year, today)
    if rights is None:
        return None
    return frozenset(field for right in rights for field in RIGHT_FIELDS[right])


# --- a database merge (merge/, issue 23, seed 003) ----------------------------------------
#
# The directors of every institution involved approve the plan (merge/approvals.py); only the
# receiving board's board admin — the one login across the merged board, seed 003's "centrale
# beheerder" — starts it or rolls it back. A site admin runs the installation, not the board,
# and does not start a merge for it.

MERGE_START_REFUSAL = (
    "Alleen de bestuursbeheerder (centrale beheerder) van het ontvangende schoolbestuur kan "
    "een samenvoeging starten of terugzetten. Een sitebeheerder kent die rol toe bij "
    "Personen."
)


def may_start_merge(user, receiving_board) -> bool:
    """A current board admin of `receiving_board` (a registry Board; None: nobody)."""
    if receiving_board is None or not (user.is_authenticated and user.is_active):
        return False
    return board_admin_boards(user).filter(board_id=receiving_board.pk).exists()


def is_director_of(user_or_email, institution_number: str) -> bool:
    """Whether the person (a user, or an e-mail address) has a director assignment today in
    the institution with this number (in this database)."""
    email = user_or_email if isinstance(user_or_email, str) else user_email(user_or_email)
    if not email:
        return False
    today = timezone.localdate()
    return (
        Assignment.objects.filter(
            staff__email__iexact=email.strip(),
            role=Assignment.Role.DIRECTOR,
            institution__number=institution_number,
            start_date__lte=today,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exists()
    )
