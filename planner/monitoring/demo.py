"""Demo content after the vote: the council adopted the demo city's paper in June 2023 (a fictional Drucksache and
Beratungsfolge); its measures have been monitored since, with status updates, KPI values up to today and one
progress report per year, so a newcomer sees what the planner is for after the vote."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from planner.core.audit import record
from planner.core.permissions import Role
from planner.core.timeutil import local_today
from planner.demo.data import CITY, PROCESS
from planner.extensions import db
from planner.findings.models import MeasureKPI
from planner.monitoring import notify, services
from planner.monitoring.models import (
    ActionStatus,
    KPIValue,
    MeasureSubscription,
    MonitoredAction,
    StatusUpdate,
    TaskKind,
)
from planner.strategy.council import CouncilDecision, DecisionResult, DecisionStep
from planner.strategy.models import PaperVersion
from planner.strategy.rollup import build_rollup, rollup_to_json

_CITY = CITY["name"]
_TITLE = PROCESS["title"]

REFERENCE = "0815/2023"
RESOLUTION = (
    f"1. Der Rat der Stadt {_CITY} beschließt die Smart-City-Strategie „{_TITLE}“ in der Fassung der Anlage 1 "
    "(Langfassung) als Leitlinie für die digitale Stadtentwicklung bis 2040.\n"
    "2. Die Verwaltung wird beauftragt, die Maßnahmen nach ihrer Priorität umzusetzen, Fördermittel einzuwerben "
    "und dem Rat jährlich einen Umsetzungsbericht vorzulegen.\n"
    "3. Der Ausschuss für Digitalisierung begleitet die Umsetzung."
)
STEPS = (
    ("Ausschuss für Digitalisierung und Smart City", date(2023, 5, 10), "Vorberatung", False,
     DecisionResult.RECOMMENDED, "einstimmig empfohlen"),
    ("Haupt- und Finanzausschuss", date(2023, 6, 5), "Vorberatung", False, DecisionResult.RECOMMENDED,
     "mehrheitlich empfohlen"),
    (f"Rat der Stadt {_CITY}", date(2023, 6, 15), "Entscheidung", True, DecisionResult.ADOPTED,
     "mehrheitlich beschlossen"),
)
UPDATES = {
    ActionStatus.ON_TRACK: ("Projektteam gebildet, Zeitplan mit den Partnern abgestimmt.",
                            "Ausschreibung veröffentlicht; die Angebote werden ausgewertet.",
                            "Pilotbetrieb im ersten Stadtteil läuft, erste Rückmeldungen sind positiv."),
    ActionStatus.DELAYED: ("Die Vergabe verzögert sich um ein Quartal: Rückfragen der Bieter.",
                           "Lieferengpässe bei der Hardware; der Rollout beginnt später."),
    ActionStatus.AT_RISK: ("Der Förderbescheid steht noch aus; ohne ihn ist die Finanzierung ab 2026 offen.",),
    ActionStatus.COMPLETED: ("Umsetzung abgeschlossen, der Betrieb ist in die Regelstruktur übergegangen.",),
}
PROGRAMMES = ("Modellprojekte Smart Cities (BMWSB)", "Digitalstrategie NRW", "EFRE/JTF NRW", "KfW 432")


def _adopted_version(strategist) -> PaperVersion:
    number = (db.session.scalar(select(func.max(PaperVersion.number))) or 0) + 1
    # The cover's date is the day it was frozen, before the council's vote, not the day the demo was seeded.
    rollup = dataclasses.replace(build_rollup(locale="de"), version=number, issued_on=date(2023, 4, 18))
    version = PaperVersion(number=number, frozen_at=datetime(2023, 4, 18, 8, 0, tzinfo=UTC),
                           frozen_by_id=strategist.id, note="Fassung für die Beschlussfassung im Rat",
                           rollup_json=rollup_to_json(rollup), signed_off_at=datetime(2023, 4, 19, 14, 0, tzinfo=UTC),
                           signed_off_by_id=strategist.id, published_at=datetime(2023, 4, 20, 8, 0, tzinfo=UTC),
                           published_by_id=strategist.id)
    db.session.add(version)
    db.session.flush()
    record("freeze", version, summary=f"Version {number}")
    decision = CouncilDecision(paper_version=version, reference=REFERENCE, paper_type="Beschlussvorlage",
                               title=PROCESS["title"], submitted_on=date(2023, 4, 18),
                               resolution_text=RESOLUTION)
    for body, day, role, authoritative, result, wording in STEPS:
        decision.steps.append(DecisionStep(body=body, meeting_date=day, role=role, authoritative=authoritative,
                                           result=result, result_text=wording, note=""))
    db.session.add(decision)
    db.session.flush()
    return version


def _quarters(start: date, end: date):
    year, month = start.year, ((start.month - 1) // 3 + 1) * 3
    while True:
        day = date(year, month, 30 if month in (6, 9) else 31)
        if day > end:
            return
        yield day
        month += 3
        if month > 12:
            year, month = year + 1, 3


# KPIs that count things (trees, parking spaces, teachers): their values are whole numbers.
COUNTED = {"Anzahl", "count", "number"}


def seed(ctx) -> None:
    strategist = ctx.users.get(Role.STRATEGY_TEAM) or ctx.users.get("strategy_team")
    if strategist is None:
        return
    rng = ctx.rng
    version = _adopted_version(strategist)
    services.start_monitoring(version, strategist)
    today = local_today()
    actions = db.session.scalars(select(MonitoredAction).order_by(MonitoredAction.id)).all()
    for index, action in enumerate(actions):
        if index % 4 != 3:
            action.lead_id = strategist.id
        if index % 3 == 0:
            action.funding_programme = PROGRAMMES[index % len(PROGRAMMES)]
            action.grant_amount = Decimal(rng.randrange(100, 900) * 1000)
            action.own_share = (action.grant_amount * Decimal("0.1")).quantize(Decimal("1"))
            action.funding_from, action.funding_until = date(2024, 1, 1), date(today.year + 1, 12, 31)
            # The funder wants a report every year on 31 March: the dates become tasks; the past ones are done
            # (but the newest of one measure, so a late report shows in the reminders and the progress report).
            action.funder_report_yearly = "03-31"
            notify.sync_funder_reports(action)
            for task in action.tasks:
                late = index % 9 == 3 and task.due_on > today - timedelta(days=365)
                if task.generated_key and task.due_on < today and not late:
                    task.done_on = task.due_on - timedelta(days=(index + task.due_on.year) % 19 + 1)
        years = list(range(2023, today.year + 1))
        path = [ActionStatus.ON_TRACK] * (len(years) - 1) + [rng.choice([
            ActionStatus.ON_TRACK, ActionStatus.ON_TRACK, ActionStatus.DELAYED, ActionStatus.AT_RISK,
            ActionStatus.COMPLETED])]
        if index % 7 == 6:
            path = []  # some measures have not started: the tracking score shows them
        progress = 0
        for year, status in zip(years, path, strict=False):
            # One update a year; this year's a few weeks ago, so the overview shows current reports.
            day = (date(year, rng.choice((3, 6, 9, 11)), rng.randrange(1, 28)) if year < today.year
                   else today - timedelta(days=rng.randrange(10, 60)))
            progress = 100 if status == ActionStatus.COMPLETED else min(95, progress + rng.randrange(12, 30))
            db.session.add(StatusUpdate(action=action, reported_on=day, status=status, progress=progress,
                                        text=rng.choice(UPDATES[status]), author_id=strategist.id))
            action.status, action.progress = status, progress
        for task in action.tasks:
            if task.kind == TaskKind.MILESTONE and action.status == ActionStatus.COMPLETED:
                task.done_on = min(today, task.due_on)
    kpis = db.session.scalars(select(MeasureKPI).where(MeasureKPI.measure_id.in_([a.measure_id for a in actions]))
                              .order_by(MeasureKPI.id)).all()
    for kpi in kpis:
        baseline = float(kpi.baseline or 0)
        target = float(kpi.target_value if kpi.target_value is not None else baseline * 1.5 + 10)
        quarters = list(_quarters(date(2023, 9, 30), today))
        for step, day in enumerate(quarters, start=1):
            share = step / (len(quarters) + 8)  # on the way, not there yet
            value = baseline + (target - baseline) * share * rng.uniform(0.85, 1.1)
            places = 0 if kpi.unit in COUNTED else 1  # 1.332 trees, not 1.332,19; 7,8 minutes
            db.session.add(KPIValue(kpi_id=kpi.id, measured_on=day, value=Decimal(str(round(value, places))),
                                    district="", note="", author_id=strategist.id))
    db.session.flush()
    _answers_and_followers(ctx, actions)
    for year in range(2023, today.year):
        report = services.freeze_report(str(year), strategist, as_of=date(year, 12, 31))
        report.created_at = datetime(year + 1, 1, 20, 9, 0, tzinfo=UTC)
    db.session.flush()


ANSWER = ("Vielen Dank für Ihren Vorschlag aus dem Workshop. Der Rat der Stadt hat die Maßnahme am 15. Juni 2023 mit "
          "der Smart-City-Strategie beschlossen. Die Federführung liegt bei {unit}; den Stand der Umsetzung "
          "veröffentlichen wir hier laufend.")


def _answers_and_followers(ctx, actions) -> None:
    """The official answer to the proposers of a few measures (mailed in July 2023), and the demo expert follows a
    measure she supports (confirmed opt-in), so the public dashboard and the notifications show what they do."""
    published = datetime(2023, 7, 3, 9, 0, tzinfo=UTC)
    answered = [a for a in actions if a.measure.proposed_by_id is not None][:3]
    for action in answered:
        action.answer_text = ANSWER.format(unit=action.responsible_unit or "der Stadtverwaltung")
        action.answer_published_at = action.answer_mailed_at = published
    expert = ctx.users.get(Role.EXPERT) or ctx.users.get("expert")
    person = expert.person if expert is not None else None
    if person is None:
        return
    action = next((a for a in actions if a.measure.proposed_by_id != person.id), None)
    if action is None:
        return
    if person not in action.measure.supporters:
        action.measure.supporters.append(person)
    db.session.add(MeasureSubscription(measure_id=action.measure_id, email=person.email, person_id=person.id,
                                       locale="de", consent_text=notify.CONSENT_TEXT,
                                       created_at=datetime(2024, 2, 12, 18, 0, tzinfo=UTC),
                                       confirmed_at=datetime(2024, 2, 12, 18, 5, tzinfo=UTC)))
