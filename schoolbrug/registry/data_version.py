"""Keeps the registry's data version (DataVersion) moving with every commit that writes a
registry table, or a sharing table that says what apps see, and says how to read it.

Triggers in the database, not a call in each writer: the sync's bulk statements and COPY,
the staff upload, the admin, a management command and whatever writer comes next all move it
without knowing. They are installed after every `migrate` on every table of the registry app
(`install`, on post_migrate), so a table a later migration adds, or one SQLite rebuilds to
alter it (which drops its triggers), has them too. The sharing app's tables (sharing periods,
apps, grants and their classes, protocols) are watched the same way: a school that stops
sharing changes the API's counts as much as a sync does, and a bulk statement or a script
sends none of the signals that move the visibility generation.

PostgreSQL: the new token must be set at the END of the writing transaction. Set at its first
write, the row's lock would be held to the commit and parallel `--jobs` writers would wait for
each other's whole batch. So a statement trigger only notes the change, as a fresh row of
DataChange after every registry statement (its deferred trigger is then queued after the
deferred foreign-key checks of all of them), and that row's deferred constraint trigger sets
the token while the transaction commits: the lock is held for the commit alone (measured:
3 ms, where the foreign-key checks of 300,000 inserted rows take 1.1 s before it). Until its
commit a transaction sees its own pending change in the version it reads (`token_sql`), so
counts it keeps of its own writes are never met by another transaction.

SQLite takes one writer at a time for the whole transaction: a row trigger sets the token at
once (about 1 µs per written row).
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections

from .models import DataChange, DataVersion

VERSION_TABLE = DataVersion._meta.db_table
CHANGE_TABLE = DataChange._meta.db_table
# The transaction-local setting that holds the id of the transaction's DataChange row.
PENDING = "schoolbrug.registry_change"
TRIGGER = "registry_changed"

_POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION registry_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted text := current_setting('{PENDING}', true);
    change bigint;
BEGIN
    IF noted <> '' THEN
        DELETE FROM {CHANGE_TABLE} WHERE id = noted::bigint;
    END IF;
    INSERT INTO {CHANGE_TABLE} DEFAULT VALUES RETURNING id INTO change;
    PERFORM set_config('{PENDING}', change::text, true);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION registry_new_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {CHANGE_TABLE} WHERE id = NEW.id;
    IF FOUND THEN  -- the transaction's last noted change; earlier ones were deleted
        INSERT INTO {VERSION_TABLE} (id, token)
        VALUES (1, replace(gen_random_uuid()::text, '-', ''))
        ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    END IF;
    RETURN NULL;
END $$;
"""

_POSTGRES_AT_COMMIT = f"""
CREATE CONSTRAINT TRIGGER registry_new_version AFTER INSERT ON {CHANGE_TABLE}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION registry_new_version()
"""

_POSTGRES_TABLE = """
CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION registry_note_change()
"""

_SQLITE_TABLE = (
    "CREATE TRIGGER {table}_changed_by_{event} AFTER {event} ON {table} BEGIN"
    f" INSERT INTO {VERSION_TABLE} (id, token) VALUES (1, lower(hex(randomblob(16))))"
    " ON CONFLICT (id) DO UPDATE SET token = excluded.token; END"
)
_SQLITE_EVENTS = ("insert", "update", "delete")


# The apps whose tables move the version: the registry, and sharing (what apps may see).
VERSIONED_APPS = ("registry", "sharing")
# Tokens of their own, not data: writing them must not move the version.
UNVERSIONED_MODELS = ("registry.DataVersion", "registry.DataChange", "sharing.VisibilityGeneration")


def registry_tables() -> list[str]:
    """Every table of VERSIONED_APPS (many-to-many tables included) but the tokens'."""
    models = [
        model
        for label in VERSIONED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    own = {apps.get_model(label)._meta.db_table for label in UNVERSIONED_MODELS}
    tables = {m._meta.db_table for m in models if m._meta.managed and not m._meta.proxy}
    return sorted(tables - own)


def token_sql(vendor: str) -> str:
    """SQL: the data version as the reading transaction sees it (NULL: not known, keep
    nothing)."""
    committed = f"(SELECT token FROM {VERSION_TABLE} WHERE id = 1)"
    if vendor == "postgresql":
        return f"({committed} || '/' || COALESCE(current_setting('{PENDING}', true), ''))"
    return committed


def install(using: str = "default", **_signal) -> None:
    """Creates the triggers a registry table lacks (post_migrate; safe to run again)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        tables = [t for t in registry_tables() if t in existing]
        if VERSION_TABLE not in existing or not tables:
            return  # migrated back to before the version existed
        if connection.vendor == "postgresql":
            _install_postgresql(cursor, tables)
        elif connection.vendor == "sqlite":
            _install_sqlite(cursor, tables)
        else:
            raise NotImplementedError(f"no data version triggers for {connection.vendor}")


def installed_on(using: str = "default") -> set[str]:
    """The registry tables whose writes move the data version (for the tests)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname = %s",
                [TRIGGER],
            )
            return {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        names = {(table, name) for table, name in cursor.fetchall()}
    return {
        table
        for table in {t for t, _ in names}
        if all((table, f"{table}_changed_by_{e}") in names for e in _SQLITE_EVENTS)
    }


def _install_postgresql(cursor, tables: list[str]) -> None:
    cursor.execute(_POSTGRES_FUNCTIONS)
    cursor.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE t.tgname IN (%s, 'registry_new_version')",
        [TRIGGER],
    )
    present = set(cursor.fetchall())
    if (CHANGE_TABLE, "registry_new_version") not in present:
        cursor.execute(_POSTGRES_AT_COMMIT)
    for table in tables:
        if (table, TRIGGER) not in present:
            cursor.execute(_POSTGRES_TABLE.format(trigger=TRIGGER, table=table))


def _install_sqlite(cursor, tables: list[str]) -> None:
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    present = dict(cursor.fetchall())
    for table in tables:
        for event in _SQLITE_EVENTS:
            name = f"{table}_changed_by_{event}"
            wanted = _SQLITE_TABLE.format(table=table, event=event)
            if present.get(name) == wanted:
                continue
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(wanted)
