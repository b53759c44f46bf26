from django.db import models

from .base import SourcedModel

# An institution's number is six digits in Flanders, but a source that knows no such number
# (a OneRoster org without one: Ed-Fi's `255901001`, `ORG_1`, a UUID) names the school by its
# own id: every column that stores an institution identifier takes one as long as an alias.
INSTITUTION_IDENTIFIER_LENGTH = 100


class Board(SourcedModel):
    """Schoolbestuur: the legal body that runs schools."""

    number = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class Community(SourcedModel):
    """Scholengemeenschap: schools that share staff history."""

    number = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name


class Institution(SourcedModel):
    """Instelling: a school as the government knows it."""

    class Level(models.TextChoices):
        PRIMARY = "primary", "basisonderwijs"
        SECONDARY = "secondary", "secundair onderwijs"

    class ContactSource(models.TextChoices):
        PARENTS = "parents", "adressen van de ouders"
        HEADER = "header", "hoofdfiche van de leerling"

    class Country(models.TextChoices):
        BELGIUM = "BE", "Vlaanderen"
        NETHERLANDS = "NL", "Nederland"

    # Text, never a number: leading zeros are part of the institution number.
    number = models.CharField(max_length=INSTITUTION_IDENTIFIER_LENGTH, unique=True)
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.PRIMARY)
    board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.PROTECT)
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.PROTECT)
    # Seed 000, "E-mailgegevens hoofding i.p.v. adres".
    contact_source = models.CharField(
        max_length=10, choices=ContactSource.choices, default=ContactSource.PARENTS
    )
    # Where the school is: its words on pages and in reports ("groep" and BRIN in the
    # Netherlands, "klas" and instellingsnummer in Flanders); set by a source that says so
    # (an EDEXML file with a BRIN code is Dutch).
    country = models.CharField(max_length=2, choices=Country.choices, default=Country.BELGIUM)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Site(SourcedModel):
    """Vestigingsplaats: a campus of an institution."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="sites")
    number = models.CharField(max_length=4)
    name = models.CharField(max_length=200, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "number"], name="site_number_unique")
        ]
        ordering = ["institution", "number"]

    def __str__(self) -> str:
        return f"{self.institution.number}/{self.number}"
