"""What monitoring tells people by e-mail: reminders to the leads (a periodic job, once per period), opt-in
notifications to followers of a measure, the official answer to the proposer; and the funder's reporting dates as
tasks."""

import re
from datetime import date, timedelta

from flask_babel import force_locale
from sqlalchemy import func, select

from planner.core.audit import AuditEntry
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.monitoring import notify, services
from planner.monitoring.models import ActionTask, MeasureSubscription, MonitoredAction, SentReminder, TaskKind
from tests import factories
from tests.monitoring.test_monitoring import _started


def _links(message) -> list[str]:
    return re.findall(r"http://localhost(/\S+)", message.get_content())


def _mails_to(outbox, address):
    return [m for m in outbox() if m["To"] == address]


# --- reminders ---------------------------------------------------------------------------------------------------

def test_reminders_go_to_the_lead_or_the_team_once_per_period(app, client, auth, runner, outbox):
    _number, (first, second) = _started(app)
    lead_email = "lead@example.org"
    lead_id = auth.create("expert", email=lead_email, locale="en")
    with app.app_context():
        action = db.session.get(MonitoredAction, first)
        action.lead_id = lead_id
        action.tasks.append(ActionTask(title="Ausschreibung vorbereiten", kind=TaskKind.TASK,
                                       due_on=local_today() - timedelta(days=5)))
        team_email = db.session.get(MonitoredAction, second).adopted_version.frozen_by.email
        db.session.commit()

    result = runner.invoke(args=["monitoring-reminders"])
    assert result.exit_code == 0, result.output
    assert "3 reminders due" in result.output
    assert "late: Ausschreibung vorbereiten (due " in result.output and "task_late" not in result.output

    (to_lead,) = _mails_to(outbox, lead_email)  # one mail listing everything that is due
    text = to_lead.get_content()
    assert to_lead["Subject"] == "Monitoring: 1 measure needs your attention"  # the lead's language: English
    assert "A status update is due: there has been none yet." in text
    assert "Late: Ausschreibung vorbereiten" in text
    assert "Digitale Parkraumsteuerung 2" not in text  # not the lead's measure
    (team,) = _mails_to(outbox, team_email)  # no lead: the strategy team
    assert "Digitale Parkraumsteuerung 2" in team.get_content() and "Ein Sachstand ist fällig" in team.get_content()
    assert team["Subject"] == "Umsetzungsmonitoring: 1 Maßnahme braucht Ihre Aufmerksamkeit"

    auth.login_as(lead_email)
    link = next(link for link in _links(to_lead) if link.startswith(f"/monitoring/actions/{first}"))
    page = client.get(link)
    assert page.status_code == 200 and "Ausschreibung vorbereiten" in page.get_data(as_text=True)

    # Running the job again (CLI or the periodic job) sends nothing twice.
    count = len(outbox())
    assert "0 reminders due" in runner.invoke(args=["monitoring-reminders"]).output
    with app.app_context():
        notify.run_reminders_job()
        assert db.session.scalar(select(func.count(SentReminder.id))) == 3
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "remind")) == 3
    assert len(outbox()) == count

    # A new period: what is still due is reminded again; a report ends the "update due".
    with app.app_context():
        action = db.session.get(MonitoredAction, first)
        strategist = db.session.get(MonitoredAction, second).adopted_version.frozen_by
        services.post_update(action, strategist, reported_on=local_today(), status="on_track", progress=5,
                             text="Gestartet.")
        run = notify.send_reminders(local_today() + timedelta(days=32))
        kinds = sorted((d.action.id, d.kind.value) for d in run.due)
        db.session.rollback()
    assert kinds == [(first, "task_late"), (second, "update_due")]


def test_the_reminder_job_is_scheduled_and_a_dry_run_sends_nothing(app, runner, outbox):
    from planner.jobs.queue import _PERIODIC

    assert _PERIODIC["monitoring.reminders_daily"][0] == {"minute": "15", "hour": "6"}
    _started(app)
    result = runner.invoke(args=["monitoring-reminders", "--dry-run"])
    assert result.exit_code == 0 and "would go" in result.output
    # The list says in words what is due, not the reminder kind's code or an ISO month.
    assert "status update due (none yet)" in result.output and "update_due" not in result.output
    assert f"due in {local_today():%B %Y}" in result.output
    assert outbox() == []
    with app.app_context():
        assert db.session.scalar(select(func.count(SentReminder.id))) == 0


