"""GDPR: data export (Art. 15/20), erasure (Art. 17), requests by the person, consent, the audit log viewer."""

import importlib
import importlib.util
import json
from datetime import timedelta

import pytest

from planner.accounts.models import User
from planner.core.audit import AuditEntry
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.findings.models import Finding, Measure
from planner.people.models import Person
from planner.privacy import services
from planner.privacy.models import PrivacyRequest, RequestKind, RequestStatus
from planner.workshops.models import InvitationStatus, Participation, WorkshopStatus
from tests import factories
from tests.conftest import text_of


@pytest.fixture
def anna(app):
    """An expert with an account, consent, a participation, a finding and a measure."""
    with app.app_context():
        fld = factories.field()
        # Held: only held workshops name their participants in the concept paper.
        ws = factories.workshop(fields=[fld], title="Smart Health Workshop", status=WorkshopStatus.HELD,
                                starts_at=factories.aware(2022, 5, 4))
        org = factories.organisation(name="Universitätsklinikum Teststadt")
        person = factories.person(first_name="Anna", last_name="Beispielfrau", email="anna.b@example.org",
                                  organisation=org, fields=[fld], position="Oberärztin", has_consent=True,
                                  consent_at=utcnow() - timedelta(days=30),
                                  consent_text="Einwilligung in die Verarbeitung für die Workshops.")
        factories.participation(workshop=ws, person=person, invitation_status=InvitationStatus.ACCEPTED,
                                attended=True)
        finding = factories.finding(workshop=ws, field=fld, author=person, text="Telemedizin fehlt im Quartier")
        measure = factories.measure(field=fld, proposed_by=person, title="Telemedizin-Netzwerk")
        user = factories.user(email="anna.b@example.org", person=person, role=Role.EXPERT)
        db.session.commit()
        return {"person": person.id, "finding": finding.id, "measure": measure.id, "user": user.id,
                "workshop": ws.id, "org": org.id}


def test_export_holds_everything_about_the_person(app, anna):
    with app.app_context():
        person = db.session.get(Person, anna["person"])
        data = json.loads(json.dumps(services.export_person(None, person)))
        db.session.commit()
    assert data["person"]["first_name"] == "Anna" and data["person"]["email"] == "anna.b@example.org"
    assert data["organisation"]["name"] == "Universitätsklinikum Teststadt"
    assert data["consent"]["consent_text"].startswith("Einwilligung")
    assert [r["text"] for r in data["records"]["findings"]] == ["Telemedizin fehlt im Quartier"]
    assert [r["title"] for r in data["records"]["measures"]] == ["Telemedizin-Netzwerk"]
    participation = data["records"]["participations"][0]
    assert participation["_references"]["workshop_id"]["label"] == "Smart Health Workshop"
    assert data["records"]["person_fields"]
    assert [a["email"] for a in data["accounts"]] == ["anna.b@example.org"]
    assert "password_hash" not in json.dumps(data)
    with app.app_context():
        assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "privacy_export")) is not None


def test_erasure_anonymises_and_keeps_the_work(app, anna, client):
    with app.app_context():
        person = db.session.get(Person, anna["person"])
        services.erase_person(None, person)
        db.session.commit()
    with app.app_context():
        person = db.session.get(Person, anna["person"])
        assert person.full_name == f"Gelöschte Person #{anna['person']}"
        assert person.email == f"deleted-{anna['person']}@erased.invalid"
        assert not person.has_consent and person.consent_at is None and person.consent_text == ""
        assert person.position == "" and person.organisation_id is None and person.fields == []
        finding = db.session.get(Finding, anna["finding"])
        assert finding is not None and finding.author_id is None
        measure = db.session.get(Measure, anna["measure"])
        assert measure is not None and measure.proposed_by_id is None
        participation = db.session.scalar(db.select(Participation).where(Participation.person_id == anna["person"]))
        assert participation is not None and participation.attended is True
        user = db.session.get(User, anna["user"])
        assert not user.is_active_account and user.person_id is None and "anna" not in user.email
        # Nothing personal stays in the audit log.
        everything = json.dumps([[e.actor_label, e.changes, e.summary] for e in db.session.scalars(
            db.select(AuditEntry))], ensure_ascii=False)
        assert "anna.b@example.org" not in everything and "Beispielfrau" not in everything
        assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "privacy_erasure")) is not None
    # The account cannot sign in any more.
    response = client.post("/login", data={"email": "anna.b@example.org", "password": factories.PASSWORD})
    assert response.status_code == 200


