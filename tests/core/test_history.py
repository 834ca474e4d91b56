"""Accountability people can read: the audit log and every change history speak the UI's language (labels and
values as the pages show them), in German and in English, never table names, column names or raw enum values."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from planner.core import audit, history
from planner.core.permissions import Role
from planner.extensions import db
from planner.findings.models import FundingType, Measure, Priority
from planner.workshops.models import Workshop, WorkshopStatus
from tests import factories
from tests.conftest import text_of


@pytest.fixture
def changed(app):
    """A measure and a workshop changed by a named strategy-team member, a finding hidden by a facilitator."""
    with app.app_context():
        field = factories.field(code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility")
        staff = factories.user(Role.STRATEGY_TEAM, email="s.team@example.org", display_name="Sina Strategie")
        author = factories.person(first_name="Erika", last_name="Einverstanden", has_consent=True)
        hidden_author = factories.person(first_name="Nora", last_name="Nichtgenannt", has_consent=False)
        measure = factories.measure(field=field, title="Smart Parking", number="MOB-M01", proposed_by=author)
        workshop = factories.workshop(title="Mobilitätswerkstatt", fields=[field], capacity=40)
        finding = factories.finding(workshop=workshop, field=field, author=hidden_author, text="Zu viel Suchverkehr")
        db.session.commit()
        with audit.acting_as(staff.id, staff.email):
            measure.funding_type = FundingType.GRANT
            measure.cost_estimate = Decimal("12500")
            measure.priority = Priority.HIGH
            workshop.status = WorkshopStatus.HELD
            workshop.starts_at = factories.aware(2030, 3, 6, 10, 0)
            finding.is_hidden = True
            db.session.commit()
        return {"measure": measure.id, "workshop": workshop.id, "finding": finding.id}


def test_measure_history_in_german(app, client, auth, changed):
    auth.login(Role.STRATEGY_TEAM)
    text = text_of(client.get(f"/findings/measures/{changed['measure']}/history"))
    assert "Sina Strategie" in text and "geändert" in text
    assert "Finanzierung: – → Fördermittel" in text
    assert re.search(r"Kostenschätzung \(Euro\): – → 12\.500,00\s€", text)
    assert "Priorität: – → Hoch (Beginn sofort)" in text
    assert "Vorgeschlagen von: – → Erika Einverstanden" in text
    for raw in ("funding_type", "cost_estimate", "grant", "measures", "proposed_by_id", "s.team@example.org"):
        assert raw not in text


def test_measure_history_in_english(app, client, auth, changed):
    auth.login(Role.STRATEGY_TEAM)
    client.post("/language", data={"lang": "en"})
    text = text_of(client.get(f"/findings/measures/{changed['measure']}/history"))
    assert "changed" in text and "Funding: – → Grants" in text
    assert "Cost estimate (euros): – → €12,500.00" in text
    assert "High (start now)" in text and "funding_type" not in text


def test_finding_history_names_only_who_consented(app, client, auth, changed):
    auth.login(Role.FACILITATOR)
    text = text_of(client.get(f"/findings/{changed['finding']}/history"))
    assert "Ausgeblendet: nein → ja" in text
    assert "Nichtgenannt" not in text and re.search(r"Urheberin oder Urheber: – → Person Nr\. \d+", text)


def test_audit_log_speaks_the_ui_language(app, client, auth, changed):
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/audit?entity=workshops"))
    assert "Workshop Mobilitätswerkstatt" in text
    assert "Status: Geplant → Durchgeführt" in text
    assert re.search(r"Beginn: 05\.03\.2030, 09:00 → 06\.03\.2030, 10:00", text)
    assert "workshops" not in text and "starts_at" not in text and "held" not in text
    page = client.get("/privacy-requests/audit").get_data(as_text=True)
    assert '<option value="measures">Maßnahme</option>' in page  # the filter offers labels, sends table names
    client.post("/language", data={"lang": "en"})
    text = text_of(client.get("/privacy-requests/audit?entity=workshops"))
    assert "Status: Scheduled → Held" in text and "Start: 5 Mar 2030, 09:00" in text and "AM" not in text


def test_erased_values_are_said_not_shown(app, client, auth):
    from planner.privacy.services import erase_person

    with app.app_context():
        person = factories.person(first_name="Ida", last_name="Ipsum", has_consent=True)
        audit.record("update", person, changes={"email": ["a@example.org", "b@example.org"]})
        db.session.commit()
        erase_person(None, person)
        db.session.commit()
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/audit?entity=people"))
    assert "Die personenbezogenen Werte wurden gelöscht (Art. 17 DSGVO)." in text
    assert "personenbezogene Daten gelöscht (Art. 17 DSGVO)" in text
    assert "a@example.org" not in text and "privacy_erasure" not in text


def test_an_erased_account_is_named_as_such(app, client, auth):
    from planner.privacy.services import erase_person

    with app.app_context():
        person = factories.person(first_name="Uwe", last_name="Urlaub", has_consent=True)
        account = factories.user(Role.FACILITATOR, person=person, display_name="Uwe Urlaub")
        with audit.acting_as(account.id, account.email):
            factories.workshop(title="Werkstatt von Uwe")
        db.session.commit()
        erase_person(None, person)
        db.session.commit()
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/audit?entity=workshops"))
    assert "Werkstatt von Uwe" in text and "Gelöschtes Benutzerkonto" in text
    assert "Uwe Urlaub" not in text and "deleted-user" not in text


def test_every_audited_model_declares_its_labels(app):
    """A new audited model (or column) cannot reach the history pages under its database name."""
    with app.app_context():
        missing = []
        for mapper in db.Model.registry.mappers:
            model = mapper.class_
            if not getattr(model, "__audited__", False):
                continue
            described = history.entity(model.__tablename__)
            if described is None:
                missing.append(model.__tablename__)
                continue
            for attr in inspect(model).column_attrs:
                key = attr.key
                if key in history.ALWAYS_HIDDEN or key in described.hidden or history._is_secret(key):
                    continue
                if key not in described.columns:
                    missing.append(f"{model.__tablename__}.{key}")
        assert missing == []


def test_values_follow_the_column_type(app):
    with app.test_request_context():
        measures = history.entity(Measure.__tablename__)
        workshops = history.entity(Workshop.__tablename__)
        assert history.format_value(measures, "status", "accepted") == "Angenommen"
        assert history.format_value(measures, "start_year", 2025) == "2025"
        assert history.format_value(workshops, "capacity", 1200) == "1200"
        assert history.format_value(workshops, "status", "no-such-state") == "no-such-state"
        assert history.format_value(measures, "field_id", 999) == "#999"
        assert history.action_label("something_new") == "Sonstige Änderung"


def test_section_history_speaks_the_ui_language(app, client, auth):
    from planner.strategy import services as strategy

    with app.app_context():
        staff = factories.user(Role.STRATEGY_TEAM, display_name="Sina Strategie")
        with audit.acting_as(staff.id, staff.email):
            strategy.save_section("foreword", staff, title="Vorwort", body="Erster Satz.", version=0)
            db.session.commit()
            strategy.save_section("foreword", staff, title="Vorwort", body="Zweiter Satz.", version=1)
            db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    assert "/strategy/sections/foreword/history" in client.get("/strategy/sections/foreword").get_data(as_text=True)
    text = text_of(client.get("/strategy/sections/foreword/history"))
    assert "Sina Strategie" in text and "Text: Erster Satz. → Zweiter Satz." in text
    assert "body" not in text and "paper_sections" not in text
    assert client.get("/strategy/sections/no-such-section/history").status_code == 404


def test_a_page_of_entries_costs_a_few_queries_not_one_per_entry(app):
    from sqlalchemy import event, select

    from planner.core.audit import AuditEntry

    with app.app_context():
        field = factories.field()
        for n in range(20):
            staff = factories.user(Role.STRATEGY_TEAM, display_name=f"Person {n}")
            author = factories.person(has_consent=True)
            with audit.acting_as(staff.id, staff.email):
                factories.measure(field=field, proposed_by=author, title=f"Maßnahme {n}")
        db.session.commit()
        db.session.expunge_all()
        # the measures' entries (the action field is audited too)
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "measures")
                                     .order_by(AuditEntry.id)).all()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            with app.test_request_context():
                readable = history.readable_entries(entries)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(readable) == 20 and readable[-1].actor == "Person 19"
        assert "Maßnahme 19" in readable[-1].record
        assert len(statements) <= 6, statements


def test_audit_log_finds_a_person_by_the_name_it_shows(app, client, auth, changed):
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/audit?actor=Sina"))
    assert "Mobilitätswerkstatt" in text and "Smart Parking" in text
    assert "Mobilitätswerkstatt" not in text_of(client.get("/privacy-requests/audit?actor=Nobody"))


def test_field_administration_reads_in_the_ui_language(app, client, auth):
    from planner.fields import services as fields

    with app.app_context():
        staff = factories.user(Role.STRATEGY_TEAM, display_name="Sina Strategie")
        with audit.acting_as(staff.id, staff.email):
            source = factories.field(code="ALT", name_de="Altes Feld")
            target = factories.field(code="NEU", name_de="Neues Feld")
            db.session.commit()
            fields.merge_fields(staff, source, target)
            retired = factories.field(code="RUH", name_de="Ruhendes Feld")
            db.session.commit()
            fields.retire_field(staff, retired)
            db.session.commit()
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/audit?entity=action_fields"))
    assert "Handlungsfeld" in text and "zusammengeführt" in text and "stillgelegt" in text
    assert "action_fields" not in text.replace("entity=action_fields", "") and "merged_into" not in text


def test_history_times_without_seconds_in_the_ui_locale(app):
    """A changed date reads as the pages show it: no seconds, 24-hour clock, day before month (en_GB)."""
    from flask_babel import force_locale

    moment = factories.aware(2030, 3, 6, 14, 5)
    with app.test_request_context():
        workshops = history.entity(Workshop.__tablename__)
        german = history.format_value(workshops, "starts_at", moment)
        assert german == "06.03.2030, 14:05"
        assert history.format_value(workshops, "starts_at", moment.isoformat()) == german
        with force_locale("en"):
            english = history.format_value(workshops, "starts_at", moment)
        assert english == "6 Mar 2030, 14:05"
        assert "PM" not in english and ":00" not in english
