"""Two small Schoolbrug worlds, one per side of a merge, written into any database alias:
every context has rows (registry, staff and roles, sharing, links, sync, audit, platform,
enrolment, accounts), and the sides overlap where a merge must notice it:

- the same staff member (same e-mail) and the same account (same e-mail): joined;
- the same pupil (national number) in a school on each side: the same person, listed;
- a pupil without national number with the same name and birth date: a candidate;
- a teacher without e-mail named like a receiving teacher: a candidate;
- the user name "directie" for two different people: a new name for the moving one;
- the app name "Leerplatform" for two different OAuth2 clients: a new name;
- the same product code and school year: joined;
- the same WISA staff id "7" for two different people: a source-id collision.

Side "receiving" has institutions 100001-100002; side "moving" 200001-200002 in community
"SG Noord" and 200003 in "SG Zuid" (so moving only 200003 splits nothing)."""

from __future__ import annotations

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import Application

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment.models import AdministrativeGroup, Lop, LopSchool, Offer
from schoolbrug.links.models import SourceLink
from schoolbrug.platform import class_codes
from schoolbrug.platform.models import (
    ClassLogin,
    Licence,
    LicenceClass,
    LicenceSeat,
    Product,
    PupilLogin,
)
from schoolbrug.registry.models import (
    AcademicSession,
    Assignment,
    Board,
    Community,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    SourceDetails,
    Staff,
    Teaching,
)
from schoolbrug.roles.models import RoleGrant
from schoolbrug.sharing.models import (
    SCOPE_DEMOGRAPHICS,
    SCOPE_ROSTER,
    SCOPE_ROSTER_CORE,
    App,
    AppGrant,
    ProtocolVersion,
    Sharing,
)
from schoolbrug.sync.apply import SCHOOL_YEAR_NAMESPACE
from schoolbrug.sync.models import SyncRun

SHARED_NATIONAL_NUMBER = "15073012345"
MOVING_APP_SECRET = "moving-secret-" + "x" * 30
MOVING_APP_CLIENT = "leesapp-client"


def _m(model, alias):
    return model.objects.db_manager(alias)


def _school_year(alias) -> SchoolYear:
    """As a sync makes it: its id derived from its start year, the same in every database."""
    year = SchoolYear.start_year_for(timezone.localdate())
    found = _m(SchoolYear, alias).filter(start_year=year).first()
    derived = uuid.uuid5(SCHOOL_YEAR_NAMESPACE, str(year))
    return found or _m(SchoolYear, alias).create(start_year=year, sourced_id=derived)


