"""Word lists for the synthetic region (`generate.py`): names, streets, municipalities, schools.

Every name here is common in Flanders and belongs to no one in particular; every string is
Windows-1252-safe, because a tenth of the generated exports use that encoding. `PupilFactory`
turns them into pupil rows: e-mail only at example domains, phone numbers in the unallocated
0400 range, national numbers valid and unique within the region.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schoolbrug.demo.generate import Institution, SchoolClass

BOYS = (  # noqa: SIM905 (a word list reads best as text)
    "Noah Liam Louis Arthur Lucas Jules Adam Victor Finn Mathis Leon Vince Lars Nathan Mats "
    "Elias Jack Otis Lou Felix Warre Seppe Wout Jef Stan Tuur Lander Rune Kobe Senne Milan "
    "Thibo Ferre Bas Jasper Robbe Wannes Pieter Thomas Maxime Simon Tibo Emiel Cas Staf Mauro "
    "Ibrahim Mohamed Youssef Ayoub Bilal Hamza Ilias Amine Mehmet Emre Yusuf Omar Karim Rayan "
    "Noël Joël Raphaël Mikaël Gaël Loïc Jérôme Rémi Théo André René Hélder Joaquín "
    "Jean-Pierre Pieter-Jan Jan-Willem Lowie Aiden Dries Brent Gilles Maarten Bram Koen Ruben "
    "Hannes Jonas Matteo Leo Gabriel Sem Hugo Marcel Oscar Viktor Wolf Aaron Daan Siebe Nand"
).split()
GIRLS = (  # noqa: SIM905 (a word list reads best as text)
    "Olivia Emma Louise Mila Elena Marie Noor Lina Alice Juliette Nora Ella Lore Fien Hanne "
    "Lotte Sofie Febe Jana Lisa Amélie Anouk Lena Nina Roos Lieze Margot Julie Charlotte Lucie "
    "Zoë Gaëlle Françoise Chloë Noëlle Anaïs Inès Héloïse Océane Maëlle Renée Mathilde Loïs "
    "Yasmine Aya Nour Amira Salma Imane Hiba Sara Meryem Zeynep Elif Hafsa Malak Rania Layla "
    "Ines Eline Laura Femke Jolien Sien Kato Marthe Wies Leen Tess Ilse Jitske Mare Lien "
    "Anna-Lena Marie-Louise Els Griet Ann-Sophie Fleur Linde Floor Janne Tine Evi Silke Emilie "
    "Axelle Estelle Clémence Solène Léa Eva Amber Stien Jade Luna Elise Yara Mia Ona Bo"
).split()
FAMILY_NAMES = (  # noqa: SIM905 (a word list reads best as text)
    "Peeters|Janssens|Maes|Jacobs|Mertens|Willems|Claes|Goossens|Wouters|De Smet|Dubois|Lambert|"
    "Dupont|Martens|Van den Broeck|D'Hondt|Vermeulen|Verstraete|Hermans|Pauwels|Aerts|Desmet|"
    "De Clercq|Van Damme|Michiels|Coppens|Smets|Vandenberghe|Declercq|Van de Velde|Leroy|Segers|"
    "Verhaeghe|Stevens|Vos|Cools|Martin|Bogaert|Thys|Hendrickx|Lemmens|Wuyts|Van Dyck|Maertens|"
    "De Backer|Verbeke|Devos|Geerts|Van Acker|Mahieu|De Wilde|Claeys|Baert|Verhoeven|Simons|"
    "Van Hoof|Engelen|Dewulf|De Cock|Sels|Moens|Lauwers|De Vos|Van Laere|Verlinden|Vandamme|"
    "Daems|Van Hecke|Schepens|Cornelis|De Meyer|Van Looy|Verschueren|Denys|Huybrechts|Bosmans|"
    "Vanhove|Van Camp|Vanderheyden|Vermeiren|Bauwens|Hoste|Van der Linden|Jansen|Nijs|Gielen|"
    "Vandeputte|Van Gucht|De Ridder|Van Rompaey|Roels|Meeus|Lenaerts|Vercammen|Mortier|Van Mol|"
    "Dierickx|Van Goethem|Dockx|Vanhoutte|Persoons|Lievens|Wauters|De Bruyne|Vandevelde|Gevers|"
    "Van Hoecke|Dhondt|Callewaert|Van Aken|Tack|Sterckx|Beeckman|Cuypers|Heylen|Schoofs|Boeckx|"
    "Van Houtte|Vanneste|Torfs|Raes|Verhelst|Buyse|Van Hove|Vlaeminck|Lefebvre|Ceulemans|"
    "D'haese|D'Haene|Van Nieuwenhuyse|De Schepper|Cnudde|Minnaert|Debruyne|Adriaensens|Bracke|"
    "Pattyn|Vanderstraeten|Van Praet|De Paepe|Haesaert|Rombaut|Vangeel|Swinnen|Vranckx|Huygens|"
    "Van Eyck|Verbruggen|Timmermans|Van Bael|Delanghe|Dejonghe|Lippens|Van Belle|Wyns|Pieters|"
    "El Amrani|El Idrissi|Benali|Bouzid|El Khattabi|Ait Ouali|Ben Ali|Haddou|Azzouzi|Chaouki|"
    "Yilmaz|Kaya|Demir|Öztürk|Çelik|Aydin|Arslan|Dogan|Koç|Yildiz|Nowak|Kowalski|Wójcik|"
    "Nguyen|Tran|Diallo|Mbala|Kabongo|Mukendi|Ilunga|Popescu|Ionescu|Horvath|Fernández|García|"
    "Rossi|Ferrari|Moreau|Lefèvre|Müller|Schmidt|Ahmadi|Hosseini|Singh|Kumar|Haddad|Mansour"
).split("|")

STREETS = (  # noqa: SIM905 (a word list reads best as text)
    "Kerkstraat|Stationsstraat|Molenstraat|Dorpsstraat|Schoolstraat|Nieuwstraat|Beekstraat|"
    "Kapelstraat|Veldstraat|Hoogstraat|Kouter|Markt|Lindenlaan|Kastanjelaan|Bosstraat|"
    "Brugstraat|Meersstraat|Steenweg|Sint-Jozefstraat|Pastoor De Molstraat|Zonnebloemstraat|"
    "Populierenlaan|Heidestraat|Vijverstraat|Akkerstraat|Leopoldlaan|Koningin Astridlaan|"
    "Albertlaan|Prinses Joséphine-Charlottelaan|Grote Baan|Koestraat|Hofstraat|Ommegang|"
    "Tuinwijk|Rozenlaan|Eikenlaan|Hazelaarstraat|Kloosterstraat|Abdijstraat|Spoorweglaan"
).split("|")

# Postal code and municipality (public geography, not people).
MUNICIPALITIES = (
    ("2000", "Antwerpen"),
    ("2018", "Antwerpen"),
    ("2100", "Deurne"),
    ("2140", "Borgerhout"),
    ("9000", "Gent"),
    ("9040", "Sint-Amandsberg"),
    ("8000", "Brugge"),
    ("3000", "Leuven"),
    ("2800", "Mechelen"),
    ("9300", "Aalst"),
    ("8500", "Kortrijk"),
    ("3500", "Hasselt"),
    ("9100", "Sint-Niklaas"),
    ("8400", "Oostende"),
    ("3600", "Genk"),
    ("8800", "Roeselare"),
    ("2300", "Turnhout"),
    ("9200", "Dendermonde"),
    ("9120", "Beveren"),
    ("9160", "Lokeren"),
    ("1800", "Vilvoorde"),
    ("2440", "Geel"),
    ("2500", "Lier"),
    ("2400", "Mol"),
    ("9400", "Ninove"),
    ("8790", "Waregem"),
    ("1500", "Halle"),
    ("3300", "Tienen"),
    ("8900", "Ieper"),
    ("2200", "Herentals"),
    ("9600", "Ronse"),
    ("9500", "Geraardsbergen"),
    ("3700", "Tongeren"),
    ("3800", "Sint-Truiden"),
    ("9900", "Eeklo"),
    ("3290", "Diest"),
    ("9620", "Zottegem"),
    ("9700", "Oudenaarde"),
    ("8300", "Knokke-Heist"),
    ("2930", "Brasschaat"),
    ("2900", "Schoten"),
    ("3630", "Maasmechelen"),
    ("3920", "Lommel"),
    ("3580", "Beringen"),
    ("8930", "Menen"),
    ("9230", "Wetteren"),
    ("1930", "Zaventem"),
    ("1730", "Asse"),
    ("1850", "Grimbergen"),
    ("9800", "Deinze"),
    ("8870", "Izegem"),
    ("8820", "Torhout"),
    ("8700", "Tielt"),
    ("8970", "Poperinge"),
    ("3200", "Aarschot"),
    ("3740", "Bilzen"),
    ("2640", "Mortsel"),
    ("2950", "Kapellen"),
    ("2320", "Hoogstraten"),
    ("2880", "Bornem"),
    ("1600", "Sint-Pieters-Leeuw"),
    ("9270", "Laarne"),
    ("8840", "Staden"),
    ("3990", "Peer"),
)

# Institution names: (prefix by network) + a name; cities are appended to some.
PRIMARY_PREFIXES = {
    "vrij": ("Vrije Basisschool", "Basisschool", "Vrije Lagere School", "Vrije Basisschool -"),
    "go": ("GO! basisschool", "GO! basisschool", "GO! lagere school"),
    "officieel": ("Gemeentelijke Basisschool", "Stedelijke Basisschool", "Gemeentelijke School"),
}
KINDERGARTEN_PREFIXES = {
    "vrij": ("Vrije Kleuterschool",),
    "go": ("GO! kleuterschool",),
    "officieel": ("Gemeentelijke Kleuterschool",),
}
PRIMARY_NAMES = (  # noqa: SIM905 (a word list reads best as text)
    "De Regenboog|De Vlinder|Het Klavertje|De Zonnebloem|Sint-Jozef|Sint-Maarten|De Boomgaard|"
    "'t Kofschip|De Bron|De Watermolen|Het Mozaïek|De Kleurdoos|De Wegwijzer|Sint-Lodewijk|"
    "Heilige Familie|Onze-Lieve-Vrouw|De Toverfluit|Het Groene Dal|De Springplank|De Bijenkorf|"
    "Klim-op|De Kleine Prins|Sint-Paulus|De Horizon|Het Zonnetje|De Duizendpoot|'t Sleutelgat|"
    "De Knipoog|Mariaburcht|Sint-Vincentius|De Vonk|De Linde|Het Lindeke|Sint-Jan|De Molen|"
    "De Notelaar|Ter Beke|Ten Bos|De Ooievaar|De Kameleon|Het Spoor|De Fonkel|De Wereldbrug"
).split("|")
SECONDARY_NAMES = {
    "vrij": (  # noqa: SIM905 (a word list reads best as text)
        "Sint-Jozefscollege|Sint-Lievenscollege|Onze-Lieve-Vrouwinstituut|Sint-Paulusinstituut|"
        "Heilig-Hartcollege|Sint-Ursulainstituut|Vrij Technisch Instituut|"
        "Sint-Jan Berchmanscollege|"
        "Sint-Norbertusinstituut|Maria-Assumptalyceum|Sint-Victorinstituut|Don Bosco Technisch "
        "Instituut|Sint-Janscollege|Vrij Land- en Tuinbouwinstituut|Sint-Gabriëlcollege|"
        "Sint-Vincentiusinstituut|Sint-Aloysiuscollege|Immaculata-Instituut"
    ).split("|"),
    "go": (  # noqa: SIM905 (a word list reads best as text)
        "GO! atheneum|GO! middenschool|GO! technisch atheneum|GO! Koninklijk Atheneum|"
        "GO! busleyden atheneum|GO! campus De Brug"
    ).split("|"),
    "officieel": (  # noqa: SIM905 (a word list reads best as text)
        "Stedelijk Lyceum|Gemeentelijk Technisch Instituut|Provinciaal Instituut voor Technisch "
        "Onderwijs|Stedelijk Instituut voor Handel|Provinciale Scholen voor Tuinbouw"
    ).split("|"),
}
NETWORKS = ("vrij", "go", "officieel")
NETWORK_WEIGHTS = (0.6, 0.25, 0.15)

# Secondary programmes of the 2nd and 3rd stage: (track, code), track → VAKKENPAKKET prefix.
UPPER_PROGRAMMES = (
    ("ASO", "LAT"),
    ("ASO", "WEWI"),
    ("ASO", "ECWI"),
    ("ASO", "HUWE"),
    ("ASO", "MOTA"),
    ("ASO", "ECMT"),
    ("TSO", "TW"),
    ("TSO", "EM"),
    ("TSO", "HW"),
    ("TSO", "BOA"),
    ("TSO", "ICT"),
    ("BSO", "VERZ"),
    ("BSO", "KA"),
    ("BSO", "HOUT"),
    ("BSO", "ELEK"),
    ("BSO", "HAAR"),
)
# Second year of the first stage: (code part, curriculum).
SECOND_YEAR_OPTIONS = (
    ("LAT", "2A-LAT"),
    ("STEM", "2A-STEM"),
    ("EO", "2A-EO"),
    ("MT", "2A-MT"),
    ("B", "2B"),
)
EMAIL_DOMAINS = ("example.be", "example.com", "example.org")


TWO_DIGITS = [f"{i:02d}" for i in range(100)]
THREE_DIGITS = [f"{i:03d}" for i in range(1000)]
# Fake mobile numbers: 0400 is outside the ranges Belgium allocates (046x-049x).
PHONE_HEADS = [f"0400 {i:02d} " for i in range(100)]
PHONE_TAILS = [f"{i // 100 % 100:02d} {i % 100:02d}" for i in range(65_536)]  # by 2 bytes
HOUSE_NUMBERS = [str(i) for i in range(1, 181)] + [f"{i}{c}" for i in range(2, 12) for c in "AB"]
BOXES = [""] * 94 + ["1", "2", "3", "4", "1", "2"]  # 6% live in a flat with a box number


def national_number(birth: datetime.date, sequence: int) -> str:
    """Belgian national number: yymmdd + sequence (odd male, even female) + mod-97 check
    (over "2" + the first nine digits for births from 2000 on)."""
    first9 = f"{birth:%y%m%d}{sequence:03d}"
    base = int(("2" if birth.year >= 2000 else "") + first9)
    return f"{first9}{97 - base % 97:02d}"


def institution_number(base: int) -> str:
    """The Luhn digit appended, 0 written as 1: the pattern of the real institution list."""
    total = 0
    for position, digit in enumerate(reversed(str(base))):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{base}{(10 - total % 10) % 10 or 1}"


def slug(text: str) -> str:
    """ASCII, lower case, letters and digits only: 'D'Hondt' → 'dhondt', 'Zoë' → 'zoe'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


