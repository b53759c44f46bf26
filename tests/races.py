"""Two writers at once, for the race tests: on PostgreSQL each in a thread of its own, with its
own connection and transaction, the second started while the first holds its transaction open;
SQLite has one writer at a time (IMMEDIATE transactions), so there the same two calls run one
after the other and must give the same answers."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def second_while_first_holds(
    first: Callable[[], None], second: Callable[[], None], first_holds: threading.Event
) -> None:
    """Runs `first`, then `second` once `first` has set `first_holds` (written, not yet
    committed); returns when both have ended. Each should close its connection when done."""
    if connection.vendor != "postgresql":
        first()
        second()
        return
    one = threading.Thread(target=first)
    one.start()
    assert first_holds.wait(10), "the first writer never got to hold its transaction"
    two = threading.Thread(target=second)
    two.start()
    one.join(20)
    two.join(20)