def _app(alias, name: str, client_id: str, secret: str) -> App:
    application = _m(Application, alias).create(
        name=name,
        client_id=client_id,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    scopes = f"{SCOPE_ROSTER_CORE} {SCOPE_ROSTER} {SCOPE_DEMOGRAPHICS}"
    return _m(App, alias).create(application=application, name=name, allowed_scopes=scopes)


def _sessions(alias, institution, year) -> None:
    start = datetime.date(year.start_year, 9, 1)
    term = _m(AcademicSession, alias).create(
        institution=institution, school_year=year, kind="term", title="Trimester 1",
        start_date=start, end_date=start + datetime.timedelta(days=100),
    )  # fmt: skip
    _m(AcademicSession, alias).create(
        institution=institution, school_year=year, kind="gradingPeriod", title="Rapport 1",
        start_date=start, end_date=start + datetime.timedelta(days=50), parent=term,
    )  # fmt: skip


def _school(alias, number, name, board, community, year, pupils_per_class, nn_base, side):
    institution = _m(Institution, alias).create(
        number=number, name=name, board=board, community=community
    )
    _sessions(alias, institution, year)
    classes = []
    for code, grade in (("1A", 1), ("2B", 2), ("3C", 3)):
        klass = _m(SchoolClass, alias).create(
            institution=institution, school_year=year, code=code, year=grade, curriculum="BaO"
        )
        classes.append(klass)
        for n in range(pupils_per_class):
            nn = f"{nn_base + grade * 100 + n:011d}"
            pupil = _m(Pupil, alias).create(
                institution=institution, national_number=nn, family_name=f"Fam{side}{n}",
                given_name=f"Kind{grade}", gender="F" if n % 2 else "M",
                birth_date=datetime.date(2015, 1 + n % 12, 1 + n % 28), origin="wisa",
                contacts={"mother": {"email": f"ouder{n}@{side}.test"}},
            )  # fmt: skip
            _m(Enrolment, alias).create(
                pupil=pupil, school_class=klass, school_year=year, class_number=n + 1
            )
            _m(SourceAlias, alias).create(
                source="wisa", scope=number, kind="pupil", external_id=str(n + grade * 1000),
                sourced_id=pupil.sourced_id,
            )  # fmt: skip
    _m(SchoolClass, alias).create(
        institution=institution, school_year=year, code="1A-lezen", parent=classes[0]
    )
    _m(SourceLink, alias).create(
        institution=institution, token_hash=uuid.uuid4().hex * 2, token_prefix=number[:6]
    )
    run = _m(SyncRun, alias).create(
        started_at=timezone.now(), started_by="cli", source="wisa",
        institution_number=number, status="applied", counts={"pupils": pupils_per_class * 3},
    )  # fmt: skip
    _m(AuditEntry, alias).create(
        at=timezone.now(), actor="cli", reason=f"sync run {run.pk}", sync_run=run,
        institution_number=number, entity="institution",
        entity_sourced_id=institution.sourced_id, action="create",
    )  # fmt: skip
    return institution, classes


def _staff(alias, email, given, family, institution, role, classes=(), wisa_id=None):
    staff = _m(Staff, alias).filter(email=email).first() if email else None
    if staff is None:
        staff = _m(Staff, alias).create(email=email, given_name=given, family_name=family)
    assignment = _m(Assignment, alias).create(
        staff=staff, institution=institution, role=role,
        start_date=timezone.localdate() - datetime.timedelta(days=30),
    )  # fmt: skip
    for klass in classes:
        _m(Teaching, alias).create(assignment=assignment, schoolclass=klass)
    if wisa_id:
        _m(SourceAlias, alias).create(
            source="wisa", scope="", kind="staff", external_id=wisa_id,
            sourced_id=staff.sourced_id,
        )  # fmt: skip
    return staff


def populate(alias: str, side: str, pupils_per_class: int = 4) -> dict:
    """Write one side's world into `alias`; returns what a test needs to find again."""
    moving = side == "moving"
    year = _school_year(alias)
    digit = "2" if moving else "1"
    board = _m(Board, alias).create(number=f"B{digit}00", name=f"Bestuur {side}")
    north = _m(Community, alias).create(number=f"SG{digit}N", name=f"SG Noord {side}")
    south = _m(Community, alias).create(number=f"SG{digit}Z", name=f"SG Zuid {side}")
    nn_base = 20_000_000_000 if moving else 10_000_000_000
    schools = {}
    for i, community in ((1, north), (2, north), (3, south)):
        if i == 3 and not moving:
            continue
        number = f"{digit}0000{i}"
        schools[number] = _school(
            alias, number, f"School {number}", board, community, year, pupils_per_class,
            nn_base + i * 10_000, side,
        )  # fmt: skip
    first_number = f"{digit}00001"
    first, classes = schools[first_number]
    # The same child in a school of each side.
    _m(Pupil, alias).create(
        institution=first, national_number=SHARED_NATIONAL_NUMBER, family_name="Samen",
        given_name="Sofie", birth_date=datetime.date(2014, 3, 3),
    )  # fmt: skip
    # A child without national number on the moving side, named and born as one here.
    _m(Pupil, alias).create(
        institution=first, national_number=None if moving else "11111111111",
        family_name="Dubbel", given_name="Daan", birth_date=datetime.date(2015, 5, 5),
    )  # fmt: skip
    users = get_user_model().objects.db_manager(alias)
    director = _staff(alias, f"directie@{side}.test", "Dirk", "Directeur", first, "director",
                      wisa_id="7" if moving else None)  # fmt: skip
    _staff(alias, f"juf@{side}.test", "Juf", side.title(), first, "teacher", classes[:2],
           wisa_id=None if moving else "7")  # fmt: skip
    _staff(alias, "gedeeld@scholen.test", "Gedeelde", "Leerkracht", first, "teacher", classes[2:])
    for number, (school, its_classes) in schools.items():
        if number != first_number:
            _staff(alias, f"directie{number}@{side}.test", "Dir", number, school, "director")
            _staff(alias, f"juf{number}@{side}.test", "Juf", number, school, "teacher",
                   its_classes[:1])  # fmt: skip
    # A teacher a source knows only by its key, on the moving side; named as one here.
    _staff(alias, None if moving else "meester@receiving.test", "Meester", "Zonder", first,
           "teacher", classes[:1])  # fmt: skip
    directie = users.create_user("directie", f"directie@{side}.test", "pw")
    users.create_user("gedeeld", "gedeeld@scholen.test", "pw")
    users.create_user(f"admin-{side}", f"admin@{side}.test", "pw", is_superuser=True)
    _m(RoleGrant, alias).create(user=directie, role="board_admin", board=board)
    _m(RoleGrant, alias).create(user=users.get(username=f"admin-{side}"), role="site_admin")
    shared_app = _app(alias, "Leerplatform", f"leerplatform-{side}", "secret-" + "y" * 30)
    protocol = _m(ProtocolVersion, alias).order_by("-published_at").first()
    for school, _ in schools.values():
        _m(Sharing, alias).create(
            institution=school, protocol=protocol, activated_at=timezone.now(),
            activated_by=director.email,
        )  # fmt: skip
        _m(AppGrant, alias).create(
            app=shared_app, institution=school, granted_at=timezone.now(), granted_by="x"
        )
    if moving:
        leesapp = _app(alias, "Leesapp", MOVING_APP_CLIENT, MOVING_APP_SECRET)
        for school, _ in schools.values():
            _m(AppGrant, alias).create(
                app=leesapp, institution=school, granted_at=timezone.now(), granted_by="x"
            )
        grant = _m(AppGrant, alias).get(app=shared_app, institution=first)
        grant.all_classes = False
        grant.save(using=alias)
        grant.classes.set(classes[:1])
    product = _m(Product, alias).create(code="REK", name="Rekenen", publisher="Uitgever")
    licence = _m(Licence, alias).create(institution=first, product=product, kind="group", seats=30)
    _m(LicenceClass, alias).create(licence=licence, school_class=classes[0])
    seats = _m(Licence, alias).create(institution=first, product=product, kind="child", seats=5)
    some_pupil = _m(Pupil, alias).filter(institution=first).order_by("pk").first()
    _m(LicenceSeat, alias).create(licence=seats, pupil=some_pupil)
    _m(PupilLogin, alias).create(pupil=some_pupil, pin="1234", picture="kat")
    code = "MOVE12" if moving else "HERE34"
    _m(ClassLogin, alias).create(
        school_class=classes[0], method="pictures", code=code, code_digest=class_codes.digest(code)
    )
    _m(SourceDetails, alias).create(sourced_id=some_pupil.sourced_id, kind="user", username="k1")
    lop = _m(Lop, alias).create(name="LOP Gent", slug="gent", current_year_start=year.start_year)
    school = _m(LopSchool, alias).create(lop=lop, institution=first, school_type="bao")
    group = _m(AdministrativeGroup, alias).get_or_create(code=10000, defaults={"name": "AN"})[0]
    _m(Offer, alias).create(school=school, year="current", group=group, capacity=20)
    return {"institutions": sorted(schools), "first": first_number}
