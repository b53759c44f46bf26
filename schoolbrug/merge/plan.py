"""The merge plan: what moves, who is the same person, what collides (PLAN.json).

`make_plan` reads both databases (the configured one receives, `source_url` moves) and writes
nothing; `write_plan`/`read_plan` keep it as JSON with a digest over everything else in it, so
an approval counts for exactly one plan: a confirmed candidate or a named central admin is a
new plan (`seal` gives it its new digest) and the approvals of the old one no longer count."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from schoolbrug.encryption import EncryptedTextField, UnreadableSecret, decrypt
from schoolbrug.registry.models import Assignment, Board, Institution

from . import files, plan_collisions, plan_people, source
from .errors import MergeRefused
from .folder import Context

FORMAT = "schoolbrug-merge-plan/1"
DECISIONS = (None, "same", "different")
REQUIRED = {
    "format": str,
    "source": str,
    "institutions": list,
    "communities": list,
    "boards": list,
    "same_people": list,
    "candidates": list,
    "collisions": dict,
    "approvers": list,
    "digest": str,
}


def canonical(plan: dict) -> bytes:
    body = {k: v for k, v in plan.items() if k != "digest"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(plan: dict) -> str:
    return hashlib.sha256(canonical(plan)).hexdigest()


def seal(plan: dict) -> dict:
    """Check the plan's content and give it the digest of what it now says."""
    check_content(plan)
    plan["digest"] = digest_of(plan)
    return plan


def context(plan: dict, alias: str) -> Context:
    numbers = [i["number"] for i in plan["institutions"]]
    rows = Institution.objects.using(alias)
    ids = list(rows.filter(number__in=numbers).values_list("pk", flat=True))
    return Context(alias, ids, numbers, whole=len(ids) == rows.count())


def _board(board) -> dict | None:
    if board is None:
        return None
    return {"sourced_id": str(board.sourced_id), "number": board.number, "name": board.name}


def _receiving_board(choice: str | None) -> Board | None:
    boards = Board.objects.using(DEFAULT_DB_ALIAS)
    if choice:
        found = boards.filter(number=choice).first()
        if found is None:
            try:
                found = boards.filter(sourced_id=choice).first()
            except Exception:  # not a UUID
                found = None
        if found is None:
            raise MergeRefused(
                f"Het ontvangende schoolbestuur {choice!r} bestaat niet in deze databank.",
                "merge plan: unknown receiving board",
            )
        return found
    return boards.first() if boards.count() == 1 else None


def _moving(alias: str, numbers: list[str] | None) -> list[Institution]:
    rows = Institution.objects.using(alias).select_related("board", "community")
    if not numbers:
        return list(rows.order_by("number"))
    found = list(rows.filter(number__in=numbers).order_by("number"))
    unknown = sorted(set(numbers) - {i.number for i in found})
    if unknown:
        raise MergeRefused(
            f"Instelling {unknown[0]} bestaat niet in de andere databank.",
            f"merge plan: {len(unknown)} unknown institution number(s)",
        )
    return found


def _communities(alias: str, moving: list[Institution], allowed: set[str]) -> list[dict]:
    chosen = {i.number for i in moving}
    result = []
    for community in {i.community for i in moving if i.community is not None}:
        members = sorted(
            Institution.objects.using(alias)
            .filter(community=community)
            .values_list("number", flat=True)
        )
        split = not set(members) <= chosen
        split_allowed = split and bool({community.number, str(community.sourced_id)} & allowed)
        if split and not split_allowed:
            staying = sorted(set(members) - chosen)
            raise MergeRefused(
                f"Scholengemeenschap {community.name} verhuist alleen in haar geheel: ook "
                f"{', '.join(staying)} hoort erbij. Splitsen kan alleen als elke school ervan "
                f"akkoord gaat (--split-community {community.number or community.sourced_id}; "
                "al haar directies keuren dan het plan goed).",
                "merge plan: a community would be split without agreement",
            )
        result.append(
            {
                "sourced_id": str(community.sourced_id),
                "number": community.number,
                "name": community.name,
                "institutions": members,
                "moving": sorted(set(members) & chosen),
                "split": split,
                "split_allowed": split_allowed,
            }
        )
    return sorted(result, key=lambda c: c["sourced_id"])


