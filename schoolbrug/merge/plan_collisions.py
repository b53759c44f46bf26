"""What collides between the two sides, and how the merge resolves each:

- institution numbers: the same school in both databases; refused (a plan with one is
  written so that people see it, but no merge runs it);
- class codes in one institution: only possible in such a school, listed with it;
- user names: a name the receiving side gives someone else; the moving person gets a new
  one (listed, to hand out); everyone else keeps theirs;
- app names: another app with the same name; the moving one gets a new name;
- source ids: an unscoped source id (a staff member's WISA id) the receiving side already
  uses; the receiving side's stays, the moving side's next staff upload matches by e-mail;
- payment references: see TODO below.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS

from schoolbrug.registry.models import Institution, SchoolClass, SourceAlias
from schoolbrug.sharing.models import App

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


def collisions(ctx: Context) -> dict:
    numbers = institution_numbers(ctx)
    return {
        "institution_numbers": numbers,
        "class_codes": class_codes(ctx, numbers) if numbers else [],
        "user_names": user_names(ctx),
        "app_names": app_names(ctx),
        "source_ids": source_ids(ctx),
        # TODO(payment references): m2payref's schoolbrug.registry.payment_references
        # (new_reference(taken), PaymentReferenceAlias) is not on main yet; when it lands,
        # list each moving pupil's reference the receiving side already uses, with its new one.
        "payment_references": [],
    }
