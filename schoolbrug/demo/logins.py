"""The demo's people, so that sharing, app access, switch view and the teacher's start page
can be tried from the browser without the CLI (issue 19).

On the first institution (by number): class-information sharing is on, accepted by the demo
login (its director, so its data manager), and two synthetic apps have access, one to every
class and one to a single class. Besides the demo login (a site admin, a superuser):

* `bestuur` / the demo password: board admin of a synthetic board that runs the first two
  institutions;
* `leerkracht` / the demo password: teacher of the first institution's first class;
* `ict` / the demo password: its ICT coordinator, with the learning platform's licences and
  a PIN class and a picture class (`platform_demo.py`).

Everything is made once and found again on the next start. Only for the demo's own database
(the demo command refuses any other).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from schoolbrug.demo import platform_demo
from schoolbrug.registry.models import Assignment, Board, Institution, SchoolClass, Staff, Teaching
from schoolbrug.roles.models import RoleGrant
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.models import App

BOARD_NAME = "Scholengroep Demo"
BOARD_ADMIN = ("bestuur", "bestuur@schoolbrug.invalid", "Bea", "Bestuur")
TEACHER = ("leerkracht", "leerkracht@schoolbrug.invalid", "Lien", "Leerkracht")
APPS = ("Demo Leerplatform", "Demo Rekenoefeningen")
ORIGIN = "demo"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    what: str


def prepare(demo_user, password: str) -> list[DemoLogin]:
    """Sharing and apps on the first school, a board admin and a teacher login; returns the
    logins besides the demo login (none without institutions)."""
    institutions = list(Institution.objects.order_by("number")[:2])
    if not institutions:
        return []
    first = institutions[0]
    if consent.active_sharing(first) is None:
        consent.activate(first, demo_user.email)
    _grant_apps(first, demo_user.email)
    board_admin = _board_admin(institutions, demo_user, password)
    teacher = _teacher(first, password)
    logins = [DemoLogin(board_admin.username, f"bestuursbeheerder van {BOARD_NAME}")]
    if teacher is not None:
        logins.append(DemoLogin(teacher.username, f"leerkracht in {first.name}"))
    ict = platform_demo.prepare(first, password, _user)
    if ict is not None:
        logins.append(DemoLogin(ict, f"ict-coördinator in {first.name} (leerplatform)"))
    return logins


def _grant_apps(institution: Institution, by: str) -> None:
    first_class = _first_class(institution)
    for name, codes in zip(APPS, ([], [first_class.code] if first_class else []), strict=True):
        app = App.objects.filter(name=name).first() or access.create_app(name)[0]
        if not app.grants.filter(institution=institution).exists():
            access.grant(app, institution, codes, by=by)


def _first_class(institution: Institution) -> SchoolClass | None:
    """The first top-level class of the institution that has pupils (not the leavers)."""
    return (
        SchoolClass.objects.filter(
            institution=institution, parent__isnull=True, is_leavers=False, is_active=True
        )
        .filter(enrolments__isnull=False)
        .order_by("-school_year__start_year", "code")
        .first()
    )


def _user(identity: tuple[str, str, str, str], password: str):
    username, email, given, family = identity
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": email, "first_name": given, "last_name": family}
    )
    if created:
        user.set_password(password)
        user.save()
    return user


def _board_admin(institutions: list[Institution], demo_user, password: str):
    board, _ = Board.objects.get_or_create(name=BOARD_NAME)
    for institution in institutions:
        if institution.board_id != board.pk:
            institution.board = board
            institution.save(update_fields=["board"])
    user = _user(BOARD_ADMIN, password)
    if not RoleGrant.objects.current().filter(user=user, board=board).exists():
        RoleGrant.objects.create(
            user=user,
            role=RoleGrant.Role.BOARD_ADMIN,
            board=board,
            granted_by=demo_user,
            ends_at=timezone.now() + datetime.timedelta(days=365),
        )
    return user


def _teacher(institution: Institution, password: str):
    school_class = _first_class(institution)
    if school_class is None:
        return None
    user = _user(TEACHER, password)
    staff, _ = Staff.objects.get_or_create(
        email=user.email, defaults={"given_name": TEACHER[2], "family_name": TEACHER[3]}
    )
    assignment, _ = Assignment.objects.get_or_create(
        staff=staff,
        institution=institution,
        role=Assignment.Role.TEACHER,
        defaults={
            "start_date": timezone.localdate() - datetime.timedelta(days=30),
            "origin": ORIGIN,
        },
    )
    Teaching.objects.get_or_create(assignment=assignment, schoolclass=school_class, end_date=None)
    return user
