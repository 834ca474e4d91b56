"""Test data of the strategy package: frozen versions and review rounds (inside an app context)."""

import dataclasses

from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from planner.strategy.models import PaperVersion, ReviewComment, ReviewRound, ReviewRoundMember
from planner.strategy.rollup import rollup_to_json
from tests import factories
from tests.strategy.rollups import rollup


def version(number: int | None = None, published: bool = False, **rollup_kw) -> PaperVersion:
    from sqlalchemy import func, select

    if number is None:
        number = (db.session.scalar(select(func.max(PaperVersion.number))) or 0) + 1
    r = dataclasses.replace(rollup(**rollup_kw), version=number)
    v = PaperVersion(number=number, frozen_at=utcnow(), rollup_json=rollup_to_json(r),
                     published_at=utcnow() if published else None)
    db.session.add(v)
    db.session.flush()
    return v


def complete_version(**rollup_kw) -> PaperVersion:
    """A version without blocking gaps: every section written (the test roll-up leaves "monitoring" empty)."""
    from tests.strategy.rollups import rollup as make

    sections = tuple(dataclasses.replace(s, body=s.body or "Das Monitoring.") for s in make().sections)
    return version(sections=sections, **rollup_kw)


def review_round(version_=None, members=(), **kw) -> ReviewRound:
    version_ = version_ or version()
    kw.setdefault("title", "Abstimmung Ausschuss")
    r = ReviewRound(version=version_, **kw)
    db.session.add(r)
    db.session.flush()
    for user in members:
        db.session.add(ReviewRoundMember(round=r, user_id=user.id, body_label="Ratsausschuss für Digitalisierung"))
    db.session.flush()
    return r


def guest(round_=None, **kw):
    """An outside reviewer of ``round_`` and the token of their personal link."""
    from planner.strategy import review

    round_ = round_ or review_round()
    g, token = review.invite_guest(round_, None, name=kw.pop("name", "Gerda Gast"),
                                   email=kw.pop("email", "gerda.gast@example.org"),
                                   body_label=kw.pop("body_label", "Bezirksvertretung I"))
    return g, token


def reviewer(**kw):
    return factories.user(role=Role.REVIEWER, **kw)


def comment(round_=None, **kw) -> ReviewComment:
    round_ = round_ or review_round()
    kw.setdefault("text", "Bitte ergänzen.")
    kw.setdefault("target_kind", "section")
    kw.setdefault("target_key", "governance")
    c = ReviewComment(round=round_, **kw)
    db.session.add(c)
    db.session.flush()
    return c


def field_with_goals(goals=2, **kw):
    """An action field of the current process with its Zielbild and ``goals`` measurable goals (saved)."""
    from planner.fields.models import StrategyProcess
    from planner.strategy.goals import FieldGoal, FieldVision

    process = StrategyProcess.current() or factories.process(is_current=True)
    field = factories.field(**kw)
    row = FieldVision(field_id=field.id, process_id=process.id, text="Ein klimaangepasstes Quartier.")
    row.goals = [FieldGoal(position=i, text=f"Ziel {i + 1}", indicator="Sensoren", unit="Stück", baseline=10.0,
                           target_value=650000.0, target_year=2030) for i in range(goals)]
    db.session.add(row)
    db.session.flush()
    return field
