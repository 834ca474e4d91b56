"""A LimeSurvey export of a city survey, as a strategy team receives it, and its Excel re-save.

The survey: an array question rating the seven action fields (1 = unwichtig … 5 = sehr wichtig, "weiß nicht"
possible), a quality-of-life grade (1 = sehr gut … 6 = ungenügend), a ranking of the three fields to tackle first,
tick boxes, free text, district and age group, LimeSurvey's system columns with an IP address, and an e-mail column
for the prize draw. Mobility is clearly the most important field: rated highest and ranked first most often.
Some responses are incomplete (no submit date).
"""

import csv
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

FIELDS = [  # (code, name in the survey's wording) — the demo's seven fields
    ("MOB", "Smarte Mobilität und Infrastruktur"),
    ("UMW", "Smarte Umwelt"),
    ("BIL", "Smarte Bildung"),
    ("SER", "Smarte Services / Verwaltung"),
    ("GES", "Smart Health"),
    ("WOH", "Smartes Wohnen und Quartiere"),
    ("WWF", "Smarte Wirtschaft, Wissenschaft und Forschung"),
]
DISTRICTS = ["Stadtbezirk I", "Stadtbezirk II", "Stadtbezirk III", "Stadtbezirk IV", "Stadtbezirk V",
             "Stadtbezirk VI", "Stadtbezirk VII", "Stadtbezirk VIII", "Stadtbezirk IX"]
AGES = ["unter 18", "18–29", "30–44", "45–64", "65 und älter"]
SERVICES = ["Online-Terminvergabe", "Bürgerportal", "Open Data", "WLAN im Stadtteil"]
IMPORTANCE = "Wie wichtig sind Ihnen die folgenden Handlungsfelder?"
GRADE = "Wie bewerten Sie die Lebensqualität in Ihrem Stadtteil? (Schulnote: 1 = sehr gut bis 6 = ungenügend)"
RANKING = "Welche Handlungsfelder sollen zuerst angegangen werden? Bitte bringen Sie sie in eine Rangfolge."
TICKS = "Welche digitalen Angebote der Stadt nutzen Sie?"
COMMENT = "Haben Sie weitere Anregungen oder Wünsche?"
EMAIL = "E-Mail-Adresse für die Verlosung (freiwillig)"
DISTRICT = "In welchem Stadtbezirk wohnen Sie?"
AGE = "Wie alt sind Sie? (Altersgruppe)"
COMMENTS = [
    "Mehr Radwege und sichere Abstellanlagen am Hauptbahnhof",
    "Die Parkplatzsuche in Rüttenscheid dauert abends ewig",
    "Bitte mehr Termine online buchbar machen, das Bürgeramt ist immer voll",
    "WLAN in allen Schulen wäre wichtig für meine Kinder",
    "Bäume im Sommer besser bewässern, viele vertrocknen",
    "Die Busse fahren nachts zu selten in den Süden",
    "Ich wünsche mir eine App für Mängelmeldungen",
    "Telemedizin für meine Eltern auf dem Land",
    "Mehr Grün in der Innenstadt gegen die Hitze",
    "Offene Daten für Start-ups bereitstellen",
]


@dataclass
class Export:
    header: list[str]
    rows: list[list[str]]
    complete: int
    incomplete: int

    def csv_bytes(self, delimiter=",", encoding="utf-8") -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue().encode(encoding)

    def xlsx_bytes(self) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(self.header)
        for row in self.rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def _weighted_rating(rng: random.Random, code: str) -> str:
    if rng.random() < 0.04:
        return "weiß nicht" if rng.random() < 0.5 else ""
    if code == "MOB":
        return str(rng.choices([3, 4, 5], weights=[1, 3, 8])[0])
    if code in ("SER", "BIL"):
        return str(rng.choices([2, 3, 4, 5], weights=[1, 3, 4, 3])[0])
    return str(rng.choices([1, 2, 3, 4, 5], weights=[1, 3, 4, 3, 1])[0])