def test_erasure_removes_the_name_from_the_concept_paper(app, anna):
    if importlib.util.find_spec("planner.strategy.rollup") is None:
        pytest.skip("planner.strategy.rollup is not there yet")
    rollup = importlib.import_module("planner.strategy.rollup")
    with app.app_context():
        factories.process()
        db.session.commit()
        before = rollup.rollup_to_json(rollup.build_rollup())
        assert "Beispielfrau" in before  # consented participants are named in the annex
        services.erase_person(None, db.session.get(Person, anna["person"]))
        db.session.commit()
        after = rollup.rollup_to_json(rollup.build_rollup())
    assert "Beispielfrau" not in after and "Anna" not in after


def test_erasure_removes_the_name_from_frozen_versions_and_says_so(app, anna):
    """Frozen versions never change, except this: Art. 17 removes the erased person's name from their annex."""
    from planner.strategy import versions
    from planner.strategy.exporters import exporter

    with app.app_context():
        factories.process()
        db.session.commit()
        frozen = versions.freeze_version(None)
        db.session.commit()
        number, before = frozen.number, frozen.rollup_json
        assert "Anna Beispielfrau" in before
        cached = versions.published_export(frozen, versions.version_rollup(frozen), "md",
                                           versions.published_exports_folder())
        assert "Beispielfrau" in cached.read_text()
        services.erase_person(None, db.session.get(Person, anna["person"]))
        db.session.commit()
        after = versions.get_version(number).rollup_json
        assert "Beispielfrau" not in after
        # Nothing else changed: with the name taken out of the annex, the frozen content is the same.
        expected = json.loads(before)
        for entry in expected["annex"]["organisations"]:
            entry["people"] = [p for p in entry["people"] if p != "Anna Beispielfrau"]
        assert json.loads(after) == expected
        assert not cached.exists(), "no cached download keeps the name"
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "redact"))
        assert entry is not None and "Art. 17" in entry.summary
        import io

        out = io.BytesIO()
        exporter("md")(versions.version_rollup(versions.get_version(number)), out)
        assert "Beispielfrau" not in out.getvalue().decode()


def test_erasure_twice_is_refused(app, anna):
    with app.app_context():
        person = db.session.get(Person, anna["person"])
        services.erase_person(None, person)
        db.session.commit()
        from planner.core.errors import DomainError

        with pytest.raises(DomainError):
            services.erase_person(None, db.session.get(Person, anna["person"]))


def test_admin_exports_and_erases_from_the_person_page(app, client, auth, anna):
    auth.login(Role.ADMIN)
    page = client.get(f"/people/{anna['person']}")
    if page.status_code == 200:  # the people package renders the object actions
        html = page.get_data(as_text=True)
        assert f"/privacy-requests/people/{anna['person']}" in html
    overview = client.get(f"/privacy-requests/people/{anna['person']}")
    assert overview.status_code == 200 and "findings" in text_of(overview)
    download = client.post(f"/privacy-requests/people/{anna['person']}/export")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.data)["person"]["last_name"] == "Beispielfrau"

    # Erasure needs the confirmation box.
    refused = client.post(f"/privacy-requests/people/{anna['person']}/erase", data={})
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.get(Person, anna["person"]).last_name == "Beispielfrau"
    done = client.post(f"/privacy-requests/people/{anna['person']}/erase", data={"confirm": "y"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Person, anna["person"]).last_name == f"#{anna['person']}"


def test_expert_sees_consent_and_downloads_own_data(app, client, anna):
    client.post("/login", data={"email": "anna.b@example.org", "password": factories.PASSWORD})
    page = text_of(client.get("/privacy-requests/me"))
    assert "Einwilligung in die Verarbeitung für die Workshops." in page
    assert "Beispielfrau" in page
    download = client.post("/privacy-requests/me/export")
    assert download.status_code == 200
    assert json.loads(download.data)["person"]["email"] == "anna.b@example.org"


def test_expert_requests_erasure_and_admin_confirms(app, client, anna):
    client.post("/login", data={"email": "anna.b@example.org", "password": factories.PASSWORD})
    assert client.post("/privacy-requests/me/erasure", data={"erasure-note": "Bitte alles löschen."}).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PrivacyRequest)) == 0  # not confirmed
    client.post("/privacy-requests/me/erasure", data={"erasure-note": "Bitte alles löschen.",
                                                      "erasure-confirm": "y"})
    client.post("/privacy-requests/me/erasure", data={"erasure-confirm": "y"})  # a second click: one request
    with app.app_context():
        requests = db.session.scalars(db.select(PrivacyRequest)).all()
        assert len(requests) == 1 and requests[0].kind == RequestKind.ERASURE
        request_id = requests[0].id
    client.post("/logout")

    admin = app.test_client()
    with app.app_context():
        factories.user(email="dsb@example.org", role=Role.ADMIN)
        db.session.commit()
    admin.post("/login", data={"email": "dsb@example.org", "password": factories.PASSWORD})
    listing = text_of(admin.get("/privacy-requests/"))
    assert "Bitte alles löschen." in listing and "Beispielfrau" in listing
    assert admin.post(f"/privacy-requests/{request_id}/confirm").status_code == 302
    with app.app_context():
        assert db.session.get(PrivacyRequest, request_id).status == RequestStatus.DONE
        assert services.is_erased(db.session.get(Person, anna["person"]))
    # Confirming again changes nothing and says so.
    again = admin.post(f"/privacy-requests/{request_id}/confirm", follow_redirects=True)
    assert again.status_code == 200


