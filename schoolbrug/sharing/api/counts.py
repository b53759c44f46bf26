"""X-Total-Count without counting a large collection on every page, and deep pages without
walking every row before them.

Counting what an app sees of 1.2 M pupils takes longer than serving the page itself, and a
consumer paging through asks the same count hundreds of times. A count is kept (per process)
under the exact SQL of the counted query **and** a version of everything it depends on: the
newest change to pupils, enrolments, classes and staff (all carry an indexed `updated_at`; the
sync never deletes them) and this app's grants and sharing periods. Any change makes a new key,
so a count is never stale; it is only not recounted while nothing changed.

Bookmarks work the same way for `offset`: the pk at every STRIDE-th row of a collection (read
once per data version with a window function), so page 6,000 of 1.2 M pupils starts at the
nearest bookmark and skips at most STRIDE rows instead of 600,000.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.db import connection
from django.db.models import F, QuerySet

from schoolbrug.sharing.visibility import Visibility

_VERSION_SQL = """
SELECT (SELECT MAX(updated_at) FROM registry_pupil),
       (SELECT MAX(updated_at) FROM registry_enrolment),
       (SELECT MAX(updated_at) FROM registry_schoolclass),
       (SELECT MAX(updated_at) FROM registry_staff),
       (SELECT MAX(updated_at) FROM registry_assignment),
       (SELECT MAX(id) FROM registry_assignment_classes),
       (SELECT COUNT(*) FROM registry_assignment_classes),
       (SELECT COUNT(*) || '/' || MAX(id) || '/' || MAX(granted_at)
          FROM sharing_appgrant WHERE app_id = %s),
       (SELECT COUNT(*) FROM sharing_appgrant_classes c
          JOIN sharing_appgrant g ON g.id = c.appgrant_id WHERE g.app_id = %s),
       (SELECT COUNT(*) || '/' || MAX(id) FROM sharing_sharing WHERE deactivated_at IS NULL)
"""
# Below this many rows a count is cheaper than the bookkeeping.
SMALL = 5_000
# A page skips at most this many rows after its bookmark (OFFSET still computes them).
STRIDE = 1_000


class Counter:
    """Counts for one request: the data version is read once, at the first large count."""

    def __init__(self, vis: Visibility) -> None:
        self.vis = vis
        self._version: str | None = None

    def count(self, queryset: QuerySet) -> int:
        sql, params = queryset.query.sql_with_params()
        key = "count:" + _digest(sql, params, self.version())
        cache = caches["default"]
        total = cache.get(key)
        if total is None:
            total = queryset.count()
            if total >= SMALL:
                cache.set(key, total, timeout=3600)
        return total

    def bookmark(self, queryset: QuerySet, offset: int) -> tuple[int, int] | None:
        """(pk to start from, rows to skip after it) for `offset` in `queryset`, which must
        be ordered by pk; None when a plain offset is as cheap."""
        if offset < STRIDE:
            return None
        sql, params = queryset.order_by().values(mark=F("pk")).query.sql_with_params()
        key = "marks:" + _digest(sql, params, self.version())
        cache = caches["default"]
        marks = cache.get(key)
        if marks is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT mark FROM (SELECT t.mark AS mark,"
                    " ROW_NUMBER() OVER (ORDER BY t.mark) AS rn"
                    f" FROM ({sql}) t) s WHERE (rn - 1) %% {STRIDE} = 0 ORDER BY mark",
                    params,
                )
                marks = [row[0] for row in cursor.fetchall()]
            cache.set(key, marks, timeout=3600)
        if not marks:
            return None
        index = min(offset // STRIDE, len(marks) - 1)  # past the end: nothing after the last
        return marks[index], offset - index * STRIDE

    def version(self) -> str:
        if self._version is None:
            with connection.cursor() as cursor:
                cursor.execute(_VERSION_SQL, [self.vis.app_id, self.vis.app_id])
                self._version = repr(cursor.fetchone()) + f"/{self.vis.school_year_id}"
        return self._version


def _digest(sql: str, params, version: str) -> str:
    """The same key in every process, so a shared cache (Redis) serves all workers."""
    text = "\x1f".join([sql, *map(str, params), version])
    return hashlib.sha256(text.encode()).hexdigest()
