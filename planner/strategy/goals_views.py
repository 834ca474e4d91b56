"""The page on which the strategy team writes an action field's Zielbild 2040 and its measurable goals."""

from flask import abort, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from planner.core.forms import SingleLineField, is_stale, perform, stale_conflict
from planner.core.permissions import Role, access
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from planner.strategy import bp, goals

ST = (Role.STRATEGY_TEAM,)
GOAL_PARTS = ("text", "indicator", "baseline", "target_value", "unit", "target_year")


class GoalsForm(FlaskForm):
    vision = TextAreaField(
        _l("Target vision 2040"), validators=[Optional(), Length(max=goals.MAX_VISION)],
        description=_l("How the action field should look in the target year, in a few sentences."),
        render_kw={"rows": 6})
    version = HiddenField()


for _n in range(1, goals.MAX_GOALS + 1):
    setattr(GoalsForm, f"goal{_n}_text", SingleLineField(
        _l("Goal %(number)s", number=_n), validators=[Optional()],
        description=_l("What should be reached, e.g. “Half of all city services can be used fully online.”")
        if _n == 1 else None))
    setattr(GoalsForm, f"goal{_n}_indicator", SingleLineField(
        _l("Indicator (goal %(number)s)", number=_n), validators=[Optional()]))
    setattr(GoalsForm, f"goal{_n}_baseline", SingleLineField(
        _l("Baseline (goal %(number)s)", number=_n), validators=[Optional()]))
    setattr(GoalsForm, f"goal{_n}_target_value", SingleLineField(
        _l("Target value (goal %(number)s)", number=_n), validators=[Optional()]))
    setattr(GoalsForm, f"goal{_n}_unit", SingleLineField(
        _l("Unit (goal %(number)s)", number=_n), validators=[Optional()],
        description=_l("For example: %, number, t CO₂ per year.") if _n == 1 else None))
    setattr(GoalsForm, f"goal{_n}_target_year", SingleLineField(
        _l("Target year (goal %(number)s)", number=_n), validators=[Optional()]))
del _n


def _number_text(value) -> str:
    """A stored number as the form shows it (German: decimal comma), read back by goals.clean_goals."""
    if value is None:
        return ""
    text = f"{value:.12g}"
    return text.replace(".", ",") if str(get_locale() or "de").startswith("de") else text


def _data(row) -> dict:
    data = {"vision": row.text if row else "", "version": row.version if row else 0}
    for index, goal in enumerate(row.goals if row else [], start=1):
        data.update({f"goal{index}_text": goal.text, f"goal{index}_indicator": goal.indicator,
                     f"goal{index}_unit": goal.unit, f"goal{index}_baseline": _number_text(goal.baseline),
                     f"goal{index}_target_value": _number_text(goal.target_value),
                     f"goal{index}_target_year": str(goal.target_year or "")})
    return data


def _submitted_goals(form) -> list[dict]:
    return [{"prefix": f"goal{n}", **{part: form[f"goal{n}_{part}"].data for part in GOAL_PARTS}}
            for n in range(1, goals.MAX_GOALS + 1)]


@bp.route("/fields/<int:field_id>/goals", methods=["GET", "POST"], endpoint="field_goals")
@access(*ST)
def field_goals(field_id: int):
    field = db.get_or_404(ActionField, field_id)
    process = StrategyProcess.current()
    row = goals.field_vision(field, process)
    form = GoalsForm(data=_data(row))
    failed, stale = False, None
    name = f"{field.code} {field.name}"
    if form.validate_on_submit():
        version = form.version.data
        saved = perform(lambda: goals.save_field_goals(field, current_user, vision=form.vision.data,
                                                       goals=_submitted_goals(form), version=version,
                                                       process=process),
                        form=form, success=_("Target vision and goals of “%(field)s” saved.", field=name))
        if saved:
            return redirect(url_for("strategy.paper") + "#goals")
        failed = True
        if is_stale(saved):
            row = goals.field_vision(field, process)
            current = GoalsForm(formdata=None, data=_data(row))
            stale = stale_conflict(form, current, row.version if row else 0)
    status = 409 if stale else (400 if form.errors or failed else 200)
    return render_template("strategy/field_goals.html", form=form, field=field, name=name, row=row,
                           process=process, stale=stale, max_goals=goals.MAX_GOALS, parts=GOAL_PARTS), status


@bp.route("/fields/<int:field_id>/goals/history", endpoint="field_goals_history")
@access(*ST)
def field_goals_history(field_id: int):
    field = db.get_or_404(ActionField, field_id)
    if goals.field_vision(field) is None:
        abort(404)
    return render_template("findings/history.html", entries=goals.goals_history(field),
                           heading=_("Target vision and goals of “%(field)s”", field=f"{field.code} {field.name}"),
                           back=url_for("strategy.field_goals", field_id=field.id))
