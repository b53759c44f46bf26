"""Publishes the first protocol text, so a data manager can switch sharing on right away."""

import datetime

from django.db import migrations

TEXT = """\
Protocol voor het delen van klasinformatie met applicaties (versie 2026.1)

1. Wat wordt gedeeld. Met dit protocol deelt de school per leerling de klas (en subklas), het
klasnummer, de naam, het schooljaar en de leerkrachten van die klas met de applicaties waaraan
de school zelf toegang geeft, en alleen voor de klassen die de school daarbij kiest.

2. Wie beslist. Alleen de databeheerder van de school (iedere directeur met een lopende
directeursopdracht) kan het delen activeren of stoppen. Elke activatie en elke stopzetting
wordt bewaard met wie, wanneer en onder welke versie van dit protocol.

3. Wat niet wordt gedeeld. Het rijksregisternummer wordt onder dit protocol met geen enkele
applicatie gedeeld. Gegevens van een school die niet deelt, of van klassen waaraan geen
toegang is gegeven, zijn voor een applicatie onzichtbaar.

4. Bron. De gegevens komen uit het schooladministratiepakket van de school en worden elke
nacht bijgewerkt. Verbeteringen gebeuren in dat pakket, niet in Schoolbrug.

5. Stoppen. De school kan het delen op elk moment stoppen. Vanaf dat moment krijgen alle
applicaties geen klasinformatie meer van de school; wat zij vroeger al ontvingen, valt onder
hun eigen verwerkersovereenkomst met de school.
"""


def publish(apps, schema_editor):
    ProtocolVersion = apps.get_model("sharing", "ProtocolVersion")
    ProtocolVersion.objects.get_or_create(
        version="2026.1",
        defaults={
            "title": "Protocol delen van klasinformatie",
            "text": TEXT,
            "allows_national_number": False,
            "published_at": datetime.datetime(2026, 8, 1, tzinfo=datetime.UTC),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]
    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
