"""Changing a school's offer, with the rights check on the server for every field of every save.

A page (or any caller) hands in what it wants changed: `{offer id: {field: text}}`. Every
field that would change is checked against the rights of the person (`roles.permissions
.lop_fields_allowed`, which asks `rights.py` for a school admin); one field outside them
refuses the whole save (`Refused`, a 403 on the page) and nothing is written. Values are
checked next (`Invalid`, naming offer and field); only then is everything written in one
transaction, each offer read again under a row lock so two writers do not lose a change.
Each save is logged by the audit log (`audit/audited.py`), with the actor of the request.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from schoolbrug.roles import permissions

from .models import AdministrativeGroup, LopSchool, Offer, Year
from .rights import OFFER_FIELDS, PROGRAMMES

INTEGER_FIELDS = ("capacity", "free_places", "free_places_indicator", "seated_pupils")
DATE_FIELDS = ("starts_on", "ends_on")
# No programme has more places than this; a bigger number is a typing error (and beyond the
# column's range a database error, a 500, instead of a named field).
MAX_PLACES = 99_999
TEXT_LENGTHS = {"suffix": Offer._meta.get_field("suffix").max_length, "extra_info": 2000}


class Refused(Exception):
    """A change outside the person's rights; `refused` lists (offer label, field)."""

    def __init__(self, refused: list[tuple[str, str]]):
        self.refused = refused
        names = ", ".join(f"{where}: {name}" for where, name in refused)
        super().__init__(f"Geen recht om te wijzigen: {names}")


@dataclass
class Invalid(Exception):
    """Values that cannot be saved: (offer label, field, Dutch reason) each."""

    problems: list[tuple[str, str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{where}, {name}: {why}" for where, name, why in self.problems)


def parse_value(name: str, text: str):
    """The typed value of a field as a form sends it; ValueError with a Dutch reason."""
    text = (text or "").strip()
    if name in INTEGER_FIELDS:
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise ValueError("geen geheel getal van 0 of meer")
        if int(text) > MAX_PLACES:
            raise ValueError(f"meer dan {MAX_PLACES:,}".replace(",", "."))
        return int(text)
    if name in DATE_FIELDS:
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError("geen datum (jjjj-mm-dd)") from None
    if name == "indicator_percentage":
        if not text:
            return None
        try:
            value = decimal.Decimal(text.replace(",", "."))
        except decimal.InvalidOperation:
            raise ValueError("geen percentage") from None
        if not value.is_finite() or not (0 <= value <= 100):
            raise ValueError("geen percentage tussen 0 en 100")
        return value.quantize(decimal.Decimal("0.01"))
    if len(text) > TEXT_LENGTHS.get(name, len(text)):
        raise ValueError(f"langer dan {TEXT_LENGTHS[name]} tekens")
    return text


def label(offer: Offer) -> str:
    return f"{offer.group.code} ({offer.school.lop.year_label(offer.year)})"


def _check_rights(user, school: LopSchool, planned, today) -> None:
    allowed_by_year = {
        year: permissions.lop_fields_allowed(user, school, year, today) for year in Year.values
    }
    refused = []
    for offer, values in planned:
        allowed = allowed_by_year[offer.year]
        for name, value in values.items():
            if value == getattr(offer, name):
                continue  # unchanged: a form may send back what it showed
            if allowed is not None and name not in allowed:
                refused.append((label(offer), name))
    if refused:
        raise Refused(refused)


def save_offers(user, school: LopSchool, wanted: dict[int, dict[str, str]], today=None) -> int:
    """Apply `wanted` ({offer id: {field: text}}) to `school`'s offers; the number of offers
    changed. Refused or Invalid before anything is written.

    The offers are read under a row lock before the rights are checked: a rollover (which
    moves next year's rows to the current year and deletes the old ones) or a second writer
    that commits in between is seen, so the check is against the year the row has now and a
    row deleted meanwhile is named instead of a 500."""
    today = today or timezone.localdate()
    with transaction.atomic():
        offers = {
            o.pk: o
            for o in Offer.objects.select_for_update(of=("self",))
            .filter(school=school, pk__in=list(wanted))
            .select_related("group", "school__lop")
        }
        planned = _plan(user, school, wanted, offers, today)
        changed = 0
        for offer, values in planned:
            names = [n for n, v in values.items() if getattr(offer, n) != v]
            if not names:
                continue
            for name in names:
                setattr(offer, name, values[name])
            offer.save(update_fields=[*names, "updated_at"])
            changed += 1
    return changed


def _plan(user, school, wanted, offers, today) -> list[tuple[Offer, dict]]:
    planned, problems = [], []
    for offer_id, texts in wanted.items():
        offer = offers.get(offer_id)
        if offer is None:
            raise Refused([(str(offer_id), "aanbod van een andere school")])
        values = {}
        for name, text in texts.items():
            if name not in OFFER_FIELDS:
                raise Refused([(label(offer), name)])
            try:
                values[name] = parse_value(name, text)
            except ValueError as reason:
                problems.append((label(offer), name, str(reason)))
        planned.append((offer, values))
    _check_rights(user, school, planned, today)
    for offer, values in planned:
        free = values.get("free_places", offer.free_places)
        indicator = values.get("free_places_indicator", offer.free_places_indicator)
        capacity = values.get("capacity", offer.capacity)
        if free is not None and indicator is not None and indicator > free:
            problems.append(
                (label(offer), "free_places_indicator", "meer dan het aantal vrije plaatsen")
            )
        if free is not None and capacity is not None and free > capacity:
            problems.append((label(offer), "free_places", "meer dan de capaciteit"))
        starts = values.get("starts_on", offer.starts_on)
        ends = values.get("ends_on", offer.ends_on)
        if starts is not None and ends is not None and ends < starts:
            problems.append((label(offer), "ends_on", "vóór de begindatum"))
    if problems:
        raise Invalid(problems)
    return planned


def _require_programmes_right(user, school: LopSchool, year: str, today) -> None:
    rights = permissions.lop_rights_for(user, school, year, today)
    if rights is not None and PROGRAMMES not in rights:
        raise Refused([(school.lop.year_label(year), PROGRAMMES)])


def add_programme(user, school: LopSchool, year: str, code: int, today=None) -> Offer:
    """Add the programme with this official code to `school`'s offer for `year`."""
    today = today or timezone.localdate()
    _require_programmes_right(user, school, year, today)
    group = AdministrativeGroup.objects.filter(code=code).first()
    if group is None:
        raise Invalid([(str(code), "group", "geen administratieve groep met deze code")])
    offer, _ = Offer.objects.get_or_create(school=school, year=year, group=group)
    return offer


def remove_programme(user, offer: Offer, today=None) -> None:
    today = today or timezone.localdate()
    _require_programmes_right(user, offer.school, offer.year, today)
    offer.delete()


def add_newcomers_everywhere(lop, years=tuple(Year.values)) -> int:
    """AN (programme 10000) for every school of the LOP (the LOP expert's one action); the
    number of offers added. Schools that offer it already keep theirs."""
    group = AdministrativeGroup.newcomers()
    added = 0
    with transaction.atomic():
        for school in lop.schools.all():
            for year in years:
                _, created = Offer.objects.get_or_create(school=school, year=year, group=group)
                added += created
    return added
