"""How Schoolbrug's logs print a failure: the traceback (where it happened), in English,
without the exception's message.

A message can quote personal data: a database refusal names the row's values ("Key
(institution_id, national_number)=(3, 85073003328) already exists"), a parser error the
cell it could not read. So a logged traceback keeps every frame (file, line, function,
the line of code) and the exception's type, of every exception in the chain, and leaves
each message out. Used for every 500 of the web UI and the API (the `django.request`
logger, settings.LOGGING) and for Schoolbrug's own loggers.
"""

from __future__ import annotations

import logging
import traceback

WITHHELD = "(message withheld: it may quote personal data)"


class TracebackWithoutMessages(logging.Formatter):
    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return "".join(traceback_lines(ei[1]))


def traceback_lines(error: BaseException) -> list[str]:
    chain: list[traceback.TracebackException] = []
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error
    )
    while current is not None and len(chain) < 20:
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    lines: list[str] = []
    for position, link in enumerate(reversed(chain)):
        if position:
            lines.append("\nThe above exception led to the following one:\n\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(link.stack.format())
        lines.append(f"{_type_name(link)} {WITHHELD}\n")
    return lines


def _type_name(link: traceback.TracebackException) -> str:
    name = getattr(link, "exc_type_str", None)  # Python 3.13 and later
    if name:
        return name
    kind = link.exc_type
    module = getattr(kind, "__module__", "")
    qualname = getattr(kind, "__qualname__", str(kind))
    return qualname if module in ("builtins", "__main__", "") else f"{module}.{qualname}"
