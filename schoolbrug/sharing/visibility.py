"""What one app may see.

An app sees an institution only while the institution shares class information (an active
Sharing period) **and** has granted the app access; then all its classes of the school year,
or exactly the chosen ones, and the pupils and teachers of those classes. A chosen subclass
gives its current members (SubclassMembership), not the rest of its class; all classes
include the subclasses.

Both ways to ask (querysets for the ORM, SQL for the API's hand-written queries) are
subqueries evaluated inside the query that answers a request, so switching sharing off or
revoking a grant is seen by the very next call. What is kept per process is only which
*kinds* of grants an app holds (to leave out branches that cannot match), per *generation*:
a token that every change to sharing, apps or grants replaces in its own transaction
(generation.py) and that every request reads with its token (oneroster/rest/auth.py).
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from schoolbrug.registry.data_version import token_sql
from schoolbrug.registry.models import SchoolYear

from .models import AppGrant, Sharing, VisibilityGeneration


@dataclass(frozen=True, slots=True)
class GrantKinds:
    """Which kinds of grants an app holds: the API's SQL leaves out what cannot match."""

    whole: bool  # some institution granted all its classes
    chosen: bool  # some institution granted chosen classes
    subclasses: bool  # some of those chosen classes are subclasses (members apart)
    national_number: bool  # some institution's accepted protocol allows the national number


# Per process: (app, scope, generation, data version) -> GrantKinds. The data version too: it
# also moves with writes to the sharing tables that send no signal (a bulk statement).
_KINDS: OrderedDict[tuple, GrantKinds] = OrderedDict()
_KEEP = 256


