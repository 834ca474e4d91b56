"""The rules of monitoring: which measures are monitored, who may report on them, what a report, a task and a KPI
value must be, how well each action is tracked, and the snapshot a progress report freezes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError, NotAllowed
from planner.core.locking import bump_version, check_version, save_version
from planner.core.pagination import ListPage
from planner.core.permissions import Role, has_role
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.fields.models import ActionField
from planner.findings.models import Measure, MeasureKPI
from planner.monitoring import tracking as _tracking
from planner.monitoring.models import (
    ActionStatus,
    ActionTask,
    KPIValue,
    MonitoredAction,
    ProgressReport,
    StatusUpdate,
    TaskKind,
)

# The rule of the tracking score lives in planner.monitoring.tracking; these names stay importable from here.
from planner.monitoring.tracking import KPI_CURRENT_DAYS, UPDATE_DUE_DAYS, Quality, score  # noqa: F401
from planner.strategy import versions
from planner.strategy.council import CouncilDecision, DecisionState
from planner.strategy.models import PaperVersion

TEXT_MAX = 20_000
SNAPSHOT_SCHEMA = 1


# --- who may do what -------------------------------------------------------------------------------------------

def is_staff(user) -> bool:
    return has_role(user, Role.STRATEGY_TEAM)


def can_update(action: MonitoredAction, user) -> bool:
    """The strategy team reports on every action; an implementation lead only on the actions they lead."""
    return is_staff(user) or (getattr(user, "id", None) is not None and action.lead_id == user.id)


def ensure_can_update(action: MonitoredAction, user) -> None:
    if not can_update(action, user):
        raise NotAllowed(_l("Only the strategy team and the lead of this measure can report on it."))


def actions_for(user, *, status: ActionStatus | None = None) -> list[MonitoredAction]:
    query = (select(MonitoredAction).join(Measure, Measure.id == MonitoredAction.measure_id)
             .options(selectinload(MonitoredAction.measure).selectinload(Measure.field),
                      selectinload(MonitoredAction.measure).selectinload(Measure.kpis),
                      selectinload(MonitoredAction.updates), selectinload(MonitoredAction.tasks),
                      selectinload(MonitoredAction.lead))
             .order_by(Measure.number_key, Measure.id))
    if not is_staff(user):
        query = query.where(MonitoredAction.lead_id == user.id)
    if status is not None:
        query = query.where(MonitoredAction.status == status)
    return list(db.session.scalars(query))


# --- starting: the adopted measures ----------------------------------------------------------------------------

def adopted_versions() -> list[PaperVersion]:
    decisions = db.session.scalars(select(CouncilDecision).options(
        selectinload(CouncilDecision.steps),
        selectinload(CouncilDecision.paper_version).load_only(PaperVersion.id, PaperVersion.number)))
    return sorted((d.paper_version for d in decisions if d.state == DecisionState.ADOPTED),
                  key=lambda v: v.number)


def start_monitoring(version: PaperVersion, user) -> int:
    """Every measure of an adopted version becomes a monitored action (once; nothing is retyped): the lead unit
    becomes the responsible unit, the measure's end year a milestone. A measure monitored already under an older
    adopted version follows this one (an amended version adopted later: its trail and decision). Returns how many
    actions were added."""
    if not is_staff(user):
        raise NotAllowed(_l("Only the strategy team can start the monitoring."))
    decision = getattr(version, "decision", None)
    if decision is None or decision.state != DecisionState.ADOPTED:
        raise DomainError(_l("Version %(number)s has not been adopted by the council: record the council's "
                             "decision first.", number=version.number))
    ids = [m.id for m in versions.version_rollup(version).measures()]
    monitored = db.session.scalars(select(MonitoredAction).where(MonitoredAction.measure_id.in_(ids)).options(
        selectinload(MonitoredAction.adopted_version).load_only(PaperVersion.number))).all()
    for action in monitored:
        if action.adopted_version is None or action.adopted_version.number < version.number:
            action.adopted_version = version
    known = {a.measure_id for a in monitored}
    measures = db.session.scalars(select(Measure).where(Measure.id.in_(set(ids) - known))).all()
    with force_locale("de"):  # the city's working language, as every stored text
        for measure in measures:
            action = MonitoredAction(measure=measure, adopted_version=version, responsible_unit=measure.lead_unit,
                                     status=ActionStatus.NOT_STARTED, progress=0)
            if measure.end_year:
                action.tasks.append(ActionTask(title=str(_l("Implementation completed")), kind=TaskKind.MILESTONE,
                                               due_on=date(measure.end_year, 12, 31)))
            db.session.add(action)
    db.session.flush()
    from planner.monitoring import public

    public.index_trails(version.id)  # the public measure pages read their trail from here, not the roll-up
    return len(measures)


# --- editing ---------------------------------------------------------------------------------------------------

def _amount(value, label) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise DomainError(_l("%(label)s is not an amount.", label=label)) from error
    if amount < 0:
        raise DomainError(_l("%(label)s cannot be negative.", label=label))
    return amount


def edit_action(action: MonitoredAction, user, *, responsible_unit: str, lead_id: int | None,
                funding_programme: str, grant_amount, own_share, funding_from: date | None,
                funding_until: date | None, expected_version=None, funder_report_dates: str | None = None,
                funder_report_yearly: str | None = None) -> MonitoredAction:
    from planner.monitoring import notify

    if not is_staff(user):
        raise NotAllowed(_l("Only the strategy team can change who is responsible."))
    check_version(action, expected_version)
    if funding_from and funding_until and funding_until < funding_from:
        raise DomainError(_l("The funding period ends before it begins."), field="funding_until")
    action.responsible_unit = responsible_unit.strip()
    action.lead_id = lead_id or None
    action.funding_programme = funding_programme.strip()
    action.grant_amount = _amount(grant_amount, _l("Grant"))
    action.own_share = _amount(own_share, _l("Own share"))
    action.funding_from = funding_from
    action.funding_until = funding_until
    if funder_report_dates is not None:
        days = notify.parse_report_dates(funder_report_dates)
        action.funder_report_dates = "\n".join(day.isoformat() for day in days)
    if funder_report_yearly is not None:
        action.funder_report_yearly = notify.parse_yearly(funder_report_yearly)
        if action.funder_report_yearly and not (funding_from and funding_until):
            raise DomainError(_l("A yearly reporting date needs the funding period (from and until)."),
                              field="funder_report_yearly")
    save_version(action)
    notify.sync_funder_reports(action)  # the reporting dates become tasks (open ones follow changes)
    return action


def post_update(action: MonitoredAction, user, *, reported_on: date, status: str, progress: int | None,
                text: str) -> StatusUpdate:
    """A written status report. The newest report sets the action's status and progress."""
    ensure_can_update(action, user)
    today = local_today()
    if reported_on is None or reported_on > today:
        raise DomainError(_l("A status update reports what is: its date cannot be in the future."),
                          field="reported_on")
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Write what has happened since the last update."), field="text")
    if len(text) > TEXT_MAX:
        raise DomainError(_l("The text is too long (at most %(max)s characters).", max=TEXT_MAX), field="text")
    status = ActionStatus(status)
    progress = 100 if status == ActionStatus.COMPLETED else int(progress or 0)
    if not 0 <= progress <= 100:
        raise DomainError(_l("Progress is a share between 0 and 100 per cent."), field="progress")
    newest = action.last_update_on  # the stored fact (read before the new update is flushed): no update is loaded
    update = StatusUpdate(action_id=action.id, reported_on=reported_on, status=status, progress=progress, text=text,
                          author_id=getattr(user, "id", None))
    db.session.add(update)
    old_status = action.status
    if newest is None or reported_on >= newest:
        action.status, action.progress = status, progress
        bump_version(action)
    db.session.flush()
    db.session.expire(action, ["updates"])  # a list loaded before reads the new update too
    if action.status != old_status:
        from planner.monitoring import notify

        notify.notify_status_change(action, old_status, update)  # followers hear of it (after the commit)
    return update


