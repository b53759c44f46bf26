"""X-Total-Count without counting a large collection on every page, and deep pages without
walking every row before them.

Counting what an app sees of 1.2 M pupils takes longer than serving the page itself, and a
consumer paging through asks the same count hundreds of times. A count is kept (per process)
under the exact SQL of the counted query **and** a version of everything it depends on: the
registry's change marker and the visibility generation, both read with the token at the start
of the request (auth.py). Any change makes a new key, so a count is never stale; it is only
not recounted while nothing changed. Without a generation (a flushed test database) nothing is
kept.

Bookmarks work the same way for `offset`: the pk at every STRIDE-th row of a collection (read
once per data version with a window function), so page 6,000 of 1.2 M pupils starts at the
nearest bookmark and skips at most STRIDE rows instead of 600,000.
"""

from __future__ import annotations

import hashlib
from array import array

from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, QuerySet

from schoolbrug.sharing.visibility import Visibility

from . import sql
from .sql import SqlSegment

# A page skips at most this many rows after its bookmark (OFFSET still computes them, at
# about 30 µs a row); pages of 100, 200 or 5000 start right at one.
STRIDE = 100


class Counter:
    """Counts and bookmarks for one request."""

    def __init__(self, vis: Visibility) -> None:
        self.vis = vis

    def count(self, segment: SqlSegment | QuerySet) -> int:
        counted, params = _count_sql(segment)
        key = self._key("count", counted, params)
        cache = caches["default"]
        total = cache.get(key) if key else None
        if total is None:
            total = sql.scalar(counted, params, prepare=False)  # once per data version
            if key:
                cache.set(key, total, timeout=3600)
        return total

    def bookmark(
        self, segment: SqlSegment | QuerySet, offset: int, filtered: bool = False
    ) -> tuple[int, int, int | None] | None:
        """(key to start from, rows to skip after it, the segment's last key) for `offset`
        in `segment`, in the order of its key (pk for a queryset); None when the segment
        has no rows at all.

        The first page starts at a bookmark too: the rows an app sees may all lie deep in
        the table (an app that one school granted), and walking up to them took 2 s per
        first page on 1.2 M pupils. The last key ends a short page where the segment ends,
        not at the end of the table. Only a client's filter near the start reads from the
        first row on: its bookmarks would be read again for every new filter value."""
        if offset < STRIDE and filtered:
            return 0, offset, None
        if isinstance(segment, SqlSegment):
            body, params = segment.body()
            keys = f"SELECT {segment.key} AS mark {body}"
        else:
            try:
                keys, params = segment.order_by().values(mark=F("pk")).query.sql_with_params()
            except EmptyResultSet:  # a filter no row can match (an id that is not ours)
                return None
        key = self._key("marks", keys, params)
        cache = caches["default"]
        marks = cache.get(key) if key else None
        if marks is None:
            marks = _read_marks(keys, params)
            if key:
                cache.set(key, marks, timeout=3600)
        if not marks:
            return None
        # marks[-1] is the last key, the others start every STRIDE rows (not unpacked: a
        # copy of 12,000 keys per page cost more than the rest of this method).
        index = min(offset // STRIDE, len(marks) - 2)  # past the end: nothing after the last
        return marks[index], offset - index * STRIDE, marks[-1]

    def _key(self, kind: str, text: str, params) -> str | None:
        vis = self.vis
        if vis.generation is None:
            return None
        version = f"{vis.data_version}/{vis.generation}/{vis.school_year_id}"
        return f"{kind}:" + _digest(text, params, version)


def _read_marks(keys: str, params) -> array:
    """The key of every STRIDE-th row of `keys` (a query of one column, `mark`), then the
    last key; empty when it has no rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mark, last FROM (SELECT t.mark AS mark,"
            " ROW_NUMBER() OVER (ORDER BY t.mark) AS rn, MAX(t.mark) OVER () AS last"
            f" FROM ({keys}) t) s WHERE (rn - 1) %% {STRIDE} = 0 ORDER BY mark",
            params,
        )
        rows = cursor.fetchall()
    # An array, not a list: the cache pickles it on every page (12,000 keys for 1.2 M
    # pupils: 0.01 ms instead of 0.26 ms).
    return array("q", [*(mark for mark, _ in rows), *(rows[-1][1:] if rows else ())])


def _count_sql(segment: SqlSegment | QuerySet) -> tuple[str, list]:
    if isinstance(segment, SqlSegment):
        body, params = segment.body()
        return f"SELECT COUNT(*) {body}", params
    inner, params = segment.order_by().values("pk").query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({inner}) t", list(params)


def _digest(sql: str, params, version: str) -> str:
    """The same key in every process, so a shared cache (Redis) serves all workers."""
    text = "\x1f".join([sql, *map(str, params), version])
    return hashlib.sha256(text.encode()).hexdigest()
