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
    "class_codes": "klascodes",
    "app_names": "namen van applicaties",
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
        "central_admin": str(plan.get("central_admin") or ""),
    }
