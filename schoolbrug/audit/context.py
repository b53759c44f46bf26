"""Who is making a change and why, for the automatic change log (`audit.changes`).

Every entry point sets it once: the web UI's middleware from the logged-in user
(`middleware.py`), each management command from its `--as` option or "cli" (`commands.py`),
the Celery task and the scheduler from their job. Domain functions that are told who decides
(a data manager's e-mail, `apps grant --as`) open a context of their own inside it.

A change made outside any context is still logged, with the actor `UNKNOWN_ACTOR`: a path
that forgets to set one shows up in the log instead of disappearing from it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

ACTOR_MAX = 200  # AuditEntry.actor and .reason
UNKNOWN_ACTOR = "onbekend"
UNKNOWN_REASON = "zonder context (shell of script)"

Text = str | Callable[[], str]


@dataclass(slots=True)
class AuditContext:
    """Actor and reason of the changes made inside one `acting()` block. Either may be a
    function, read only when an entry is written: a page that changes nothing never loads
    its user for the log."""

    actor: Text
    reason: Text
    # (model label, pk) → id of the entry this block last wrote for that object: a change to
    # its many-to-many fields right after the save (the admin, `grant`) joins that entry.
    recent: dict[tuple[str, object], int] = field(default_factory=dict)
    known: bool = True  # False only for the fallback outside any context

    def actor_name(self) -> str:
        return _text(self.actor)[:ACTOR_MAX] or UNKNOWN_ACTOR

    def reason_text(self) -> str:
        return _text(self.reason)[:ACTOR_MAX]


def _text(value: Text) -> str:
    return (value() if callable(value) else value or "").strip()


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "schoolbrug_audit_context", default=None
)


def current() -> AuditContext:
    """The innermost context, or a fallback naming no one (`known` False)."""
    return _current.get() or AuditContext(UNKNOWN_ACTOR, UNKNOWN_REASON, known=False)


@contextmanager
def acting(actor: Text | None = None, reason: Text | None = None) -> Iterator[AuditContext]:
    """Changes inside are logged with this actor and reason; None keeps the outer one's.

    A context manager, and a decorator too (`@acting("scheduler", "planner")`)."""
    outer = _current.get()
    context = AuditContext(
        actor if actor is not None else (outer.actor if outer else UNKNOWN_ACTOR),
        reason if reason is not None else (outer.reason if outer else ""),
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def actor_for_user(user) -> str:
    """How the log names a web user: the e-mail address, else the username."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "anoniem"
    return (getattr(user, "email", "") or "").strip().lower() or user.get_username()
