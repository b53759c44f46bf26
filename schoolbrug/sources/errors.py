"""Input that cannot be read as the format at all: the run stops and writes nothing."""

from __future__ import annotations

from schoolbrug.sources.findings import mask_national_numbers_in


class BadInput(Exception):
    """Names file, line and field, with the reason in Dutch (users) and English (logs)."""

    def __init__(
        self,
        reason_nl: str,
        reason_en: str,
        *,
        file: str = "",
        line: int | None = None,
        field: str = "",
        field_is_element: bool = False,
    ) -> None:
        # A message may quote a cell or a header: never a full national number in it.
        self.reason_nl = mask_national_numbers_in(reason_nl)
        self.reason_en = mask_national_numbers_in(reason_en)
        self.file = mask_national_numbers_in(file)
        self.line = line
        self.field = mask_national_numbers_in(field)
        # An XML file (EDEXML) names an element where a CSV file names a column.
        self.field_is_element = field_is_element
        super().__init__(self.log_text())

    def __reduce__(self):
        # Crosses process boundaries (a region synced in parallel): rebuilt with its fields.
        fields = {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "field_is_element": self.field_is_element,
        }
        return (_rebuild, (self.reason_nl, self.reason_en, fields))

    def _where(self, line_word: str, field_word: str) -> str:
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts.append(f"{line_word} {self.line}")
        if self.field:
            parts.append(f"{field_word} {self.field}")
        return ", ".join(parts)

    def user_text(self) -> str:
        where = self._where("regel", "element" if self.field_is_element else "kolom")
        return f"{where}: {self.reason_nl}" if where else self.reason_nl

    def log_text(self) -> str:
        where = self._where("line", "element" if self.field_is_element else "column")
        return f"{where}: {self.reason_en}" if where else self.reason_en

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.reason_nl,
            "message_en": self.reason_en,
        }


def _rebuild(reason_nl: str, reason_en: str, fields: dict) -> BadInput:
    return BadInput(reason_nl, reason_en, **fields)
