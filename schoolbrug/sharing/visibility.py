"""What one app may see, as subqueries evaluated inside every API query.

An app sees an institution only while the institution shares class information (an active
Sharing period) **and** has granted the app access; then all its classes of the school year,
or exactly the chosen ones, and the pupils and teachers of those classes. Nothing is cached:
the query that answers a request reads the grants and sharing state of that moment, so
switching sharing off or revoking a grant is seen by the very next call.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from schoolbrug.registry.models import SchoolYear

from .models import AppGrant, Sharing


@dataclass(frozen=True)
class Visibility:
    app_id: int
    school_year_id: int
    may_read_national_number: bool  # the token holds the demographics scope

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

    def classes_q(self) -> Q:
        """Q over SchoolClass: the visible classes of the school year."""
        return Q(school_year_id=self.school_year_id) & (
            Q(institution_id__in=self.whole_institution_ids()) | Q(pk__in=self.chosen_class_ids())
        )


def current_school_year_id() -> int | None:
    start = SchoolYear.start_year_for(timezone.localdate())
    return SchoolYear.objects.filter(start_year=start).values_list("pk", flat=True).first()
