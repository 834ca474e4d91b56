"""The council's decision on a version of the paper: the Beschlussvorlage (Drucksache), its Beratungsfolge through
the committees to the council, amendments and the resolution.

Entered by hand, or followed through the city's council information system via OParl (``planner.strategy.oparl``
reads it; ``apply_oparl`` here records it). A step that came from OParl keeps the OParl id of its Consultation, so
syncing again updates that step instead of adding it twice; steps entered by hand are never touched by a sync.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.errors import DomainError, InvalidTransition
from planner.core.locking import Versioned, check_version, save_version
from planner.core.models import TimestampMixin, UTCDateTime, utcnow
from planner.extensions import db
from planner.strategy.models import PaperVersion

REFERENCE_MAX = 60
BODY_MAX = 200


class DecisionResult(StrEnum):
    """What a body did with the Drucksache at one step of the Beratungsfolge."""

    RECOMMENDED = "recommended"
    AMENDED = "amended"
    POSTPONED = "postponed"
    ADOPTED = "adopted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self])


RESULT_LABELS = {
    DecisionResult.RECOMMENDED: _l("recommended"),
    DecisionResult.AMENDED: _l("amended"),
    DecisionResult.POSTPONED: _l("postponed"),
    DecisionResult.ADOPTED: _l("adopted"),
    DecisionResult.REJECTED: _l("rejected"),
}


class DecisionState(StrEnum):
    IN_DELIBERATION = "in_deliberation"
    ADOPTED = "adopted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str({
            DecisionState.IN_DELIBERATION: _l("in deliberation"),
            DecisionState.ADOPTED: _l("adopted by the council"),
            DecisionState.REJECTED: _l("rejected by the council"),
        }[self])


class CouncilDecision(Versioned, TimestampMixin, db.Model):
    """The Beschlussvorlage of one paper version and what the council made of it."""

    __tablename__ = "council_decisions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("paper_versions.id", ondelete="CASCADE"), unique=True)
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), default="")  # the Drucksachennummer
    paper_type: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    submitted_on: Mapped[date | None]
    resolution_text: Mapped[str] = mapped_column(Text, default="")
    oparl_paper_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    oparl_synced_at = mapped_column(UTCDateTime(), nullable=True)

    paper_version = relationship(PaperVersion, backref=db.backref("decision", uselist=False, passive_deletes=True))
    steps = relationship("DecisionStep", back_populates="decision", cascade="all, delete-orphan",
                         order_by="(DecisionStep.meeting_date.is_(None), DecisionStep.meeting_date, DecisionStep.id)")

    @property
    def deciding_step(self) -> DecisionStep | None:
        """The step that decided: the latest authoritative step with a final result."""
        final = [s for s in self.steps if s.authoritative and s.result in (DecisionResult.ADOPTED,
                                                                            DecisionResult.REJECTED)]
        return final[-1] if final else None

    @property
    def state(self) -> DecisionState:
        step = self.deciding_step
        if step is None:
            return DecisionState.IN_DELIBERATION
        return DecisionState.ADOPTED if step.result == DecisionResult.ADOPTED else DecisionState.REJECTED

    @property
    def decided_on(self) -> date | None:
        step = self.deciding_step
        return step.meeting_date if step else None


class DecisionStep(Versioned, TimestampMixin, db.Model):
    """One body's deliberation in the Beratungsfolge (an OParl Consultation with its meeting and agenda item)."""

    __tablename__ = "council_decision_steps"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("council_decisions.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(BODY_MAX))
    meeting_date: Mapped[date | None]
    role: Mapped[str] = mapped_column(String(100), default="")  # e.g. Vorberatung, Entscheidung
    authoritative: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[DecisionResult | None] = mapped_column(
        db.Enum(DecisionResult, native_enum=False, length=20, validate_strings=True), nullable=True)
    result_text: Mapped[str] = mapped_column(String(200), default="")  # the wording of the council system
    note: Mapped[str] = mapped_column(Text, default="")
    amendment_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("paper_versions.id", ondelete="SET NULL"))
    oparl_consultation_id: Mapped[str | None] = mapped_column(String(500))

    decision = relationship(CouncilDecision, back_populates="steps")
    amendment_version = relationship(PaperVersion, foreign_keys=[amendment_version_id])

    @property
    def from_oparl(self) -> bool:
        return bool(self.oparl_consultation_id)


