from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, FormField, HiddenField, TextAreaField, TimeField
from wtforms.validators import Length, Optional

from planner.invitations.services import ACCEPT_CONSENT_TEXT


class InviteForm(FlaskForm):
    """The POST of the invite page: selected people (checkboxes in the roster table) or everyone in the filter."""

    mode = HiddenField()
    field = HiddenField()
    sector = HiddenField()
    organisation = HiddenField()
    q = HiddenField()


class AcceptForm(FlaskForm):
    consent = BooleanField(_l("I agree to the processing of my data"), description=ACCEPT_CONSENT_TEXT)
    share_contact = BooleanField(
        _l("Share my contact details with the other participants"),
        description=_l("After the workshop, participants who agreed see each other's name, organisation, action "
                       "fields and e-mail address, for networking. Optional."),
    )


class DeclineForm(FlaskForm):
    pass


class CheckinForm(FlaskForm):
    """Ticked participation ids arrive as the list ``attended``; the token protects the one POST."""


class ReminderForm(FlaskForm):
    pass


class DateOptionForm(FlaskForm):
    class Meta:
        csrf = False  # part of PollForm, which carries the token

    day = DateField(_l("Date"), validators=[Optional()])
    starts = TimeField(_l("Begins"), validators=[Optional()])
    ends = TimeField(_l("Ends"), validators=[Optional()])


class PollForm(FlaskForm):
    options = FieldList(FormField(DateOptionForm), min_entries=4, max_entries=30)  # services.MAX_POLL_OPTIONS
    note = TextAreaField(_l("Note to the invitees"), validators=[Optional(), Length(max=2000)])


class FixDateForm(FlaskForm):
    option_id = HiddenField()
