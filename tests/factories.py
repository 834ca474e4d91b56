"""Test data with sensible defaults; every keyword overrides. Call inside an app context.

Each factory adds and flushes; the test commits when the data must be visible to a request.
"""

import itertools
from datetime import date, datetime, time, timedelta

from planner.accounts.models import User
from planner.core.permissions import Role
from planner.core.timeutil import local_datetime
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from planner.findings.models import Finding, FindingKind, Measure, MeasureStatus
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

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def _save(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def process(**kw) -> StrategyProcess:
    kw.setdefault("city_name", "Teststadt")
    kw.setdefault("title", "Smart City-Strategie 2040")
    kw.setdefault("vision", "Eine lebenswerte, digitale Stadt.")
    return _save(StrategyProcess(**kw))


def field(**kw) -> ActionField:
    n = _n()
    kw.setdefault("code", f"F{n:02d}")
    kw.setdefault("name_de", f"Handlungsfeld {n}")
    kw.setdefault("name_en", f"Action field {n}")
    kw.setdefault("position", n)
    return _save(ActionField(**kw))


def user(role: Role | str = Role.EXPERT, **kw) -> User:
    n = _n()
    kw.setdefault("email", f"user{n}@example.org")
    kw.setdefault("display_name", f"User {n}")
    password = kw.pop("password", PASSWORD)
    u = User(role=Role(role), **kw)
    u.set_password(password)
    return _save(u)


def organisation(**kw) -> Organisation:
    n = _n()
    kw.setdefault("name", f"Organisation {n}")
    kw.setdefault("sector", Sector.ADMINISTRATION)
    return _save(Organisation(**kw))


def person(**kw) -> Person:
    n = _n()
    fields = kw.pop("fields", [])
    kw.setdefault("first_name", f"Vorname{n}")
    kw.setdefault("last_name", f"Nachname{n}")
    kw.setdefault("email", f"person{n}@example.org")
    if "organisation" not in kw and "organisation_id" not in kw:
        kw["organisation"] = organisation()
    p = Person(**kw)
    p.fields = list(fields)
    return _save(p)


def series(**kw) -> WorkshopSeries:
    kw.setdefault("title", f"Workshopreihe {_n()}")
    kw.setdefault("starts_on", date(2030, 1, 1))
    kw.setdefault("ends_on", date(2030, 12, 31))
    return _save(WorkshopSeries(**kw))


def workshop(**kw) -> Workshop:
    fields = kw.pop("fields", None)
    facilitators = kw.pop("facilitators", [])
    kw.setdefault("title", f"Workshop {_n()}")
    kw.setdefault("format", WorkshopFormat.VIRTUAL)
    start = kw.setdefault("starts_at", local_datetime(date(2030, 3, 5), time(9, 0)))
    kw.setdefault("ends_at", start + timedelta(hours=7, minutes=30))
    kw.setdefault("status", WorkshopStatus.SCHEDULED)
    w = Workshop(**kw)
    w.fields = list(fields) if fields is not None else [field()]
    w.facilitators = list(facilitators)
    return _save(w)


def participation(**kw) -> Participation:
    if "workshop" not in kw and "workshop_id" not in kw:
        kw["workshop"] = workshop()
    if "person" not in kw and "person_id" not in kw:
        kw["person"] = person()
    kw.setdefault("role", ParticipationRole.EXPERT)
    kw.setdefault("invitation_status", InvitationStatus.ACCEPTED)
    return _save(Participation(**kw))


def finding(**kw) -> Finding:
    if "workshop" not in kw and "workshop_id" not in kw:
        kw["workshop"] = workshop()
    if "field" not in kw and "field_id" not in kw:
        kw["field"] = kw["workshop"].fields[0] if "workshop" in kw else field()
    kw.setdefault("kind", FindingKind.NEED)
    kw.setdefault("text", f"Handlungsbedarf {_n()}")
    return _save(Finding(**kw))


def measure(**kw) -> Measure:
    needs = kw.pop("needs", [])
    if "field" not in kw and "field_id" not in kw:
        kw["field"] = needs[0].field if needs else field()
    kw.setdefault("title", f"Maßnahme {_n()}")
    kw.setdefault("status", MeasureStatus.PROPOSED)
    m = Measure(**kw)
    m.needs = list(needs)
    return _save(m)


def aware(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return local_datetime(date(year, month, day), time(hour, minute))
