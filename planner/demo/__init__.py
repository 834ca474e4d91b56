"""Loads the demo: the Essen process of 2022 with fictional experts. Seeding twice changes nothing."""

import importlib
import random
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from planner.accounts.models import User
from planner.core.permissions import Role
from planner.core.timeutil import local_datetime
from planner.demo import data
from planner.extensions import db
from planner.fields.models import ActionField, IndexArea, StrategyProcess
from planner.findings.models import Finding, FindingKind, FundingType, Measure, MeasureStatus, Priority
from planner.people.models import Organisation, Person, Sector
from planner.workshops.models import (
    InvitationStatus,
    Participation,
    ParticipationRole,
    Workshop,
    WorkshopFormat,
    WorkshopSeries,
    WorkshopStatus,
)

# Packages that add their own demo content: each may have a module `demo` with `seed(ctx)`.
EXTENSION_PACKAGES = ("people", "workshops", "invitations", "findings", "surveys", "strategy", "minutes",
                      "monitoring", "privacy")


@dataclass
class DemoContext:
    process: StrategyProcess
    fields: dict[str, ActionField]
    series: WorkshopSeries
    workshops: list[Workshop]
    people: list[Person]
    users: dict[str, User]
    needs: list[Finding] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(2040))


def _seed_city() -> None:
    from planner.city.models import CitySettings
    from planner.core import identity
    from planner.core.models import utcnow

    settings = CitySettings.get_or_create()
    for key, value in data.CITY.items():
        setattr(settings, key, value)
    settings.setup_finished_at = settings.demo_loaded_at = utcnow()
    identity.forget()


def is_seeded() -> bool:
    return StrategyProcess.current() is not None


