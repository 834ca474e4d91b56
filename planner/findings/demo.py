"""Demo content of the findings package: fact sheets, KPIs, answers, dependencies, a merge, comments, support.

The core seed created the SWOT findings, needs and measures (numbered by the flush hook); the workshops
demo may have added agenda blocks, to which the findings are attached here.
"""

from datetime import timedelta
from decimal import Decimal

from planner.core import audit
from planner.core.permissions import Role
from planner.extensions import db
from planner.findings.models import (
    Comment,
    Finding,
    FindingKind,
    Measure,
    MeasureKPI,
    MeasureStatus,
    SmartCityArea,
)
from planner.workshops.models import AgendaBlockKind

AREA_BY_FIELD = {
    "UMW": SmartCityArea.ENERGY_ENVIRONMENT,
    "MOB": SmartCityArea.MOBILITY,
    "BIL": SmartCityArea.SOCIETY_EDUCATION,
    "SER": SmartCityArea.ADMINISTRATION,
    "GES": SmartCityArea.SOCIETY_EDUCATION,
    "WOH": SmartCityArea.ENERGY_ENVIRONMENT,
    "WWF": SmartCityArea.IT_COMMUNICATION,
}
AREA_BY_TITLE = {
    "5G und WLAN an Straßenlaternen": SmartCityArea.IT_COMMUNICATION,
    "Open-Data-Angebot ausbauen": SmartCityArea.IT_COMMUNICATION,
    "Digitale Beteiligungsplattform": SmartCityArea.ADMINISTRATION,
    "Car- und Bike-Sharing im Quartier": SmartCityArea.MOBILITY,
}

# title: (goal, expected effect, cost estimate in euros, partners, funding note)
FACT_SHEETS = {
    "Baumsensoren für Straßenbäume": (
        "Trockenstress an Straßenbäumen erkennen, bevor Schäden sichtbar werden.",
        "Gezielte Bewässerung, weniger Baumverluste, geringerer Wasserverbrauch.",
        "180000", "Universität, Entsorgungsbetriebe", "Förderprogramm Modellprojekte Smart Cities",
    ),
    "Füllstandsensoren in Abfallbehältern": (
        "Abfallbehälter leeren, wenn sie voll sind, statt nach festem Plan.",
        "Weniger Leerfahrten, saubere Plätze, geringerer CO₂-Ausstoß.", "95000", "Stadtwerke", "",
    ),
    "Smart Parking in zwei Stadtteilen": (
        "Parksuchverkehr in Rüttenscheid und der Innenstadt deutlich senken.",
        "Kürzere Suchzeiten, weniger Lärm und Emissionen, bessere Auslastung der Parkhäuser.",
        "650000",
        "Stadtwerke, Parkhausbetreiber, Verkehrsbetriebe (ÖPNV)",
        "Bundesförderung Digitalisierung kommunaler Verkehrssysteme",
    ),
    "WLAN und Präsentationstechnik in allen Schulen": (
        "Jeder Klassenraum hat stabiles WLAN und digitale Präsentationstechnik.",
        "Digitaler Unterricht wird Alltag; gleiche Ausstattung an allen Schulen.",
        "12500000", "Schulträger, IT-Dienstleister der Stadt", "DigitalPakt Schule",
    ),
    "Fortbildungen zur Medienkompetenz": (
        "Lehrkräfte, Eltern und Schülerinnen und Schüler nutzen digitale Medien sicher und kritisch.",
        "Mehr Medienkompetenz, weniger Unsicherheit im digitalen Unterricht.",
        "240000", "Volkshochschule, Medienzentrum", "",
    ),
    "Serviceportal erweitern": (
        "Die wichtigsten Verwaltungsleistungen sind Ende-zu-Ende online verfügbar.",
        "Weniger Wege ins Amt, kürzere Bearbeitungszeiten.",
        "1800000", "IT-Dienstleister der Stadt", "Onlinezugangsgesetz (OZG)",
    ),
    "Online-Terminvergabe und Service-Terminals": (
        "Termine rund um die Uhr buchen; Terminals für Menschen ohne eigenes Gerät.",
        "Kürzere Wartezeiten, niemand wird digital abgehängt.", "420000", "IT-Dienstleister der Stadt", "",
    ),
    "Schwammstadt-Monitoring": (
        "Wasserhaushalt und Temperatur in dicht bebauten Quartieren messen und steuern.",
        "Weniger Hitzeinseln, gezielte Entsiegelung und Begrünung.", "310000", "Emschergenossenschaft, Universität",
        "Förderprogramm Klimaanpassung",
    ),
    "Open-Data-Angebot ausbauen": (
        "Daten der Stadt maschinenlesbar und offen bereitstellen.",
        "Neue Anwendungen von Gründerinnen und Gründern, mehr Transparenz.",
        "150000", "Wirtschaftsförderung, Universität", "",
    ),
}