def test_withdrawn_consent_stops_at_once_and_anonymises_on_confirmation(app, client, auth, anna):
    client.post("/login", data={"email": "anna.b@example.org", "password": factories.PASSWORD})
    assert client.post("/privacy-requests/me/withdraw-consent", data={"consent-confirm": "y"}).status_code == 302
    with app.app_context():
        person = db.session.get(Person, anna["person"])
        assert not person.has_consent and person.last_name == "Beispielfrau"
        request = db.session.scalars(db.select(PrivacyRequest)).one()
        assert request.kind == RequestKind.CONSENT_WITHDRAWAL
        request_id = request.id
    client.post("/logout")
    auth.login(Role.ADMIN)
    client.post(f"/privacy-requests/{request_id}/confirm")
    with app.app_context():
        assert services.is_erased(db.session.get(Person, anna["person"]))


def test_admin_rejects_a_request(app, client, auth, anna):
    with app.app_context():
        request = PrivacyRequest(person_id=anna["person"], kind=RequestKind.ERASURE)
        db.session.add(request)
        db.session.commit()
        request_id = request.id
    auth.login(Role.ADMIN)
    assert client.post(f"/privacy-requests/{request_id}/reject").status_code == 302
    with app.app_context():
        assert db.session.get(PrivacyRequest, request_id).status == RequestStatus.REJECTED
        assert not services.is_erased(db.session.get(Person, anna["person"]))


def test_expert_without_person_sees_a_clear_message(app, client, auth):
    auth.login(Role.REVIEWER)
    page = client.get("/privacy-requests/me")
    assert page.status_code == 200
    assert "nicht mit einer Person im Planer verknüpft" in text_of(page)
    assert client.post("/privacy-requests/me/export").status_code == 404


def test_expert_cannot_export_someone_else(app, client, auth, anna):
    auth.login(Role.EXPERT)
    assert client.post(f"/privacy-requests/people/{anna['person']}/export").status_code == 403
    assert client.get(f"/privacy-requests/people/{anna['person']}").status_code == 403


# --- audit log viewer ------------------------------------------------------------------------------------------


def test_audit_log_viewer_filters_and_shows_before_after(app, client, auth):
    with app.app_context():
        fld = factories.field()
        m = factories.measure(field=fld, title="Alter Titel")
        db.session.commit()
        m.title = "Neuer Titel"
        db.session.commit()
        measure_id = m.id
    auth.login(Role.ADMIN)
    page = client.get(f"/privacy-requests/audit?entity=measures&entity_id={measure_id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Alter Titel → Neuer Titel" in text
    assert "2 " in text  # two entries: create and update
    today = local_today().isoformat()  # the filter reads days in the city's time zone
    assert "Neuer Titel" in text_of(client.get(f"/privacy-requests/audit?date_from={today}&date_to={today}"))
    assert "Neuer Titel" not in text_of(client.get("/privacy-requests/audit?date_to=2000-01-01"))
    assert "Neuer Titel" not in text_of(client.get("/privacy-requests/audit?actor=nobody-at-all"))
    # Nonsense filters are shown as errors, never a 500.
    assert client.get("/privacy-requests/audit?date_from=2022-13-45&entity_id=-1&entity=%00").status_code == 200


def test_audit_log_is_paginated(app, client, auth):
    with app.app_context():
        fld = factories.field()
        for n in range(60):
            factories.measure(field=fld, title=f"M{n}")
        db.session.commit()
    auth.login(Role.ADMIN)
    first = client.get("/privacy-requests/audit?entity=measures")
    assert 'rel="next"' in first.get_data(as_text=True)
    assert client.get("/privacy-requests/audit?entity=measures&page=2").status_code == 200
