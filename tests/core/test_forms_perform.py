"""perform(): the one helper views use around their single service call."""

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden
from wtforms import StringField

from planner.core.errors import DomainError, NotAllowed
from planner.core.forms import Outcome, perform
from planner.extensions import db
from planner.people.models import Organisation
from tests import factories


class NameForm(FlaskForm):
    name = StringField("Name")


def _organisations() -> int:
    return db.session.scalar(select(func.count(Organisation.id)))


def _adds_then(error=None, name="Stadtwerke"):
    def call():
        factories.organisation(name=name)
        if error is not None:
            raise error
        return name

    return call


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/", method="POST"):
        yield app


def test_success_commits_flashes_and_returns_the_result(request_ctx):
    outcome = perform(_adds_then(), success="Saved.")
    assert outcome and outcome.value == "Stadtwerke" and outcome.error is None
    db.session.rollback()  # nothing left to undo: the change was committed
    assert _organisations() == 1
    assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]


def test_success_message_may_be_built_from_the_result_and_take_a_category(request_ctx):
    perform(_adds_then(name="Hafen"), success=lambda name: f"{name} added.", category="info")
    assert get_flashed_messages(with_categories=True) == [("info", "Hafen added.")]


def test_without_success_message_nothing_is_flashed(request_ctx):
    assert perform(_adds_then())
    assert get_flashed_messages() == []
    assert _organisations() == 1


def test_domain_error_rolls_back_and_lands_on_its_field(request_ctx):
    form = NameForm()
    outcome = perform(_adds_then(DomainError("Name taken.", field="name")), form=form, success="Saved.")
    assert not outcome
    assert isinstance(outcome, Outcome) and outcome.value is None and outcome.error.message == "Name taken."
    assert _organisations() == 0  # the row added before the error is gone
    assert form.name.errors == ["Name taken."]
    assert get_flashed_messages() == []


def test_domain_error_without_a_form_or_known_field_is_flashed(request_ctx):
    assert not perform(_adds_then(DomainError("Not possible now.")), success="Saved.")
    assert not perform(_adds_then(DomainError("Unknown field.", field="nope")), form=NameForm())
    assert _organisations() == 0
    assert get_flashed_messages(with_categories=True) == [("error", "Not possible now."), ("error", "Unknown field.")]


def test_an_error_with_several_problems_shows_each_on_its_field(request_ctx):
    error = DomainError("Name missing.", field="name")
    error.problems = [("name", "Name missing."), (None, "Whole form.")]
    form = NameForm()
    assert not perform(_adds_then(error), form=form)
    assert form.name.errors == ["Name missing."]
    assert get_flashed_messages(with_categories=True) == [("error", "Whole form.")]


def test_not_allowed_is_shown_by_default(request_ctx):
    assert not perform(_adds_then(NotAllowed("Not yours.")))
    assert get_flashed_messages(with_categories=True) == [("error", "Not yours.")]


def test_not_allowed_answers_403_when_forbidden_and_rolls_back(request_ctx):
    with pytest.raises(Forbidden):
        perform(_adds_then(NotAllowed("Not yours.")), form=NameForm(), success="Saved.", forbid=True)
    assert _organisations() == 0
    assert get_flashed_messages() == []


def test_forbid_still_shows_other_domain_errors(request_ctx):
    form = NameForm()
    assert not perform(_adds_then(DomainError("Name taken.", field="name")), form=form, forbid=True)
    assert form.name.errors == ["Name taken."]


def test_other_exceptions_are_not_swallowed(request_ctx):
    with pytest.raises(ValueError):
        perform(_adds_then(ValueError("bug")))
