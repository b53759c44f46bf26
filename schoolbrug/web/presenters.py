"""Plain data shaped for pages and downloads: the run report, findings, audit changes.

Everything here is a pure function of model rows or dicts. A national number leaves this
module only masked, whatever the stored data holds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schoolbrug.audit.models import AuditEntry
from schoolbrug.sources.findings import mask_national_number, mask_national_numbers_in
from schoolbrug.sync.models import SyncRun

# The sync's count keys (sync/plan.py PupilActionKind), in the order the pages show them.
ACTION_LABELS = {
    "created": gettext_lazy("nieuw"),
    "moved": gettext_lazy("van klas veranderd"),
    "updated": gettext_lazy("gewijzigd"),
    "left": gettext_lazy("naar Schoolverlaters"),
    "returned": gettext_lazy("teruggekeerd"),
    "deferred": gettext_lazy("uitgesteld"),
    "rejected": gettext_lazy("geweigerd"),
    "unchanged": gettext_lazy("ongewijzigd"),
}

SEVERITY_LABELS = {
    "error": gettext_lazy("Fouten"),
    "warning": gettext_lazy("Waarschuwingen"),
}
SEVERITY_SINGULAR = {
    "error": gettext_lazy("fout"),
    "warning": gettext_lazy("waarschuwing"),
}
SEVERITY_ORDER = {"error": 0, "warning": 1}

# Field names in audit changes → what the secretary calls them.
FIELD_LABELS = {
    "family_name": gettext_lazy("naam"),
    "given_name": gettext_lazy("voornaam"),
    "gender": gettext_lazy("geslacht"),
    "birth_date": gettext_lazy("geboortedatum"),
    "registration_number": gettext_lazy("stamboeknummer"),
    "email": gettext_lazy("e-mail"),
    "phone": gettext_lazy("telefoon"),
    "contacts": gettext_lazy("contactgegevens"),
    "care_record": gettext_lazy("zorgfiche"),
    "class": gettext_lazy("klas"),
    "class_number": gettext_lazy("klasnummer"),
    "national_number": gettext_lazy("rijksregisternummer"),
    "origin": gettext_lazy("herkomst"),
    "source_id": gettext_lazy("id in het administratiepakket"),
    "stage": gettext_lazy("graad"),
    "year": gettext_lazy("leerjaar"),
    "years": gettext_lazy("leerjaren"),
    "curriculum": gettext_lazy("vakkenpakket"),
    "kindergarten_level": gettext_lazy("kleuterniveau"),
    "is_active": gettext_lazy("actief"),
    "teacher": gettext_lazy("leerkracht"),
    "subclass": gettext_lazy("subklas"),
    "ended_at": gettext_lazy("beëindigd op"),
    # organisation and structure
    "number": gettext_lazy("nummer"),
    "name": gettext_lazy("naam"),
    "level": gettext_lazy("niveau"),
    "board": gettext_lazy("schoolbestuur"),
    "community": gettext_lazy("scholengemeenschap"),
    "contact_source": gettext_lazy("contactgegevens uit"),
    "institution": gettext_lazy("instelling"),
    "street": gettext_lazy("straat"),
    "postal_code": gettext_lazy("postcode"),
    "city": gettext_lazy("gemeente"),
    "code": gettext_lazy("klascode"),
    "site": gettext_lazy("vestigingsplaats"),
    "parent": gettext_lazy("hoofdklas"),
    "is_leavers": gettext_lazy("klas Schoolverlaters"),
    "school_year": gettext_lazy("schooljaar"),
    "address": gettext_lazy("adres"),
    "is_leaver": gettext_lazy("schoolverlater"),
    "pupil": gettext_lazy("leerling"),
    "school_class": gettext_lazy("klas"),
    # staff and their rights
    "staff": gettext_lazy("personeelslid"),
    "role": gettext_lazy("rol"),
    "start_date": gettext_lazy("startdatum"),
    "end_date": gettext_lazy("einddatum"),
    "classes": gettext_lazy("klassen"),
    "assignment": gettext_lazy("opdracht"),
    "schoolclass": gettext_lazy("klas"),
    # sharing, apps and their access
    "protocol": gettext_lazy("protocol"),
    "active": gettext_lazy("actief"),
    "activated_at": gettext_lazy("geactiveerd op"),
    "activated_by": gettext_lazy("geactiveerd door"),
    "deactivated_at": gettext_lazy("gestopt op"),
    "deactivated_by": gettext_lazy("gestopt door"),
    "version": gettext_lazy("versie"),
    "title": gettext_lazy("titel"),
    "kind": gettext_lazy("soort"),
    "text": gettext_lazy("tekst"),
    "allows_national_number": gettext_lazy("rijksregisternummer toegelaten"),
    "published_at": gettext_lazy("gepubliceerd op"),
    "access": gettext_lazy("toegang"),
    "app": gettext_lazy("applicatie"),
    "all_classes": gettext_lazy("alle klassen"),
    "allowed_scopes": gettext_lazy("toegelaten scopes"),
    "application": gettext_lazy("OAuth-client"),
    "client_id": gettext_lazy("client id"),
    "client_secret": gettext_lazy("client secret"),
    "client_type": gettext_lazy("soort client"),
    "authorization_grant_type": gettext_lazy("soort toekenning"),
    "hash_client_secret": gettext_lazy("geheim als hash bewaard"),
    "skip_authorization": gettext_lazy("zonder toestemmingsscherm"),
    "redirect_uris": gettext_lazy("terugkeeradressen"),
    "post_logout_redirect_uris": gettext_lazy("adressen na afmelden"),
    "allowed_origins": gettext_lazy("toegelaten herkomsten"),
    "algorithm": gettext_lazy("algoritme"),
    "registration_source": gettext_lazy("geregistreerd via"),
    "cimd_expires_at": gettext_lazy("clientgegevens geldig tot"),
    "user": gettext_lazy("gebruiker"),
    # the link with the administration package
    "token": gettext_lazy("token"),
    "token_prefix": gettext_lazy("token"),
    "token_hash": gettext_lazy("token (vingerafdruk)"),
    "source": gettext_lazy("administratiepakket"),
    "sync_active": gettext_lazy("synchronisatie actief"),
    "daily_time": gettext_lazy("dagelijks tijdstip"),
    "leaver_blackout": gettext_lazy("zomerperiode zonder schoolverlaters"),
    "informat_base_url": gettext_lazy("Informat: adres leerlingen"),
    "informat_token_url": gettext_lazy("Informat: adres token"),
    "informat_client_id": gettext_lazy("Informat: client id"),
    "informat_client_secret": gettext_lazy("Informat: client secret"),
    "informat_scope": gettext_lazy("Informat: scope"),
    # log-ins and their rights
    "username": gettext_lazy("gebruikersnaam"),
    "first_name": gettext_lazy("voornaam"),
    "last_name": gettext_lazy("familienaam"),
    "password": gettext_lazy("wachtwoord"),
    "is_staff": gettext_lazy("toegang tot het beheer"),
    "is_superuser": gettext_lazy("alle rechten (superuser)"),
    "groups": gettext_lazy("groepen"),
    "user_permissions": gettext_lazy("rechten"),
    "permissions": gettext_lazy("rechten"),
}

ENTITY_LABELS = {
    "pupil": gettext_lazy("leerling"),
    "class": gettext_lazy("klas"),
    "subclass": gettext_lazy("subklas"),
    "institution": gettext_lazy("instelling"),
    "staff": gettext_lazy("personeelslid"),
    "enrolment": gettext_lazy("inschrijving"),
    "sharing": gettext_lazy("delen van klasinformatie"),
    "app_access": gettext_lazy("toegang van een applicatie"),
    "link": gettext_lazy("koppeling met het administratiepakket"),
    "assignment": gettext_lazy("opdracht"),
    "teacher": gettext_lazy("leerkracht"),
    "board": gettext_lazy("schoolbestuur"),
    "community": gettext_lazy("scholengemeenschap"),
    "site": gettext_lazy("vestigingsplaats"),
    "teaching": gettext_lazy("klas van een leerkracht"),
    "subclass_membership": gettext_lazy("lid van een subklas"),
    "academic_session": gettext_lazy("periode"),
    "protocol": gettext_lazy("protocoltekst"),
    "app": gettext_lazy("applicatie"),
    "oauth_client": gettext_lazy("OAuth-client van een applicatie"),
    "user": gettext_lazy("gebruiker"),
    "group": gettext_lazy("groep"),
}

CONTACT_ROLE_LABELS = {
    "father": gettext_lazy("Vader"),
    "mother": gettext_lazy("Moeder"),
    "guardian": gettext_lazy("Voogd"),
}
CONTACT_FIELD_LABELS = {
    "street": gettext_lazy("straat"),
    "number": gettext_lazy("nummer"),
    "box": gettext_lazy("bus"),
    "postal_code": gettext_lazy("postcode"),
    "city": gettext_lazy("gemeente"),
    "email": gettext_lazy("e-mail"),
    "phone": gettext_lazy("telefoon"),
}

# The keys a finding may carry into a page or a report; anything else is dropped.
FINDING_KEYS = (
    "code",
    "severity",
    "outcome",
    "message",
    "hint",
    "file",
    "line",
    "field",
    "national_number_masked",
    "class_code",
    "pupil_name",
)


def action_label(key: str) -> str:
    return str(ACTION_LABELS.get(key, key))


def entity_label(key: str) -> str:
    return str(ENTITY_LABELS.get(key, key))


def ordered_counts(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(key, Dutch label, count) in the sync's order; unknown keys after, as they are."""
    known = [
        (key, str(label), counts[key]) for key, label in ACTION_LABELS.items() if key in counts
    ]
    rest = [(key, key, value) for key, value in sorted(counts.items()) if key not in ACTION_LABELS]
    return known + rest


