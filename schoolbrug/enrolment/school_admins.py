"""The LOP expert's school admins (seed 002's "School stats"): every school with its admins,
remove one, add one by e-mail (a new address gets an invitation mail to set a password, a known
one is simply added), and add many at once from the Excel template: every row is checked
(unknown school, bad address, duplicate) and nothing is applied unless every row is right.

A school admin is a `roles.RoleGrant` (role school_admin, one per school); removing one ends
the grant now, as the people pages end any grant. The audit log records both.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from schoolbrug.roles.models import RoleGrant

from .models import Lop, LopSchool

TEMPLATE_COLUMNS = ("school", "e-mail")
SCHOOLS_SHEET = "Scholen"
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
MAX_TEMPLATE_ROWS = 5000


def current_admins(lop: Lop) -> dict[int, list[RoleGrant]]:
    """{LOP school id: its current school admin grants}."""
    found: dict[int, list[RoleGrant]] = {}
    grants = (
        RoleGrant.objects.current()
        .filter(lop=lop, role=RoleGrant.Role.SCHOOL_ADMIN)
        .select_related("user")
        .order_by("user__email")
    )
    for grant in grants:
        found.setdefault(grant.lop_school_id, []).append(grant)
    return found


def _grant_end(lop: Lop) -> datetime.datetime:
    """The end of the next school year: a school admin serves both years the site shows."""
    last_day = datetime.date(lop.current_year_start + 2, 8, 31)
    return timezone.make_aware(datetime.datetime.combine(last_day, datetime.time.max))


@dataclass(frozen=True, slots=True)
class Added:
    user: object
    invited: bool  # a new account: it needs the invitation mail
    already: bool  # was school admin of this school already


def add_admin(school: LopSchool, email: str, by) -> Added:
    """Make the person with this address school admin of `school` (an account is made for a
    new address, without password). ValidationError with a Dutch reason for a bad address."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError("Dat is geen geldig e-mailadres.") from None
    users = get_user_model().objects
    user = users.filter(email__iexact=email).first()
    invited = False
    if user is None:
        user = users.create_user(username=email.lower(), email=email)  # the mail sets one
        invited = True
    elif not user.is_active:
        raise ValidationError("Dit account is uitgeschakeld.")
    grants = RoleGrant.objects.current().filter(
        user=user, role=RoleGrant.Role.SCHOOL_ADMIN, lop_school=school
    )
    if grants.exists():
        return Added(user, invited, already=True)
    RoleGrant.objects.create(
        user=user,
        role=RoleGrant.Role.SCHOOL_ADMIN,
        lop=school.lop,
        lop_school=school,
        granted_by=by,
        ends_at=_grant_end(school.lop),
    )
    return Added(user, invited, already=False)


def remove_admin(grant: RoleGrant) -> None:
    grant.ends_at = timezone.now()
    grant.save(update_fields=["ends_at"])


# --- the Excel template ---------------------------------------------------------------------


def school_key(school: LopSchool) -> str:
    """How the template names a school: institution number, and /site when it is one."""
    number = school.institution.number
    return f"{number}/{school.site.number}" if school.site_id else number


def template_xlsx(lop: Lop) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Schoolbeheerders"
    sheet.append(TEMPLATE_COLUMNS)
    schools = book.create_sheet(SCHOOLS_SHEET)
    schools.append(("school", "naam", "type"))
    for school in lop.schools.select_related("institution", "site").order_by("id"):
        schools.append((school_key(school), school.display_name, school.get_school_type_display()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    reason: str  # Dutch

    def __str__(self) -> str:
        return f"Rij {self.row}, {self.column}: {self.reason}"


def read_template(lop: Lop, data: bytes) -> tuple[list[tuple[LopSchool, str]], list[RowError]]:
    """The (school, e-mail) pairs of a filled-in template, and every row's errors."""
    from openpyxl import load_workbook

    if len(data) > MAX_TEMPLATE_BYTES:
        return [], [RowError(1, "bestand", "groter dan 2 MB: dat is geen ingevuld sjabloon")]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is no XLSX
        return [], [RowError(1, "bestand", "geen Excel-bestand (.xlsx)")]
    rows = []
    # A small file can unpack to millions of rows: stop reading past the limit.
    for row in book.worksheets[0].iter_rows(values_only=True):
        if len(rows) > MAX_TEMPLATE_ROWS:
            book.close()
            return [], [RowError(len(rows) + 1, "bestand", f"meer dan {MAX_TEMPLATE_ROWS} rijen")]
        rows.append(["" if v is None else str(v).strip() for v in row])
    book.close()
    if not rows or [c.lower() for c in rows[0][:2]] != list(TEMPLATE_COLUMNS):
        return [], [RowError(1, "kolommen", "verwacht: school, e-mail (het sjabloon)")]
    by_key = {school_key(s): s for s in lop.schools.select_related("institution", "site")}
    disabled = {
        address.lower()
        for address in get_user_model()
        .objects.filter(is_active=False)
        .exclude(email="")
        .values_list("email", flat=True)
    }
    pairs, errors, seen = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        key, email = (row + ["", ""])[:2]
        if not key and not email:
            continue
        school = by_key.get(key)
        if school is None:
            errors.append(RowError(number, "school", f"'{key}' is geen school van dit LOP"))
        try:
            validate_email(email)
        except ValidationError:
            errors.append(RowError(number, "e-mail", f"'{email}' is geen geldig e-mailadres"))
            continue
        if email.lower() in disabled:
            # add_admin refuses it; found here, so the whole file is refused with the row named
            # instead of a server error half way through.
            errors.append(RowError(number, "e-mail", f"het account van '{email}' is uitgeschakeld"))
            continue
        if school is not None:
            pair = (school.pk, email.lower())
            if pair in seen:
                errors.append(RowError(number, "e-mail", f"staat al op rij {seen[pair]}"))
                continue
            seen[pair] = number
            pairs.append((school, email))
    if not pairs and not errors:
        errors.append(RowError(2, "school", "het sjabloon is leeg"))
    return pairs, errors


def apply_template(pairs, by) -> list[Added]:
    """Every pair at once (the caller checked every row first)."""
    with transaction.atomic():
        return [add_admin(school, email, by) for school, email in pairs]
