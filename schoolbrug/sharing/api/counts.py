"""X-Total-Count without counting a large collection on every page.

Counting what an app sees of 1.2 M pupils takes longer than serving the page itself, and a
consumer paging through asks the same count hundreds of times. A count is kept (per process)
under the exact SQL of the counted query **and** a version of everything it depends on: the
newest change to pupils, enrolments, classes and staff (all carry an indexed `updated_at`; the
sync never deletes them) and this app's grants and sharing periods. Any change makes a new key,
so a count is never stale; it is only not recounted while nothing changed.
"""

from __future__ import annotations

from django.core.cache import caches
from django.db import connection
from django.db.models import QuerySet

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


class Counter:
    """Counts for one request: the data version is read once, at the first large count."""

    def __init__(self, vis: Visibility) -> None:
        self.vis = vis
        self._version: str | None = None

    def count(self, queryset: QuerySet) -> int:
        sql, params = queryset.query.sql_with_params()
        key = f"count:{hash((sql, tuple(map(str, params)), self.version()))}"
        cache = caches["default"]
        total = cache.get(key)
        if total is None:
            total = queryset.count()
            if total >= SMALL:
                cache.set(key, total, timeout=3600)
        return total

    def version(self) -> str:
        if self._version is None:
            with connection.cursor() as cursor:
                cursor.execute(_VERSION_SQL, [self.vis.app_id, self.vis.app_id])
                self._version = repr(cursor.fetchone()) + f"/{self.vis.school_year_id}"
        return self._version
