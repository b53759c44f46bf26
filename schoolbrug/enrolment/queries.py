"""What the enrolment pages show: a LOP's schools grouped by type with their offer per year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .admin_groups import programme_sort_key
from .models import NEWCOMERS_CODE, Lop, LopSchool, Offer, SchoolType, Year


@dataclass
class ProgrammeRow:
    group: object
    current: Offer | None = None
    next: Offer | None = None


@dataclass
class SchoolView:
    school: LopSchool
    rows: list[ProgrammeRow] = field(default_factory=list)
    newcomers_current: Offer | None = None
    newcomers_next: Offer | None = None

    @property
    def offers_newcomers(self) -> bool:
        return self.newcomers_current is not None or self.newcomers_next is not None


@dataclass
class TypeGroup:
    label: str
    schools: list[SchoolView]

    @property
    def any_newcomers(self) -> bool:
        return any(s.offers_newcomers for s in self.schools)


def school_view(school: LopSchool, offers: list[Offer]) -> SchoolView:
    view = SchoolView(school)
    rows: dict[int, ProgrammeRow] = {}
    for offer in offers:
        if offer.group.code == NEWCOMERS_CODE:
            setattr(view, f"newcomers_{offer.year}", offer)
            continue
        row = rows.setdefault(offer.group_id, ProgrammeRow(offer.group))
        setattr(row, "current" if offer.year == Year.CURRENT else "next", offer)
    view.rows = sorted(rows.values(), key=lambda r: programme_sort_key(r.group))
    return view


def lop_overview(lop: Lop) -> list[TypeGroup]:
    """The LOP's schools by type (in the seed's order of types), each with its offer: three
    queries whatever the number of schools."""
    schools = list(
        LopSchool.objects.filter(lop=lop).select_related("institution", "site").order_by("id")
    )
    offers_by_school: dict[int, list[Offer]] = defaultdict(list)
    for offer in Offer.objects.filter(school__lop=lop).select_related("group"):
        offers_by_school[offer.school_id].append(offer)
    by_type: dict[str, list[SchoolView]] = defaultdict(list)
    for school in schools:
        by_type[school.school_type].append(school_view(school, offers_by_school[school.pk]))
    return [
        TypeGroup(label, sorted(by_type[value], key=lambda v: v.school.display_name.casefold()))
        for value, label in SchoolType.choices
        if by_type[value]
    ]
