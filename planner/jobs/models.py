"""A background job: what runs, for whom, how far it got, and what came out."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.models import TimestampMixin, UTCDateTime
from planner.extensions import db


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self):
        return {
            JobStatus.QUEUED: _l("Waiting"),
            JobStatus.RUNNING: _l("Running"),
            JobStatus.DONE: _l("Done"),
            JobStatus.FAILED: _l("Failed"),
        }[self]

    @property
    def is_finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class Job(TimestampMixin, db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the user sees (e.g. "paper_export"); the label comes from the registered task.
    kind: Mapped[str] = mapped_column(String(60), index=True)
    # The registered task's name (planner.jobs.tasks registry).
    task: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(
        db.Enum(JobStatus, native_enum=False, length=20, validate_strings=True), default=JobStatus.QUEUED, index=True
    )
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column()
    message: Mapped[str] = mapped_column(String(500), default="")
    # Relative to the instance folder (instance/jobs/<id>/<file>), so app servers sharing a folder agree.
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str | None] = mapped_column(String(200))
    # A page that shows what the job made (a local path such as "/surveys/7"), offered when it is done.
    result_url: Mapped[str | None] = mapped_column(String(500))
    result_label: Mapped[str | None] = mapped_column(String(200))
    # Why a failed job failed; on a job that is done, what went wrong in part (e.g. some e-mails not sent).
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Written every few seconds by the worker while the job runs (JOB_HEARTBEAT_SECONDS); a running job whose
    # heartbeat is older than JOB_STALE_SECONDS lost its worker and is marked failed (services.recover_stale_jobs).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The failed job this one starts again ("Retry" on the job page).
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    created_by = relationship("User", foreign_keys=[created_by_id])
    retry_of = relationship("Job", remote_side=[id], foreign_keys=[retry_of_id])

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return max(0, min(100, round(100 * self.progress_done / self.progress_total)))

    @property
    def is_finished(self) -> bool:
        return self.status.is_finished