# --- the service -----------------------------------------------------------------------------------------------

def decision_of(version: PaperVersion) -> CouncilDecision | None:
    return db.session.scalar(select(CouncilDecision).where(CouncilDecision.version_id == version.id))


def _require_frozen_paper(version: PaperVersion) -> None:
    if not version.is_published:
        raise InvalidTransition(_l(
            "Version %(number)s is not published yet: the council decides on a published version.",
            number=version.number))


def _reference_taken(reference: str, version: PaperVersion) -> None:
    if not reference:
        return
    other = db.session.scalar(select(CouncilDecision).where(CouncilDecision.reference == reference,
                                                            CouncilDecision.version_id != version.id))
    if other is not None:
        raise DomainError(_l("The Drucksache %(reference)s is already recorded for version %(number)s.",
                             reference=reference, number=other.paper_version.number))


def save_decision(version: PaperVersion, user, *, reference: str, paper_type: str, title: str,
                  submitted_on: date | None, resolution_text: str, expected_version=None) -> CouncilDecision:
    """Records or changes the Beschlussvorlage of a published version."""
    _require_frozen_paper(version)
    reference = reference.strip()
    _reference_taken(reference, version)
    decision = decision_of(version)
    if decision is None:
        decision = CouncilDecision(paper_version=version)
        db.session.add(decision)
    else:
        check_version(decision, expected_version)
    decision.reference = reference
    decision.paper_type = paper_type.strip()
    decision.title = title.strip()
    decision.submitted_on = submitted_on
    decision.resolution_text = resolution_text.strip()
    if decision.id is None:
        db.session.flush()
    else:
        save_version(decision)
    return decision


def _check_amendment(decision: CouncilDecision, amendment_number: int | None) -> PaperVersion | None:
    if not amendment_number:
        return None
    amended = db.session.scalar(select(PaperVersion).where(PaperVersion.number == amendment_number))
    if amended is None:
        raise DomainError(_l("There is no version %(number)s.", number=amendment_number))
    if amended.id == decision.version_id or amended.number < decision.paper_version.number:
        raise DomainError(_l("An amendment is a later version than version %(number)s.",
                             number=decision.paper_version.number))
    return amended


def _fill_step(step: DecisionStep, *, body: str, meeting_date, role: str, authoritative: bool, result,
               note: str, amendment: PaperVersion | None) -> None:
    step.body = body.strip()
    step.meeting_date = meeting_date
    step.role = role.strip()
    step.authoritative = bool(authoritative)
    step.result = DecisionResult(result) if result else None
    step.note = note.strip()
    step.amendment_version = amendment
    if step.result == DecisionResult.AMENDED and amendment is None and not step.note:
        raise DomainError(_l("An amendment needs the amended version or a note saying what was changed."))
    if step.result in (DecisionResult.ADOPTED, DecisionResult.REJECTED) and step.meeting_date is None:
        raise DomainError(_l("A decision needs the date of the meeting."))


def add_step(decision: CouncilDecision, user, *, body: str, meeting_date: date | None, role: str = "",
             authoritative: bool = False, result: str | None = None, note: str = "",
             amendment_number: int | None = None) -> DecisionStep:
    amendment = _check_amendment(decision, amendment_number)
    step = DecisionStep()
    _fill_step(step, body=body, meeting_date=meeting_date, role=role, authoritative=authoritative, result=result,
               note=note, amendment=amendment)
    step.decision = decision
    db.session.add(step)
    db.session.flush()
    return step


def edit_step(step: DecisionStep, user, *, body: str, meeting_date: date | None, role: str,
              authoritative: bool, result: str | None, note: str, amendment_number: int | None,
              expected_version=None) -> DecisionStep:
    check_version(step, expected_version)
    amendment = _check_amendment(step.decision, amendment_number)
    _fill_step(step, body=body, meeting_date=meeting_date, role=role, authoritative=authoritative, result=result,
               note=note, amendment=amendment)
    save_version(step)
    return step


def delete_step(step: DecisionStep, user) -> None:
    db.session.delete(step)
    db.session.flush()