# title: [(indicator, unit, baseline, target value, target year)]
KPIS = {
    "Baumsensoren für Straßenbäume": [("Straßenbäume mit Bodenfeuchtesensor", "Anzahl", "0", "2000", 2026)],
    "Füllstandsensoren in Abfallbehältern": [("Leerfahrten je Woche", "Anzahl", "420", "150", 2025)],
    "Smart Parking in zwei Stadtteilen": [
        ("Durchschnittliche Parksuchzeit", "Minuten", "11", "5", 2026),
        ("Erfasste Stellplätze", "Anzahl", "0", "3500", 2026),
    ],
    "WLAN und Präsentationstechnik in allen Schulen": [("Klassenräume mit WLAN", "%", "38", "100", 2025)],
    "Fortbildungen zur Medienkompetenz": [("Fortgebildete Lehrkräfte", "Anzahl", "0", "3000", 2027)],
    "Serviceportal erweitern": [("Online verfügbare Verwaltungsleistungen", "Anzahl", "500", "800", 2030)],
    "Online-Terminvergabe und Service-Terminals": [("Online gebuchte Termine", "%", "20", "75", 2025)],
    "Schwammstadt-Monitoring": [("Quartiere mit Monitoring", "Anzahl", "0", "12", 2030)],
    "Open-Data-Angebot ausbauen": [("Offene Datensätze", "Anzahl", "90", "400", 2026)],
}

ANSWERS = {
    MeasureStatus.ACCEPTED: "Die Maßnahme wird in das Handlungskonzept aufgenommen. Vielen Dank für den Vorschlag!",
    MeasureStatus.UNDER_EVALUATION: "Das Strategieteam prüft Kosten, Fördermöglichkeiten und Zuständigkeiten.",
    MeasureStatus.REJECTED: "Die Maßnahme wird nicht weiterverfolgt.",
}

# (measure, depends on): also across fields.
DEPENDENCIES = [
    ("Smart Parking in zwei Stadtteilen", "5G und WLAN an Straßenlaternen"),
    ("Smart City-Dashboard", "Open-Data-Angebot ausbauen"),
    ("Besucher-Dashboard für Seen", "Open-Data-Angebot ausbauen"),
    ("Intelligente Straßenbeleuchtung", "5G und WLAN an Straßenlaternen"),
    ("Online-Terminvergabe und Service-Terminals", "Serviceportal erweitern"),
]

# Duplicate proposals from the workshops, merged by the strategy team into the measure in the second place.
DUPLICATES = [
    ("MOB", "Parkleitsystem mit Sensoren", "Freie Parkplätze per Sensor erkennen und per App anzeigen.",
     "Smart Parking in zwei Stadtteilen"),
    ("WWF", "Offene Daten für Start-ups", "Mehr Datensätze der Stadt frei zugänglich machen.",
     "Open-Data-Angebot ausbauen"),
]

COMMENTS = [
    ("Smart Parking in zwei Stadtteilen", Role.EXPERT,
     "Wichtig: die Daten sollten auch in die Open-Data-Plattform fließen."),
    ("Smart Parking in zwei Stadtteilen", Role.STRATEGY_TEAM,
     "Die Kosten hängen vom Ausbau der Laternen-Infrastruktur ab (siehe Abhängigkeiten)."),
    ("Schul-Eltern-Kommunikationsplattform", Role.FACILITATOR, "Datenschutzbeauftragte früh einbinden."),
    ("Sektorenübergreifendes Telemedizin-Netzwerk", Role.EXPERT, "Das Universitätsklinikum bringt Erfahrung aus "
     "Pilotprojekten mit."),
]


def _blocks_by_kind(workshop) -> dict[AgendaBlockKind, object]:
    blocks = {}
    for block in getattr(workshop, "agenda_blocks", None) or ():
        if block.kind.captures_findings:
            blocks.setdefault(block.kind, block)
    return blocks


def _attach_blocks(ctx) -> None:
    """Findings and measures of each workshop go to the right agenda block, where the workshop has one."""
    for workshop in ctx.workshops:
        blocks = _blocks_by_kind(workshop)
        if not blocks:
            continue
        for finding in db.session.scalars(db.select(Finding).where(Finding.workshop_id == workshop.id)):
            kind = AgendaBlockKind.NEEDS if finding.kind == FindingKind.NEED else AgendaBlockKind.STATUS_QUO
            if kind in blocks:
                finding.agenda_block = blocks[kind]
        if AgendaBlockKind.MEASURES in blocks:
            for measure in db.session.scalars(db.select(Measure).where(Measure.workshop_id == workshop.id)):
                measure.agenda_block = blocks[AgendaBlockKind.MEASURES]