def add_task(action: MonitoredAction, user, *, title: str, kind: str, due_on: date | None) -> ActionTask:
    ensure_can_update(action, user)
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("A task needs a title."), field="title")
    task = ActionTask(action=action, title=title, kind=TaskKind(kind or "task"), due_on=due_on)
    db.session.add(task)
    db.session.flush()
    return task


def complete_task(task: ActionTask, user, *, done: bool = True) -> ActionTask:
    ensure_can_update(task.action, user)
    task.done_on = local_today() if done else None
    db.session.flush()
    return task


def record_kpi_value(action: MonitoredAction, user, *, kpi_id: int, measured_on: date, value, district: str = "",
                     note: str = "") -> KPIValue:
    """A measured value; measuring the same KPI on the same day (and district) again corrects the value."""
    ensure_can_update(action, user)
    kpi = db.session.get(MeasureKPI, kpi_id)
    if kpi is None or kpi.measure_id != action.measure_id:
        raise DomainError(_l("Choose one of this measure's KPIs."), field="kpi_id")
    if measured_on is None or measured_on > local_today():
        raise DomainError(_l("A measured value cannot be dated in the future."), field="measured_on")
    amount = _amount(value, _l("Value")) if value not in (None, "") else None
    if amount is None:
        raise DomainError(_l("Enter the measured value."), field="value")
    district = (district or "").strip()
    existing = db.session.scalar(select(KPIValue).where(KPIValue.kpi_id == kpi.id, KPIValue.measured_on == measured_on,
                                                        KPIValue.district == district))
    entry = existing or KPIValue(kpi_id=kpi.id, measured_on=measured_on, district=district)
    entry.value = amount
    entry.note = (note or "").strip()
    entry.author_id = getattr(user, "id", None)
    db.session.add(entry)
    db.session.flush()
    return entry