# --- the funder's reporting dates ------------------------------------------------------------------------------------

def _edit(client, action_id, **data):
    form = {"responsible_unit": "Amt 66", "funding_programme": "Modellprojekte Smart Cities",
            "funding_from": "2025-01-01", "funding_until": "2027-12-31", "funder_report_dates": "",
            "funder_report_yearly": "", **data}
    return client.post(f"/monitoring/actions/{action_id}/edit", data=form)


def _reports(app, action_id):
    with app.app_context():
        return sorted((t.due_on, t.done_on is not None) for t in db.session.scalars(
            select(ActionTask).where(ActionTask.action_id == action_id, ActionTask.kind == TaskKind.FUNDER_REPORT)))


def test_reporting_dates_become_tasks_without_duplicates(app, client, auth):
    _number, (first, _second) = _started(app)
    auth.login("strategy_team")
    assert _edit(client, first, funder_report_yearly="31.03.", funder_report_dates="15.09.2026").status_code == 302
    assert _reports(app, first) == [(date(2025, 3, 31), False), (date(2026, 3, 31), False),
                                    (date(2026, 9, 15), False), (date(2027, 3, 31), False)]
    assert _edit(client, first, funder_report_yearly="31.03.", funder_report_dates="2026-09-15").status_code == 302
    assert len(_reports(app, first)) == 4  # saved again: nothing twice
    page = client.get(f"/monitoring/actions/{first}").get_data(as_text=True)
    assert "Bericht an den Fördermittelgeber: Modellprojekte Smart Cities" in page
    form = client.get(f"/monitoring/actions/{first}/edit").get_data(as_text=True)
    assert 'value="31.03."' in form and "15.09.2026</textarea>" in form  # shown as entered
    assert _edit(client, first, funder_report_yearly="31.03.", funder_report_dates="15.09.2026",
                 version="").status_code == 302  # the form sent back as shown changes nothing
    assert len(_reports(app, first)) == 4

    with app.app_context():
        done = db.session.scalar(select(ActionTask).where(ActionTask.due_on == date(2025, 3, 31)))
        done.done_on = date(2025, 3, 28)
        db.session.commit()
    # New dates: the open tasks follow; the done one stays.
    assert _edit(client, first, funder_report_yearly="30.06.", funding_from="2025-01-01").status_code == 302
    assert _reports(app, first) == [(date(2025, 3, 31), True), (date(2025, 6, 30), False),
                                    (date(2026, 6, 30), False), (date(2027, 6, 30), False)]


def test_the_reporting_dates_read_in_date_order_with_the_kind_said_once(app, client, auth):
    """A done report sorts after the open ones in the task list, but the list of the funder's reporting dates is in
    date order; a generated report's title is not "Report to the funder: Report to the funder: …", and in English
    it is English."""
    _number, (first, _second) = _started(app)
    auth.login("strategy_team")
    assert _edit(client, first, funder_report_yearly="31.03.").status_code == 302
    with app.app_context():
        done = db.session.scalar(select(ActionTask).where(ActionTask.due_on == date(2025, 3, 31)))
        done.done_on = date(2025, 3, 28)
        db.session.commit()
    page = client.get(f"/monitoring/actions/{first}").get_data(as_text=True)
    assert "31.03.2025, 31.03.2026, 31.03.2027" in page
    assert "Fördermittelgeber: Bericht" not in page
    assert page.count("Bericht an den Fördermittelgeber: Modellprojekte Smart Cities") == 3
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/monitoring/actions/{first}").get_data(as_text=True)
    assert "Bericht an den" not in page
    assert page.count("Report to the funder: Modellprojekte Smart Cities") == 3
    assert "Milestone: Implementation completed" in page and "Umsetzung abgeschlossen" not in page


