"""Demo content of the concept paper: German section texts, version 1 frozen, an open review round."""

import dataclasses
from datetime import UTC, date, datetime

from sqlalchemy import update

from planner.core.permissions import Role
from planner.demo.data import CITY, TEXTS
from planner.extensions import db
from planner.strategy import review, versions
from planner.strategy.models import PaperSection, PaperVersion
from planner.strategy.rollup import rollup_from_json, rollup_to_json

SECTIONS = (
    ("foreword", "Vorwort des Oberbürgermeisters", (
        f"{TEXTS['foreword_greeting']} Schritt für Schritt zu einer Smart City, die den "
        "Menschen dient. Mehr als hundert Fachleute aus Verwaltung, Wirtschaft und Wissenschaft haben in "
        "vier Workshops den Status quo erhoben und Handlungsbedarfe benannt; über zweitausend Bürgerinnen und "
        "Bürger haben sich an der Online-Befragung beteiligt. Dieses Handlungskonzept bündelt ihre Ideen zu "
        "Maßnahmen bis 2040.\n\n"
        "Ich danke allen, die mitgewirkt haben.\n\n"
        "*Ihr Oberbürgermeister (fiktiver Demotext)*"
    )),
    ("vision", "Leitbild 2040", None),
    ("starting_point_intro", "Ausgangslage", (
        "Die Stadt hat 2022 einen breit angelegten Beteiligungsprozess gestartet: ganztägige virtuelle "
        "Strategie-Workshops je Handlungsfeld und eine Bürgerbefragung vom 30. Juni bis 31. Juli 2022. "
        "Die folgenden Zahlen fassen zusammen, wer beteiligt war."
    )),
    ("governance", "Steuerung und Organisation", (
        "Die Umsetzung steuert die Stabsstelle Smart City gemeinsam mit einem Lenkungskreis aus "
        "Verwaltungsvorstand, städtischen Beteiligungen und Partnern aus Wirtschaft und Wissenschaft.\n\n"
        "- Lenkungskreis: tagt zweimal im Jahr\n"
        "- Handlungsfeld-Teams: je eine Federführung aus der Fachverwaltung\n"
        "- Smart City-Büro: Koordination, Fördermittel, Kommunikation"
    )),
    ("monitoring", "Monitoring und Evaluation", (
        "Jede Maßnahme hat Kennzahlen mit Ausgangs- und Zielwert. Das Smart City-Büro berichtet jährlich "
        "dem Rat über den Fortschritt; zu den Meilensteinen 2025, 2030 und 2035 wird das Konzept "
        "fortgeschrieben."
    )),
    ("communication", "Kommunikation und Beteiligung", (
        "Ab dem dritten Quartal 2022 beziehen Präsenzformate Bürgerinnen und Bürger sowie die politischen "
        "Gremien – Ausschüsse und Bezirksvertretungen – in die Weiterentwicklung ein. Ergebnisse werden "
        "offen veröffentlicht."
    )),
)


_CITY = CITY["name"]

# Zielbild 2040 and measurable goals per field (fictional demo values, plausible for the demo city):
# (text, indicator, unit, baseline, target value, target year)
GOALS = {
    "UMW": (f"{_CITY} ist 2040 eine klimaangepasste Grüne Hauptstadt: Sensoren melden Hitze- und Trockenstress an "
            "Stadtbäumen früh, Energie und Abfall werden datengestützt gesteuert.", (
        ("Stadtbäume mit Bodenfeuchtesensoren überwachen", "Überwachte Straßenbäume", "Bäume", 0, 5000, 2030),
        ("Energieverbrauch der Straßenbeleuchtung senken", "Stromverbrauch der Straßenbeleuchtung", "GWh pro Jahr",
         28, 14, 2035),
        ("Leerfahrten der Abfallsammlung vermeiden", "Anteil sensorgesteuerter Depotcontainer", "%", 5, 80, 2030),
    )),
    "MOB": (f"Mobilität in {_CITY} ist 2040 vernetzt, emissionsarm und barrierefrei: Parksuchverkehr ist die "
            "Ausnahme, Ampeln und ÖPNV reagieren auf die Verkehrslage.", (
        ("Parksuchverkehr in den Stadtbezirken mit Smart Parking halbieren", "Mittlere Parksuchzeit", "Minuten",
         10, 5, 2030),
        ("Adaptive Lichtsignalanlagen an Hauptachsen", "Anteil adaptiver Lichtsignalanlagen", "%", 8, 60, 2035),
        ("Öffentliches WLAN und 5G an Straßenlaternen", "Standorte mit Funkversorgung", "Standorte", 120, 1500,
         2030),
    )),
    "BIL": (f"Jede Schule in {_CITY} lernt 2040 digital: gute Netze und Technik in jedem Raum, Medienkompetenz für "
            "alle Altersgruppen und direkte Wege zwischen Schule und Eltern.", (
        ("WLAN und Präsentationstechnik in allen Schulen", "Anteil der Schulen mit flächendeckendem WLAN", "%", 45,
         100, 2027),
        ("Medienkompetenz stärken", "Teilnehmende an Medienkompetenz-Schulungen pro Jahr", "Personen", 800, 5000,
         2030),
    )),
    "SER": ("Die Verwaltung ist 2040 rund um die Uhr digital erreichbar: Anliegen lassen sich online erledigen, "
            "Termine und Servicepunkte ergänzen das Angebot für alle, die Hilfe brauchen.", (
        ("Verwaltungsleistungen vollständig online anbieten", "Anteil der Leistungen mit Online-Antrag", "%", 32, 90,
         2030),
        ("Wartezeiten in den Bürgerämtern verkürzen", "Mittlere Wartezeit auf einen Termin", "Tage", 21, 5, 2028),
        ("Digitale Beteiligung ausbauen", "Beteiligungsverfahren pro Jahr auf der Plattform", "Verfahren", 3, 20,
         2030),
    )),
    "GES": (f"Ältere und chronisch kranke Menschen in {_CITY} werden 2040 telemedizinisch gut versorgt – vernetzt "
            "zwischen Praxen, Kliniken und Pflege.", (
        ("Telemedizinisches Versorgungsnetz aufbauen", "Angeschlossene Praxen, Kliniken und Pflegedienste",
         "Einrichtungen", 12, 250, 2032),
        ("Patientenportal für die Kliniken der Stadt", "Aktive Nutzerinnen und Nutzer des Portals", "Personen", 0,
         40000, 2030),
    )),
    "WOH": ("Die Quartiere sind 2040 lebenswert und hitzeresilient: Schwammstadt-Monitoring, geteilte Mobilität "
            "und digitale Nachbarschaften stärken das Zusammenleben.", (
        ("Hitzeinseln in Quartieren messen und reduzieren", "Quartiere mit Schwammstadt-Monitoring", "Quartiere", 2,
         25, 2035),
        ("Car- und Bikesharing im Quartier", "Sharing-Stationen in Wohnquartieren", "Stationen", 40, 300, 2030),
        ("Digitale Nachbarschaftsplattform", "Registrierte Haushalte", "Haushalte", 0, 30000, 2030),
    )),
    "WWF": (f"{_CITY} ist 2040 ein offener Daten- und Innovationsstandort: Gründende, Wirtschaft und Wissenschaft "
            "nutzen städtische Daten und entwickeln Lösungen gemeinsam.", (
        ("Offene Daten bereitstellen", "Datensätze im Open-Data-Portal", "Datensätze", 150, 1000, 2030),
        ("Co-Creation mit der Universität", "Gemeinsame Reallabor-Projekte", "Projekte", 1, 12, 2030),
    )),
}


