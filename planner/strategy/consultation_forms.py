"""Forms of the public consultation (planner.strategy.consultation_views)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from planner.core.forms import SingleLineField
from planner.strategy.consultation_models import ANSWER_MAX, COMMENT_MAX, NAME_MAX, REASON_MAX

CONSENT_TEXT = _l("I agree that the city processes my e-mail address to confirm my comment and, if I give it, my "
                  "name, which is shown with the comment. The address is never shown. I can withdraw my consent at "
                  "any time.")


class ConsultationForm(FlaskForm):
    starts_on = DateField(_l("First day"), validators=[InputRequired(_l("Please enter the first day."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(_l("Please enter the last day."))])
    intro = TextAreaField(_l("Introduction for the public"), validators=[Optional(), Length(max=4000)],
                          description=_l("What the city asks the public, shown above the paper."),
                          render_kw={"rows": 4})


class PublicCommentForm(FlaskForm):
    text = TextAreaField(_l("Your comment"), validators=[DataRequired(_l("Please write your comment.")),
                                                          Length(max=COMMENT_MAX)], render_kw={"rows": 6})
    display_name = SingleLineField(_l("Your name (optional)"), validators=[Optional(), Length(max=NAME_MAX)],
                                   description=_l("Shown with your comment. Leave it empty to comment anonymously."),
                                   render_kw={"autocomplete": "name"})
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(_l("Please enter a valid e-mail address.")), Length(max=254),
        Email(message=_l("Please enter a valid e-mail address."), check_deliverability=False)],
        description=_l("We send you a link to confirm your comment. The address is never shown."),
        render_kw={"autocomplete": "email"})
    consent = BooleanField(CONSENT_TEXT, validators=[
        DataRequired(_l("Please agree to the processing of your data, otherwise we cannot take your comment."))])


class ConfirmCommentForm(FlaskForm):
    """The button behind the link in the confirmation mail (opening the link alone changes nothing)."""


class HideForm(FlaskForm):
    reason = SingleLineField(_l("Reason for hiding"), validators=[DataRequired(_l("Please give the reason.")),
                                                                   Length(max=REASON_MAX)])


class PublicAnswerForm(FlaskForm):
    answer = TextAreaField(_l("Public answer"), validators=[DataRequired(_l("Please write the answer.")),
                                                             Length(max=ANSWER_MAX)], render_kw={"rows": 3})
