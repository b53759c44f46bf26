"""A pupil's session: a signed cookie holding their id, not a row in the session table.

A pupil has no portal account and no rights beyond their own products page, and at nine in
the morning a region logs in at once: a signed cookie (HMAC with the secret key, Django's
`signing`) costs no database write per log-in. It lasts a school day and is cleared by
"Afmelden"; a cookie that was tampered with or expired counts as no session.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from schoolbrug.registry.models import Pupil

COOKIE = "leerling"
SALT = "schoolbrug.platform.pupil"
SCHOOL_DAY = 9 * 3600


def start(response: HttpResponse, pupil_id: int) -> None:
    response.set_signed_cookie(
        COOKIE,
        str(pupil_id),
        salt=SALT,
        max_age=SCHOOL_DAY,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def pupil(request: HttpRequest) -> Pupil | None:
    value = request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=SCHOOL_DAY)
    if not value or not value.isdigit():
        return None
    return Pupil.objects.filter(pk=int(value), is_leaver=False).first()


def end(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE, samesite="Lax")
