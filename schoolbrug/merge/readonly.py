"""Read-only, not down: while a merge (or its rollback) runs, every page and the API still
answer reads, every page shows a banner, and every write answers 503 with a Dutch message
(JSON for the API and the SIS upload endpoint).

The flag is a row of its own (`ReadOnlyFlag`, primary key 1), committed before the backup and
the fold start. A row in the database, not a file under VAR_DIR: the web workers, the API's
and Celery's may run on other machines than the one `schoolbrug merge execute` runs on, and
the database is the one thing all of them share. Each process reads it by primary key at most
once per SCHOOLBRUG_MERGE_FLAG_SECONDS (a one-row index lookup per second, not per request),
and `merging()` waits SCHOOLBRUG_MERGE_SETTLE_SECONDS after raising it, so that every process
has seen it and the writes already under way have ended before the backup is taken.

Never refused: logging in and out of the portal, the pupils' sign-in and an app's token
request. They change only sessions, tokens and failed-attempt counts, and refusing them would
make the site unreadable (down), which is what the merge must not be.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone

from .errors import MergeRefused
from .models import MergeRun, ReadOnlyFlag

log = logging.getLogger("schoolbrug.merge")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Paths answered with JSON: the rostering and gradebook APIs, the OAuth token endpoint, the
# SIS upload endpoint (a script, not a person, reads the answer).
JSON_PREFIXES = ("/ims/oneroster/", "/oauth/", "/koppeling/upload/")
# URL names a write may still reach during a merge (see the module's docstring).
ALWAYS_OPEN = frozenset(
    {
        "login",
        "logout",
        "platform:pupil_schools",  # a pupil's class code: a cookie on the device
        "platform:pupil_sign_in",
        "platform:pupil_sign_out",
        "roles:view_as_stop",  # an admin looking as someone else must be able to stop
        "token",  # /oauth/token/ (oneroster/rest/oauth_urls.py)
    }
)
MESSAGE = (
    "Schoolbrug is even alleen-lezen: de databank van een andere scholengroep wordt "
    "samengevoegd met deze. Je kunt alles bekijken, maar niets wijzigen. Probeer het over "
    "enkele minuten opnieuw."
)
MESSAGE_EN = "read-only during a database merge; try again in a few minutes"
RETRY_AFTER_SECONDS = 120


@dataclass(frozen=True, slots=True)
class Flag:
    action: str  # "execute" | "rollback"
    since: object  # datetime


_cache_lock = threading.Lock()
_cached: tuple[float, Flag | None] | None = None


def forget() -> None:
    """Read the flag again at the next request (after this process raised or lowered it)."""
    global _cached
    with _cache_lock:
        _cached = None


def current_flag() -> Flag | None:
    """The read-only flag if a merge or rollback runs, read at most once per
    SCHOOLBRUG_MERGE_FLAG_SECONDS in this process."""
    global _cached
    now = time.monotonic()
    kept = _cached
    if kept is not None and now - kept[0] < settings.SCHOOLBRUG_MERGE_FLAG_SECONDS:
        return kept[1]
    row = ReadOnlyFlag.objects.filter(pk=1).values("action", "since").first()
    flag = Flag(row["action"], row["since"]) if row else None
    with _cache_lock:
        _cached = (now, flag)
    return flag


def is_read_only() -> bool:
    return current_flag() is not None


def _always_open(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.view_name in ALWAYS_OPEN


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES) or "application/json" in request.headers.get(
        "Accept", ""
    )


def refusal(request: HttpRequest) -> HttpResponse:
    """The 503 of a write during a merge."""
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"error": "read_only", "message": MESSAGE, "message_en": MESSAGE_EN},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(request, "merge/read_only.html", {"message": MESSAGE}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ReadOnlyMiddleware:
    """In the web UI's middleware (after the user is known, for the page's layout) and the
    API handler's (handlers.py). Reads pass untouched; a write during a merge is refused before
    any view (or CSRF check) runs."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in WRITE_METHODS and is_read_only() and not _always_open(request.path):
            log.info("merge: %s %s refused (read-only)", request.method, request.path)
            return refusal(request)
        return self.get_response(request)


# --- raising and lowering the flag (schoolbrug merge execute / rollback) -------------------


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_flag() -> ReadOnlyFlag | None:
    """The flag if the process that raised it is gone (killed on this machine)."""
    flag = ReadOnlyFlag.objects.filter(pk=1).first()
    if flag is None or flag.host != socket.gethostname() or _process_alive(flag.pid):
        return None
    return flag


def raise_flag(action: str, run: MergeRun | None) -> ReadOnlyFlag:
    """Commit the flag (refused while another merge or rollback runs), then wait until every
    process has seen it."""
    if connection.in_atomic_block:
        raise RuntimeError("the read-only flag must be committed before the merge's transaction")
    stale = stale_flag()
    if stale is not None:
        log.warning("merge: taking over the read-only flag of process %s (gone)", stale.pid)
        stale.delete()
    try:
        with transaction.atomic():
            flag = ReadOnlyFlag.objects.create(
                pk=1, run=run, action=action, host=socket.gethostname(), pid=os.getpid()
            )
    except IntegrityError:
        held = ReadOnlyFlag.objects.filter(pk=1).first()
        since = timezone.localtime(held.since).strftime("%d/%m/%Y %H:%M") if held else "?"
        raise MergeRefused(
            f"Er loopt al een samenvoeging of terugzetting (sinds {since}). Wacht tot die klaar "
            "is; `schoolbrug merge status` toont hoe ver ze staat.",
            "another merge or rollback holds the read-only flag",
        ) from None
    forget()
    time.sleep(settings.SCHOOLBRUG_MERGE_SETTLE_SECONDS)
    return flag


def lower_flag() -> None:
    ReadOnlyFlag.objects.filter(pk=1).delete()
    forget()


@contextlib.contextmanager
def merging(action: str = "execute", run: MergeRun | None = None) -> Iterator[ReadOnlyFlag]:
    """The site is read-only inside (for every process); the flag is lowered on the way out,
    also when the work inside fails. A process killed inside leaves the flag up: the site stays
    read-only until `schoolbrug merge rollback` or a new execute takes it over."""
    flag = raise_flag(action, run)
    try:
        yield flag
    finally:
        lower_flag()
