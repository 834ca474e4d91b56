"""Times without seconds; English with 24-hour times and the day before the month."""

from datetime import date

from flask_babel import force_locale

from planner.core.formats import format_date, format_datetime, format_time
from tests import factories


def test_german_and_english_formats(app):
    with app.test_request_context():
        at = factories.aware(2027, 2, 10, 15, 5)  # Berlin wall clock
        with force_locale("de"):
            assert format_datetime(at) == "10.02.2027, 15:05"
            assert format_time(at, "medium") == "15:05"
            assert format_date(date(2027, 3, 18), "long") == "18. März 2027"
        with force_locale("en"):
            assert format_datetime(at) == "10 Feb 2027, 15:05"
            assert format_time(at, "short") == "15:05"
            assert format_date(date(2027, 3, 18), "long") == "18 March 2027"
            assert "AM" not in format_datetime(at, "full") and "PM" not in format_datetime(at, "full")


def test_pages_show_times_without_seconds(app, client, auth):
    from planner.extensions import db

    auth.login("facilitator")
    with app.app_context():
        w = factories.workshop(starts_at=factories.aware(2030, 3, 5, 9, 0))
        db.session.commit()
        wid = w.id
    html = client.get(f"/workshops/{wid}").get_data(as_text=True)
    assert "09:00" in html and "09:00:00" not in html
