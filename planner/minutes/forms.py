from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from planner.core.forms import VersionedForm
from planner.minutes.services import MAX_TEXT

TOO_LONG = _l("The text is too long: at most %(max)d characters are allowed.")
MARKDOWN_HINT = _l("Paragraphs and lists (a line starting with “- ”) are kept; **bold** is shown bold.")


class MinutesForm(VersionedForm, FlaskForm):
    summary = TextAreaField(_l("Summary"), validators=[Length(max=MAX_TEXT, message=TOO_LONG)],
                            description=_l("What the workshop achieved, in a few paragraphs."))
    decisions = TextAreaField(_l("Decisions"), validators=[Length(max=MAX_TEXT, message=TOO_LONG)],
                              description=MARKDOWN_HINT)
    open_points = TextAreaField(_l("Open points"), validators=[Length(max=MAX_TEXT, message=TOO_LONG)],
                                description=MARKDOWN_HINT)
    next_steps = TextAreaField(_l("Next steps"), validators=[Length(max=MAX_TEXT, message=TOO_LONG)],
                               description=MARKDOWN_HINT)


class SendForm(FlaskForm):
    confirm = BooleanField(_l("I have checked the recipients and the minutes"),
                           validators=[DataRequired(_l("Please confirm that you have checked the recipients."))])
