"""How pupils log in (seed 004 §4): per class pictures or a digit PIN, each pupil their own.

The PIN is printed on the class sheet, so it is stored encrypted (`encryption.py`, a key from
settings), never hashed, and never logged. Wrong attempts are counted per pupil and per
address with `QuerySet.update` (no audit entry per try): a pupil is locked after
`SCHOOLBRUG_PUPIL_LOGIN_LIMIT` wrong tries until a teacher or the ICT coordinator unlocks them
(or the lock ends by itself after `SCHOOLBRUG_PUPIL_LOCK_MINUTES`); an address after
`SCHOOLBRUG_ADDRESS_LOGIN_LIMIT` within the lock time.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from schoolbrug.audit.context import current
from schoolbrug.audit.models import AuditEntry
from schoolbrug.encryption import decrypt
from schoolbrug.registry.models import Pupil, SchoolClass

from . import class_codes
from .models import AddressLock, ClassLogin, LoginMethod, PupilLogin
from .pictures import NAMES

PIN_LENGTH = 4


def pupil_limit() -> int:
    return getattr(settings, "SCHOOLBRUG_PUPIL_LOGIN_LIMIT", 5)


# A whole school often shares one address, and at nine its children's typos add up there;
# an outsider cannot try at all without a class's code (class_codes.py), and one with it is
# held by each pupil's own limit. So the address limit only caps a spree across classes.
ADDRESS_LOGIN_LIMIT = 200


def address_limit() -> int:
    return getattr(settings, "SCHOOLBRUG_ADDRESS_LOGIN_LIMIT", ADDRESS_LOGIN_LIMIT)


def lock_time() -> datetime.timedelta:
    return datetime.timedelta(minutes=getattr(settings, "SCHOOLBRUG_PUPIL_LOCK_MINUTES", 60))


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))


def valid_pin(pin: str) -> bool:
    return len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def class_pupils(school_class: SchoolClass):
    """The class's pupils in class-number order (the order of the sheet and the login page):
    enrolled in it in its own school year, no leavers (`_LOGIN_SQL` asks the same)."""
    return (
        Pupil.objects.filter(
            enrolments__school_class=school_class,
            enrolments__school_year=school_class.school_year_id,
            is_leaver=False,
        )
        .order_by(F("enrolments__class_number").asc(nulls_last=True), "family_name", "given_name")
        .annotate(class_number=F("enrolments__class_number"))
    )


def method_of(school_class: SchoolClass) -> str:
    login = ClassLogin.objects.filter(school_class=school_class).first()
    return login.method if login else ""


@transaction.atomic
def set_method(school_class: SchoolClass, method: str) -> ClassLogin:
    """ "Wijzig login methode voor de groep"; gives every pupil a PIN and a picture."""
    if method not in LoginMethod.values:
        raise ValueError(f"unknown login method {method!r}")
    code = class_codes.new_code()  # one audit entry for a new class: method and code at once
    login, created = ClassLogin.objects.get_or_create(
        school_class=school_class,
        defaults={"method": method, "code": code, "code_digest": class_codes.digest(code)},
    )
    if not created and login.method != method:
        login.method = method
        login.save()  # logged by audit.changes
    class_codes.ensure_code(login)
    ensure_logins(school_class)
    return login


def ensure_logins(school_class: SchoolClass) -> int:
    """A PIN and a picture for each pupil of the class who has none yet; returns how many.
    Saved one by one through the ORM (a class is a few dozen pupils): each is logged, the
    PIN as "gewijzigd" only."""
    missing = class_pupils(school_class).filter(platform_login__isnull=True)
    made = 0
    for pupil in missing:
        try:
            with transaction.atomic():
                PupilLogin.objects.create(pupil=pupil, pin=new_pin(), picture=_picture())
                made += 1
        except IntegrityError:  # made meanwhile by another request: keep that one
            continue
    return made


def logins_for_newcomers(institution_pks, named=None) -> int:
    """A PIN and a picture, in bulk, for every current pupil of these institutions in a class
    with a login method who has none yet (the sync's new pupils); each logged on the pupil,
    the PIN as "gewijzigd" only, with `named(institution_pk)` → (actor, reason) (default: the
    current audit context). One query for the whole batch of a region night. Returns how many."""
    pupils = list(
        Pupil.objects.filter(
            institution_id__in=list(institution_pks),
            is_leaver=False,
            platform_login__isnull=True,
            enrolments__school_class__platform_login__isnull=False,
        )
        .select_related("institution")
        .distinct()
    )
    if not pupils:
        return 0
    logins = [PupilLogin(pupil=p, pin=new_pin(), picture=_picture()) for p in pupils]
    PupilLogin.objects.bulk_create(logins, batch_size=1000)
    context, now = current(), timezone.now()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                at=now,
                actor=who[0],
                reason=who[1],
                institution_number=login.pupil.institution.number,
                entity="pupil",
                entity_sourced_id=login.pupil.sourced_id,
                action=AuditEntry.Action.UPDATE,
                changes={"pin": [None, "gewijzigd"], "picture": [None, login.picture]},
            )
            for login in logins
            for who in [
                named(login.pupil.institution_id)
                if named
                else (context.actor_name(), context.reason_text())
            ]
        ],
        batch_size=1000,
    )
    return len(logins)


def _picture() -> str:
    return secrets.choice(NAMES)


def change_pin(pupil: Pupil, pin: str) -> None:
    if not valid_pin(pin):
        raise ValueError("a PIN is four digits")
    login = PupilLogin.objects.get(pupil=pupil)
    login.pin = pin
    login.save()


def change_picture(pupil: Pupil, picture: str) -> None:
    if picture not in NAMES:
        raise ValueError("unknown picture")
    login = PupilLogin.objects.get(pupil=pupil)
    login.picture = picture
    login.save()


def is_locked(login: PupilLogin, now=None) -> bool:
    return login.locked_until is not None and login.locked_until > (now or timezone.now())


def unlock(pupil: Pupil) -> bool:
    """A teacher or the ICT coordinator lets the pupil try again; logged with who did it."""
    unlocked = PupilLogin.objects.filter(pupil=pupil, locked_until__isnull=False).update(
        failed_attempts=0, locked_until=None
    )
    if unlocked:
        context = current()
        AuditEntry.objects.create(
            at=timezone.now(),
            actor=context.actor_name(),
            reason=context.reason_text(),
            institution_number=pupil.institution.number,
            entity="pupil",
            entity_sourced_id=pupil.sourced_id,
            action=AuditEntry.Action.UPDATE,
            changes={"vergrendeld": [True, False]},
        )
    return bool(unlocked)


# --- the attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    ok: bool
    # "" when ok; else "wrong", "pupil_locked" or "address_locked"
    refusal: str = ""

    @property
    def message(self) -> str:
        return MESSAGES.get(self.refusal, "")


MESSAGES = {
    "wrong": "Dat klopt niet. Probeer het nog eens.",
    "pupil_locked": "Je kunt nu niet inloggen. Vraag je juf of meester om je te helpen.",
    "address_locked": "Op dit toestel is te vaak fout ingelogd. Wacht even of vraag je juf "
    "of meester om hulp.",
}


# The log-in's one statement: the pupil's login, their class's method, and whether the
# address is locked. The pupil must be one `class_pupils` offers: enrolled in the class in
# its school year, not a leaver. Raw SQL because at nine whole schools log in at once: on
# PostgreSQL it is a prepared statement (planning these joins cost ten times running them),
# elsewhere the ORM's cursor runs the same text.
_LOGIN_SQL = """
SELECT l.id, l.pupil_id, l.pin, l.picture, l.failed_attempts, l.locked_until, c.method,
       k.id, c.code_version,
       EXISTS (SELECT 1 FROM platform_addresslock a
               WHERE a.address = %s AND a.locked_until > %s)
FROM registry_pupil p
JOIN platform_pupillogin l ON l.pupil_id = p.id
JOIN registry_enrolment e ON e.pupil_id = p.id
JOIN registry_schoolclass k ON k.id = e.school_class_id AND k.school_year_id = e.school_year_id
JOIN platform_classlogin c ON c.school_class_id = k.id
WHERE p.sourced_id = %s AND NOT p.is_leaver AND k.sourced_id = %s AND k.is_active
LIMIT 1
"""


@dataclass(frozen=True)
class LoginRow:
    pk: int
    pupil_id: int
    pin: str
    picture: str
    failed_attempts: int
    locked_until: datetime.datetime | None
    method: str
    class_pk: int
    code_version: int
    address_locked: bool


def login_for(class_id, pupil_id, address: str, now=None) -> LoginRow | None:
    """The login of pupil `pupil_id` in class `class_id`, with the class's method and whether
    `address` is locked now, in one statement."""
    now = now or timezone.now()
    uuid_field = Pupil._meta.get_field("sourced_id")
    params = [
        address,
        now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now),
        uuid_field.get_db_prep_value(pupil_id, connection),
        uuid_field.get_db_prep_value(class_id, connection),
    ]
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            row = cursor.execute(_LOGIN_SQL, params, prepare=True).fetchone()
    else:
        with connection.cursor() as cursor:
            cursor.execute(_LOGIN_SQL, params)
            row = cursor.fetchone()
    if row is None:
        return None
    pk, pupil_pk, pin, picture, failed, locked_until, method, class_pk, version, address_locked = (
        row
    )
    if isinstance(locked_until, str):  # SQLite: text or a naive datetime, in UTC
        locked_until = parse_datetime(locked_until)
    if locked_until is not None and timezone.is_naive(locked_until):
        locked_until = locked_until.replace(tzinfo=datetime.UTC)
    return LoginRow(
        pk,
        pupil_pk,
        decrypt(pin) if pin else "",
        picture,
        failed,
        locked_until,
        method,
        class_pk,
        version,
        bool(address_locked),
    )


def attempt(login: LoginRow | None, answer: str, address: str, now=None) -> Attempt:
    """Check a pupil's PIN or picture (`login.method`) from `address`. Counts a wrong answer;
    never logs it."""
    now = now or timezone.now()
    if login is None:
        if _address_locked(address, now):
            return Attempt(False, "address_locked")
        return Attempt(False, "wrong")
    if login.address_locked:
        return Attempt(False, "address_locked")
    if login.locked_until is not None and login.locked_until > now:
        return Attempt(False, "pupil_locked")
    expected = login.pin if login.method == LoginMethod.PIN else login.picture
    if expected and hmac.compare_digest(expected.encode(), str(answer).encode()):
        if login.failed_attempts:
            PupilLogin.objects.filter(pk=login.pk).update(failed_attempts=0)
        return Attempt(True)
    _count_failure(login, address, now)
    return Attempt(False, "wrong")


def _count_failure(login: PupilLogin, address: str, now) -> None:
    PupilLogin.objects.filter(pk=login.pk).update(failed_attempts=F("failed_attempts") + 1)
    PupilLogin.objects.filter(pk=login.pk, failed_attempts__gte=pupil_limit()).update(
        locked_until=now + lock_time()
    )
    if not address:
        return
    window_start = now - lock_time()
    lock, created = AddressLock.objects.get_or_create(
        address=address, defaults={"failed_attempts": 1, "first_failure_at": now}
    )
    if created:
        return
    if lock.first_failure_at < window_start:  # an old count: start again
        AddressLock.objects.filter(pk=lock.pk).update(
            failed_attempts=1, first_failure_at=now, locked_until=None
        )
        return
    AddressLock.objects.filter(pk=lock.pk).update(failed_attempts=F("failed_attempts") + 1)
    AddressLock.objects.filter(pk=lock.pk, failed_attempts__gte=address_limit()).update(
        locked_until=now + lock_time()
    )


def _address_locked(address: str, now) -> bool:
    return (
        bool(address) and AddressLock.objects.filter(address=address, locked_until__gt=now).exists()
    )


def login_rows(school_class: SchoolClass) -> list[tuple[Pupil, PupilLogin | None]]:
    """The class's pupils with their logins (the codes view and the class sheet)."""
    pupils = list(class_pupils(school_class).select_related("platform_login"))
    return [(p, getattr(p, "platform_login", None)) for p in pupils]