class PupilFactory:
    """Makes pupil rows (tuples in the WISA column order) fast: every string that repeats is
    built once, the per-pupil loop is inlined and draws its randomness as bytes, one call
    per class; a few microseconds per pupil."""

    def __init__(self, rng: random.Random, used_numbers: set[str]):
        self.rng = rng
        # The first nine digits of every national number handed out: no two pupils share
        # them, so no two share a national number (whatever their century).
        self.used = used_numbers
        self.slugs = {n: slug(n) for n in (*BOYS, *GIRLS, *FAMILY_NAMES)}
        # Per family name, every parent's e-mail address it can have: built once.
        self.fathers = [self._emails(BOYS, family) for family in FAMILY_NAMES]
        self.mothers = [self._emails(GIRLS, family) for family in FAMILY_NAMES]
        self._dates: dict[int, list[tuple[str, str, int]]] = {}

    def dates(self, year: int) -> list[tuple[str, str, int]]:
        """Per day of `year`: (d/M/yyyy, yymmdd, the check base of its national numbers)."""
        if year not in self._dates:
            first = datetime.date(year, 1, 1).toordinal()
            days = [datetime.date.fromordinal(first + i) for i in range(366)]
            self._dates[year] = [
                (f"{d.day}/{d.month}/{d.year}", f"{d:%y%m%d}", check_base(d))
                for d in days
                if d.year == year
            ]
        return self._dates[year]

    def _emails(self, given_names: list[str], family: str) -> list[str]:
        slugs = self.slugs
        return [
            f"{slugs[given]}.{slugs[family]}@{domain}"
            for given in given_names[:100]
            for domain in EMAIL_DOMAINS
        ]

    def address(self, inst: Institution) -> tuple[str, str, str, str, str]:
        """(street, number, box, postal code, city): mostly in the school's municipality."""
        choice = self.rng.choice
        postal_code, city = (
            (inst.postal_code, inst.city) if self.rng.random() < 0.75 else choice(MUNICIPALITIES)
        )
        return choice(STREETS), choice(HOUSE_NUMBERS), choice(BOXES), postal_code, city

    def update_contact(self, inst: Institution, row: list[str]) -> None:
        """A new e-mail address (a parent's, else the pupil's) or a new home address, in a
        pupil row (WISA column order: address in 9-13, e-mail in 14, 16 and 18)."""
        rng = self.rng
        if rng.random() < 0.5:
            column = next((c for c in (18, 16, 14) if row[c]), 18)
            user = row[column].partition("@")[0] or self.slugs.get(row[2], "ouder")
            row[column] = f"{user}{rng.randrange(2, 100)}@example.be"
            return
        old = tuple(row[9:14])
        while (new := self.address(inst)) == old:
            pass
        row[9:14] = new

    def rows(
        self, inst: Institution, cls: SchoolClass, count: int, first_number: int, first_id: int
    ) -> list[tuple[str, ...]]:
        """`count` pupils of one class, numbered in alphabetical order from `first_number`,
        with WISA ids from `first_id` (STAMBOEKNUMMER: the id minus 10,000)."""
        # One call for all the randomness of a class: bytes, read as b * n >> 8 for a choice
        # among n (n ≤ 256; a slight, harmless skew when n does not divide 256).
        rng, used, two, three = self.rng, self.used, TWO_DIGITS, THREE_DIGITS
        boys, girls, families, slugs = BOYS, GIRLS, FAMILY_NAMES, self.slugs
        n_boys, n_girls, n_families = len(boys), len(girls), len(families)
        fathers, mothers, n_parents = self.fathers, self.mothers, len(self.fathers[0])
        heads, tails, houses, boxes = PHONE_HEADS, PHONE_TAILS, HOUSE_NUMBERS, BOXES
        streets, places = STREETS, MUNICIPALITIES
        n_streets, n_places, n_houses, n_boxes = len(streets), len(places), len(houses), len(boxes)
        home = (inst.postal_code, inst.city)
        secondary = inst.level == "secondary"
        repeat = 31 if secondary else 10  # of 256: 12% / 4% repeated a year
        births = [(self.dates(year), self.dates(year - 1)) for year in cls.birth_years]
        n_births = len(births)
        data = rng.randbytes(3 * count)
        people = []
        for k in range(0, 3 * count, 3):
            male = data[k] < 131  # 51%
            given = boys[data[k + 1] * n_boys >> 8] if male else girls[data[k + 1] * n_girls >> 8]
            family = data[k + 2] * n_families >> 8
            people.append((families[family], given, male, family))
        people.sort()
        data = rng.randbytes(32 * count)
        rows = []
        for offset, (family, given, male, family_index) in enumerate(people):
            k = 32 * offset
            dates, older = births[data[k] * n_births >> 8]
            if data[k + 1] < repeat:
                dates = older
            dmy, yymmdd, base = dates[(data[k + 2] << 8 | data[k + 3]) * len(dates) >> 16]
            sequence = (data[k + 4] << 8 | data[k + 5]) * 498 >> 16
            sequence = 2 * sequence + 1 if male else 2 * sequence + 2
            first9 = yymmdd + three[sequence]
            while first9 in used:  # rare: another pupil born that day has it
                sequence = 1 + 2 * rng.randrange(499) if male else 2 + 2 * rng.randrange(498)
                first9 = yymmdd + three[sequence]
            used.add(first9)
            nn = first9 + two[97 - (base + sequence) % 97]
            postal_code, city = home if data[k + 6] < 192 else places[data[k + 7] * n_places >> 8]
            own_email = own_phone = father_email = father_phone = mother_email = mother_phone = ""
            if secondary:
                own_email = f"{slugs[given]}.{slugs[family]}@example.be"
                if data[k + 8] < 154:  # 60%
                    own_phone = heads[data[k + 9] % 100] + tails[data[k + 10] << 8 | data[k + 11]]
            if data[k + 12] < 205:  # 80% have a father's contact
                father_email = fathers[family_index][data[k + 13] * n_parents >> 8]
                father_phone = heads[data[k + 14] % 100] + tails[data[k + 15] << 8 | data[k + 16]]
            if data[k + 17] < 238:  # 93% a mother's, 40% of them with the same family name
                mother_family = data[k + 19] * n_families >> 8
                if data[k + 18] < 102:
                    mother_family = family_index
                mother_email = mothers[mother_family][data[k + 20] * n_parents >> 8]
                mother_phone = heads[data[k + 21] % 100] + tails[data[k + 22] << 8 | data[k + 23]]
            street = streets[data[k + 24] * n_streets >> 8]
            house, box = houses[data[k + 25] * n_houses >> 8], boxes[data[k + 26] * n_boxes >> 8]
            wisa_id = first_id + offset
            rows.append(
                (cls.code, str(first_number + offset), family, given, dmy, str(wisa_id),
                 str(wisa_id - 10_000), "M" if male else "V", nn, street, house, box, postal_code,
                 city, own_email, own_phone, father_email, father_phone, mother_email, mother_phone)
            )  # fmt: skip
        return rows


def check_base(birth: datetime.date) -> int:
    """A national number's check is 97 - (check_base(birth) + sequence) % 97."""
    return int(("2" if birth.year >= 2000 else "") + f"{birth:%y%m%d}") * 1000