@dataclass(frozen=True)
class Visibility:
    app_id: int
    school_year_id: int
    may_read_national_number: bool  # the token holds the demographics scope
    generation: str | None = None  # None: nothing about the grants is kept
    # The registry's data version (counts and bookmarks); None: nothing is kept.
    data_version: str | None = field(default=None, compare=False)
    # The day whose teaching links count (Teaching.active_on): today, in the current year.
    day: datetime.date = field(default_factory=lambda: timezone.localdate())

    # --- as SQL, for the API's hand-written queries (oneroster/rest/sql.py) ----------------
    # The rules of the querysets below, written again as SQL: compiled from the querysets,
    # a page of 100 took 10 ms instead of 2.8 ms on 1.2 M pupils (Django's EXISTS (... LIMIT
    # 1) is not turned into a semi-join). The consent tests run both forms (classes and orgs
    # on the ORM, users and enrollments on these) on SQLite and PostgreSQL.

    def grant_join(self, institution: str, grant: str = "g") -> tuple[str, list]:
        """SQL: JOINs that keep the rows of an institution (an SQL expression) that shares
        and granted this app; its grant is `grant`, for granted_class_sql.

        Joins, not `IN (subquery)`: PostgreSQL estimates a semi-join on the grants as if
        the app saw every school, and read all 1.2 M enrolments to find the pupils of the
        one school that granted it (0.8 s; joined: 1 ms). Both joins find at most one row:
        one grant per app and institution, one active sharing per institution."""
        return (
            f" JOIN sharing_appgrant {grant} ON {grant}.institution_id = {institution}"
            f" AND {grant}.app_id = %s"
            f" JOIN sharing_sharing {grant}sh ON {grant}sh.institution_id = {institution}"
            f" AND {grant}sh.deactivated_at IS NULL",
            [self.app_id],
        )

    def granted_class_sql(self, klass: str, grant: str = "g") -> str:
        """SQL, after grant_join: the class `klass` is one that grant covers (all of the
        institution's, or chosen)."""
        kinds = self.kinds()
        parts = []
        if kinds.whole:
            parts.append(f"{grant}.all_classes")
        if kinds.chosen:
            parts.append(
                f"(NOT {grant}.all_classes AND {klass} IN (SELECT {grant}c.schoolclass_id"
                f" FROM sharing_appgrant_classes {grant}c WHERE {grant}c.appgrant_id = {grant}.id))"
            )
        return " OR ".join(parts) or "1 = 0"

    def granted_member_sql(self, pupil: str, grant: str = "g") -> tuple[str, list] | None:
        """SQL, after grant_join: the pupil `pupil` is a current member of a subclass of the
        school year that grant chose; None when no grant of this app chose a subclass (the
        query stays as it was for every other app)."""
        if not self.kinds().subclasses:
            return None
        return (
            f"(NOT {grant}.all_classes AND EXISTS (SELECT 1"
            f" FROM registry_subclassmembership {grant}m"
            f" JOIN registry_schoolclass {grant}s ON {grant}s.id = {grant}m.subclass_id"
            f" JOIN sharing_appgrant_classes {grant}mc"
            f" ON {grant}mc.schoolclass_id = {grant}m.subclass_id"
            f" WHERE {grant}m.pupil_id = {pupil} AND {grant}m.ended_at IS NULL"
            f" AND {grant}s.school_year_id = %s AND {grant}mc.appgrant_id = {grant}.id))",
            [self.school_year_id],
        )

    def granted_institutions_sql(self, institution: str) -> tuple[str, list]:
        """SQL: the institution granted this app something (whether it shares is for
        grant_join to say): a list of ids, which an index can be searched with."""
        granted = "SELECT ga.institution_id FROM sharing_appgrant ga WHERE ga.app_id = %s"
        if connection.vendor == "postgresql":
            return f"{institution} = ANY(ARRAY({granted}))", [self.app_id]
        return f"{institution} IN ({granted})", [self.app_id]

    def national_number_sql(self, grant: str = "g") -> str | None:
        """SQL, after grant_join: the institution's accepted protocol lets this app read
        national numbers; None when it never may (no demographics scope, or no protocol
        that allows it)."""
        if not (self.may_read_national_number and self.kinds().national_number):
            return None
        return (
            f"{grant}sh.protocol_id IN"
            " (SELECT pv.id FROM sharing_protocolversion pv WHERE pv.allows_national_number)"
        )

    def kinds(self) -> GrantKinds:
        key = (self.app_id, self.may_read_national_number, self.generation, self.data_version)
        if self.generation is not None and (kept := _KINDS.get(key)) is not None:
            return kept
        grants = self.grants()
        kinds = GrantKinds(
            whole=grants.filter(all_classes=True).exists(),
            chosen=grants.filter(all_classes=False).exists(),
            subclasses=AppGrant.classes.through.objects.filter(
                appgrant_id__in=grants.filter(all_classes=False).values("pk"),
                schoolclass__parent__isnull=False,
            ).exists(),
            national_number=self.may_read_national_number
            and self.national_number_institution_ids().exists(),
        )
        if self.generation is not None:
            _KINDS[key] = kinds
            while len(_KINDS) > _KEEP:
                _KINDS.popitem(last=False)
        return kinds

    # --- as querysets, for the ORM ---------------------------------------------------------

    def grants(self) -> QuerySet:
        sharing = Sharing.objects.filter(
            institution_id=OuterRef("institution_id"), deactivated_at__isnull=True
        )
        return AppGrant.objects.filter(Exists(sharing), app_id=self.app_id)

    def institution_ids(self) -> QuerySet:
        return self.grants().values("institution_id")

    def whole_institution_ids(self) -> QuerySet:
        return self.grants().filter(all_classes=True).values("institution_id")

    def chosen_class_ids(self) -> QuerySet:
        return AppGrant.classes.through.objects.filter(
            appgrant_id__in=self.grants().filter(all_classes=False).values("pk")
        ).values("schoolclass_id")

    def national_number_institution_ids(self) -> QuerySet:
        """Institutions whose accepted protocol lets this app read national numbers."""
        allowed = Sharing.objects.filter(
            institution_id=OuterRef("institution_id"),
            deactivated_at__isnull=True,
            protocol__allows_national_number=True,
        )
        return self.grants().filter(Exists(allowed)).values("institution_id")

    def chosen_subclass_ids(self) -> QuerySet:
        return self.chosen_class_ids().filter(schoolclass__parent__isnull=False)

    def classes_q(self) -> Q:
        """Q over SchoolClass: the visible classes of the school year."""
        return Q(school_year_id=self.school_year_id) & (
            Q(institution_id__in=self.whole_institution_ids()) | Q(pk__in=self.chosen_class_ids())
        )


# What a request reads at its start, as columns the token check selects in the same round trip
# (oneroster/rest/auth.py): the school year, the generation, and the registry's data version, which
# every commit that writes a registry table changes (registry/data_version.py): kept counts and
# bookmarks are kept per both. A teaching link that ends by its date alone changes the day, which
# the teacher queries bind (so it is in the kept values' keys too).
STATE_COLUMNS = f"""
       (SELECT id FROM {SchoolYear._meta.db_table} WHERE start_year = %s),
       (SELECT token FROM {VisibilityGeneration._meta.db_table} WHERE id = 1),
       {token_sql(connection.vendor)}"""


def state_params() -> list:
    return [SchoolYear.start_year_for(timezone.localdate())]


def from_state(app_id: int, may_read_national_number: bool, state: tuple) -> Visibility:
    """What a request of this app may see, from the STATE_COLUMNS read at its start."""
    year, generation, version = state
    return Visibility(
        app_id=app_id,
        school_year_id=year if year is not None else -1,
        may_read_national_number=may_read_national_number,
        generation=generation,
        data_version=version,
    )


def current_school_year_id() -> int | None:
    start = SchoolYear.start_year_for(timezone.localdate())
    return SchoolYear.objects.filter(start_year=start).values_list("pk", flat=True).first()