def test_bad_reporting_dates_are_refused_and_nothing_changes(app, client, auth):
    _number, (first, _second) = _started(app)
    auth.login("strategy_team")
    before = _reports(app, first)
    answer = _edit(client, first, funder_report_dates="31.13.2026", responsible_unit="Neu")
    assert answer.status_code == 400 and "„31.13.2026“ ist kein Datum" in answer.get_data(as_text=True)
    answer = _edit(client, first, funder_report_yearly="Ostern", responsible_unit="Neu")
    assert answer.status_code == 400 and "Tag und Monat" in answer.get_data(as_text=True)
    answer = _edit(client, first, funder_report_yearly="31.03.", funding_until="", responsible_unit="Neu")
    assert answer.status_code == 400 and "Förderzeitraum" in answer.get_data(as_text=True)
    assert _reports(app, first) == before
    with app.app_context():
        assert db.session.get(MonitoredAction, first).responsible_unit == "Amt für Straßen und Verkehr"


# --- the official answer to the proposer --------------------------------------------------------------------------

def _with_proposer(app, action_id, **person):
    with app.app_context():
        action = db.session.get(MonitoredAction, action_id)
        person.setdefault("has_consent", True)
        proposer = factories.person(email="ideen@example.org", **person)
        action.measure.proposed_by = proposer
        db.session.commit()
        return proposer.id


def test_the_official_answer_is_published_once_and_mailed_to_the_proposer(app, client, auth, outbox):
    _number, (first, _second) = _started(app)
    _with_proposer(app, first)
    with app.app_context():
        measure_id = db.session.get(MonitoredAction, first).measure_id
    auth.login("strategy_team")
    form = client.get(f"/monitoring/actions/{first}/answer").get_data(as_text=True)
    assert "erhält sie per E-Mail" in form and "erneut senden" not in form

    answer = client.post(f"/monitoring/actions/{first}/answer", data={
        "answer_text": "Danke für Ihren Vorschlag! Die Sensoren werden 2027 installiert."}, follow_redirects=True)
    assert "veröffentlicht und an die Person geschickt" in answer.get_data(as_text=True)
    (mail,) = _mails_to(outbox, "ideen@example.org")
    assert "Die Sensoren werden 2027 installiert." in mail.get_content()
    assert mail["Subject"] == "Die Antwort der Stadt auf Ihren Vorschlag „MOB-M01 Digitale Parkraumsteuerung 1“" \
        or "Antwort der Stadt" in mail["Subject"]
    client.post("/logout")
    assert f"/monitoring/public/measures/{measure_id}" in mail.get_content()  # the measure's own public page
    for link in _links(mail):  # the measure's public page and the follow form, without an account
        page = client.get(link.split("#")[0])
        assert page.status_code == 200
    public = client.get(f"/monitoring/public/measures/{measure_id}").get_data(as_text=True)
    assert "Die Sensoren werden 2027 installiert." in public

    auth.login("strategy_team")
    edited = client.post(f"/monitoring/actions/{first}/answer", data={
        "answer_text": "Danke für Ihren Vorschlag! Die Sensoren werden 2028 installiert."}, follow_redirects=True)
    assert "Änderung ist protokolliert" in edited.get_data(as_text=True)
    form = client.get(f"/monitoring/actions/{first}/answer").get_data(as_text=True)
    # The page names the answer as the measure's page does, and after publication does not promise a mail on save.
    assert "<h1 class=\"kern-heading-large\">Die offizielle Antwort der Stadt: " in form
    assert "Stellungnahme der Verwaltung" not in form and "erhält sie per E-Mail" not in form
    assert form.count("„erneut senden“") == 1  # said once
    assert len(_mails_to(outbox, "ideen@example.org")) == 1  # an edit mails nothing
    with app.app_context():
        changes = [e.changes for e in db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "monitored_actions", AuditEntry.entity_id == first))]
        assert any("answer_text" in c and "2028" in str(c["answer_text"]) for c in changes)
    client.post(f"/monitoring/actions/{first}/answer", data={
        "answer_text": "Danke für Ihren Vorschlag! Die Sensoren werden 2028 installiert.", "send_again": "y"})
    assert len(_mails_to(outbox, "ideen@example.org")) == 2  # sent again on request
    assert "2028" in _mails_to(outbox, "ideen@example.org")[-1].get_content()


