"""What the dashboard shows: the process at a glance."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner.core.models import utcnow
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from planner.fields.services import list_fields
from planner.findings.models import Finding, FindingKind, Measure, MeasureStatus
from planner.people.models import Person, person_fields
from planner.workshops.models import PUBLIC_STATUSES, Workshop, WorkshopSeries, WorkshopStatus, workshop_fields


@dataclass(frozen=True)
class FieldCounts:
    workshops: int = 0
    experts: int = 0
    needs: int = 0
    measures: int = 0


@dataclass(frozen=True)
class Dashboard:
    process: StrategyProcess | None
    fields: list[ActionField]
    counts: dict[int, FieldCounts]
    series: list[WorkshopSeries]
    upcoming: list[Workshop]
    totals: dict[str, int]
    now: datetime


def field_counts() -> dict[int, FieldCounts]:
    """Workshops, experts, needs and measures per field: four grouped queries, whatever the data size."""

    def grouped(stmt) -> dict[int, int]:
        return dict(db.session.execute(stmt).all())

    workshops = grouped(
        select(workshop_fields.c.field_id, func.count())
        .join(Workshop, Workshop.id == workshop_fields.c.workshop_id)
        .where(Workshop.status.in_(PUBLIC_STATUSES))  # the home page is public: no drafts, no cancelled ones
        .group_by(workshop_fields.c.field_id)
    )
    experts = grouped(select(person_fields.c.field_id, func.count()).group_by(person_fields.c.field_id))
    needs = grouped(
        select(Finding.field_id, func.count()).where(Finding.kind == FindingKind.NEED).group_by(Finding.field_id)
    )
    measures = grouped(
        select(Measure.field_id, func.count())
        .where(Measure.status != MeasureStatus.MERGED)
        .group_by(Measure.field_id)
    )
    ids = set(workshops) | set(experts) | set(needs) | set(measures)
    return {
        fid: FieldCounts(workshops.get(fid, 0), experts.get(fid, 0), needs.get(fid, 0), measures.get(fid, 0))
        for fid in ids
    }


def build_dashboard() -> Dashboard:
    now = utcnow()
    series = db.session.scalars(
        select(WorkshopSeries)
        .options(selectinload(WorkshopSeries.workshops).selectinload(Workshop.fields))
        .order_by(WorkshopSeries.starts_on, WorkshopSeries.id)
    ).all()
    upcoming = db.session.scalars(
        select(Workshop)
        .where(Workshop.starts_at >= now, Workshop.status == WorkshopStatus.SCHEDULED)  # never a draft
        .options(selectinload(Workshop.fields))
        .order_by(Workshop.starts_at)
        .limit(5)
    ).all()
    # The four totals in one statement (scalar subqueries), whatever the data size.
    held, experts, needs, accepted = db.session.execute(
        select(
            select(func.count()).select_from(Workshop)
            .where(Workshop.status.in_([WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED])).scalar_subquery(),
            select(func.count()).select_from(Person).scalar_subquery(),
            select(func.count()).select_from(Finding).where(Finding.kind == FindingKind.NEED).scalar_subquery(),
            select(func.count()).select_from(Measure)
            .where(Measure.status == MeasureStatus.ACCEPTED).scalar_subquery(),
        )
    ).one()
    totals = {
        "workshops_held": held or 0,
        "experts": experts or 0,
        "needs": needs or 0,
        "measures_accepted": accepted or 0,
    }
    return Dashboard(
        process=StrategyProcess.current(),
        fields=list_fields(include_retired=False),  # a retired field is history, not a current field
        counts=field_counts(),
        series=series,
        upcoming=upcoming,
        totals=totals,
        now=now,
    )


def record_accessibility_feedback(message: str, contact_email: str = "", page: str = ""):
    from planner.core import identity
    from planner.core.mail import send_mail
    from planner.site.models import AccessibilityFeedback

    feedback = AccessibilityFeedback(message=message.strip(), contact_email=contact_email.strip(), page=page[:500])
    db.session.add(feedback)
    db.session.flush()
    send_mail(
        identity.feedback_email(),
        f"Barriere gemeldet / Accessibility feedback #{feedback.id}",
        f"{feedback.message}\n\nSeite / page: {feedback.page or '-'}\n"
        f"Kontakt / contact: {feedback.contact_email or '-'}",
    )
    return feedback