def kpi_values(measures, *, newest: int | None = None) -> dict[int, list[KPIValue]]:
    """The measured values of the KPIs of one measure or of many (one query), oldest first, per KPI id; with
    ``newest``, only the newest that many of each KPI."""
    measures = [measures] if isinstance(measures, Measure) else measures
    ids = [k.id for m in measures for k in m.kpis]
    values: dict[int, list[KPIValue]] = {i: [] for i in ids}
    if ids:
        query = select(KPIValue).where(KPIValue.kpi_id.in_(ids))
        if newest is not None:
            ranked = (select(KPIValue.id, func.row_number().over(
                partition_by=KPIValue.kpi_id, order_by=(KPIValue.measured_on.desc(), KPIValue.district.desc(),
                                                        KPIValue.id.desc())).label("n"))
                .where(KPIValue.kpi_id.in_(ids)).subquery())
            query = select(KPIValue).where(KPIValue.id.in_(select(ranked.c.id).where(ranked.c.n <= newest)))
        for row in db.session.scalars(query.order_by(KPIValue.measured_on, KPIValue.district, KPIValue.id)):
            values[row.kpi_id].append(row)
    return values


def kpi_value_counts(measure: Measure) -> dict[int, int]:
    """How many values each KPI of ``measure`` has (one query)."""
    ids = [k.id for k in measure.kpis]
    counts = dict.fromkeys(ids, 0)
    if ids:
        counts.update(db.session.execute(select(KPIValue.kpi_id, func.count()).where(KPIValue.kpi_id.in_(ids))
                                         .group_by(KPIValue.kpi_id)).all())
    return counts


def recent_updates(action: MonitoredAction, newest: int | None = None) -> tuple[list[StatusUpdate], int]:
    """The action's status updates, newest first (with ``newest``: only that many), and how many there are."""
    query = (select(StatusUpdate).where(StatusUpdate.action_id == action.id)
             .options(selectinload(StatusUpdate.author))
             .order_by(StatusUpdate.reported_on.desc(), StatusUpdate.id.desc()))
    shown = list(db.session.scalars(query if newest is None else query.limit(newest)))
    total = len(shown) if newest is None or len(shown) < newest else db.session.scalar(
        select(func.count()).select_from(StatusUpdate).where(StatusUpdate.action_id == action.id))
    return shown, total


def latest_kpi_values(kpi_ids, as_of: date) -> dict[int, tuple[date, Decimal]]:
    """Per KPI its newest value on or before ``as_of`` (the same order as kpi_values: by date, then district), in
    one query that returns one row per KPI however many values there are."""
    kpi_ids = list(kpi_ids)
    if not kpi_ids:
        return {}
    ranked = (select(KPIValue.kpi_id, KPIValue.measured_on, KPIValue.value,
                     func.row_number().over(partition_by=KPIValue.kpi_id,
                                            order_by=(KPIValue.measured_on.desc(), KPIValue.district.desc(),
                                                      KPIValue.id.desc())).label("n"))
              .where(KPIValue.kpi_id.in_(kpi_ids), KPIValue.measured_on <= as_of).subquery())
    rows = db.session.execute(select(ranked.c.kpi_id, ranked.c.measured_on, ranked.c.value).where(ranked.c.n == 1))
    return {kpi_id: (day, value) for kpi_id, day, value in rows}


# --- how well an action is tracked -----------------------------------------------------------------------------

def quality(action: MonitoredAction, latest_kpi: date | None, as_of: date | None = None) -> Quality:
    """How well ``action`` was tracked on ``as_of`` (default today): only the updates reported and the tasks open
    on that day count; ``latest_kpi`` is the newest KPI value's date on or before it. Reads the action's
    ``lead_id``, ``status``, ``updates`` (newest first) and ``tasks``."""
    as_of = as_of or local_today()
    updates = [u for u in action.updates if u.reported_on <= as_of]  # newest first
    # Today's status is the action's own (set by its newest update); an earlier day's that of the update then.
    then = updates[0].status if updates else ActionStatus.NOT_STARTED
    status = action.status if as_of >= local_today() else then
    return score(has_contact=action.lead_id is not None, status=status,
                 last_update=updates[0].reported_on if updates else None, latest_kpi=latest_kpi,
                 has_next_task=any(t.due_on is not None and (t.done_on is None or t.done_on > as_of)
                                   for t in action.tasks),
                 as_of=as_of)


