from .aliases import SourceAlias
from .details import SourceDetails
from .organisation import INSTITUTION_IDENTIFIER_LENGTH, Board, Community, Institution, Site
from .people import (
    Assignment,
    Enrolment,
    PaymentReferenceAlias,
    Pupil,
    Staff,
    SubclassMembership,
    Teaching,
)
from .sessions import AcademicSession
from .structure import LEAVERS_CLASS_CODE, SchoolClass, SchoolYear
from .version import DataChange, DataVersion

__all__ = [
    "AcademicSession",
    "INSTITUTION_IDENTIFIER_LENGTH",
    "LEAVERS_CLASS_CODE",
    "Assignment",
    "Board",
    "Community",
    "DataChange",
    "DataVersion",
    "Enrolment",
    "Institution",
    "PaymentReferenceAlias",
    "Pupil",
    "SchoolClass",
    "SchoolYear",
    "Site",
    "SourceAlias",
    "SourceDetails",
    "Staff",
    "SubclassMembership",
    "Teaching",
]