def _directors(alias: str, numbers, side: str, today: datetime.date, why: str = "") -> list:
    rows = (
        Assignment.objects.using(alias)
        .filter(role=Assignment.Role.DIRECTOR, institution__number__in=numbers)
        .filter(start_date__lte=today)
        .exclude(end_date__lt=today)
        .exclude(staff__email__isnull=True)
        .values_list("staff__email", "institution__number")
    )
    found = []
    for email, number in sorted(set(rows)):
        entry = {"email": email.lower(), "institution": number, "side": side}
        if why:
            entry["for"] = why
        found.append(entry)
    return found


def _approvers(alias, moving, communities, receiving_board) -> list[dict]:
    today = timezone.localdate()
    numbers = [i.number for i in moving]
    receiving = Institution.objects.using(DEFAULT_DB_ALIAS)
    if receiving_board is not None:
        receiving = receiving.filter(board=receiving_board)
    approvers = _directors(DEFAULT_DB_ALIAS, receiving.values("number"), "receiving", today)
    approvers += _directors(alias, numbers, "moving", today)
    split = {n for c in communities if c.get("split") for n in c.get("institutions") or []}
    staying = sorted(split - set(numbers))
    approvers += _directors(alias, staying, "moving", today, why="community_split")
    return approvers


def directors_to_approve(plan: dict, alias: str, board: Board | None) -> list[dict]:
    """Who must approve `plan` today, read again from both databases (not from the plan, which
    anyone can edit and seal again): execute refuses a plan that leaves one of them out."""
    moving = [SimpleNamespace(number=str(i["number"])) for i in plan.get("institutions") or []]
    return _approvers(alias, moving, plan.get("communities") or [], board)