def _ranking(rng: random.Random) -> list[str]:
    names = [name for _code, name in FIELDS]
    weights = [12, 2, 4, 5, 2, 2, 1]
    chosen: list[str] = []
    while len(chosen) < 3:
        pick = rng.choices(names, weights=weights)[0]
        if pick not in chosen:
            chosen.append(pick)
    return chosen


def limesurvey_export(n: int = 300, *, headings: str = "code", seed: int = 2022) -> Export:
    """`headings`: "code" (Q01[SQ001], submitdate, ipaddr …) or "full" (question texts, "Datum Abgeschickt" …)."""
    rng = random.Random(seed)
    full = headings == "full"
    system = (["Antwort ID", "Datum Abgeschickt", "Letzte Seite", "Start-Sprache", "Zufallsstartwert",
               "Datum gestartet", "Datum letzte Aktivität", "IP-Adresse"] if full else
              ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr"])
    items = [f"{IMPORTANCE} [{name}]" if full else f"Q01[SQ00{i}]" for i, (_c, name) in enumerate(FIELDS, start=1)]
    ranks = [f"{RANKING} [Rang {r}]" if full else f"Q03[{r}]" for r in (1, 2, 3)]
    ticks = [f"{TICKS} [{s}]" if full else f"Q04[SQ00{i}]" for i, s in enumerate(SERVICES, start=1)]
    header = [*system, DISTRICT if full else "Q00", AGE if full else "Q0A", *items, GRADE if full else "Q02",
              *ranks, *ticks, COMMENT if full else "Q05", EMAIL if full else "Q06"]
    start = datetime(2022, 6, 30, 8, 0) + timedelta(hours=7 * (seed - 2022))  # another wave, other dates
    rows = []
    complete = incomplete = 0
    for number in range(1, n + 1):
        started = start + timedelta(minutes=137 * number)
        is_complete = rng.random() > 0.07
        complete += is_complete
        incomplete += not is_complete
        submitted = (started + timedelta(minutes=12)).strftime("%Y-%m-%d %H:%M:%S") if is_complete else ""
        row = [str(number), submitted, "5" if is_complete else str(rng.randint(1, 4)), "de", str(rng.randint(1, 10**8)),
               started.strftime("%Y-%m-%d %H:%M:%S"), (started + timedelta(minutes=12)).strftime("%Y-%m-%d %H:%M:%S"),
               f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"]
        row += [rng.choice(DISTRICTS), rng.choice(AGES)]
        row += [_weighted_rating(rng, code) for code, _name in FIELDS]
        row += [str(rng.choices([1, 2, 3, 4, 5, 6], weights=[2, 5, 4, 2, 1, 1])[0])]
        row += _ranking(rng)
        row += ["Y" if rng.random() < 0.4 else "" for _s in SERVICES]
        row += [rng.choice(COMMENTS) + (f" ({number})" if rng.random() < 0.5 else "") if rng.random() < 0.4 else ""]
        row += [f"teilnehmer{number}@example.net" if rng.random() < 0.3 else ""]
        rows.append(row)
    return Export(header, rows, complete, incomplete)


def excel_resave(export: Export) -> bytes:
    """What Excel makes of the full-text export when a colleague opens and saves it: Windows-1252, semicolons,
    dates in German notation without seconds."""
    header = export.header
    rows = []
    dated = {i for i, name in enumerate(header) if name in ("Datum Abgeschickt", "Datum gestartet",
                                                           "Datum letzte Aktivität")}
    for row in export.rows:
        rows.append([datetime.strptime(cell, "%Y-%m-%d %H:%M:%S").strftime("%d.%m.%Y %H:%M")
                     if i in dated and cell else cell for i, cell in enumerate(row)])
    return Export(header, rows, export.complete, export.incomplete).csv_bytes(delimiter=";", encoding="cp1252")
