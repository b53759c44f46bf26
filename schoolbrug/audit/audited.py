"""Which models the change log follows, and how: one line each.

Every concrete model of every installed app is either here in `AUDITED` or in `EXEMPT` with
the reason; `tests/audit/test_catalogue.py` fails for a model that is in neither, so a new
model cannot be forgotten. Following a model needs no code in the places that change it: a
save, delete or many-to-many change through the ORM is logged by `audit.changes`.

Bulk statements (`bulk_create`, `bulk_update`, `QuerySet.update`, COPY) send no signals. That
is on purpose: the sync and the staff upload write thousands of rows and their own audit
entries in bulk (`sync/apply.py`, `staff/upload.py`), and `institutions load` writes its
entries in bulk with `changes.record_bulk`. No signal fires on those paths, so nothing is
doubled and nothing is slowed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

# Ids for the log of models without a public `sourced_id`: derived from the table and the
# primary key, so every change of one row carries the same id.
AUDIT_ID_NAMESPACE = uuid.UUID("6c7c2b4e-2f4a-4f6e-9d7e-5b1f0a3c8e21")


@dataclass(frozen=True, slots=True)
class Audited:
    """How one model is logged. Every concrete field is logged (a new field too) except:

    - `ignore`: fields that say nothing the entry does not (timestamps, the actor again);
    - `secret`: logged as "gewijzigd"/"gewist" only, never their value;
    - `masked`: national numbers, logged masked (`85.07.30-***.**`).
    `many`: many-to-many fields followed (every forward one must be here or in `ignore`).
    `institution`: attribute path to the institution number ("" for none); by default
    `institution.number` when the model has an `institution`.
    `audit_id`: the entity's id in the log; by default `sourced_id`, else derived from pk.
    `action`: the entry's action from ("create"|"update"|"delete", changes).
    """

    model: str  # "app_label.ModelName"
    entity: str
    ignore: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    masked: tuple[str, ...] = ()
    many: tuple[str, ...] = ()
    institution: str | None = None
    audit_id: Callable[[object], uuid.UUID] | None = None
    action: Callable[[str, dict], str] | None = None


def derived_id(label: str, *parts: object) -> uuid.UUID:
    return uuid.uuid5(AUDIT_ID_NAMESPACE, ":".join([label, *map(str, parts)]))


def _grant_id(grant) -> uuid.UUID:
    # One history per app and school, across a revoke and a new grant.
    return derived_id("sharing.appgrant", grant.app_id, grant.institution_id)


def _grant_action(kind: str, changes: dict) -> str:
    return "revoke" if kind == "delete" else "grant"


def _sharing_action(kind: str, changes: dict) -> str:
    if kind == "create":
        return "activate"
    if kind == "update" and (changes.get("deactivated_at") or [None, None])[1] is not None:
        return "deactivate"
    return kind


AUDITED = [
    # registry: hand edits in the admin (the sync writes its own entries in bulk)
    Audited("registry.Board", "board"),
    Audited("registry.Community", "community"),
    Audited("registry.Institution", "institution", institution="number"),
    Audited("registry.Site", "site"),
    Audited("registry.SchoolClass", "class"),
    Audited("registry.Pupil", "pupil", masked=("national_number",)),
    # A former payment reference that still matches (a merge gave the pupil a new one).
    Audited(
        "registry.PaymentReferenceAlias",
        "payment_alias",
        institution="pupil.institution.number",
    ),
    Audited("registry.Enrolment", "enrolment", institution="school_class.institution.number"),
    Audited("registry.Staff", "staff"),
    Audited("registry.Assignment", "assignment", many=("classes",)),
    Audited("registry.Teaching", "teaching", institution="assignment.institution.number"),
    # A school's own terms and grading periods (the defaults a sync makes are derived, in bulk).
    Audited("registry.AcademicSession", "academic_session"),
    # A OneRoster set's username, userIds and enrollment dates of a pupil, staff member or
    # enrolment (written in bulk by sync/source_details.py, which logs each change).
    Audited("registry.SourceDetails", "source_details", institution=""),
    # Written in bulk by sharing/subclasses.py and sync/subclasses.py, which log each change
    # on the pupil (`subclass` old → new); an edit through the ORM is logged here.
    Audited(
        "registry.SubclassMembership",
        "subclass_membership",
        institution="subclass.institution.number",
    ),
    # sharing: consent, apps and what schools grant them
    Audited("sharing.ProtocolVersion", "protocol"),
    Audited("sharing.Sharing", "sharing", action=_sharing_action),
    Audited("sharing.App", "app"),
    Audited(
        "sharing.AppGrant",
        "app_access",
        ignore=("granted_at", "granted_by"),  # the entry's own time and actor
        many=("classes",),
        audit_id=_grant_id,
        action=_grant_action,
    ),
    Audited(
        "oauth2_provider.Application",
        "oauth_client",
        ignore=("created", "updated"),
        secret=("client_secret",),
    ),
    # links: the link with the administration package
    Audited(
        "links.SourceLink",
        "link",
        # last_run_at: the scheduler's bookkeeping; token_created_at: the entry's own time
        ignore=("last_run_at", "token_created_at"),
        secret=("token_hash", "informat_client_secret"),
    ),
    # who may log in, and with which rights
    Audited(
        "auth.User",
        "user",
        ignore=("last_login", "date_joined"),
        secret=("password",),
        many=("groups", "user_permissions"),
    ),
    Audited("auth.Group", "group", many=("permissions",)),
    # the enrolment site of a LOP (enrolment/): its schools, their offer, the rights the LOP
    # sets; the administrative groups list is written in bulk by `sync-admin-groups`, which
    # logs its changes with `changes.record_bulk`
    Audited("enrolment.Lop", "lop", ignore=("version",)),  # a cache token (public_cache.py)
    Audited("enrolment.LopSchool", "lop_school"),
    Audited("enrolment.AdministrativeGroup", "admin_group"),
    Audited(
        "enrolment.Offer", "offer", ignore=("updated_at",), institution="school.institution.number"
    ),
    Audited("enrolment.FreeEnrolmentStart", "free_enrol_start"),
    Audited("enrolment.SchoolAdminRights", "school_rights"),
    # roles granted by hand: site admin, board admin, LOP expert, school admin (roles/models.py)
    Audited("roles.RoleGrant", "role", ignore=("granted_by",)),  # the entry's own actor
    # the learning platform (platform/): catalogue, licences, classes linked, log-in methods
    Audited("platform.Product", "product", institution=""),
    Audited("platform.Licence", "licence"),
    Audited("platform.LicenceClass", "licence_class", institution="licence.institution.number"),
    # The class code only as "gewijzigd" (its digest says nothing more); a renewal shows as
    # the code changed and its version raised.
    Audited(
        "platform.ClassLogin",
        "class_login",
        secret=("code",),
        ignore=("code_digest",),
        institution="school_class.institution.number",
    ),
    # The PIN only as "gewijzigd"; attempts and the lock are counted by QuerySet.update (no
    # entry per wrong try), an unlock is logged by hand (platform/pupil_login.py).
    Audited(
        "platform.PupilLogin",
        "pupil_login",
        secret=("pin",),
        ignore=("failed_attempts", "locked_until"),
        institution="pupil.institution.number",
    ),
    # The exchange with the pupil-monitoring system: consent and key (only as "gewijzigd").
    Audited("platform.MonitoringLink", "monitoring_link", secret=("authorization_key",)),
    # a database merge (merge/): each director's approval, each run (started, done, rolled back)
    Audited("merge.MergeApproval", "merge_approval", institution="institution_number"),
    Audited("merge.MergeRun", "merge_run", ignore=("report",), institution=""),
]

# Fields no model logs: the entry has its own time, and the entity's id.
ALWAYS_IGNORED = frozenset({"created_at", "updated_at", "sourced_id"})

EXEMPT = {
    # the log itself, and Django's own admin log (a second log of the same admin edits)
    "audit.AuditEntry": "the change log itself",
    "admin.LogEntry": "Django's admin history; the change log records the same edits",
    # records of work done, not data of record: they grant nothing
    "sync.SyncRun": "a run's record; the entries it wrote point to it",
    "links.LinkUpload": "an export that came in and the state of its sync",
    "sync.HeldLeaver": "a pupil the sync holds from leaving in the summer; its run says so",
    # log-in attempts and lock-outs (django-axes): a security log of their own, kept by axes
    "axes.AccessAttempt": "failed log-ins counted for the lock-out; axes' own log",
    "axes.AccessAttemptExpiration": "when a lock-out ends; part of axes' own log",
    "axes.AccessFailureLog": "failed log-ins; axes' own log",
    "axes.AccessLog": "log-ins and log-outs; axes' own log",
    "sharing.VisibilityGeneration": "a cache token that moves with every audited sharing change",
    "registry.DataVersion": "a cache token that triggers move with every registry commit",
    "registry.DataChange": "a registry commit's marker until it commits; empty otherwise",
    # written only by the sync, in bulk, and read-only in the admin
    "registry.SourceAlias": "ids the sources give our entities; the sync keeps them",
    "registry.SchoolYear": "a calendar fact the first sync of a year creates; grants nothing",
    "platform.LicenceSeat": "written in bulk; each seat taken or freed is logged on its pupil",
    "platform.AddressLock": "failed pupil log-ins of one address; a security count",
    "platform.GradebookLineItem": "a product's own exercise or test, put through the API",
    "platform.GradebookCategory": "a product's own grouping of its line items (exercise or "
    "test), put through the API; what is sent is decided per result, which has its own status",
    "platform.ScoreScale": "a product's own description of its scores, put through the API",
    "platform.ProductResult": "a product's reported score, passed on as is; its delivery has "
    "its own status (attempts, last error, delivered at)",
    "enrolment.FreePlacesSnapshot": "a kept copy of the free places on 1 July; changes nothing",
    "merge.MergePlanRecord": "a copy of a plan file, known by its digest; its approvals and "
    "runs are logged",
    "merge.ReadOnlyFlag": "up while a merge runs; the run's entries say when it started and ended",
    # framework tables
    "auth.Permission": "the list of permissions Django derives from the models",
    "contenttypes.ContentType": "Django's table of models",
    "sessions.Session": "log-in sessions",
    "roles.StartPageVisit": "when a person last opened their start page; grants nothing",
    # OAuth2 credentials issued per request under an app's registration (which is audited):
    # logging each would put a line in the log for every token an app asks for
    "oauth2_provider.AccessToken": "issued for an hour under an audited app",
    "oauth2_provider.RefreshToken": "not issued: client credentials only",
    "oauth2_provider.Grant": "not issued: client credentials only",
    "oauth2_provider.IDToken": "not issued: client credentials only",
    "oauth2_provider.DeviceGrant": "not issued: client credentials only",
}