def test_no_answer_mail_without_consent_and_bad_input_changes_nothing(app, client, auth, outbox):
    _number, (first, _second) = _started(app)
    _with_proposer(app, first, has_consent=False)
    auth.login("strategy_team")
    empty = client.post(f"/monitoring/actions/{first}/answer", data={"answer_text": "  "})
    assert empty.status_code == 400 and "Dieses Feld wird benötigt." in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(MonitoredAction, first).answer_published_at is None
    saved = client.post(f"/monitoring/actions/{first}/answer", data={"answer_text": "Wird umgesetzt."},
                        follow_redirects=True)
    assert "nicht in eine Kontaktaufnahme eingewilligt" in saved.get_data(as_text=True)
    assert outbox() == []
    auth.login("expert")
    assert client.post(f"/monitoring/actions/{first}/answer", data={"answer_text": "x"}).status_code == 403


# --- following a measure ---------------------------------------------------------------------------------------------

def _post_status(app, action_id, status):
    with app.app_context():
        action = db.session.get(MonitoredAction, action_id)
        services.post_update(action, action.adopted_version.frozen_by, reported_on=local_today(), status=status,
                             progress=20, text=f"Neuer Stand: {status}.")
        db.session.commit()


def test_a_citizen_follows_a_measure_confirms_hears_of_a_change_and_stops(app, client, outbox):
    _number, (first, _second) = _started(app)
    with app.app_context():
        measure_id = db.session.get(MonitoredAction, first).measure_id
    public = client.get(f"/monitoring/public/measures/{measure_id}").get_data(as_text=True)
    assert f"/monitoring/public/measures/{measure_id}/follow" in public
    with app.app_context():
        unmonitored = factories.measure(title="Noch in der Bewertung").id
        db.session.commit()
    assert client.get(f"/monitoring/public/measures/{unmonitored}/follow").status_code == 404  # not public yet

    refused = client.post(f"/monitoring/public/measures/{measure_id}/follow", data={"email": "buerger@example.org"})
    assert refused.status_code == 400 and "Bitte stimmen Sie zu" in refused.get_data(as_text=True)
    refused = client.post(f"/monitoring/public/measures/{measure_id}/follow", data={"email": "kein", "consent": "y"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(MeasureSubscription.id))) == 0

    asked = client.post(f"/monitoring/public/measures/{measure_id}/follow",
                        data={"email": "Buerger@Example.org", "consent": "y"}, follow_redirects=True)
    assert "Fast geschafft" in asked.get_data(as_text=True)
    (confirmation,) = outbox()
    assert confirmation["To"] == "buerger@example.org"
    _post_status(app, first, "delayed")
    assert len(outbox()) == 1  # not confirmed yet: nothing is sent

    (link,) = [link for link in _links(confirmation) if "/follow/confirm/" in link]
    assert client.get(link).status_code == 200  # opening the link changes nothing
    with app.app_context():
        assert db.session.scalar(select(MeasureSubscription)).confirmed_at is None
    assert "Vielen Dank" in client.post(link, follow_redirects=True).get_data(as_text=True)

    _post_status(app, first, "at_risk")
    news = outbox()[-1]
    assert news["To"] == "buerger@example.org" and "Neuer Status" in news["Subject"]
    assert "von „verzögert“ zu „gefährdet“" in news.get_content()
    _post_status(app, first, "at_risk")  # the same status again: no news
    assert len(outbox()) == 2

    (stop,) = [link for link in _links(news) if "/follow/stop/" in link]
    assert "E-Mails beenden" in client.get(stop).get_data(as_text=True)
    assert "Ihre Adresse wurde gelöscht" in client.post(stop, follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(MeasureSubscription.id))) == 0
    assert client.post(stop).status_code == 400  # the link has done its work
    _post_status(app, first, "on_track")
    assert len(outbox()) == 2


