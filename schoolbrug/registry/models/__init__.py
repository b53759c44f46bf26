from .aliases import SourceAlias
from .organisation import Board, Community, Institution, Site
from .people import Assignment, Enrolment, Pupil, Staff, SubclassMembership, Teaching
from .structure import LEAVERS_CLASS_CODE, SchoolClass, SchoolYear

__all__ = [
    "LEAVERS_CLASS_CODE",
    "Assignment",
    "Board",
    "Community",
    "Enrolment",
    "Institution",
    "Pupil",
    "SchoolClass",
    "SchoolYear",
    "Site",
    "SourceAlias",
    "Staff",
    "SubclassMembership",
    "Teaching",
]