def latest_kpi_dates(actions) -> dict[int, date]:
    """The date of the newest KPI value per measure (one query for a whole list)."""
    measure_ids = [a.measure_id for a in actions]
    if not measure_ids:
        return {}
    rows = db.session.execute(select(MeasureKPI.measure_id, func.max(KPIValue.measured_on))
                              .join(KPIValue, KPIValue.kpi_id == MeasureKPI.id)
                              .where(MeasureKPI.measure_id.in_(measure_ids)).group_by(MeasureKPI.measure_id))
    return {measure_id: day for measure_id, day in rows}


@dataclass(frozen=True)
class Tracked:
    """One row of the overview before its page is loaded: what the filters and the score need."""
    action_id: int
    measure_id: int
    field_id: int
    status: ActionStatus
    progress: int
    last_update: date | None
    quality: Quality


def current_quality(action: MonitoredAction, today: date | None = None) -> Quality:
    """How well ``action`` is tracked today, from its stored facts (the overview's rule; nothing else is loaded)."""
    return _tracking.stored_quality(action, today or local_today())


SEARCH_MAX = 100


def tracking(user, *, field_id: int | None = None, status: ActionStatus | None = None,
             score_is: int | None = None, search: str | None = None, page: int | None = 1, per_page: int = 50,
             as_of: date | None = None) -> ListPage:
    """One page of the actions ``user`` may see (the team: all; a lead: their own), in the paper's order, filtered
    by field, status, tracking score and a search in the measure's number and title, each with its score (Tracked).
    Everything happens in SQL on the actions' stored facts (planner.monitoring.tracking): a count and one query of
    the shown page, whatever the filter and however many actions there are. ``as_of`` is today (the stored facts
    are today's)."""
    as_of = as_of or local_today()
    flags = _tracking.flags_sql(as_of)
    query = (select(MonitoredAction.id, MonitoredAction.measure_id, Measure.field_id, MonitoredAction.status,
                    MonitoredAction.progress, MonitoredAction.last_update_on, *flags)
             .join(Measure, Measure.id == MonitoredAction.measure_id)
             .join(ActionField, ActionField.id == Measure.field_id))
    if not is_staff(user):
        query = query.where(MonitoredAction.lead_id == getattr(user, "id", None))
    if status is not None:
        query = query.where(MonitoredAction.status == status)
    if field_id is not None:
        query = query.where(Measure.field_id == field_id)
    if score_is is not None:
        query = query.where(_tracking.score_sql(as_of) == score_is)
    words = (search or "").strip()[:SEARCH_MAX].split()
    for word in words:
        pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Measure.number).like(pattern, escape="\\")
                            | func.lower(Measure.title).like(pattern, escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(MonitoredAction.id)
                                                                .subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page or 1), pages)
    rows = db.session.execute(query.order_by(*_PAPER_ORDER).limit(per_page).offset((page - 1) * per_page))
    items = [Tracked(action_id, measure_id, fid, ActionStatus(state), progress, last,
                     Quality(*(bool(flag) for flag in flags)))
             for action_id, measure_id, fid, state, progress, last, *flags in rows]
    return ListPage(items, page, per_page, total)


# The paper's order: the fields as the city ordered them, then the measures by number (not by the field's code).
_PAPER_ORDER = (ActionField.position, ActionField.id, Measure.number_key, Measure.id)


def monitored_version_ids() -> set[int]:
    return set(db.session.scalars(select(MonitoredAction.adopted_version_id).distinct()
                                  .where(MonitoredAction.adopted_version_id.is_not(None))))


# --- progress reports ------------------------------------------------------------------------------------------

def _number(value) -> float | None:
    return None if value is None else float(value)


class _Update(NamedTuple):
    reported_on: date
    status: ActionStatus
    progress: int
    text: str


class _Task(NamedTuple):
    due_on: date | None
    done_on: date | None


@dataclass(frozen=True)
class _ActionThen:
    """What quality() reads of an action, as it stood on a day: its newest update then and its tasks' dates."""
    lead_id: int | None
    status: ActionStatus
    updates: list[_Update]
    tasks: list[_Task]


