"""What the merge does with each table: one rule per model of every installed app.

A rule folds the table (the moving side's rows are added with new integer ids, every foreign
key mapped to its parent's new id, every `sourced_id` kept) or skips it with a written reason.
A folded table may name a natural key (`join_on`): a moving row whose key the receiving side
already has is that row (the same school year, product, user, staff member), so it is not added
and its children point to the receiving row. tests/merge/test_tables.py fails when a model has
no rule, so a new table is decided here before it can be forgotten in a merge.

`scope` says which rows move when only some of the other database's institutions do (a Q on
the source's rows; the whole database moving takes every row). A row whose required parent
does not move is left behind whatever its scope says; an optional parent that does not move
becomes empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q

FOLD = "fold"
SKIP = "skip"


@dataclass(frozen=True)
class Rule:
    action: str
    reason: str = ""
    # Which rows move with the chosen institutions: ctx -> Q on the source's rows (None: all).
    scope: Callable | None = None
    # Rows that never move, whatever is chosen (a Q on the source's rows).
    never: Q | None = None
    # A natural key: a moving row whose key the receiving side has is joined, not added.
    join_on: tuple[str, ...] = ()
    join_casefold: bool = False  # e-mail addresses: one person whatever the capitals
    # Foreign keys whose parent, when joined, takes the row's place: the row is left out
    # (the receiving side's settings of a joined LOP or board win).
    drop_if_joined: tuple[str, ...] = ()
    # A field renamed where the plan's collisions say so (plan key, field).
    rename: tuple[str, str] | None = None
    # Values every added row gets (no superuser of the other database becomes one here).
    set_values: dict = field(default_factory=dict)
    # Our ids of these records: a row's `sourced_id` follows its record when joined.
    follows_sourced_id: bool = False
    # The row names another record by its `sourced_id` (an alias, a source's details): it
    # follows that record when joined.
    refers_sourced_id: bool = False
    # ctx -> a function that rewrites an added row (a dict by attname) before it is written:
    # values derived with this server's secret key.
    rewrite: Callable | None = None
    # Unique fields a collision list of the plan names (and execute refuses or renews):
    # plan_unique.py checks every other unique constraint.
    listed_by: tuple[str, ...] = ()


def skip(reason: str) -> Rule:
    return Rule(SKIP, reason)


def _in(path: str) -> Callable:
    return lambda ctx: Q(**{f"{path}__in": ctx.institutions})


def _numbers(field_name: str) -> Callable:
    return lambda ctx: Q(**{f"{field_name}__in": ctx.numbers})


def _sourced(ctx) -> Q:
    """Aliases and details of the records that move (by their `sourced_id`)."""
    model = apps.get_model
    return (
        Q(sourced_id__in=ctx.source_ids(model("registry.Pupil"), "institution"))
        | Q(sourced_id__in=ctx.source_ids(model("registry.SchoolClass"), "institution"))
        | Q(sourced_id__in=ctx.source_ids(model("registry.Enrolment"), "pupil__institution"))
        | Q(sourced_id__in=ctx.source_ids(model("registry.Staff"), "assignments__institution"))
        | Q(sourced_id__in=ctx.source_ids(model("registry.Institution"), "pk"))
    )


def _aliases(ctx) -> Q:
    """Aliases of the records that move, and those scoped by a moving school's number (a
    course or enrollment id a OneRoster set gave)."""
    return _sourced(ctx) | Q(scope__in=ctx.numbers)


def _users(ctx) -> Q:
    staff = apps.get_model("registry.Staff")
    emails = ctx.source_values(staff, "assignments__institution", "email")
    return (
        Q(email__in=emails)
        | Q(role_grants__board__institution__in=ctx.institutions)
        | Q(role_grants__lop_school__institution__in=ctx.institutions)
    )


def _class_codes(ctx) -> Callable:
    """A class code's digest is keyed with the server's secret key: made again with ours, so
    the moved class's code still opens its name list. A code a class here already has (rare:
    a 6-letter code) is replaced by a new one and a new version (the report lists the
    classes: their devices are set up again)."""
    from schoolbrug.encryption import decrypt, encrypt
    from schoolbrug.platform import class_codes

    login = apps.get_model("platform.ClassLogin")
    taken = set(login.objects.exclude(code_digest="").values_list("code_digest", flat=True))
    renewed = ctx.notes.setdefault("new_class_codes", [])

    def rewrite(row: dict) -> None:
        if not row["code"]:
            row["code_digest"] = ""
            return
        digest = class_codes.digest(decrypt(row["code"]))
        while digest in taken:
            code = class_codes.new_code()
            digest = class_codes.digest(code)
            row["code"], row["code_version"] = encrypt(code), row["code_version"] + 1
            renewed.append(row["school_class_id"])
        taken.add(digest)
        row["code_digest"] = digest

    return rewrite


_TOKENS = (
    "an access credential of the other server: apps ask this one for a new token with their "
    "client id and secret (the applications are folded), people log in again"
)

RULES: dict[str, Rule] = {
    # Django and libraries
    "contenttypes.ContentType": Rule(FOLD, join_on=("app_label", "model")),
    "auth.Permission": Rule(FOLD, join_on=("content_type", "codename")),
    "auth.Group": Rule(FOLD, join_on=("name",)),
    "auth.Group_permissions": Rule(FOLD, join_on=("group", "permission")),
    "auth.User": Rule(
        FOLD,
        "one account per e-mail address; a user name taken by someone else gets the plan's new "
        "name; nobody of the other database becomes superuser or admin-site staff here",
        scope=_users,
        join_on=("email",),
        join_casefold=True,
        rename=("user_names", "username"),
        set_values={"is_superuser": False, "is_staff": False},
    ),
    "auth.User_groups": Rule(FOLD, join_on=("user", "group")),
    "auth.User_user_permissions": Rule(FOLD, join_on=("user", "permission")),
    "admin.LogEntry": skip(
        "Django's admin log names objects by their old ids; the audit history (folded) is the "
        "record of who changed what"
    ),
    "sessions.Session": skip("log-in sessions of the other server: people log in again"),
    "oauth2_provider.Application": Rule(FOLD, join_on=("client_id",)),
    "oauth2_provider.Grant": skip(_TOKENS),
    "oauth2_provider.AccessToken": skip(_TOKENS),
    "oauth2_provider.RefreshToken": skip(_TOKENS),
    "oauth2_provider.IDToken": skip(_TOKENS),
    "oauth2_provider.DeviceGrant": skip(_TOKENS),
    "axes.AccessAttempt": skip("failed log-in counters of the other server: short-lived locks"),
    "axes.AccessAttemptExpiration": skip("the expiry of the skipped log-in counters"),
    "axes.AccessFailureLog": skip("the other server's failed log-in log, kept there"),
    "axes.AccessLog": skip("the other server's log-in log, kept there"),
    # registry
    "registry.Board": Rule(
        FOLD, scope=_in("institution"), join_on=("sourced_id",), follows_sourced_id=True
    ),
    "registry.Community": Rule(
        FOLD, scope=_in("institution"), join_on=("sourced_id",), follows_sourced_id=True
    ),
    "registry.Institution": Rule(
        FOLD,
        "a number both sides have is refused by the plan",
        scope=_in("pk"),
        listed_by=("number",),
    ),
    "registry.Site": Rule(FOLD, scope=_in("institution")),
    "registry.SchoolYear": Rule(
        FOLD,
        "one school year per start year: the receiving side's (its id replaces the moving "
        "side's; the report lists the replaced ids)",
        join_on=("start_year",),
        follows_sourced_id=True,
    ),
    "registry.SchoolClass": Rule(FOLD, scope=_in("institution")),
    "registry.Pupil": Rule(
        FOLD,
        "pupils are records per institution: the same child in a school of each side keeps "
        "both (the plan lists them as the same person); a payment reference the receiving "
        "side holds is replaced by the plan's new one, the old one kept as an alias",
        scope=_in("institution"),
        rename=("payment_references", "structured_reference"),
    ),
    "registry.PaymentReferenceAlias": Rule(
        FOLD,
        "a former reference the receiving side already holds stays the receiving side's",
        scope=_in("pupil__institution"),
        join_on=("structured_reference",),
    ),
    "registry.Enrolment": Rule(FOLD, scope=_in("pupil__institution")),
    "registry.SubclassMembership": Rule(FOLD, scope=_in("pupil__institution")),
    "registry.Staff": Rule(
        FOLD,
        "one staff member per e-mail address, or as the plan's confirmed candidates say",
        scope=_in("assignments__institution"),
        join_on=("email",),
        join_casefold=True,
        follows_sourced_id=True,
    ),
    "registry.Assignment": Rule(FOLD, scope=_in("institution")),
    "registry.Teaching": Rule(FOLD, scope=_in("assignment__institution")),
    "registry.AcademicSession": Rule(FOLD, scope=_in("institution")),
    "registry.SourceAlias": Rule(
        FOLD,
        "a source id the receiving side already uses for the same kind stays the receiving "
        "side's (the plan lists them)",
        scope=_aliases,
        join_on=("source", "scope", "kind", "external_id"),
        refers_sourced_id=True,
    ),
    "registry.SourceDetails": Rule(
        FOLD, scope=_sourced, join_on=("sourced_id",), refers_sourced_id=True
    ),
    "registry.DataVersion": skip(
        "derived: the registry's triggers give it a new token at the fold's commit"
    ),
    "registry.DataChange": skip("empty outside a writing transaction (PostgreSQL bookkeeping)"),
    # audit, sync, links
    "audit.AuditEntry": Rule(FOLD, scope=_numbers("institution_number")),
    "sync.SyncRun": Rule(FOLD, scope=_numbers("institution_number")),
    "sync.HeldLeaver": Rule(FOLD, scope=_in("pupil__institution")),
    "links.SourceLink": Rule(FOLD, scope=_in("institution")),
    "links.LinkUpload": Rule(
        FOLD,
        "the rows (ids kept); the stored export files stay on the other server",
        scope=_in("link__institution"),
    ),
    # sharing
    "sharing.ProtocolVersion": Rule(FOLD, join_on=("version",)),
    "sharing.Sharing": Rule(FOLD, scope=_in("institution")),
    "sharing.App": Rule(
        FOLD,
        "the same OAuth2 client is one app; another app with a taken name gets the plan's name",
        join_on=("application",),
        rename=("app_names", "name"),
    ),
    "sharing.AppGrant": Rule(FOLD, scope=_in("institution")),
    "sharing.AppGrant_classes": Rule(FOLD, scope=_in("appgrant__institution")),
    "sharing.VisibilityGeneration": skip("derived: the fold gives it a new token (bump)"),
    # enrolment (LOP)
    "enrolment.Lop": Rule(FOLD, scope=_in("schools__institution"), join_on=("slug",)),
    "enrolment.LopSchool": Rule(FOLD, scope=_in("institution")),
    "enrolment.AdministrativeGroup": Rule(FOLD, join_on=("code",)),
    "enrolment.Offer": Rule(FOLD, scope=_in("school__institution")),
    "enrolment.FreeEnrolmentStart": Rule(
        FOLD, scope=_in("lop__schools__institution"), drop_if_joined=("lop",)
    ),
    "enrolment.SchoolAdminRights": Rule(
        FOLD, scope=_in("lop__schools__institution"), drop_if_joined=("lop",)
    ),
    "enrolment.FreePlacesSnapshot": Rule(
        FOLD, scope=_in("lop__schools__institution"), drop_if_joined=("lop",)
    ),
    # roles
    "roles.RoleGrant": Rule(
        FOLD,
        "site admins of the other database are not site admins here, and a joined board keeps "
        "its own admins (the plan's central admin is made board admin)",
        scope=lambda ctx: (
            Q(board__institution__in=ctx.institutions)
            | Q(lop_school__institution__in=ctx.institutions)
            | Q(lop__schools__institution__in=ctx.institutions)
        ),
        never=Q(role="site_admin"),
        drop_if_joined=("board",),
    ),
    "roles.StartPageVisit": Rule(FOLD, join_on=("user",)),
    # platform
    "platform.Product": Rule(FOLD, join_on=("code",), follows_sourced_id=True),
    "platform.Licence": Rule(FOLD, scope=_in("institution")),
    "platform.LicenceClass": Rule(FOLD, scope=_in("licence__institution")),
    "platform.LicenceSeat": Rule(FOLD, scope=_in("licence__institution")),
    "platform.ClassLogin": Rule(
        FOLD,
        "a class code the receiving side has is renewed (the plan lists the classes)",
        scope=_in("school_class__institution"),
        rewrite=_class_codes,
        listed_by=("code_digest",),
    ),
    "platform.PupilLogin": Rule(FOLD, scope=_in("pupil__institution")),
    "platform.AddressLock": skip("failed pupil log-ins per address: short-lived locks"),
    "platform.MonitoringLink": Rule(FOLD, scope=_in("institution")),
    "platform.ProductResult": Rule(FOLD, scope=_in("institution")),
    "platform.GradebookLineItem": Rule(FOLD, scope=_in("school_class__institution")),
    "platform.GradebookCategory": Rule(
        FOLD,
        "a product's category (its own id) that the receiving side has is the same one",
        join_on=("product", "sourced_id"),
    ),
    "platform.ScoreScale": Rule(FOLD, scope=_in("school_class__institution")),
}

# Models the merge app itself will own (m3gate's plans, approvals and runs): not data of a
# school, never copied from the other database.
OWN_APP = "merge"


def rule_for(model) -> Rule | None:
    if model._meta.app_label == OWN_APP:
        return skip("the merge's own bookkeeping (plans, approvals, runs) of this database")
    return RULES.get(model._meta.label)


def all_models() -> list:
    return list(apps.get_models(include_auto_created=True))


def missing_rules() -> list[str]:
    return [m._meta.label for m in all_models() if rule_for(m) is None]