def seed(ctx) -> None:
    strategy = ctx.users.get(Role.STRATEGY_TEAM)
    facilitator = ctx.users.get(Role.FACILITATOR)
    expert = ctx.users.get(Role.EXPERT)
    by_title = {m.title: m for m in ctx.measures}
    day_after = {w.id: w.ends_at + timedelta(days=1) for w in ctx.workshops}

    with audit.acting_as(facilitator.id if facilitator else None, "demo"):
        _attach_blocks(ctx)
        for measure in ctx.measures:
            measure.index_area = AREA_BY_TITLE.get(measure.title, AREA_BY_FIELD.get(measure.field.code))
            sheet = FACT_SHEETS.get(measure.title)
            if sheet:
                goal, effect, cost, partners, funding_note = sheet
                measure.goal, measure.expected_effect = goal, effect
                measure.cost_estimate = Decimal(cost)
                measure.partners, measure.funding_note = partners, funding_note
            else:
                measure.goal = f"{measure.title}: Ziel wird im Workshop konkretisiert."
            for indicator, unit, baseline, target, year in KPIS.get(measure.title, ()):
                db.session.add(MeasureKPI(measure=measure, indicator=indicator, unit=unit, baseline=Decimal(baseline),
                                          target_value=Decimal(target), target_year=year))
        db.session.flush()

    with audit.acting_as(strategy.id if strategy else None, "demo"):
        for measure in ctx.measures:
            answer = ANSWERS.get(measure.status)
            if answer:
                measure.official_answer = answer
                measure.evaluated_by_id = strategy.id if strategy else None
                measure.evaluated_at = day_after.get(measure.workshop_id)
        for title, other in DEPENDENCIES:
            if title in by_title and other in by_title:
                by_title[title].dependencies.append(by_title[other])
                audit.record("depend", by_title[title], changes={"depends_on": [None, by_title[other].number]},
                             summary=f"→ {by_title[other].number}")
        db.session.flush()

        # Two duplicate proposals from the workshops, merged into the existing measures.
        for code, title, description, kept_title in DUPLICATES:
            kept = by_title.get(kept_title)
            if kept is None:
                continue
            workshop = kept.workshop
            authors = [p.person for p in workshop.participations if p.attended] if workshop else []
            duplicate = Measure(
                field=ctx.fields[code], title=title, description=description, workshop=workshop,
                agenda_block=kept.agenda_block, proposed_by=ctx.rng.choice(authors) if authors else None,
                status=MeasureStatus.PROPOSED,
            )
            duplicate.needs = list(kept.needs)
            db.session.add(duplicate)
            db.session.flush()
            if authors:
                duplicate.supporters = ctx.rng.sample(authors, min(2, len(authors)))
            duplicate.change_status(MeasureStatus.MERGED)
            duplicate.merged_into = kept
            duplicate.merged_by_id = strategy.id if strategy else None
            duplicate.merged_at = day_after.get(workshop.id) if workshop else None
            duplicate.official_answer = f"Zusammengeführt mit {kept.number}."
            kept.supporters.extend(p for p in duplicate.supporters
                                   if p not in kept.supporters and p.id != kept.proposed_by_id)
            duplicate.supporters = []
            duplicate.needs = []
            details = {"merged": duplicate.number, "kept": kept.number}
            audit.record("merge", duplicate, changes=details, summary=f"{duplicate.number} → {kept.number}")
            audit.record("merge", kept, changes=details, summary=f"{duplicate.number} → {kept.number}")
            ctx.measures.append(duplicate)
        db.session.flush()

    # Supporters: experts of the workshop support a few accepted measures.
    for measure in ctx.measures:
        if measure.status != MeasureStatus.ACCEPTED or measure.workshop is None:
            continue
        attendees = [p.person for p in measure.workshop.participations if p.attended]
        for person in ctx.rng.sample(attendees, min(len(attendees), ctx.rng.randint(2, 6))):
            if person not in measure.supporters and person.id != measure.proposed_by_id:  # not one's own
                measure.supporters.append(person)

    authors = {Role.EXPERT: expert, Role.STRATEGY_TEAM: strategy, Role.FACILITATOR: facilitator}
    for title, role, text in COMMENTS:
        measure = by_title.get(title)
        user = authors.get(role)
        if measure is not None and user is not None:
            created = (measure.workshop.ends_at + timedelta(days=2)) if measure.workshop else None
            comment = Comment(measure=measure, author=user, text=text)
            if created:
                comment.created_at = created
            db.session.add(comment)
    # A comment on a need, so the finding pages show the thread too.
    need = next((n for n in ctx.needs if n.field.code == "MOB"), None)
    if need is not None and expert is not None:
        db.session.add(Comment(finding=need, author=expert, text="Auch Lieferverkehr trägt zum Suchverkehr bei."))
    db.session.flush()