# --- OParl -----------------------------------------------------------------------------------------------------

class OParlError(DomainError):
    """OParl data that cannot be recorded (unknown, malformed or incomplete); nothing was changed."""


def _version_for(paper, number: int | None) -> PaperVersion:
    """The version an OParl Paper belongs to: the one asked for; else the version already linked to this Paper or
    recorded with its Drucksachennummer; else the newest published version."""
    if number is not None:
        version = db.session.scalar(select(PaperVersion).where(PaperVersion.number == number))
        if version is None:
            raise OParlError(_l("There is no version %(number)s.", number=number))
        return version
    linked = db.session.scalar(select(CouncilDecision).where(CouncilDecision.oparl_paper_id == paper.id))
    if linked is None and paper.reference:
        linked = db.session.scalar(select(CouncilDecision).where(CouncilDecision.reference == paper.reference))
    if linked is not None:
        return linked.paper_version
    newest = db.session.scalar(select(PaperVersion).where(PaperVersion.published_at.is_not(None))
                               .order_by(PaperVersion.number.desc()).limit(1))
    if newest is None:
        raise OParlError(_l("No version of the paper is published yet: publish the version the council decides "
                            "on first."))
    return newest


def apply_oparl(paper, user=None, *, version_number: int | None = None) -> tuple[CouncilDecision, dict[str, int]]:
    """Records an OParl Paper (``planner.strategy.oparl.OParlPaper``) as the decision of a version. Idempotent:
    the steps are matched by their Consultation's OParl id; what the council system does not say (an empty
    resolution, a missing date) never blanks what is recorded."""
    version = _version_for(paper, version_number)
    _require_frozen_paper(version)
    decision = decision_of(version)
    if decision is not None and decision.oparl_paper_id and decision.oparl_paper_id != paper.id:
        raise OParlError(_l("Version %(number)s is already linked to another Drucksache (%(paper)s).",
                            number=version.number, paper=decision.oparl_paper_id))
    other = db.session.scalar(select(CouncilDecision).where(CouncilDecision.oparl_paper_id == paper.id,
                                                            CouncilDecision.version_id != version.id))
    if other is not None:
        raise OParlError(_l("This Drucksache is already linked to version %(number)s.",
                            number=other.paper_version.number))
    if decision is None:
        decision = CouncilDecision(paper_version=version)
        db.session.add(decision)
    if paper.reference and decision.reference and decision.reference != paper.reference:
        raise OParlError(_l("Version %(number)s records the Drucksache %(ours)s, the council system says "
                            "%(theirs)s.", number=version.number, ours=decision.reference,
                            theirs=paper.reference))
    if paper.reference:
        _reference_taken(paper.reference, version)
    decision.oparl_paper_id = paper.id
    decision.reference = decision.reference or paper.reference
    decision.paper_type = decision.paper_type or paper.paper_type
    decision.title = decision.title or paper.name
    decision.submitted_on = decision.submitted_on or paper.date
    counts = {"added": 0, "updated": 0}
    existing = {s.oparl_consultation_id: s for s in decision.steps if s.oparl_consultation_id}
    for consultation in paper.consultations:
        step = existing.get(consultation.id)
        if step is None:
            step = DecisionStep(decision=decision, oparl_consultation_id=consultation.id, body="", role="",
                                result_text="", note="", authoritative=False)
            db.session.add(step)
            counts["added"] += 1
        before = (step.body, step.meeting_date, step.role, step.authoritative, step.result, step.result_text)
        step.body = (consultation.body or step.body or str(_l("unknown body")))[:BODY_MAX]
        step.meeting_date = consultation.meeting_date or step.meeting_date
        step.role = (consultation.role or step.role)[:100]
        step.authoritative = consultation.authoritative
        step.result = consultation.result or step.result
        step.result_text = (consultation.result_text or step.result_text)[:200]
        if step.id is not None and before != (step.body, step.meeting_date, step.role, step.authoritative,
                                              step.result, step.result_text):
            counts["updated"] += 1
        if consultation.authoritative and consultation.resolution_text:
            decision.resolution_text = consultation.resolution_text
    decision.oparl_synced_at = utcnow()
    db.session.flush()
    return decision, counts