def safe_finding(finding: dict[str, Any]) -> dict[str, Any]:
    """A stored finding with only its public keys and the national number masked again."""
    # Masked again: a run stored before every text was masked may quote a full number.
    safe = {key: mask_national_numbers_in(finding.get(key, "")) for key in FINDING_KEYS}
    if safe["line"] == "":
        safe["line"] = None
    safe["severity"] = safe["severity"] or "error"
    safe["national_number_masked"] = mask_national_number(str(safe["national_number_masked"] or ""))
    return safe


def sorted_findings(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors first, then warnings; within each by file and line as the secretary reads them."""
    safe = [safe_finding(f) for f in findings]
    return sorted(
        safe,
        key=lambda f: (
            SEVERITY_ORDER.get(f["severity"], 9),
            f["file"] or "",
            f["line"] if isinstance(f["line"], int) else 0,
        ),
    )


def finding_summary(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per finding code: severity, message and how often, most frequent first."""
    counted: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], dict] = {}
    for finding in findings:
        safe = safe_finding(finding)
        key = (safe["severity"], safe["code"])
        counted[key] += 1
        example.setdefault(key, safe)
    return [
        {
            "severity": severity,
            "severity_label": str(SEVERITY_SINGULAR.get(severity, severity)),
            "code": code,
            "message": example[(severity, code)]["message"],
            "hint": example[(severity, code)]["hint"],
            "count": count,
        }
        for (severity, code), count in sorted(
            counted.items(), key=lambda item: (SEVERITY_ORDER.get(item[0][0], 9), -item[1])
        )
    ]


