"""A change the platform refuses: says why in Dutch (for the page) and English (for logs)."""


class Refused(Exception):
    def __init__(self, reason_nl: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_nl = reason_nl
        self.reason_en = reason_en