def test_the_links_of_an_english_mail_open_in_english_in_another_browser(app, outbox):
    """Whoever asked in English gets English mails; their links, opened where no language was chosen (another
    browser, the mail app), show the page in English too, and then the rest of the visit."""
    _number, (first, _second) = _started(app)
    with app.app_context():
        measure_id = db.session.get(MonitoredAction, first).measure_id
    asking = app.test_client()
    asking.post("/language", data={"lang": "en"})
    asking.post(f"/monitoring/public/measures/{measure_id}/follow", data={"email": "citizen@example.net",
                                                                          "consent": "y"})
    (confirmation,) = outbox()
    assert "Please confirm" in confirmation["Subject"]
    (link,) = [link for link in _links(confirmation) if "/follow/confirm/" in link]
    fresh = app.test_client()
    page = fresh.get(link).get_data(as_text=True)
    assert '<html lang="en">' in page and "Please confirm that you want to be told" in page
    assert "Thank you" in fresh.post(link, follow_redirects=True).get_data(as_text=True)
    assert "Implementation of the smart city strategy" in fresh.get("/monitoring/public").get_data(as_text=True)
    _post_status(app, first, "delayed")
    news = outbox()[-1]
    assert news["To"] == "citizen@example.net" and "New status" in news["Subject"]
    # British dates as on the English pages, never the US "December 4, 2026".
    from planner.core.formats import format_date

    with app.test_request_context(), force_locale("en"):
        assert f"(as of {format_date(local_today(), 'long')}," in news.get_content()
    assert f"{local_today():%B} {local_today().day}," not in news.get_content()
    # A visitor who chose German keeps German.
    german = app.test_client()
    german.post("/language", data={"lang": "de"})
    assert "Benachrichtigung" in german.get(link).get_data(as_text=True)


def test_a_supporter_follows_with_their_account_at_once_and_erasure_removes_it(app, client, auth, outbox):
    from planner.privacy.services import erase_person

    _number, (first, _second) = _started(app)
    with app.app_context():
        person = factories.person(email="expertin@example.org", has_consent=True)
        action = db.session.get(MonitoredAction, first)
        action.measure.supporters.append(person)
        measure_id, person_id = action.measure_id, person.id
        db.session.commit()
    auth.create("expert", email="expertin@example.org", person_id=person_id)
    auth.login_as("expertin@example.org")
    page = client.get(f"/findings/measures/{measure_id}").get_data(as_text=True)
    assert f"/monitoring/public/measures/{measure_id}/follow" in page  # offered to a supporter
    assert client.post(f"/monitoring/public/measures/{measure_id}/follow",
                       data={"email": "expertin@example.org", "consent": "y"}).status_code == 302
    assert outbox() == []  # the account's own address needs no confirmation
    _post_status(app, first, "delayed")
    assert [m["To"] for m in outbox()] == ["expertin@example.org"]

    with app.app_context():
        erase_person(None, db.session.get(factories.Person, person_id))
        db.session.commit()
        assert db.session.scalar(select(func.count(MeasureSubscription.id))) == 0
    _post_status(app, first, "at_risk")
    assert outbox() == []  # the erasure took the old mail from the outbox too; the change sends nothing


def test_a_bad_or_stale_link_is_refused_and_unconfirmed_requests_expire(app, client, outbox):
    from planner.core.models import utcnow

    _number, (first, _second) = _started(app)
    with app.app_context():
        measure_id = db.session.get(MonitoredAction, first).measure_id
    client.post(f"/monitoring/public/measures/{measure_id}/follow", data={"email": "spaet@example.org",
                                                                           "consent": "y"})
    (link,) = [link for link in _links(outbox()[0]) if "/follow/confirm/" in link]
    tampered = client.post(link[:-3] + "xyz")
    assert tampered.status_code == 400 and "nicht (mehr) gültig" in tampered.get_data(as_text=True)
    assert client.get("/monitoring/follow/stop/kaputt").status_code == 200  # says: no more e-mails
    assert client.post("/monitoring/follow/stop/kaputt").status_code == 400
    with app.app_context():
        subscription = db.session.scalar(select(MeasureSubscription))
        subscription.created_at = utcnow() - timedelta(hours=notify.CONFIRM_HOURS + 1)
        db.session.commit()
        notify.run_reminders_job()  # the daily job also clears requests never confirmed
        assert db.session.scalar(select(func.count(MeasureSubscription.id))) == 0
    assert client.post(link).status_code == 400  # the request is gone: its link is too
