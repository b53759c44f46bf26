"""Values computed once per key for all workers: the API's counts and bookmarks, whose keys
hold the data version (counts.py), so a kept value is never stale, only recomputed when
its version is new.

After a nightly sync every gunicorn worker recounted on its first request (4.5 s on
1.2 M pupils), all at once. Now a value is kept twice: in this process (a dict: a page
reads it without a round trip or unpickling) and in Django's default cache, which
SCHOOLBRUG_CACHE_URL makes one for all workers (Redis). The first worker that misses both
takes a short lock in that cache (`cache.add`) and computes; the others wait for its
result. None ever answers with an earlier version's figures meanwhile: bookmarks of other
data start pages at the wrong rows, and an earlier count would still count the pupils of a
school that has just stopped sharing.

Without its cache (Redis down) the API still answers: each worker computes for itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

log = logging.getLogger("schoolbrug.api")

T = TypeVar("T")

KEEP_SECONDS = 3600  # a version's values outlive it by at most this long in the cache
# A worker that finds another computing waits this long before computing itself: the
# region's counts take seconds, and gunicorn stops a worker that is silent for 30 s. A lock
# whose holder died expires after LOCK_SECONDS.
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.05
LOCK_SECONDS = 30
LOCAL_ENTRIES = 256

_local: OrderedDict[str, object] = OrderedDict()
_local_lock = threading.Lock()


def kept(key: str | None, compute: Callable[[], T]) -> T:
    """The value kept under `key`, computed by `compute` once for all workers; with no
    key (no data version known) computed and not kept."""
    if key is None:
        return compute()
    with _local_lock:
        if (value := _local.get(key)) is not None:
            _local.move_to_end(key)
            return value  # type: ignore[return-value]
    value = _shared_get(key)
    if value is None:
        value = _compute_once(key, compute)
    with _local_lock:
        _local[key] = value
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return value


def forget_local() -> None:
    """Drops what this process keeps (a test's way to be a second worker)."""
    with _local_lock:
        _local.clear()


def _compute_once(key: str, compute: Callable[[], T]) -> T:
    lock = f"{key}:computing"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if _shared("add", lock, 1, LOCK_SECONDS) is not False:  # ours (or no cache)
            try:
                value = compute()
                _shared("set", key, value, KEEP_SECONDS)
            finally:
                _shared("delete", lock)
            return value
        # Another worker computes it: wait for its result, or for its lock to go (it failed
        # or died) and try to take it.
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            if (value := _shared_get(key)) is not None:
                return value
            if _shared("get", lock) is None:
                break
        else:
            log.warning("api: gave up waiting for another worker's count; counting here")
            return compute()


def _shared_get(key: str):
    return _shared("get", key)


_warned_at = 0.0


def _shared(operation: str, *args):
    """An operation on the default cache; None when the cache cannot be reached."""
    global _warned_at
    try:
        return getattr(caches["default"], operation)(*args)
    except Exception as error:  # the API answers without its cache, only slower
        if time.monotonic() - _warned_at > 60:  # a line a minute, not four per request
            _warned_at = time.monotonic()
            name = type(error).__name__
            log.warning("api: cache %s failed (%s); computing without it", operation, name)
        return None
