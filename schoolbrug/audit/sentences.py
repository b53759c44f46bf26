"""An audit entry as one Dutch sentence a school's secretary or data protection officer reads:
what happened to whom, who did it and why, and every changed field with its old and new value
formatted as people write them (dates dd/mm/jjjj, ja/nee, an address on one line).

Pure functions of an entry and of the names the caller looked up (`web/history.py` reads them
from the registry: audit imports nothing from it). National numbers leave only masked.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from .presenters import FIELD_LABELS, HIDDEN, _masked_value, entity_label

# What happened, as the verb of the sentence (the subject is the entity).
VERBS = {
    "create": "werd aangemaakt",
    "update": "werd gewijzigd",
    "move": "veranderde van klas",
    "leave": "ging naar Schoolverlaters",
    "return": "keerde terug",
    "adopt": "werd overgenomen",
    "end": "werd beëindigd",
    "activate": "werd geactiveerd",
    "deactivate": "werd gestopt",
    "grant": "werd gegeven",
    "revoke": "werd ingetrokken",
    "delete": "werd verwijderd",
    "view_as": "werd bekeken door een beheerder (meekijken gestart)",
    "view_end": "werd niet meer bekeken (meekijken gestopt)",
}
# Actors that are no person.
MACHINES = {
    "cli": "de opdrachtregel",
    "scheduler": "de dagelijkse planning",
    "celery": "de achtergrondtaak",
    "upload": "de koppeling met het administratiepakket",
    "onbekend": "een onbekende",
    "anoniem": "een niet-aangemelde bezoeker",
}
CONTACT_ROLES = {"mother": "moeder", "father": "vader", "guardian": "voogd"}
ROLE_VALUES = {
    "director": "directeur",
    "teacher": "leerkracht",
    "ict_coordinator": "ict-coördinator",
    "care_team": "zorgteam",
    "secretary": "secretariaat",
    "site_admin": "sitebeheerder",
    "board_admin": "centrale beheerder",
}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def sentence(entry, subject: str = "", names: Mapping[str, str] | None = None) -> str:
    """'Leerling Jan Peeters werd aangemaakt door de opdrachtregel, bij synchronisatie 3.'"""
    what = entity_label(entry.entity)
    subject = f"{what} {subject}".strip() if subject else what
    verb = VERBS.get(entry.action, entry.get_action_display())
    text = f"{subject[:1].upper()}{subject[1:]} {verb} door {who(entry.actor, names)}"
    why = why_phrase(entry.reason, entry.sync_run_id)
    return f"{text}{', ' + why if why else ''}."


def who(actor: str, names: Mapping[str, str] | None = None) -> str:
    """A person by name (with their address), a machine in words; "X als Y" while an admin
    looked as another person."""
    names = names or {}
    if " als " in actor:
        real, viewed = actor.split(" als ", 1)
        return f"{who(real, names)} als {who(viewed, names)}"
    if actor in MACHINES:
        return MACHINES[actor]
    name = names.get(actor.lower(), "")
    return f"{name} ({actor})" if name and name != actor else actor


def why_phrase(reason: str, sync_run_id: int | None = None) -> str:
    # A reason holds what came from outside (a file's name, a typed text): masked as well.
    reason = _masked_value("reason", (reason or "").strip())
    if reason.startswith("import "):
        return f"bij de import van {reason.removeprefix('import ')}"
    if sync_run_id and reason.startswith(("synchronisatie", "sync run")):
        return f"bij {reason.replace('sync run', 'synchronisatie')}"
    if reason == "beheer":
        return "in het beheer"
    if reason.startswith("web: ") or reason.startswith("web "):
        return "in het portaal"
    if reason.startswith("cli "):
        return f"met de opdracht schoolbrug {reason.removeprefix('cli ')}"
    if reason == "protocol klasinformatie":
        return "onder het protocol klasinformatie"
    return reason


def change_phrases(changes: dict, hide_care: bool = False) -> list[tuple[str, str, str]]:
    """(Dutch field label, old, new) per changed field, values formatted; old is "" for a
    field that had no value (a creation)."""
    rows = []
    for name, pair in (changes or {}).items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        label = str(FIELD_LABELS.get(name, name))
        if hide_care and name == "care_record":
            rows.append((label, str(HIDDEN), str(HIDDEN)))
            continue
        shown_old = value_text(name, _masked_value(name, old))
        rows.append((label, "" if shown_old == "—" else shown_old, _new(name, new)))
    return rows


def _new(name: str, value: Any) -> str:
    return value_text(name, _masked_value(name, value))


def changes_text(rows: list[tuple[str, str, str]]) -> str:
    """The changes as one line: 'klas: 1A → 2B; klasnummer: 3'."""
    return "; ".join(
        f"{label}: {old} → {new}" if old else f"{label}: {new}" for label, old, new in rows
    )


def value_text(name: str, value: Any) -> str:
    """One value as a person writes it."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, str):
        if _ISO_MOMENT.match(value):
            return _moment(value)
        if _ISO_DAY.fullmatch(value):
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        if name == "role":
            return ROLE_VALUES.get(value, value)
        if name == "structured_reference" and len(value) == 12 and value.isdigit():
            return f"+++{value[:3]}/{value[3:7]}/{value[7:]}+++"
        return value
    if isinstance(value, dict):
        if name == "contacts":
            return "; ".join(
                f"{CONTACT_ROLES.get(role, role)}: {value_text('address', v)}"
                for role, v in value.items()
                if v
            )
        if _looks_like_address(value):
            return address_line(value)
        return ", ".join(
            f"{FIELD_LABELS.get(key, key)}: {value_text(key, item)}" for key, item in value.items()
        )
    if isinstance(value, list):
        return ", ".join(value_text(name, item) for item in value)
    return str(value)


def _moment(text: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        from django.utils import timezone

        moment = timezone.localtime(moment)
    return moment.strftime("%d/%m/%Y %H:%M")


def _looks_like_address(value: dict) -> bool:
    return bool({"street", "city", "postal_code"} & set(value))


def address_line(value: dict) -> str:
    """'Kerkstraat 1 bus 2, 9000 Gent' (and e-mail, phone after it)."""
    street = " ".join(str(value[k]) for k in ("street", "number") if value.get(k))
    if value.get("box"):
        street += f" bus {value['box']}"
    place = " ".join(str(value[k]) for k in ("postal_code", "city") if value.get(k))
    rest = [str(value[k]) for k in ("country", "email", "phone") if value.get(k)]
    return ", ".join(part for part in (street, place, *rest) if part)
