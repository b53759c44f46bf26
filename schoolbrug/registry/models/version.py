"""The registry's data version: what the API keeps counts and bookmarks under.

Database triggers keep it moving (registry/data_version.py), so no writer can forget it:
every transaction that writes a registry table gives it a new token at its commit, visible
with the data it describes, never before."""

from django.db import models


class DataVersion(models.Model):
    """One row (id 1) whose token changes at the commit of every transaction that writes
    any registry table. A random token, not a counter: after a rollback, a flushed test
    database or a restored backup, a counter would count again through numbers under which
    counts of other data were kept."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"data version {self.token}"


class DataChange(models.Model):
    """PostgreSQL: the one row of a writing transaction, between its last registry write
    and its commit, when a deferred trigger on this row gives DataVersion its new token.
    Empty outside open transactions; unused on SQLite (one writer at a time)."""

    def __str__(self) -> str:
        return f"data change {self.pk}"
