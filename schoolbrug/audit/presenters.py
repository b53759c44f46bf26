"""Audit changes as people read them: Dutch names of fields and entities, change rows and
the log as CSV.

Everything here is a pure function of audit entries or their changes, below the admin and the
web pages that show them. A national number leaves this module only masked, whatever was stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schoolbrug.sources.findings import mask_national_number, mask_national_numbers_in

from .models import AuditEntry

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
    "eckid": gettext_lazy("ECK-iD"),
    "structured_reference": gettext_lazy("gestructureerde mededeling"),
    "reason": gettext_lazy("reden"),
    "ended_at": gettext_lazy("beëindigd op"),
    # organisation and structure
    "number": gettext_lazy("nummer"),
    "name": gettext_lazy("naam"),
    "level": gettext_lazy("niveau"),
    "board": gettext_lazy("schoolbestuur"),
    "community": gettext_lazy("scholengemeenschap"),
    "contact_source": gettext_lazy("contactgegevens uit"),
    "country": gettext_lazy("land"),
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
    "user_ids": gettext_lazy("andere id's van de gebruiker"),
    "begin_date": gettext_lazy("begindatum"),
    "terms": gettext_lazy("periodes van de klas"),
    "first_name": gettext_lazy("voornaam"),
    "last_name": gettext_lazy("familienaam"),
    "password": gettext_lazy("wachtwoord"),
    "is_staff": gettext_lazy("toegang tot het beheer"),
    "is_superuser": gettext_lazy("alle rechten (superuser)"),
    "groups": gettext_lazy("groepen"),
    "user_permissions": gettext_lazy("rechten"),
    "permissions": gettext_lazy("rechten"),
    # roles granted by hand (roles/models.py) and switch view (roles/view_as.py)
    "starts_at": gettext_lazy("vanaf"),
    "ends_at": gettext_lazy("tot"),
    "bekeken_als": gettext_lazy("bekeken als"),
    # the learning platform (platform/)
    "method": gettext_lazy("inlogmethode"),
    "product": gettext_lazy("product"),
    "reference": gettext_lazy("bestelreferentie"),
    "seats": gettext_lazy("aantal licenties"),
    "licence": gettext_lazy("licentie"),
    "licentie": gettext_lazy("licentie"),
    "publisher": gettext_lazy("uitgever"),
    "subject": gettext_lazy("vak"),
    "url": gettext_lazy("webadres"),
    "picture": gettext_lazy("leerlingplaatje"),
    "pin": gettext_lazy("pincode"),
    "code_version": gettext_lazy("versie van de klascode"),
    "vergrendeld": gettext_lazy("vergrendeld"),
    "system": gettext_lazy("leerlingvolgsysteem"),
    "authorization_key": gettext_lazy("autorisatiesleutel"),
    "consent_by": gettext_lazy("toestemming gegeven door"),
    "consent_at": gettext_lazy("toestemming gegeven op"),
    # the enrolment site of a LOP (enrolment/models.py)
    "dual": gettext_lazy("duaal"),
    "finality": gettext_lazy("finaliteit"),
    "form": gettext_lazy("onderwijsvorm"),
    "lop": gettext_lazy("LOP"),
    "lop_school": gettext_lazy("school van het LOP"),
    "school_type": gettext_lazy("schooltype"),
    "starts_on": gettext_lazy("vanaf"),
    "ends_on": gettext_lazy("tot"),
    "current_year_start": gettext_lazy("lopend schooljaar begint in"),
    "double_quota": gettext_lazy("dubbele contingentering"),
    "region": gettext_lazy("regio"),
    "slug": gettext_lazy("webadres"),
    "capacity": gettext_lazy("capaciteit"),
    "extra_info": gettext_lazy("extra info"),
    "free_places": gettext_lazy("vrije plaatsen"),
    "free_places_indicator": gettext_lazy("vrije plaatsen indicator"),
    "group": gettext_lazy("opleiding"),
    "indicator_percentage": gettext_lazy("percentage indicator"),
    "school": gettext_lazy("school"),
    "seated_pupils": gettext_lazy("zittende leerlingen"),
    "suffix": gettext_lazy("achtervoegsel"),
    "dates": gettext_lazy("datums"),
    "period": gettext_lazy("periode"),
    "programmes": gettext_lazy("opleidingen toevoegen/verwijderen"),
    # a database merge (merge/)
    "digest": gettext_lazy("vingerafdruk van het plan"),
    "institution_number": gettext_lazy("instellingsnummer"),
    "side": gettext_lazy("kant"),
    "via": gettext_lazy("via"),
    "at": gettext_lazy("tijdstip"),
    "state": gettext_lazy("toestand"),
    "started_by": gettext_lazy("gestart door"),
    "started_at": gettext_lazy("gestart"),
    "finished_at": gettext_lazy("klaar"),
    "rolled_back_at": gettext_lazy("teruggezet"),
    "backup_path": gettext_lazy("back-up"),
    "report_path": gettext_lazy("verslag"),
    "error": gettext_lazy("fout"),
}

ENTITY_LABELS = {
    "pupil": gettext_lazy("leerling"),
    "class": gettext_lazy("klas"),
    "subclass": gettext_lazy("subklas"),
    "eckid": gettext_lazy("ECK-iD"),
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
    "payment_alias": gettext_lazy("vroegere gestructureerde mededeling"),
    "academic_session": gettext_lazy("periode"),
    "source_details": gettext_lazy("gegevens zoals de bron ze gaf"),
    "protocol": gettext_lazy("protocoltekst"),
    "app": gettext_lazy("applicatie"),
    "oauth_client": gettext_lazy("OAuth-client van een applicatie"),
    "user": gettext_lazy("gebruiker"),
    "group": gettext_lazy("groep"),
    "role": gettext_lazy("beheerrol"),
    "product": gettext_lazy("product van het leerplatform"),
    "licence": gettext_lazy("licentie"),
    "licence_class": gettext_lazy("groep van een licentie"),
    "class_login": gettext_lazy("inlogmethode van een groep"),
    "pupil_login": gettext_lazy("inloggegevens van een leerling"),
    "monitoring_link": gettext_lazy("koppeling met het leerlingvolgsysteem"),
    "merge_approval": gettext_lazy("goedkeuring van een samenvoeging"),
    "merge_run": gettext_lazy("samenvoeging van databanken"),
    # the enrolment site of a LOP (enrolment/)
    "lop": gettext_lazy("LOP"),
    "lop_school": gettext_lazy("school van een LOP"),
    "admin_group": gettext_lazy("administratieve groep"),
    "offer": gettext_lazy("aanbod"),
    "free_enrol_start": gettext_lazy("start vrije inschrijvingen"),
    "school_rights": gettext_lazy("rechten van schoolbeheerders"),
}


def entity_label(key: str) -> str:
    return str(ENTITY_LABELS.get(key, key))


def _masked_value(name: str, value: Any) -> Any:
    """A value of the history as shown: the national number field masked, and any valid
    national number in any other text too (one typed into the wrong field of the package,
    a registration number, a parent's phone, is data the sync records as it came)."""
    if name == "national_number" and value:
        return mask_national_number(str(value))
    if name == "structured_reference":
        # 12 digits of which 11 may pass a national number's checks by chance (1 in ~600):
        # a payment reference is checked as one (registry/payment_references.py), not masked.
        return value
    if isinstance(value, str):
        return mask_national_numbers_in(value)
    if isinstance(value, dict):
        return {key: _masked_value(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_value(name, item) for item in value]
    return value


def _display(value: Any, name: str = "") -> str:
    """As the log page writes it (`sentences.value_text`): dd/mm/jjjj, ja/nee, an address on
    one line, a dict as 'label: value' pairs, never JSON."""
    from .sentences import value_text  # it builds on this module's labels

    return value_text(name, value)


# What a reader who may not see the care record sees of its changes (web/permissions.py).
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
                _display(_masked_value(name, old), name),
                _display(_masked_value(name, new), name),
            )
        )
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
