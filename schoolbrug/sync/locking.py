"""One writer per institution: two syncs of one school never plan on the same state.

A sync reads an institution's state, plans against it and writes the plan. A second sync of
that institution in between (a task delivered twice, two uploads, the scheduler during a
manual run) would plan against a state that is gone: lost updates, or an IntegrityError. So
reading, planning and writing are one transaction that holds the institution's lock:

* PostgreSQL: a transaction-level advisory lock per institution (`pg_advisory_xact_lock`, key
  (LOCK_SPACE, institution number)), released by the server at commit, at rollback, and when
  the process holding it dies.
* SQLite: the database's own write lock, taken when the transaction begins (`BEGIN IMMEDIATE`,
  the settings' transaction_mode): one writer at a time across processes (the demo's web
  server and a CLI sync), released by SQLite when a process dies. It waits at most the
  connection's timeout, which the settings set to SCHOOLBRUG_SYNC_LOCK_WAIT.

Without `wait` the locks are tried and the transaction refused at once when one is held (a
region's batch: the others go on, the held one is retried alone). With `wait` each lock is
waited for at most SCHOOLBRUG_SYNC_LOCK_WAIT seconds. Either way a lock not obtained raises
InstitutionBusy and nothing was read or written.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction

# The first half of each advisory lock key: "this is a Schoolbrug institution sync" (other
# advisory locks on the same database use other spaces). The second half is the institution.
LOCK_SPACE = 0x5B5C
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out


class InstitutionBusy(Exception):
    """Another sync holds one of these institutions; nothing was read or written."""

    def __init__(self, numbers: Collection[str], *, waited: bool) -> None:
        super().__init__(f"institutions being synced elsewhere: {len(numbers)}")
        self.numbers = list(numbers)
        self.waited = waited  # True: waited the whole SCHOOLBRUG_SYNC_LOCK_WAIT in vain


def lock_key(institution_number: str) -> int:
    """The advisory lock's second half: the number itself (it is digits), as pg_locks shows."""
    if institution_number.isdigit() and len(institution_number) <= 9:
        return int(institution_number)
    return zlib.crc32(institution_number.encode("utf-8")) - 2**31  # a signed 32-bit integer


@contextmanager
def institutions_locked(numbers: Collection[str], *, wait: bool) -> Iterator[None]:
    """A transaction holding these institutions' locks: read, plan and write inside it."""
    with ExitStack() as stack:
        try:
            stack.enter_context(transaction.atomic())
        except OperationalError as error:
            # SQLite: BEGIN IMMEDIATE waited the connection's timeout for the write lock.
            if "database is locked" in str(error):
                raise InstitutionBusy(numbers, waited=True) from None
            raise
        if connection.vendor == "postgresql":
            _advisory_locks(numbers, wait=wait)
        if _merge_running():
            # Checked under the locks: a merge raises its flag, then waits for the locks held
            # (wait_for_syncs), so no sync writes between its backup and its fold.
            raise InstitutionBusy(numbers, waited=False)
        yield


def _merge_running() -> bool:
    from schoolbrug.merge.models import ReadOnlyFlag  # the merge app depends on this one

    return ReadOnlyFlag.objects.filter(pk=1).exists()


def wait_for_syncs(seconds: float) -> bool:
    """PostgreSQL: wait until no institution's lock is held (a sync that started before the
    merge's flag finishes); False when one still is after `seconds`. SQLite needs no wait: the
    flag's own write waited for the sync's write lock."""
    if connection.vendor != "postgresql":
        return True
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = %s::oid AND objsubid = 2 AND pid <> pg_backend_pid()",
                [LOCK_SPACE],
            )
            if cursor.fetchone()[0] == 0:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)


def _advisory_locks(numbers: Collection[str], *, wait: bool) -> None:
    # In one order everywhere, so that two runs that wait for each other cannot deadlock.
    keys = sorted({lock_key(n) for n in numbers})
    seconds = settings.SCHOOLBRUG_SYNC_LOCK_WAIT
    with connection.cursor() as cursor:
        if not wait or seconds <= 0:
            cursor.execute(
                "SELECT key FROM unnest(%s::integer[]) AS key "
                "WHERE NOT pg_try_advisory_xact_lock(%s, key)",
                [keys, LOCK_SPACE],
            )
            if cursor.fetchall():
                raise InstitutionBusy(numbers, waited=wait)
            return
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
            [f"{int(seconds * 1000)}ms"],
        )
        previous = cursor.fetchone()[0]
        try:
            for key in keys:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, key])
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise InstitutionBusy(numbers, waited=True) from None
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
