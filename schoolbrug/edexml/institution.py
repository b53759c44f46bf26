"""Which registry institution an EDEXML file is about.

A Flemish file writes the instellingsnummer without leading zeros (the schema says so);
WISA and the government's lists write six digits ("012345"). The registry's number is the one
it already knows, as written or padded to six digits; a new Flemish institution gets the six
digits, so that a WISA export of the same school finds it. A Dutch BRIN6 is taken as it is.
"""

from __future__ import annotations

from schoolbrug.registry.models import Institution
from schoolbrug.sources.records import Snapshot

FLEMISH_DIGITS = 6


def registry_number(snapshot: Snapshot) -> str:
    number = snapshot.institution_number
    if snapshot.country != "BE" or not number.isdigit() or len(number) >= FLEMISH_DIGITS:
        return number
    padded = number.zfill(FLEMISH_DIGITS)
    known = set(
        Institution.objects.filter(number__in=[number, padded]).values_list("number", flat=True)
    )
    return number if number in known and padded not in known else padded
