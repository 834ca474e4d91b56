"""Demo content of the minutes: what the facilitators wrote after the four documented workshops of 2022
(fictional, grounded in the public reporting on the process)."""

from planner.extensions import db
from planner.minutes.models import WorkshopMinutes
from planner.workshops.models import WorkshopStatus

# By the workshop's first action field: summary, decisions, open points, next steps.
TEXTS = {
    "MOB": (
        "Expertinnen und Experten aus Verwaltung, Verkehrsbetrieben, Wirtschaft und Wissenschaft haben den "
        "Status quo der Mobilität und der Umwelt erhoben. Als drängendste Handlungsbedarfe wurden der "
        "Parksuchverkehr und die Früherkennung von Hitze- und Trockenstress bei Stadtbäumen benannt.",
        "- Smart Parking wird für zwei Stadtteile als Maßnahme ausgearbeitet.\n"
        "- Baumsensoren werden gemeinsam mit Grün und Gruga pilotiert.",
        "- Datenlage zu Ladesäulen und Lieferverkehr klären.\n- Zuständigkeit für 5G/WLAN an Straßenlaternen.",
        "- Steckbriefe der vorgeschlagenen Maßnahmen bis Ende April ergänzen.\n"
        "- Ergebnisse in die Bürgerbefragung einbringen.",
    ),
    "BIL": (
        "Schulen, Hochschulen, Kammern und Wirtschaftsförderung haben über digitale Bildung und den Zugang zu Daten "
        "für Gründerinnen und Gründer beraten.",
        "- WLAN und Präsentationstechnik in allen Schulen haben hohe Priorität.\n"
        "- Open Data wird als Querschnittsmaßnahme ausgearbeitet.",
        "- Finanzierung der Medienkompetenz-Schulungen.",
        "- Co-Creation-Labore mit der Universität bis Juni skizzieren.",
    ),
    "SER": (
        "Verwaltung und Zivilgesellschaft haben besprochen, welche Leistungen online gehen sollen und wie Quartiere "
        "mit Hitzeinseln umgehen.",
        "- Das Serviceportal wird erweitert; Online-Terminvergabe zuerst.",
        "- Barrierefreiheit der Serviceterminals prüfen (Inklusionsbeirat).",
        "- Die Beteiligungsplattform mit dem Amt für Stadtplanung abstimmen.",
    ),
    "GES": (
        "Universitätsklinikum, Pflegedienste und Krankenkassen haben die telemedizinische Versorgung älterer Menschen "
        "in den Mittelpunkt gestellt.",
        "- Ein sektorübergreifendes Telemedizin-Netzwerk wird als Maßnahme ausgearbeitet.",
        "- Datenschutz beim Patientenportal klären.",
        "- Abschluss der Workshopreihe: Ergebnisse fließen in das Handlungskonzept ein.",
    ),
}


def seed(ctx) -> None:
    for workshop in ctx.workshops:
        if workshop.status != WorkshopStatus.DOCUMENTED or not workshop.fields:
            continue
        text = TEXTS.get(workshop.fields[0].code)
        if text is None:
            continue
        summary, decisions, open_points, next_steps = text
        db.session.add(WorkshopMinutes(workshop=workshop, summary=summary, decisions=decisions,
                                       open_points=open_points, next_steps=next_steps))
