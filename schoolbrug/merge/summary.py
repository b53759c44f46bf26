"""A plan as people read it: the receiving board found in this database, and the counts and
lists the web page and `schoolbrug merge status` show. Pure reading of the plan's JSON (its
format is m1core's plan.py, "schoolbrug-merge-plan/1"), plus one lookup of the board."""

from __future__ import annotations

import uuid
from typing import Any

from schoolbrug.registry.models import Board

# The plan's collision lists, in Dutch (any other key is shown as it is named).
COLLISION_LABELS = {
    "numbers": "leerlingen-, internen- of personeelsnummers",
    "pupil_numbers": "leerlingennummers",
    "staff_numbers": "personeelsnummers",
    "usernames": "gebruikersnamen",
    "user_names": "gebruikersnamen",
    "payment_references": "gestructureerde mededelingen",
    "class_codes": "klasnamen in een school van beide kanten",
    "class_logins": "klascodes (de klas krijgt een nieuwe code; de leerkracht deelt die uit)",
    "app_names": "namen van applicaties",
    "institution_numbers": "instellingsnummers (de samenvoeging weigert)",
    "source_ids": "bron-id's (die van de ontvangende kant blijft)",
    "unique_values": "unieke waarden (de samenvoeging weigert)",
}


def _board_key(value: Any) -> tuple[str, str]:
    """(sourced_id, number) of the plan's `receiving_board`: a number, a sourced_id, or an
    object holding either."""
    if isinstance(value, dict):
        return str(value.get("sourced_id") or ""), str(value.get("number") or "")
    text = str(value or "").strip()
    try:
        return str(uuid.UUID(text)), ""
    except ValueError:
        return "", text


def receiving_board(plan: dict) -> Board | None:
    sourced_id, number = _board_key(plan.get("receiving_board"))
    if sourced_id:
        found = Board.objects.filter(sourced_id=sourced_id).first()
        if found is not None:
            return found
    return Board.objects.filter(number=number).first() if number else None


def _count(value: Any) -> int:
    if isinstance(value, list) and all(isinstance(v, dict) and "rows" in v for v in value):
        return sum(_count(v["rows"]) for v in value)  # unique values: rows, not constraints
    if isinstance(value, list | dict):
        return len(value)
    return int(value or 0)


def _name(item: Any) -> str:
    if isinstance(item, dict):
        number = item.get("number") or ""
        name = item.get("name") or ""
        return f"{name} ({number})" if number and name else str(name or number)
    return str(item)


def collisions(plan: dict) -> list[tuple[str, int]]:
    """[(Dutch label, how many)] of each collision list of the plan."""
    found = plan.get("collisions") or {}
    if isinstance(found, list):
        return [("botsingen", len(found))]
    return [(COLLISION_LABELS.get(key, key), _count(items)) for key, items in found.items()]


def details(plan: dict) -> list[str]:
    """What the directors must know before they approve, one Dutch line each: the classes that
    get a new class code, the unique values that make execute refuse."""
    from .plan_unique import sentence

    found = plan.get("collisions") or {}
    if not isinstance(found, dict):
        return []
    lines = [
        f"Klas {c.get('name')} van instelling {c.get('institution')} ({c.get('school_year')}) "
        "krijgt een nieuwe klascode: de leerkracht deelt die na de samenvoeging uit."
        for c in found.get("class_logins") or []
        if isinstance(c, dict)
    ]
    lines += [
        f"Weigert: {sentence(c)}." for c in found.get("unique_values") or [] if isinstance(c, dict)
    ]
    return lines


def summary(plan: dict) -> dict[str, Any]:
    board = receiving_board(plan)
    candidates = plan.get("candidates") or []
    return {
        "digest": plan.get("digest", ""),
        "source": plan.get("source", ""),
        "receiving_board": board.name if board else str(plan.get("receiving_board") or ""),
        "institutions": [_name(item) for item in plan.get("institutions") or []],
        "communities": [_name(item) for item in plan.get("communities") or []],
        "boards": [_name(item) for item in plan.get("boards") or []],
        "same_people": _count(plan.get("same_people")),
        "candidates": len(candidates),
        "candidates_open": sum(
            1 for c in candidates if isinstance(c, dict) and c.get("decision") is None
        ),
        "collisions": collisions(plan),
        "collision_details": details(plan),
        "central_admin": str(plan.get("central_admin") or ""),
    }