def seed_goals(ctx, strategist) -> None:
    from planner.strategy.goals import FieldGoal, FieldVision

    for code, (vision, goals) in GOALS.items():
        field = ctx.fields.get(code)
        if field is None:
            continue
        row = FieldVision(field_id=field.id, process_id=ctx.process.id, text=vision, updated_by=strategist)
        row.goals = [FieldGoal(position=i, text=text, indicator=indicator, unit=unit, baseline=baseline,
                               target_value=target, target_year=year)
                     for i, (text, indicator, unit, baseline, target, year) in enumerate(goals)]
        db.session.add(row)
    db.session.flush()


def seed(ctx) -> None:
    strategist = ctx.users.get(Role.STRATEGY_TEAM) or ctx.users.get("strategy_team")
    reviewer = ctx.users.get(Role.REVIEWER) or ctx.users.get("reviewer")
    for position, (key, title, body) in enumerate(SECTIONS):
        db.session.add(PaperSection(key=key, title=title, body=body if body is not None else ctx.process.vision,
                                    position=position, updated_by=strategist))
    db.session.flush()
    seed_goals(ctx, strategist)
    version = versions.freeze_version(strategist, "Entwurf für die Abstimmung mit Ausschüssen und Partnern")
    # The demo tells 2022's story: the draft was frozen then, and its cover says so (a Core UPDATE: the model
    # refuses to change a frozen version).
    frozen = dataclasses.replace(rollup_from_json(version.rollup_json), issued_on=date(2022, 11, 2))
    db.session.execute(update(PaperVersion).where(PaperVersion.id == version.id)
                       .values(frozen_at=datetime(2022, 11, 2, 9, 0, tzinfo=UTC), rollup_json=rollup_to_json(frozen)))
    db.session.refresh(version)
    round_ = review.create_round(version, strategist, title="Abstimmung mit dem Ratsausschuss Digitalisierung",
                                 due_on=date(2022, 11, 30))
    if reviewer is not None:
        review.add_member(round_, strategist, user_id=reviewer.id, body_label="Ratsausschuss für Digitalisierung")
        review.add_comment(
            round_, reviewer, target="section:governance",
            text="Bitte ergänzen, wie die Bezirksvertretungen in den Lenkungskreis eingebunden werden.",
        )
    db.session.flush()
    _seed_consultation(version, strategist)


def _seed_consultation(version, strategist) -> None:
    """Version 1 open to the public (for four weeks from today), with fictional comments: one answered, one
    waiting for moderation."""
    from datetime import timedelta

    from planner.core.timeutil import local_today
    from planner.strategy import consultation

    today = local_today()
    opened = consultation.save_consultation(
        version, strategist, starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=21),
        intro="Die Stadt bittet um Ihre Meinung zum Entwurf: Was fehlt, was sollte anders werden?")
    answered = consultation.submit_comment(
        opened, 2, text="Bitte auch an ältere Menschen ohne Internet denken (fiktiver Demokommentar).",
        email="buergerin@example.org", display_name="M. Beispiel", confirmed_email="buergerin@example.org")
    answered.email = ""  # a fictional commenter: no address kept, no mail about the answer
    consultation.answer_comment(answered, strategist, "Danke! Servicepunkte in den Bürgerämtern bleiben; das "
                                                      "ergänzen wir im Handlungsfeld Smarte Services.")
    consultation.submit_comment(
        opened, 3, text="Wie werden die Stadtteile im Norden beteiligt? (fiktiver Demokommentar)",
        email="buerger@example.org", confirmed_email="buerger@example.org")
    db.session.flush()
