"""What collides between the two sides, and how the merge resolves each:

- institution numbers: the same school in both databases; refused (a plan with one is
  written so that people see it, but no merge runs it);
- class names in one institution: only possible in such a school, listed with it;
- class codes (a class's log-in code on the learning platform) this side already gives a
  class: the moving class gets a new code at execute (its teacher hands it out; the report
  names the class again, as a code taken after the plan is renewed too);
- user names: a name the receiving side gives someone else; the moving person gets a new
  one (listed, to hand out); everyone else keeps theirs;
- app names: another app with the same name; the moving one gets a new name;
- source ids: an unscoped source id (a staff member's WISA id) the receiving side already
  uses; the receiving side's stays, the moving side's next staff upload matches by e-mail;
- any other unique value (a product's gradebook line item, result or score scale both sides
  hold under the same product, a `sourced_id` both hold): plan_unique.py; execute refuses;
- payment references: a moving pupil's reference the receiving side holds (a pupil's or an
  alias's) gets a new valid one (m2payref's `new_reference`); the fold keeps the old one as
  the pupil's PaymentReferenceAlias, so a payment that still carries it is matched.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS

from schoolbrug.registry.models import (
    Institution,
    PaymentReferenceAlias,
    Pupil,
    SchoolClass,
    SourceAlias,
)
from schoolbrug.registry.payment_references import new_reference
from schoolbrug.sharing.models import App

from . import plan_unique
from .folder import Context
from .tables import RULES


def _fold(text: str | None) -> str:
    return (text or "").strip().casefold()


def _free_name(name: str, taken: set[str], separator: str) -> str:
    n = 2
    while f"{name}{separator}{n}" in taken:
        n += 1
    return f"{name}{separator}{n}"


def institution_numbers(ctx: Context) -> list[str]:
    taken = Institution.objects.filter(number__in=ctx.numbers)
    return sorted(taken.values_list("number", flat=True))


def class_codes(ctx: Context, numbers: list[str]) -> list[dict]:
    def codes(alias):
        rows = SchoolClass.objects.using(alias).filter(institution__number__in=numbers)
        return set(rows.values_list("institution__number", "school_year__start_year", "code"))

    both = codes(ctx.alias) & codes(DEFAULT_DB_ALIAS)
    return [{"institution": n, "school_year": y, "code": c} for n, y, c in sorted(both)]


def class_logins(ctx: Context) -> list[dict]:
    """Moving classes whose class code a class here already has (the code itself stays out of
    the plan: it opens the class's name list)."""
    from schoolbrug.platform import class_codes
    from schoolbrug.platform.models import ClassLogin

    taken = set(ClassLogin.objects.exclude(code_digest="").values_list("code_digest", flat=True))
    if not taken:
        return []
    rows = ctx.rows(ClassLogin, RULES["platform.ClassLogin"]).exclude(code="")
    found = []
    for code, klass, name, number, year in rows.values_list(
        "code",  # decrypted by its field: the other server's key is in ours (plan checks)
        "school_class__sourced_id",
        "school_class__code",
        "school_class__institution__number",
        "school_class__school_year__start_year",
    ).iterator(chunk_size=5000):
        if class_codes.digest(code) in taken:
            found.append(
                {"class": str(klass), "name": name, "institution": number, "school_year": year}
            )
    return sorted(found, key=lambda f: (f["institution"], f["school_year"], f["name"]))


def user_names(ctx: Context) -> list[dict]:
    user = get_user_model()
    receiving = dict(user.objects.values_list("username", "email"))
    receiving_emails = {_fold(e) for e in receiving.values() if e}
    moving = list(ctx.rows(user, RULES["auth.User"]).values_list("username", "email"))
    taken = set(receiving) | {name for name, _ in moving}
    found = []
    for name, email in sorted(moving):
        if email and _fold(email) in receiving_emails:
            continue  # the same person: joined, keeps the receiving account's name
        if name in receiving:
            new = _free_name(name, taken, ".")
            taken.add(new)
            found.append({"username": name, "email": _fold(email), "new": new})
    return found


def app_names(ctx: Context) -> list[dict]:
    receiving = dict(App.objects.values_list("name", "application__client_id"))
    receiving_clients = set(receiving.values())
    moving = ctx.rows(App, RULES["sharing.App"]).values_list("name", "application__client_id")
    taken = set(receiving) | {name for name, _ in moving}
    found = []
    for name, client in sorted(moving):
        if client in receiving_clients:
            continue  # the same OAuth2 client: one app
        if name in receiving:
            new = _free_name(name, taken, " ")
            taken.add(new)
            found.append({"name": name, "new": new})
    return found


def source_ids(ctx: Context) -> list[dict]:
    def unscoped(alias, rows=None):
        rows = rows if rows is not None else SourceAlias.objects.using(alias)
        return rows.filter(scope="").values_list("source", "kind", "external_id", "sourced_id")

    receiving = defaultdict(set)
    for source, kind, external, sourced in unscoped(DEFAULT_DB_ALIAS):
        receiving[(source, kind, external)].add(sourced)
    moving = ctx.rows(SourceAlias, RULES["registry.SourceAlias"])
    found = []
    for source, kind, external, sourced in unscoped(ctx.alias, moving):
        theirs = receiving.get((source, kind, external))
        if theirs and sourced not in theirs:
            found.append({"source": source, "kind": kind, "external_id": external})
    return sorted(found, key=lambda f: (f["source"], f["kind"], f["external_id"]))


def _references(alias: str, pupils=None) -> set[str]:
    pupils = pupils if pupils is not None else Pupil.objects.using(alias)
    held = set(
        pupils.exclude(structured_reference=None).values_list("structured_reference", flat=True)
    )
    aliases = PaymentReferenceAlias.objects.using(alias)
    return held | set(aliases.values_list("structured_reference", flat=True))


def payment_references(ctx: Context) -> list[dict]:
    ours = _references(DEFAULT_DB_ALIAS)
    moving = Pupil.objects.using(ctx.alias).filter(institution__in=ctx.institutions)
    rows = moving.filter(structured_reference__in=list(ours)) if len(ours) < 5000 else moving
    rows = rows.exclude(structured_reference=None).values_list(
        "structured_reference", "sourced_id", "institution__number"
    )
    taken = ours | _references(ctx.alias)
    found = []
    for reference, sourced_id, number in rows.iterator(chunk_size=5000):
        if reference in ours:
            found.append(
                {
                    "reference": reference,
                    "new": new_reference(taken),
                    "pupil": str(sourced_id),
                    "institution": number,
                }
            )
    return sorted(found, key=lambda f: f["reference"])


def collisions(ctx: Context) -> dict:
    numbers = institution_numbers(ctx)
    return {
        "institution_numbers": numbers,
        "class_codes": class_codes(ctx, numbers) if numbers else [],
        "user_names": user_names(ctx),
        "app_names": app_names(ctx),
        "source_ids": source_ids(ctx),
        "payment_references": payment_references(ctx),
        "class_logins": class_logins(ctx),
        "unique_values": plan_unique.unique_values(ctx),
    }


def refusal(plan: dict) -> tuple[str, str] | None:
    """Why no merge may run this plan (Dutch, English), from its collision lists: a school in
    both databases, or a unique value the fold cannot resolve. None: nothing refuses it."""
    found = plan.get("collisions") or {}
    numbers = found.get("institution_numbers") or []
    if numbers:
        return (
            f"Instelling {numbers[0]} staat in beide databanken: zo'n school kan niet worden "
            "samengevoegd (haal ze eerst uit een van beide).",
            "an institution number is on both sides",
        )
    clashes = found.get("unique_values") or []
    if clashes:
        return (
            "Het plan noemt waarden die in beide databanken voorkomen en uniek moeten zijn: "
            + "; ".join(plan_unique.sentence(c) for c in clashes)
            + ". Los dat eerst op in een van beide databanken en maak een nieuw plan.",
            f"{sum(c['rows'] for c in clashes)} unique value(s) on both sides",
        )
    return None