def snapshot(as_of: date | None = None) -> dict:
    """Every monitored action as it stood on ``as_of`` (default today): codes, numbers and user text, never
    translated labels. Status and progress are those of the newest update on or before that day; the tracking
    score is quality() on that day. A fixed number of queries, however many actions, updates and values there are;
    of the updates only each action's newest then is read."""
    day = as_of or local_today()
    actions = db.session.scalars(select(MonitoredAction).options(
        selectinload(MonitoredAction.measure).selectinload(Measure.field),
        selectinload(MonitoredAction.measure).selectinload(Measure.kpis))).all()
    ranked = (select(StatusUpdate.action_id, StatusUpdate.reported_on, StatusUpdate.status, StatusUpdate.progress,
                     StatusUpdate.text, func.row_number().over(
                         partition_by=StatusUpdate.action_id,
                         order_by=(StatusUpdate.reported_on.desc(), StatusUpdate.id.desc())).label("n"))
              .where(StatusUpdate.reported_on <= day).subquery())
    newest = {row[0]: _Update(row[1], ActionStatus(row[2]), row[3], row[4]) for row in db.session.execute(
        select(ranked.c.action_id, ranked.c.reported_on, ranked.c.status, ranked.c.progress, ranked.c.text)
        .where(ranked.c.n == 1))}
    tasks: dict[int, list[_Task]] = {}
    for action_id, due_on, done_on in db.session.execute(select(ActionTask.action_id, ActionTask.due_on,
                                                                ActionTask.done_on)):
        tasks.setdefault(action_id, []).append(_Task(due_on, done_on))
    latest = latest_kpi_values((k.id for a in actions for k in a.measure.kpis), day)
    items = []
    # The paper's order, as the overview and the dashboard show it: the city's field order, then the numbers.
    for action in sorted(actions, key=lambda a: (a.measure.field.position, a.measure.field_id,
                                                 a.measure.number_key or "", a.measure_id)):
        m = action.measure
        last = newest.get(action.id)
        status = last.status if last else ActionStatus.NOT_STARTED
        open_tasks = [t for t in tasks.get(action.id, ()) if t.done_on is None or t.done_on > day]
        newest_kpi = max((latest[k.id][0] for k in m.kpis if k.id in latest), default=None)
        then = _ActionThen(action.lead_id, action.status, [last] if last else [], tasks.get(action.id, []))
        items.append({
            "measure_id": m.id, "number": m.number or "", "title": m.title, "field_code": m.field.code,
            "field_name_de": m.field.name_de, "field_name_en": m.field.name_en,
            "responsible_unit": action.responsible_unit,
            "status": status.value,
            "progress": last.progress if last else 0,
            "last_update_on": last.reported_on.isoformat() if last else None, "last_update": last.text if last else "",
            "open_tasks": len(open_tasks),
            "late_tasks": sum(1 for t in open_tasks if t.due_on is not None and t.due_on < day),
            "quality": quality(then, newest_kpi, day).score,
            "kpis": [{"indicator": k.indicator, "unit": k.unit, "baseline": _number(k.baseline),
                      "target_value": _number(k.target_value), "target_year": k.target_year,
                      "latest_value": _number(latest[k.id][1]) if k.id in latest else None,
                      "latest_on": latest[k.id][0].isoformat() if k.id in latest else None}
                     for k in m.kpis],
        })
    return {"schema": SNAPSHOT_SCHEMA, "taken_on": day.isoformat(), "actions": items}


def freeze_report(period: str, user, *, as_of: date | None = None) -> ProgressReport:
    period = (period or "").strip()
    if not period or len(period) > 20:
        raise DomainError(_l("Name the period of the report, e.g. 2027."), field="period")
    if db.session.scalar(select(ProgressReport).where(ProgressReport.period == period)) is not None:
        raise DomainError(_l("There is already a progress report for %(period)s.", period=period), field="period")
    report = ProgressReport(period=period, created_by_id=getattr(user, "id", None),
                            snapshot_json=json.dumps(snapshot(as_of), ensure_ascii=False))
    db.session.add(report)
    db.session.flush()
    return report


def reports() -> list[ProgressReport]:
    return list(db.session.scalars(select(ProgressReport).order_by(ProgressReport.created_at.desc(),
                                                                   ProgressReport.id.desc())))


def report_for(period: str) -> ProgressReport | None:
    return db.session.scalar(select(ProgressReport).where(ProgressReport.period == period))


def previous_report(report: ProgressReport) -> ProgressReport | None:
    return db.session.scalar(select(ProgressReport).where(ProgressReport.id < report.id)
                             .order_by(ProgressReport.id.desc()).limit(1))


def load_snapshot(report: ProgressReport | None) -> dict | None:
    return json.loads(report.snapshot_json) if report is not None else None

