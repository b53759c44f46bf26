"""The class code: what opens a class's login screen (its pupils' names) on a tablet.

The pupils' names are personal data of minors, so /leerplatform/ shows them only on a device
the school set up: someone typed the class's code (printed on the class sheet, shown to the
class's teachers and the ICT coordinator) or a teacher pressed "Dit toestel instellen voor
deze klas" while logged in. The device then keeps a signed cookie naming the class and the
code's version for a school year; "Nieuwe klascode" raises the version, which ends every
device's access to that class at once.

The code is 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B,
6/G), easy to type for a child: 22^6 ≈ 1.1e8 codes. It is printed, so it is stored encrypted
(like the PINs); typed codes are found by a keyed digest (HMAC with the secret key), never by
decrypting every class's code. Wrong codes are counted per address with django-ratelimit
(the cache, as the portal's password reset): only wrong ones, so a school behind one address
that types its codes right is never refused.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django_ratelimit.core import get_usage

from schoolbrug.client_address import client_address

from .models import ClassLogin

ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
LENGTH = 6
COOKIE = "klassen"
SALT = "schoolbrug.platform.device"
SCHOOL_YEAR = 365 * 24 * 3600
# A tablet trolley goes round a few classes; older ones drop off the cookie first.
REMEMBERED = 6
GUESS_GROUP = "schoolbrug.platform.class_code"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalized(typed: str) -> str:
    """What a child types: lower case, spaces or a dash in between are fine."""
    return "".join(ch for ch in typed.upper() if not ch.isspace() and ch != "-")


def digest(code: str) -> str:
    return salted_hmac(SALT, code, algorithm="sha256").hexdigest()


def ensure_code(login: ClassLogin) -> ClassLogin:
    """A code for a class that has none yet (a class set up before codes existed)."""
    if not login.code_digest:
        _store_new_code(login)
    return login


def renew(login: ClassLogin) -> ClassLogin:
    """ "Nieuwe klascode": a new code and a new version; the devices set up before must be
    set up again. Audited (the code as "gewijzigd", the version from → to)."""
    login.code_version += 1
    _store_new_code(login)
    return login


def _store_new_code(login: ClassLogin) -> None:
    for _ in range(10):  # a clash of two classes' codes is rare: draw again
        code = new_code()
        login.code, login.code_digest = code, digest(code)
        try:
            with transaction.atomic():
                login.save()
            return
        except IntegrityError:
            continue
    raise RuntimeError("no free class code after 10 draws")


def _usage(request: HttpRequest, increment: bool) -> dict | None:
    return get_usage(
        request,
        group=GUESS_GROUP,
        key=lambda group, req: client_address(req) or "-",
        rate=getattr(settings, "SCHOOLBRUG_CLASS_CODE_RATE", "10/h"),
        increment=increment,
    )


def guesses_left(request: HttpRequest) -> bool:
    # Read without counting: the count so far against the limit (django-ratelimit's own
    # `should_limit` compares the count after this request's increment).
    usage = _usage(request, increment=False)
    return not usage or usage["count"] < usage["limit"]


def find(request: HttpRequest, typed: str) -> ClassLogin | None:
    """The class whose code was typed, or None (the wrong guess counted for the address)."""
    code = normalized(typed)
    login = None
    if len(code) == LENGTH and all(ch in ALPHABET for ch in code):
        login = (
            ClassLogin.objects.select_related("school_class__institution")
            .filter(code_digest=digest(code), school_class__is_active=True)
            .first()
        )
    if login is None:
        _usage(request, increment=True)
    return login


# --- the device's cookie ----------------------------------------------------------------------


def remembered(request: HttpRequest) -> dict[int, int]:
    """{class pk: code version} the device was set up for (signed; not yet checked against
    the classes' current versions)."""
    value = request.get_signed_cookie(COOKIE, default="", salt=SALT, max_age=SCHOOL_YEAR)
    found = {}
    for part in value.split(";"):
        pk, _, version = part.partition(".")
        if pk.isdigit() and version.isdigit():
            found[int(pk)] = int(version)
    return found


def allows(request: HttpRequest, class_pk: int, code_version: int) -> bool:
    return remembered(request).get(class_pk) == code_version


def remember(request: HttpRequest, response: HttpResponse, login: ClassLogin) -> None:
    """Set the device up for this class (first in the list); keeps a few others."""
    others = [(pk, v) for pk, v in remembered(request).items() if pk != login.school_class_id]
    kept = [(login.school_class_id, login.code_version), *others][:REMEMBERED]
    response.set_signed_cookie(
        COOKIE,
        ";".join(f"{pk}.{version}" for pk, version in kept),
        salt=SALT,
        max_age=SCHOOL_YEAR,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def devices_classes(request: HttpRequest) -> list[ClassLogin]:
    """The classes this device may open now (a renewed code drops its class)."""
    wanted = remembered(request)
    if not wanted:
        return []
    logins = ClassLogin.objects.select_related("school_class__institution").filter(
        school_class_id__in=wanted, school_class__is_active=True
    )
    found = {
        login.school_class_id: login
        for login in logins
        if wanted[login.school_class_id] == login.code_version
    }
    return [found[pk] for pk in wanted if pk in found]
