"""Monitored actions (one per adopted measure), their status updates, tasks and KPI values, and progress reports."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.locking import Versioned
from planner.core.models import TimestampMixin, UTCDateTime, utcnow
from planner.extensions import db


class ActionStatus(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    DELAYED = "delayed"
    AT_RISK = "at_risk"
    COMPLETED = "completed"
    DISCARDED = "discarded"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def tone(self) -> str:
        """The badge colour: what needs attention stands out."""
        return {ActionStatus.ON_TRACK: "success", ActionStatus.COMPLETED: "success", ActionStatus.DELAYED: "warning",
                ActionStatus.AT_RISK: "danger"}.get(self, "info")


STATUS_LABELS = {
    ActionStatus.NOT_STARTED: _l("not started"),
    ActionStatus.ON_TRACK: _l("on track"),
    ActionStatus.DELAYED: _l("delayed"),
    ActionStatus.AT_RISK: _l("at risk"),
    ActionStatus.COMPLETED: _l("completed"),
    ActionStatus.DISCARDED: _l("discarded"),
}


class MonitoredAction(Versioned, TimestampMixin, db.Model):
    """An adopted measure under implementation."""

    __tablename__ = "monitored_actions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="RESTRICT"), unique=True)
    adopted_version_id: Mapped[int | None] = mapped_column(ForeignKey("paper_versions.id", ondelete="SET NULL"))
    responsible_unit: Mapped[str] = mapped_column(String(200), default="")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[ActionStatus] = mapped_column(
        db.Enum(ActionStatus, native_enum=False, length=20, validate_strings=True), default=ActionStatus.NOT_STARTED)
    progress: Mapped[int] = mapped_column(default=0)  # per cent
    funding_programme: Mapped[str] = mapped_column(String(200), default="")
    grant_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    own_share: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    funding_from: Mapped[date | None]
    funding_until: Mapped[date | None]
    # The funder's reporting dates (ISO dates, one per line) and a yearly rhythm ("MM-DD" within the funding
    # period): both become tasks of kind funder_report (planner.monitoring.notify.sync_funder_reports).
    funder_report_dates: Mapped[str] = mapped_column(Text, default="")
    funder_report_yearly: Mapped[str] = mapped_column(String(5), default="")
    # The city's official answer to whoever proposed the measure: written once, shown on the public dashboard,
    # mailed to the proposer on first publication (or on an explicit "send again"); later edits are audited.
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answer_published_at = mapped_column(UTCDateTime(), nullable=True)
    answer_mailed_at = mapped_column(UTCDateTime(), nullable=True)
    # The facts of the tracking score, kept true by planner.monitoring.tracking (after every flush that touches an
    # update, a task, a KPI or a KPI value; and by the daily job): dates, not the score itself, so the score "as of
    # today" is computed in SQL when it is read and stays true while days pass.
    last_update_on: Mapped[date | None]
    latest_kpi_on: Mapped[date | None]
    next_task_on: Mapped[date | None]  # the earliest due date of the open dated tasks

    measure = relationship("Measure")
    lead = relationship("User")
    adopted_version = relationship("PaperVersion")
    updates = relationship("StatusUpdate", back_populates="action", cascade="all, delete-orphan",
                           order_by="(StatusUpdate.reported_on.desc(), StatusUpdate.id.desc())")
    tasks = relationship("ActionTask", back_populates="action", cascade="all, delete-orphan",
                         order_by="(ActionTask.done_on.is_not(None), ActionTask.due_on, ActionTask.id)")


class StatusUpdate(TimestampMixin, db.Model):
    """A dated, written report on an action: its status and progress then."""

    __tablename__ = "monitoring_status_updates"
    __audited__ = True
    # The newest report per action (overview, tracking score, open data) is an index seek, not a scan.
    __table_args__ = (Index("ix_monitoring_status_updates_action_date", "action_id", "reported_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("monitored_actions.id", ondelete="CASCADE"), index=True)
    reported_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(
        db.Enum(ActionStatus, native_enum=False, length=20, validate_strings=True))
    progress: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    action = relationship(MonitoredAction, back_populates="updates")
    author = relationship("User")


class TaskKind(StrEnum):
    TASK = "task"
    MILESTONE = "milestone"
    FUNDER_REPORT = "funder_report"

    @property
    def label(self) -> str:
        return str({TaskKind.TASK: _l("Task"), TaskKind.MILESTONE: _l("Milestone"),
                    TaskKind.FUNDER_REPORT: _l("Report to the funder")}[self])


# The milestone every measure with an end year gets when its monitoring starts, as stored (the city's working
# language): shown in the reader's language.
GENERATED_MILESTONE = "Umsetzung abgeschlossen"


class ActionTask(TimestampMixin, db.Model):
    __tablename__ = "monitoring_tasks"
    __audited__ = True
    __table_args__ = (UniqueConstraint("action_id", "generated_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("monitored_actions.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[TaskKind] = mapped_column(db.Enum(TaskKind, native_enum=False, length=20, validate_strings=True),
                                           default=TaskKind.TASK)
    due_on: Mapped[date | None]
    done_on: Mapped[date | None]
    # Tasks made from the funding's reporting dates: "funder:<ISO date>" (one per date and action, never twice).
    generated_key: Mapped[str | None] = mapped_column(String(40))

    action = relationship(MonitoredAction, back_populates="tasks")

    def is_late(self, today: date) -> bool:
        return self.done_on is None and self.due_on is not None and self.due_on < today

    @property
    def shown_title(self) -> str:
        """The title in the reader's language where the planner wrote it: a funder report made from the reporting
        dates is stored in the city's working language ("Bericht an den Fördermittelgeber: KfW 432"); a title someone
        typed stays as typed."""
        if self.kind == TaskKind.FUNDER_REPORT and self.generated_key:
            programme = self.title.partition(": ")[2]
            return _("Report to the funder: %(programme)s", programme=programme) if programme else self.kind.label
        if self.kind == TaskKind.MILESTONE and self.title == GENERATED_MILESTONE:  # made when monitoring started
            return _("Implementation completed")
        return self.title

    @property
    def label(self) -> str:
        """The task as its list shows it: kind and title, the kind said once ("Report to the funder: KfW 432",
        "Milestone: Implementation completed")."""
        if self.kind == TaskKind.FUNDER_REPORT and self.generated_key:
            return self.shown_title
        return f"{self.kind.label}: {self.shown_title}"


class KPIValue(TimestampMixin, db.Model):
    """A measured value of a measure's KPI on a date (optionally for one district)."""

    __tablename__ = "kpi_values"
    __audited__ = True
    __table_args__ = (UniqueConstraint("kpi_id", "measured_on", "district"),
                      Index("ix_kpi_values_kpi_date", "kpi_id", "measured_on"),
                      # The open-data files' fingerprint (the newest change) is a seek.
                      Index("ix_kpi_values_updated_at", "updated_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("measure_kpis.id", ondelete="CASCADE"))
    measured_on: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    district: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    kpi = relationship("MeasureKPI")


class ProgressReport(db.Model):
    """An Umsetzungsbericht: a frozen snapshot of every action for a period, compared with the previous report."""

    __tablename__ = "progress_reports"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20), unique=True)
    created_at = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    snapshot_json: Mapped[str] = mapped_column(Text)

    created_by = relationship("User")


