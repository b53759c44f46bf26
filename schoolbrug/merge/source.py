"""The other database of a merge (the moving side), reached as a second Django connection.

`connect(url)` registers it at runtime under `ALIAS` (SQLite or PostgreSQL, from a
DATABASE_URL) and checks that it is a Schoolbrug database at exactly the migrations this one
is at: the fold copies table by table, so both sides must have the same columns."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import unquote

import dj_database_url
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import DatabaseError, load_backend

from .errors import MergeRefused

ALIAS = "merge_source"
log = logging.getLogger(__name__)


# Query parameters that carry a secret (libpq's; `passfile` names a file, not a secret).
SECRET_PARAMETERS = {"password", "sslpassword"}
_CONNINFO_SECRET = re.compile(r"\b(?:ssl)?password\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S+)", re.I)


def _password_holds_query_mark(rest: str, head: str) -> bool:
    """Whether a URL whose part before its first "?" (`head`) holds no "@" is `user:pass`
    cut off by a "?" in the password: no "=" before the last "@" (no query string yet), or
    `head` starts as `user:` with no port number after the ":" (an IPv6 host is in brackets),
    so the "?" and "=" after it are the password's too."""
    if "=" not in rest[: rest.rfind("@")]:
        return True
    host = head.split("/", 1)[0]
    return ":" in host and not host.startswith("[") and not host.rsplit(":", 1)[1].isdigit()


def without_password(url: str) -> str:
    """The database URL without any password: what a plan, a report, a message and a log line
    may show. Strips the `user:password@` part (also when the password holds a `/`, `#` or
    `@`, or the URL has no scheme), `password=`/`sslpassword=` in the query string, and the
    same words in a key=value connection string. Keeps everything else as it was written."""
    url = _CONNINFO_SECRET.sub("", url) if "://" not in url and "=" in url else url
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    query_at = rest.find("?")
    head = rest if query_at < 0 else rest[:query_at]
    at = head.rfind("@")
    if at < 0 and "@" in rest and _password_holds_query_mark(rest, head):
        at = rest.rfind("@")  # an unencoded "?" in the password
    if at >= 0 and not rest.startswith("/"):  # a path (sqlite:////a@b.db) has no user
        user = rest[:at].split(":", 1)[0]
        rest = f"{user}@{rest[at + 1 :]}" if user else rest[at + 1 :]
    base, mark, query = rest.partition("?")
    if mark:
        kept = [
            pair
            for pair in query.split("&")
            if unquote(pair.split("=", 1)[0]).strip().lower() not in SECRET_PARAMETERS
        ]
        rest = base + ("?" + "&".join(kept) if kept else "")
    return f"{scheme}{separator}{rest}"


def _same_database(config: dict) -> bool:
    here = connections[DEFAULT_DB_ALIAS].settings_dict
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    return all(str(config.get(k) or "") == str(here.get(k) or "") for k in keys)


def connect(url: str) -> str:
    """Register the database at `url` as `ALIAS` and check it; returns the alias."""
    try:
        config = dj_database_url.parse(url)
    except Exception:  # dj_database_url raises several kinds for an unknown scheme
        raise MergeRefused(
            f"De databank-URL {without_password(url)!r} is onleesbaar: gebruik sqlite:///pad of "
            "postgres://gebruiker@host:poort/naam.",
            "merge source: unreadable database URL",
        ) from None
    if config["ENGINE"] == "django.db.backends.sqlite3" and not Path(config["NAME"]).is_file():
        # SQLite would make an empty file and the merge would find nothing to fold.
        raise MergeRefused(
            f"De databank {without_password(url)} bestaat niet.",
            "merge source: no such SQLite file",
        )
    if _same_database(config):
        raise MergeRefused(
            "De andere databank is deze databank zelf: een samenvoeging heeft twee databanken.",
            "merge source: the source is the receiving database",
        )
    _register(config)
    _check_migrations()
    log.info("merge source connected: %s", without_password(url))
    return ALIAS


def _register(config: dict) -> None:
    """The connection, in this thread, without adding the alias to settings.DATABASES (a
    connection made at runtime: Django's test cases allow it, and nothing iterating the
    configured databases, such as a flush or a migrate, ever touches the other database)."""
    close()
    filled = connections.configure_settings(
        {DEFAULT_DB_ALIAS: dict(connections[DEFAULT_DB_ALIAS].settings_dict), ALIAS: config}
    )[ALIAS]
    connections[ALIAS] = load_backend(filled["ENGINE"]).DatabaseWrapper(filled, ALIAS)


def close() -> None:
    """Close the connection to the other database, if one is open in this thread."""
    try:
        wrapper = getattr(connections._connections, ALIAS)
    except AttributeError:
        return
    wrapper.close()
    delattr(connections._connections, ALIAS)


def _applied(alias: str) -> set[tuple[str, str]]:
    return set(MigrationRecorder(connections[alias]).applied_migrations())


def _check_migrations() -> None:
    try:
        theirs = _applied(ALIAS)
    except DatabaseError:
        raise MergeRefused(
            "De andere databank is onbereikbaar of geen Schoolbrug-databank.",
            "merge source: cannot read its migrations",
        ) from None
    ours = _applied(DEFAULT_DB_ALIAS)
    if not theirs:
        raise MergeRefused(
            "De andere databank is geen Schoolbrug-databank (geen migraties).",
            "merge source: no migrations applied",
        )
    missing, extra = sorted(ours - theirs), sorted(theirs - ours)
    if missing or extra:
        first = (missing or extra)[0]
        where = "ontbreekt in de andere databank" if missing else "ontbreekt in deze databank"
        raise MergeRefused(
            f"De twee databanken staan niet op dezelfde versie: migratie {first[0]}.{first[1]} "
            f"{where}. Werk eerst beide bij (schoolbrug migrate).",
            f"merge source: migrations differ ({len(missing)} missing, {len(extra)} extra)",
        )
