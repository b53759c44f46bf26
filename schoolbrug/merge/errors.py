"""The one refusal every step of a merge raises: a Dutch sentence for the person, an English
one for the log (the house rule), and nothing written."""

from __future__ import annotations


class MergeRefused(Exception):
    def __init__(self, message: str, log_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message  # Dutch, for the person running the step
        self.log_message = log_message or message  # English, for the log