def severity_counts(findings: Iterable[dict[str, Any]]) -> dict[str, int]:
    counted = Counter(safe_finding(f)["severity"] for f in findings)
    return {"error": counted.get("error", 0), "warning": counted.get("warning", 0)}


def run_report(run: SyncRun) -> dict[str, Any]:
    """The sync report of a stored run: the same keys as the sync command's JSON report."""
    dry_run = run.status == SyncRun.Status.DRY_RUN or bool(run.options.get("dry_run"))
    return {
        "run_id": run.pk,
        "institution": run.institution_number,
        "source": run.source,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "started_by": run.started_by,
        "dry_run": dry_run,
        "applied": run.status == SyncRun.Status.APPLIED,
        "counts": dict(run.counts),
        "findings": [safe_finding(f) for f in run.findings],
    }


def _masked_value(name: str, value: Any) -> Any:
    """A value of the history as shown: the national number field masked, and any valid
    national number in any other text too (one typed into the wrong field of the package,
    a registration number, a parent's phone, is data the sync records as it came)."""
    if name == "national_number" and value:
        return mask_national_number(str(value))
    if isinstance(value, str):
        return mask_national_numbers_in(value)
    if isinstance(value, dict):
        return {key: _masked_value(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_value(name, item) for item in value]
    return value


def _display(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return str(_("ja") if value else _("nee"))
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)  # classes, groups, years
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# What a reader who may not see the care record sees of its changes (permissions.py).
HIDDEN = gettext_lazy("(verborgen)")


def change_rows(changes: dict[str, Any], hide_care: bool = False) -> list[tuple[str, str, str]]:
    """(Dutch field name, old, new) per changed field, national numbers masked; the care
    record's values hidden when `hide_care`."""
    rows = []
    for name, pair in (changes or {}).items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        if hide_care and name == "care_record":
            rows.append((str(FIELD_LABELS[name]), str(HIDDEN), str(HIDDEN)))
            continue
        rows.append(
            (
                str(FIELD_LABELS.get(name, name)),
                _display(_masked_value(name, old)),
                _display(_masked_value(name, new)),
            )
        )
    return rows


def contact_rows(contacts: dict[str, dict[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(Dutch role, [(Dutch field, value)]) per contact, in a fixed order."""
    rows = []
    for role in (*CONTACT_ROLE_LABELS, *sorted(set(contacts or {}) - set(CONTACT_ROLE_LABELS))):
        contact = (contacts or {}).get(role)
        if not contact:
            continue
        fields = [
            (str(CONTACT_FIELD_LABELS.get(name, name)), str(value))
            for name, value in contact.items()
            if value
        ]
        rows.append((str(CONTACT_ROLE_LABELS.get(role, role)), fields))
    return rows


AUDIT_CSV_HEADER = (
    "tijdstip",
    "door",
    "reden",
    "synchronisatie",
    "instelling",
    "entiteit",
    "id",
    "actie",
    "wijzigingen",
)


def audit_csv_rows(
    entries: Iterable[AuditEntry], care_shown: Callable[[AuditEntry], bool] | None = None
) -> Iterator[list[str]]:
    """The audit log as CSV rows (header first); changes as JSON, national numbers masked,
    care record changes hidden where `care_shown` says no (None: shown everywhere)."""
    yield [_(h) for h in AUDIT_CSV_HEADER]
    for entry in entries:
        changes = {
            name: [_masked_value(name, v) for v in pair] if isinstance(pair, list) else pair
            for name, pair in (entry.changes or {}).items()
        }
        if "care_record" in changes and not (care_shown is None or care_shown(entry)):
            changes["care_record"] = str(HIDDEN)
        yield [
            entry.at.isoformat(),
            entry.actor,
            entry.reason,
            str(entry.sync_run_id or ""),
            entry.institution_number,
            entry.entity,
            str(entry.entity_sourced_id),
            entry.get_action_display(),
            json.dumps(changes, ensure_ascii=False, sort_keys=True),
        ]
