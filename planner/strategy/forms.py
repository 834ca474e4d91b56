from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from planner.core.forms import SingleLineField


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SectionForm(FlaskForm):
    title = SingleLineField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        _l("Text"), description=_l("Markdown: **bold**, *italic*, lists with “- ”, headings with “### ”."),
        render_kw={"rows": 16},
    )
    version = HiddenField()


class FreezeForm(FlaskForm):
    note = SingleLineField(_l("Note on this version"), validators=[Optional(), Length(max=500)],
                           description=_l("For example: draft for the council committee."))


class RoundForm(FlaskForm):
    title = SingleLineField(_l("Title of the review round"), validators=[DataRequired(), Length(max=200)])
    due_on = DateField(_l("Due date"), validators=[Optional()])


class MemberForm(FlaskForm):
    user_id = SelectField(_l("Reviewer"), coerce=_int_or_none, validators=[DataRequired()])
    body_label = SingleLineField(_l("Body or department"), validators=[Optional(), Length(max=200)],
                                 description=_l("For example: council committee for digitalisation."))


class CommentForm(FlaskForm):
    round_id = HiddenField()
    target = SelectField(_l("Comment on"), validators=[DataRequired()])
    text = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=5000)])


class VerdictForm(FlaskForm):
    round_id = HiddenField()
    part = SelectField(_l("Part of the paper"), validators=[DataRequired()])
    verdict = RadioField(
        _l("Your verdict"),
        choices=[SelectChoice("approved", _l("Approve")), SelectChoice("changes_requested", _l("Request changes"))],
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)],
                           description=_l("Required when you request changes."))


class ParagraphCommentForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    paragraph = HiddenField(validators=[DataRequired()])
    text = TextAreaField(_l("Your comment on this paragraph"), validators=[DataRequired(), Length(max=5000)])


class GuestForm(FlaskForm):
    name = SingleLineField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = SingleLineField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    organisation = SingleLineField(_l("Body or organisation"), validators=[Optional(), Length(max=200)],
                                 description=_l("For example: council committee for digitalisation."))


class OverrideForm(FlaskForm):
    reason = TextAreaField(_l("Reason for publishing anyway"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("Required. The version history records it."), render_kw={"rows": 3})


class AnswerForm(FlaskForm):
    answer = RadioField(
        _l("Answer"),
        choices=[SelectChoice("accepted", _l("Accepted")), SelectChoice("changed", _l("Changed")),
                 SelectChoice("rejected", _l("Rejected"))],
        validators=[InputRequired()],
    )
    text = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=5000)],
                         description=_l("Required when you reject the comment."), render_kw={"rows": 3})


class DiffForm(FlaskForm):
    class Meta:
        csrf = False

    old = IntegerField(_l("Older version"), validators=[InputRequired()])
    new = IntegerField(_l("Newer version"), validators=[Optional()],
                       description=_l("Leave empty to compare with the current draft."))