class PublicTrail(db.Model):
    """The trail of one measure of a frozen version ("Sie haben gesagt – wir haben getan": its measure sheet and the
    needs that name it), copied out of the version's roll-up once, so the public measure page reads one small row
    instead of the whole roll-up. A frozen version never changes; ``schema`` is the roll-up schema the row was
    written in (rows of another schema are rebuilt)."""

    __tablename__ = "monitoring_public_trails"
    __table_args__ = (UniqueConstraint("version_id", "measure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("paper_versions.id", ondelete="CASCADE"))
    measure_id: Mapped[int]  # the measure's id as the roll-up holds it (0: the marker "this version is indexed")
    schema: Mapped[int]
    data_json: Mapped[str] = mapped_column(Text, default="")


class ReminderKind(StrEnum):
    UPDATE_DUE = "update_due"
    TASK_LATE = "task_late"


class SentReminder(db.Model):
    """A reminder mail that went out: at most one per action, kind and period (the job may run any number of
    times). Holds no address: who received it follows from the action's lead at the time (the audit log)."""

    __tablename__ = "monitoring_reminders"
    __table_args__ = (UniqueConstraint("action_id", "kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("monitored_actions.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(
        db.Enum(ReminderKind, native_enum=False, length=20, validate_strings=True))
    period: Mapped[str] = mapped_column(String(20))
    recipient_count: Mapped[int] = mapped_column(default=0)
    sent_at = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class MeasureSubscription(db.Model):
    """Someone who asked to be told by e-mail when a measure's implementation status changes (opt-in, GDPR
    Art. 6(1)(a)): active once the address is confirmed (the mailed link, or a signed-in account's own address).
    Every mail carries a link that ends it; ending it or an erasure deletes the row."""

    __tablename__ = "measure_subscriptions"
    __erase_rows__ = True  # an erasure deletes the subscription, not only its address
    __table_args__ = (UniqueConstraint("measure_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    consent_text: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    confirmed_at = mapped_column(UTCDateTime(), nullable=True)

    measure = relationship("Measure")
    person = relationship("Person")

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None