def _check_secrets(alias: str) -> None:
    """Encrypted columns are copied as ciphertext: this server's keys must open them (the
    other server's key set in SCHOOLBRUG_ENCRYPTION_KEY), checked on one value per column."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            raw = (
                model._base_manager.using(alias)
                .exclude(**{field.attname: ""})
                .annotate(_raw=Cast(field.attname, TextField()))
                .values_list("_raw", flat=True)
                .first()
            )
            try:
                if raw:
                    decrypt(raw)
            except UnreadableSecret:
                raise MergeRefused(
                    f"De versleutelde gegevens van de andere databank ({model._meta.label}."
                    f"{field.name}) zijn hier onleesbaar: zet de sleutel van de andere databank "
                    "mee in SCHOOLBRUG_ENCRYPTION_KEY (na die van deze) en maak het plan opnieuw.",
                    "merge plan: the source's secrets cannot be decrypted with this server's keys",
                ) from None


def make_plan(
    source_url: str,
    institutions: list[str] | None = None,
    central_admin: str | None = None,
    *,
    receiving_board: str | None = None,
    split_communities: list[str] = (),
) -> dict:
    alias = source.connect(source_url)
    _check_secrets(alias)
    moving = _moving(alias, institutions)
    if not moving:
        raise MergeRefused("De andere databank heeft geen instellingen.", "merge plan: empty")
    communities = _communities(alias, moving, set(split_communities))
    board = _receiving_board(receiving_board)
    ctx = context({"institutions": [{"number": i.number} for i in moving]}, alias)
    boards = {i.board for i in moving if i.board is not None}
    known_boards = set(
        Board.objects.filter(sourced_id__in=[b.sourced_id for b in boards]).values_list(
            "sourced_id", flat=True
        )
    )
    plan = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "source": source.without_password(source_url),
        "whole_database": ctx.whole,
        "receiving_board": _board(board),
        "institutions": [
            {
                "number": i.number,
                "name": i.name,
                "sourced_id": str(i.sourced_id),
                "community": str(i.community.sourced_id) if i.community else None,
                "board": str(i.board.sourced_id) if i.board else None,
            }
            for i in moving
        ],
        "communities": communities,
        "boards": sorted(
            ({**_board(b), "joins": b.sourced_id in known_boards} for b in boards),
            key=lambda b: b["sourced_id"],
        ),
        "same_people": plan_people.same_people(ctx),
        "candidates": plan_people.candidates(ctx),
        "collisions": plan_collisions.collisions(ctx),
        "central_admin": central_admin.strip().lower() if central_admin else None,
        "approvers": _approvers(alias, moving, communities, board),
    }
    return seal(plan)


def _refuse(path, reason_nl: str, reason_en: str):
    raise MergeRefused(f"Plan {path}: {reason_nl}", f"merge plan {path}: {reason_en}")


def check_content(plan: dict, path: str = "PLAN.json") -> None:
    """A plan a person may have edited: the right shape, decisions one of the allowed ones,
    no community split without its agreement."""
    if not isinstance(plan, dict) or plan.get("format") != FORMAT:
        _refuse(path, f"geen samenvoegingsplan (format moet {FORMAT} zijn).", "wrong format")
    for key, kind in REQUIRED.items():
        if key == "digest":
            continue
        if not isinstance(plan.get(key), kind):
            _refuse(path, f"veld {key!r} ontbreekt of heeft de verkeerde vorm.", f"bad {key}")
    if not plan["institutions"]:
        _refuse(path, "er verhuist geen enkele instelling.", "no institutions")
    if source.without_password(plan["source"]) != plan["source"]:
        # A plan is shown, registered and kept in both databases: never with a password.
        _refuse(
            path,
            "'source' bevat een wachtwoord: laat het weg (geef het bij het uitvoeren met --from).",
            "a password in the source URL",
        )
    for n, candidate in enumerate(plan["candidates"], start=1):
        if candidate.get("decision") not in DECISIONS:
            _refuse(
                path,
                f'kandidaat {n}: \'decision\' moet null, "same" of "different" zijn.',
                f"candidate {n} has an unknown decision",
            )
    admin = plan.get("central_admin")
    if admin is not None and (not isinstance(admin, str) or "@" not in admin):
        _refuse(path, "'central_admin' moet een e-mailadres zijn (of null).", "bad central admin")
    for community in plan["communities"]:
        if community.get("split") and not community.get("split_allowed"):
            _refuse(
                path,
                f"scholengemeenschap {community.get('name')} wordt gesplitst zonder akkoord van "
                "al haar scholen.",
                "community split without agreement",
            )


def write_plan(plan: dict, path, *, replace: bool = False) -> Path:
    """The plan as JSON at `path`: a new file (never over one that is there), or with
    `replace` over the plan it was sealed from; whole or not at all (files.py)."""
    text = json.dumps(plan, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if replace:
        return files.replace(path, text, "het plan")
    return files.write_new(path, text, "het plan")


def load(path) -> dict:
    """The file's JSON, without checking its digest (to seal an edited plan)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        _refuse(path, "het bestand bestaat niet.", "no such file")
    except IsADirectoryError:
        _refuse(path, "dat is een map; geef het planbestand.", "a folder")
    except PermissionError:
        _refuse(path, "geen leesrechten op dat bestand.", "not readable")
    except (UnicodeError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", "?")
        _refuse(path, f"geen geldige JSON (regel {line}).", f"invalid JSON at line {line}")
    except OSError as error:
        _refuse(path, f"onleesbaar ({error.strerror or error}).", "unreadable")


def read_plan(path) -> dict:
    plan = load(path)
    check_content(plan, str(path))
    if not isinstance(plan.get("digest"), str) or plan["digest"] != digest_of(plan):
        _refuse(
            path,
            "de inhoud past niet bij zijn digest: het plan werd gewijzigd na het maken. Laat "
            "een gewijzigd plan opnieuw verzegelen met `schoolbrug merge plan --seal "
            f"{path}`; goedkeuringen van het oude plan tellen dan niet meer.",
            "digest does not match the content",
        )
    return plan