def seed_demo() -> DemoContext | None:
    """Loads the demo into an empty database; returns None (and changes nothing) when already seeded."""
    if is_seeded():
        return None
    rng = random.Random(2040)
    consent_at = local_datetime(date(2022, 2, 15), time(10, 0))
    process = StrategyProcess(**data.PROCESS)
    db.session.add(process)
    _seed_city()

    fields = {}
    for position, (code, name_de, name_en, colour, desc_de, desc_en) in enumerate(data.FIELDS, start=1):
        fields[code] = ActionField(
            code=code, name_de=name_de, name_en=name_en, colour=colour, description_de=desc_de,
            description_en=desc_en, position=position, index_area=IndexArea(data.INDEX_AREAS[code]),
        )
    db.session.add_all(fields.values())

    people = _seed_people(fields, rng, consent_at)
    users = _seed_accounts(people)
    series, workshops = _seed_workshops(fields, people, users, rng)
    ctx = DemoContext(process, fields, series, workshops, people, users, rng=rng)
    _seed_findings(ctx)
    db.session.flush()

    for package in EXTENSION_PACKAGES:
        try:
            module = importlib.import_module(f"planner.{package}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"planner.{package}.demo":
                raise
            continue
        module.seed(ctx)
        db.session.flush()
    return ctx


def _seed_people(fields, rng, consent_at) -> list[Person]:
    people = []
    used = set()
    index = 0
    for org_name, sector, codes, domain in data.ORGANISATIONS:
        org = Organisation(name=org_name, sector=Sector(sector))
        db.session.add(org)
        for _ in range(5):
            while True:
                first = data.FIRST_NAMES[index % len(data.FIRST_NAMES)]
                last = data.LAST_NAMES[(index * 7) % len(data.LAST_NAMES)]
                index += 1
                if (first, last) not in used:
                    used.add((first, last))
                    break
            own_fields = [fields[c] for c in codes]
            if rng.random() < 0.25:
                own_fields.append(fields[rng.choice(list(fields))])
            person = Person(
                first_name=first,
                last_name=last,
                title="Dr." if rng.random() < 0.2 else "",
                email=f"{first}.{last}@{domain}".lower().replace("ü", "ue"),
                position=rng.choice(data.POSITIONS),
                organisation=org,
                has_consent=True,
                consent_at=consent_at,
                consent_text="Einwilligung in die Verarbeitung für die Smart City-Workshops (Demo).",
                is_fictional=True,
            )
            person.fields = list(dict.fromkeys(own_fields))
            db.session.add(person)
            people.append(person)
    return people


def _seed_accounts(people) -> dict[str, User]:
    users = {}
    expert_person = next(p for p in people if p.organisation.name == "Universität")
    for email, name, role in data.ACCOUNTS:
        user = User(email=email, display_name=name, role=Role(role))
        user.set_password(data.DEMO_PASSWORD)
        if role == Role.EXPERT:
            # The demo expert is one of the university's experts, with workshops and findings.
            expert_person.first_name, expert_person.last_name, expert_person.title = "Erika", "Expertin", "Dr."
            expert_person.email = email
            user.person = expert_person
        db.session.add(user)
        users[role] = user
    return users


def _seed_workshops(fields, people, users, rng):
    series = WorkshopSeries(
        title=data.SERIES["title"],
        description=data.SERIES["description"],
        starts_on=date.fromisoformat(data.SERIES["starts_on"]),
        ends_on=date.fromisoformat(data.SERIES["ends_on"]),
    )
    db.session.add(series)
    workshops = []
    for title, day, codes in data.WORKSHOPS:
        day = date.fromisoformat(day)
        workshop = Workshop(
            series=series,
            title=title,
            description="Ganztägiger virtueller Strategie-Workshop: Status quo ermitteln, Handlungsbedarfe "
            "definieren, Maßnahmen vorschlagen und sich vernetzen.",
            format=WorkshopFormat.VIRTUAL,
            starts_at=local_datetime(day, time(9, 0)),
            ends_at=local_datetime(day, time(16, 30)),
            video_link="https://video.example.org/smart-city-workshop",
            capacity=40,
            status=WorkshopStatus.DOCUMENTED,
        )
        workshop.fields = [fields[c] for c in codes]
        workshop.facilitators = [users[Role.FACILITATOR]]
        db.session.add(workshop)
        invited_at = local_datetime(day - timedelta(days=28), time(10, 0))
        invitees = [p for p in people if any(f.code in codes for f in p.fields)]
        # The demo obeys its own rules: no more acceptances than places (the demo expert's place is kept for her);
        # who accepts once the workshop is full is on the waitlist, as the planner would have put them.
        reserved = int(any(p.email == "expertin@example.org" for p in invitees))
        accepted = 0
        for person in invitees:
            is_demo_expert = person.email == "expertin@example.org"
            accepts = rng.random() < 0.8 or is_demo_expert
            responded_at = invited_at + timedelta(days=rng.randint(1, 10))
            came = accepts and rng.random() < 0.92
            has_place = is_demo_expert or (accepts and accepted < workshop.capacity - reserved)
            if is_demo_expert:
                reserved = 0
            if has_place:
                accepted += 1
                status = InvitationStatus.ACCEPTED
            else:
                status = InvitationStatus.WAITLISTED if accepts else InvitationStatus.DECLINED
            db.session.add(
                Participation(
                    workshop=workshop,
                    person=person,
                    role=ParticipationRole.EXPERT,
                    invitation_status=status,
                    invited_at=invited_at,
                    responded_at=responded_at,
                    attended=has_place and (came or is_demo_expert),
                )
            )
        workshops.append(workshop)
    return series, workshops


def _seed_findings(ctx: DemoContext) -> None:
    workshop_of = {code: w for w in ctx.workshops for code in (f.code for f in w.fields)}
    for code, content in data.FINDINGS.items():
        field_ = ctx.fields[code]
        workshop = workshop_of[code]
        authors = [p.person for p in workshop.participations if p.attended]
        for kind, text in content["swot"]:
            db.session.add(
                Finding(workshop=workshop, field=field_, author=ctx.rng.choice(authors), kind=FindingKind(kind),
                        text=text)
            )
        for need_text, measures in content["needs"]:
            need = Finding(workshop=workshop, field=field_, author=ctx.rng.choice(authors), kind=FindingKind.NEED,
                           text=need_text)
            db.session.add(need)
            ctx.needs.append(need)
            for title, description, lead, status, priority, start, end, funding in measures:
                measure = Measure(
                    field=field_, title=title, description=description, lead_unit=lead,
                    status=MeasureStatus(status), priority=Priority(priority), start_year=start, end_year=end,
                    funding_type=FundingType(funding), proposed_by=ctx.rng.choice(authors), workshop=workshop,
                )
                measure.needs = [need]
                db.session.add(measure)
                ctx.measures.append(measure)

