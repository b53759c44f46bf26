"""An institution's words: Dutch schools read "groep" and "BRIN", Flemish ones "klas" and
"instellingsnummer". The project's texts are Flemish Dutch (nl-be, the msgids themselves); the
`nl_NL` catalogue gives the Netherlands' words where they differ."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

NETHERLANDS = "NL"
DUTCH_LANGUAGE = "nl-nl"


def language_for(country: str) -> str:
    return DUTCH_LANGUAGE if country == NETHERLANDS else settings.LANGUAGE_CODE


def institution_words(country: str):
    """A context in which texts speak the institution's country's words."""
    return translation.override(language_for(country))


def activate_for(country: str) -> None:
    """For the rest of this request (LocaleMiddleware starts every request afresh)."""
    translation.activate(language_for(country))
