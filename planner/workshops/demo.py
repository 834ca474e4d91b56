"""Demo content of the workshops package: full-day agendas, a citizen dialogue and a committee briefing (2022)."""

from datetime import date, time

from planner.core.permissions import Role
from planner.core.timeutil import local_datetime
from planner.demo.data import TEXTS
from planner.extensions import db
from planner.workshops.models import (
    AgendaBlock,
    AgendaBlockKind,
    InvitationStatus,
    Participation,
    ParticipationRole,
    Workshop,
    WorkshopFormat,
    WorkshopKind,
    WorkshopSeries,
    WorkshopStatus,
)

# title, kind, minutes: 9:00 to 16:30.
FULL_DAY = [
    ("Begrüßung und Ziele des Tages", AgendaBlockKind.WELCOME, 15),
    (TEXTS["impulse"], AgendaBlockKind.INPUT, 30),
    ("Status quo: Stärken, Schwächen, Chancen, Risiken", AgendaBlockKind.STATUS_QUO, 90),
    ("Kaffeepause", AgendaBlockKind.BREAK, 15),
    ("Handlungsbedarfe definieren", AgendaBlockKind.NEEDS, 90),
    ("Mittagspause", AgendaBlockKind.BREAK, 60),
    ("Maßnahmen vorschlagen", AgendaBlockKind.MEASURES, 90),
    ("Vernetzung in Kleingruppen", AgendaBlockKind.NETWORKING, 30),
    ("Zusammenfassung und nächste Schritte", AgendaBlockKind.WRAP_UP, 30),
]

DIALOGUE_AGENDA = [
    ("Begrüßung durch die Stadt", AgendaBlockKind.WELCOME, 15),
    ("Impuls: Ergebnisse der Bürgerbefragung", AgendaBlockKind.INPUT, 30),
    ("Thementische: Was braucht Ihr Stadtteil?", AgendaBlockKind.NEEDS, 60),
    ("Thementische: Ideen für Maßnahmen", AgendaBlockKind.MEASURES, 45),
    ("Ausblick", AgendaBlockKind.WRAP_UP, 15),
]

BRIEFING_AGENDA = [
    ("Vorstellung des Strategieprozesses", AgendaBlockKind.INPUT, 20),
    ("Zwischenstand: Handlungsbedarfe je Handlungsfeld", AgendaBlockKind.STATUS_QUO, 25),
    ("Aussprache und Hinweise des Ausschusses", AgendaBlockKind.NEEDS, 30),
    ("Weiteres Vorgehen bis zum Handlungskonzept", AgendaBlockKind.WRAP_UP, 15),
]


def _agenda(workshop: Workshop, blocks, responsible=None) -> None:
    for position, (title, kind, minutes) in enumerate(blocks):
        workshop.agenda_blocks.append(
            AgendaBlock(position=position, title=title, kind=kind, duration_minutes=minutes,
                        responsible=responsible if kind in (AgendaBlockKind.INPUT, AgendaBlockKind.WELCOME) else None)
        )


def seed(ctx) -> None:
    facilitator = ctx.users[Role.FACILITATOR]
    for workshop in ctx.workshops:
        if not workshop.agenda_blocks:
            _agenda(workshop, FULL_DAY)
        # Networking: most participants agreed to share their contact details (the demo expert among them).
        for participation in workshop.participations:
            if participation.invitation_status == InvitationStatus.ACCEPTED and participation.attended:
                participation.shares_contact = (
                    participation.person.email == "expertin@example.org" or ctx.rng.random() < 0.6
                )

    series = WorkshopSeries(
        title="Beteiligung 2022",
        description="Präsenzformate ab dem dritten Quartal 2022: Bürgerinnen und Bürger sowie politische Gremien "
        "bringen sich in die Smart City-Strategie ein.",
        starts_on=date(2022, 7, 1),
        ends_on=date(2022, 12, 31),
    )
    db.session.add(series)

    dialogue_day = date(2022, 9, 15)
    dialogue = Workshop(
        series=series,
        kind=WorkshopKind.CITIZEN_DIALOGUE,
        title=TEXTS["dialogue_title"],
        audience="Bürgerinnen und Bürger aller Stadtbezirke",
        description="Offener Bürgerdialog im Rathaus: Die Ergebnisse der Bürgerbefragung vorstellen und an "
        "Thementischen Handlungsbedarfe und Ideen für Maßnahmen sammeln. Anmeldung ohne Konto per E-Mail.",
        format=WorkshopFormat.IN_PERSON,
        starts_at=local_datetime(dialogue_day, time(17, 0)),
        ends_at=local_datetime(dialogue_day, time(19, 45)),
        location=TEXTS["dialogue_location"],
        capacity=80,
        status=WorkshopStatus.HELD,
        sequence=1,
    )
    dialogue.fields = list(ctx.fields.values())
    dialogue.facilitators = [facilitator]
    _agenda(dialogue, DIALOGUE_AGENDA)
    db.session.add(dialogue)

    briefing_day = date(2022, 10, 11)
    briefing = Workshop(
        series=series,
        kind=WorkshopKind.POLITICAL_BRIEFING,
        title="Unterrichtung des Ausschusses für Digitalisierung",
        audience="Ausschuss für Digitalisierung",
        description="Die Verwaltung unterrichtet den Ausschuss über den Stand der Smart City-Strategie und nimmt "
        "Hinweise der Fraktionen für das Handlungskonzept auf.",
        format=WorkshopFormat.IN_PERSON,
        starts_at=local_datetime(briefing_day, time(15, 0)),
        ends_at=local_datetime(briefing_day, time(16, 30)),
        location=TEXTS["briefing_location"],
        status=WorkshopStatus.HELD,
        sequence=1,
    )
    briefing.fields = list(ctx.fields.values())
    briefing.facilitators = [facilitator]
    _agenda(briefing, BRIEFING_AGENDA)
    db.session.add(briefing)

    # A few experts of the administration came to the citizen dialogue as contacts at the theme tables.
    for person in [p for p in ctx.people if p.sector and p.sector.value == "administration"][:6]:
        db.session.add(Participation(workshop=dialogue, person=person, role=ParticipationRole.EXPERT,
                                     invitation_status=InvitationStatus.ACCEPTED, attended=True))
