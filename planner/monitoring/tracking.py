"""The tracking score: how well an action is tracked (a contact person, a status update within six months, a KPI
value from the last twelve months, a dated open task; a completed or discarded action needs no task).

The rule lives here, once, in two forms that tests hold equal on every boundary day: ``score()`` on the facts of
one action (the action page, the reminders, a progress report on any day) and ``flags_sql()`` on the stored facts
of every action (the overview filters, counts and pages by the score in SQL, whatever the number of actions).

The facts are dates stored on the action (``last_update_on``, ``latest_kpi_on``, ``next_task_on``), not the score:
the score depends on the day, and comparing the stored dates with "today" when the score is read keeps it true
while days pass, with nothing to recompute at midnight. The dates are recomputed from the updates, tasks and KPI
values by ``refresh()``: after every flush that adds, changes or deletes one of them (whichever package or service
did it, see ``_track_changes``), and for all actions by the daily job (a safety net for bulk writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, event, func, literal, or_, select, update
from sqlalchemy.orm import Session

from planner.monitoring.models import ActionStatus, ActionTask, KPIValue, MonitoredAction, StatusUpdate

UPDATE_DUE_DAYS = 183  # a status update at least every six months
KPI_CURRENT_DAYS = 366
CLOSED = (ActionStatus.COMPLETED, ActionStatus.DISCARDED)
FACTS = ("last_update_on", "latest_kpi_on", "next_task_on")


@dataclass(frozen=True)
class Quality:
    contact: bool
    recent_update: bool
    current_kpi: bool
    next_task: bool

    @property
    def score(self) -> int:
        return sum((self.contact, self.recent_update, self.current_kpi, self.next_task))

    @property
    def missing(self) -> list[str]:
        names = {"contact": _l("no contact person"), "recent_update": _l("no update for six months"),
                 "current_kpi": _l("no current KPI value"), "next_task": _l("no dated next task")}
        return [str(label) for key, label in names.items() if not getattr(self, key)]


def update_cutoff(as_of: date) -> date:
    """The oldest day a status update may be from and still count as recent on ``as_of``."""
    return as_of - timedelta(days=UPDATE_DUE_DAYS)


def kpi_cutoff(as_of: date) -> date:
    return as_of - timedelta(days=KPI_CURRENT_DAYS)


def score(*, has_contact: bool, status: ActionStatus, last_update: date | None, latest_kpi: date | None,
          has_next_task: bool, as_of: date) -> Quality:
    """The rule, from the facts of one action as they stood on ``as_of``."""
    return Quality(
        contact=has_contact,
        recent_update=last_update is not None and last_update >= update_cutoff(as_of),
        current_kpi=latest_kpi is not None and latest_kpi >= kpi_cutoff(as_of),
        next_task=status in CLOSED or has_next_task,
    )


def stored_quality(action: MonitoredAction, as_of: date) -> Quality:
    """The score of ``action`` today (``as_of`` is today's date) from its stored facts: no update, task or value is
    loaded."""
    return score(has_contact=action.lead_id is not None, status=action.status, last_update=action.last_update_on,
                 latest_kpi=action.latest_kpi_on, has_next_task=action.next_task_on is not None, as_of=as_of)


def flags_sql(as_of: date) -> tuple:
    """The rule in SQL over the stored facts of ``MonitoredAction`` (for today: ``as_of`` is today's date): the four
    flags as 0/1 integer expressions, in Quality's order. Their sum is the score."""
    def flag(condition):
        return case((condition, literal(1)), else_=literal(0))

    return (flag(MonitoredAction.lead_id.is_not(None)),
            flag(and_(MonitoredAction.last_update_on.is_not(None),
                      MonitoredAction.last_update_on >= update_cutoff(as_of))),
            flag(and_(MonitoredAction.latest_kpi_on.is_not(None),
                      MonitoredAction.latest_kpi_on >= kpi_cutoff(as_of))),
            flag(or_(MonitoredAction.status.in_(CLOSED), MonitoredAction.next_task_on.is_not(None))))


def score_sql(as_of: date):
    contact, recent, kpi, task = flags_sql(as_of)
    return contact + recent + kpi + task


# --- keeping the facts true ------------------------------------------------------------------------------------

def _facts_sql() -> dict:
    from planner.findings.models import MeasureKPI

    table = MonitoredAction.__table__
    return {
        "last_update_on": select(func.max(StatusUpdate.reported_on))
        .where(StatusUpdate.action_id == table.c.id).scalar_subquery(),
        "latest_kpi_on": select(func.max(KPIValue.measured_on)).join(MeasureKPI, MeasureKPI.id == KPIValue.kpi_id)
        .where(MeasureKPI.measure_id == table.c.measure_id).scalar_subquery(),
        "next_task_on": select(func.min(ActionTask.due_on))
        .where(ActionTask.action_id == table.c.id, ActionTask.done_on.is_(None), ActionTask.due_on.is_not(None))
        .scalar_subquery(),
        "updated_at": table.c.updated_at,  # derived facts: the action itself has not been edited
    }


def refresh(session: Session, *, action_ids=None, measure_ids=None) -> None:
    """Recomputes the stored facts from the updates, tasks and KPI values, for the given actions and the actions
    of the given measures, or for every action when neither is given. One UPDATE; the objects in the session
    forget their old facts."""
    table = MonitoredAction.__table__
    statement = update(table).values(**_facts_sql())
    if action_ids is not None or measure_ids is not None:
        action_ids, measure_ids = set(action_ids or ()), set(measure_ids or ())
        if not action_ids and not measure_ids:
            return
        statement = statement.where(or_(table.c.id.in_(action_ids), table.c.measure_id.in_(measure_ids)))
    session.connection().execute(statement)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, MonitoredAction) and (
                action_ids is None or obj.id in action_ids or obj.measure_id in measure_ids):
            session.expire(obj, list(FACTS))


_PENDING = "monitoring_tracking_pending"


@event.listens_for(Session, "after_flush")
def _track_changes(session: Session, flush_context) -> None:
    """Notes which actions' facts a flush may have changed: any update, task or KPI value added, changed or
    deleted, or a KPI deleted (with its values)."""
    from planner.findings.models import MeasureKPI

    actions, kpis, measures = set(), set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (StatusUpdate, ActionTask)):
            actions.add(obj.action_id)
        elif isinstance(obj, KPIValue):
            kpis.add(obj.kpi_id)
        elif isinstance(obj, MeasureKPI) and obj in session.deleted:
            measures.add(obj.measure_id)
        elif isinstance(obj, MonitoredAction) and obj in session.new:
            actions.add(obj.id)
    if actions or kpis or measures:
        pending = session.info.setdefault(_PENDING, [set(), set(), set()])
        pending[0] |= actions - {None}
        pending[1] |= kpis - {None}
        pending[2] |= measures - {None}


@event.listens_for(Session, "after_flush_postexec")
def _refresh_changed(session: Session, flush_context) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from planner.findings.models import MeasureKPI

    actions, kpis, measures = pending
    if kpis:
        measures |= set(session.connection().scalars(select(MeasureKPI.measure_id).where(MeasureKPI.id.in_(kpis))))
    refresh(session, action_ids=actions, measure_ids=measures)
