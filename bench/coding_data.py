"""Generated labelled citizen comments for the coding bench and tests: varied German wording per action field
(different openings, topics, spellings with ae/ss, typos of case, compounds, filler), a few in other languages.

The wording is built from phrase pools, never from the codebook the classifier is seeded with, so the accuracy the
bench reports is that of learning from the confirmed codes."""

import random

TOPICS = {
    "MOB": ["Parkplätze in der Innenstadt", "die Parkplatzsuche am Abend", "sichere Radwege", "das Radwegenetz",
            "pünktliche Busse", "die Straßenbahn nach Kray", "Ampeln mit grüner Welle", "Staus auf der A40",
            "Carsharing-Stationen", "E-Ladesäulen", "Baustellen auf den Hauptstrassen", "den ÖPNV-Takt",
            "Busspuren", "Fahrradstellplätze am Bahnhof", "die Verkehrsführung", "Schlaglöcher auf den Strassen"],
    "UMW": ["Bäume in den Strassen", "Hitze im Sommer", "Grünflächen und Parks", "Müllcontainer, die überlaufen",
            "die Luftqualität", "Lärm an der Hauptstraße", "Bewässerung der Stadtbäume", "den Baldeneysee",
            "Blühwiesen", "Starkregen und Überflutung", "Solaranlagen auf Dächern", "wilden Müll im Park",
            "Feinstaub", "den Klimaschutz", "Mülltrennung", "Energie sparen in städtischen Gebäuden"],
    "BIL": ["WLAN in den Schulen", "Tablets für Schülerinnen und Schüler", "digitale Tafeln", "Lehrerfortbildung",
            "Medienkompetenz der Kinder", "die Kommunikation zwischen Schule und Eltern", "Schulsanierung",
            "Ganztagsbetreuung", "Volkshochschulkurse", "Bibliotheken mit E-Books", "Laptops für Lehrkräfte",
            "Homeschooling-Plattformen", "Kita-Plätze", "Programmierkurse für Jugendliche"],
    "SER": ["Termine im Bürgeramt", "Online-Formulare", "den Personalausweis online beantragen",
            "Wartezeiten bei der Verwaltung", "das Serviceportal", "Anträge ohne Papier", "die Behördengänge",
            "Kfz-Zulassung online", "die Hotline der Stadt", "Öffnungszeiten der Ämter", "digitale Bescheide",
            "eine App der Stadt", "Bürgerbeteiligung im Internet", "Gebühren online bezahlen"],
    "GES": ["Arzttermine", "Telemedizin für Ältere", "die Notaufnahme im Klinikum", "Pflege zu Hause",
            "Hausärzte im Stadtteil", "die elektronische Patientenakte", "Videosprechstunden",
            "Apotheken-Notdienst", "Pflegeheime", "Sportangebote für Senioren", "psychologische Beratung",
            "Gesundheitsamt", "Hebammen", "Vorsorgeuntersuchungen"],
    "WOH": ["bezahlbare Wohnungen", "Mieten im Quartier", "Nachbarschaftstreffs", "Spielplätze",
            "leerstehende Ladenlokale", "die Sauberkeit im Viertel", "Quartiersplattformen", "Sozialwohnungen",
            "Barrierefreiheit in Wohnhäusern", "Begegnungsorte im Stadtteil", "Sicherheit nachts im Viertel",
            "Neubaugebiete", "Hinterhöfe begrünen", "Mietspiegel"],
    "WWF": ["offene Daten der Stadt", "Start-ups und Gründer", "Zusammenarbeit mit der Universität",
            "Fachkräfte in der IT", "Glasfaser für Gewerbegebiete", "die Wirtschaftsförderung", "Coworking-Spaces",
            "Innovationslabore", "Forschungsprojekte", "Ansiedlung von Firmen", "Ausbildungsplätze",
            "das Smart-City-Dashboard", "Datenplattform für Unternehmen", "Hackathons"],
}

OPENINGS = ["Ich wünsche mir mehr", "Bitte kümmern Sie sich um", "Es fehlt an", "Wichtig wäre", "Dringend nötig:",
            "Warum gibt es immer noch Probleme mit", "Super finde ich", "Man sollte endlich", "Schlecht sind",
            "Mein Vorschlag betrifft", "Die Stadt muss sich verbessern bei", "Kritik:", "Frage zu",
            "Viel zu wenig tut sich bei", "Toll wäre eine Lösung für", "Aus meiner Sicht hapert es bei"]
CLOSINGS = ["", ".", "!", " – das ist überfällig.", ", besonders im Essener Norden.", " in meinem Stadtteil.",
            ", danke.", " Das würde vielen helfen.", " Seit Jahren passiert da nichts.", "...", " Bitte bald!",
            " und zwar schnell.", " für alle Generationen."]
FILLER = ["außerdem", "eigentlich", "wirklich", "ehrlich gesagt", "auch", "vor allem", "generell", "oft"]
OTHER_LANGUAGES = [
    ("en", "Please build more bike lanes and safer crossings in the city centre."),
    ("en", "The buses are always late and the app does not show the delays."),
    ("tr", "Şehir merkezinde daha fazla otopark ve bisiklet yolu olmalı."),
    ("tr", "Belediye hizmetleri internetten daha kolay olmalı, çok bekliyoruz."),
]
DISTRICTS = [f"Stadtbezirk {n}" for n in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")]
AGE_GROUPS = ["unter 30", "30 bis 59", "60 und älter"]


def comment(rng: random.Random, code: str) -> str:
    topics = rng.sample(TOPICS[code], 2 if rng.random() < 0.4 else 1)
    text = f"{rng.choice(OPENINGS)} {rng.choice(FILLER) + ' ' if rng.random() < 0.3 else ''}" + " und ".join(topics)
    text += rng.choice(CLOSINGS)
    if rng.random() < 0.15:
        text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    if rng.random() < 0.1:
        text = text.lower()
    return text


def labelled_comments(count: int, seed: int = 7, other_languages: float = 0.02) -> list[tuple[str, str]]:
    """(code, text) pairs; code is "" for a comment in another language."""
    rng = random.Random(seed)
    codes = list(TOPICS)
    out = []
    for _ in range(count):
        if rng.random() < other_languages:
            out.append(("", rng.choice(OTHER_LANGUAGES)[1]))
        else:
            code = rng.choice(codes)
            out.append((code, comment(rng, code)))
    return out
