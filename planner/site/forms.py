from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional


class FeedbackForm(FlaskForm):
    message = TextAreaField(
        _l("What barrier did you find?"),
        validators=[
            DataRequired(_l("Please describe the barrier.")),
            Length(max=5000, message=_l("Please keep it under %(max)d characters.")),
        ],
        description=_l("Please name the page and what did not work for you."),
    )
    contact_email = EmailField(
        _l("Your e-mail address for our answer"),
        validators=[Optional(), Email(_l("Please enter a valid e-mail address.")), Length(max=254)],
    )
    page = HiddenField()
