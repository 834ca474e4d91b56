"""The registry of where personal data lives: every store is exported and erased; nothing is left behind.

The erasure test of issue 18: a person appears everywhere (findings, supports, invitations, mails, exports made by
real jobs, a frozen and a published version, uploads, the job queue, a log file, the audit log); after the erasure
no file under the instance folder, no database file (nor its WAL) and no row holds their name or e-mail address.
With ``--postgres`` the database is searched by queries instead of by its files.
"""

import gzip
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Integer, String, Table, Text, cast, or_, select

from planner.core import audit
from planner.core.audit import AuditEntry
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from planner.jobs.models import Job, JobStatus
from planner.people.models import Person
from planner.privacy import registry, services
from planner.workshops.models import InvitationStatus
from tests import factories
from tests.conftest import text_of

NAME = "Anna Beispielfrau"
EMAIL = "anna.beispielfrau@example.org"
NEEDLES = (NAME.encode(), EMAIL.encode(), b"Beispielfrau", b"anna.beispielfrau")


def _file_hits(root: Path) -> list[str]:
    """Files under ``root`` whose bytes or whose readable text (mail, DOCX, PDF) holds the name or the address."""
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        raw = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).lower()
        text = registry.file_text(path).lower()
        for needle in NEEDLES:
            if needle.lower() in raw or needle.decode().lower() in " ".join(text.split()):
                hits.append(f"{path.relative_to(root)}: {needle.decode()}")
    return hits


def _row_hits() -> list[str]:
    """Rows of any table whose text or JSON columns hold the name or the address (a query per table)."""
    hits = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        patterns = [f"%{n.decode()}%" for n in NEEDLES]
        where = or_(*[cast(c, Text).ilike(p) for c in columns for p in patterns])
        count = db.session.scalar(select(db.func.count()).select_from(table).where(where))
        if count:
            hits.append(f"{table.name}: {count}")
    return hits


@pytest.fixture
def everywhere(app, client, auth):
    """Anna appears in every store of the registry; returns ids and the admin's client."""
    from planner.invitations import services as invitations
    from planner.jobs.services import enqueue
    from planner.people import uploads as people_uploads
    from planner.site.models import AccessibilityFeedback
    from planner.strategy import versions
    from planner.strategy.models import PaperVersion
    from planner.strategy.tasks import EXPORT
    from planner.surveys import services as surveys
    from tests.surveys.helpers import ROWS, csv_bytes

    with app.app_context():
        factories.process()
        fld = factories.field(code="GES", name_de="Smart Health", name_en="Smart health")
        org = factories.organisation(name="Universitätsklinikum Teststadt")
        anna = factories.person(first_name="Anna", last_name="Beispielfrau", email=EMAIL, organisation=org,
                                fields=[fld], position="Oberärztin", has_consent=True, consent_at=utcnow(),
                                consent_text="Einwilligung für die Workshops.")
        user = factories.user(email=EMAIL, person=anna, role=Role.EXPERT, display_name=NAME)
        held = factories.workshop(fields=[fld], title="Smart Health Workshop")
        factories.participation(workshop=held, person=anna, invitation_status=InvitationStatus.ACCEPTED,
                                attended=True)
        factories.finding(workshop=held, field=fld, author=anna, text="Telemedizin fehlt im Quartier")
        measure = factories.measure(field=fld, proposed_by=anna, title="Telemedizin-Netzwerk")
        staff = factories.user(role=Role.STRATEGY_TEAM, email="strategie-test@example.org")
        facilitator = factories.user(role=Role.FACILITATOR, email="moderation-test@example.org")
        db.session.commit()
        from planner.findings import services as findings

        # She supports a colleague's measure (nobody supports their own): the audit entry (the old ones named her:
        # one is added below).
        findings.toggle_support(user, factories.measure(field=fld, title="Patientenportal"))
        findings.add_comment(user, measure, "Bitte mit dem Pflegedienst abstimmen.")
        # Colleagues name her in what they write.
        colleague = factories.person(first_name="Carla", last_name="Kollegin", email="carla@example.org")
        factories.finding(workshop=held, field=fld, author=colleague, text=f"Ansprechpartnerin: {NAME}, Klinikum")
        findings.add_comment(staff, measure, f"Rückfragen bitte an {EMAIL}")
        audit.record("support", measure, summary=NAME)  # as the writer did before issue 18
        # An invitation to a planned workshop: a personal link and a mail in the outbox.
        planned = factories.workshop(fields=[fld], title="Telemedizin-Werkstatt",
                                     starts_at=utcnow().replace(year=utcnow().year + 1),
                                     ends_at=utcnow().replace(year=utcnow().year + 1, hour=23))
        invitations.invite_people(facilitator, planned, [anna])
        db.session.add(AccessibilityFeedback(message="Kontrast zu schwach", page="/", contact_email=EMAIL))
        # A frozen and a published version name her in the participants annex.
        first = versions.freeze_version(staff)
        second = versions.freeze_version(staff)
        db.session.execute(PaperVersion.__table__.update().where(PaperVersion.__table__.c.id == second.id)
                           .values(published_at=utcnow()))
        db.session.commit()
        assert NAME in first.rollup_json
        # Exports by real jobs (run at once in tests, after the commit): DOCX and PDF of the draft.
        jobs = [enqueue("paper_export", EXPORT, actor_id=staff.id, fmt=fmt, locale="de") for fmt in ("docx", "pdf")]
        db.session.commit()
        job_ids = [j.id for j in jobs]
        # Uploads waiting for confirmation: a people import and a survey with her address for the prize draw.
        people_uploads.store_upload(f"first_name;last_name;email\nAnna;Beispielfrau;{EMAIL}\n".encode(), staff.id)
        from tests.surveys.factories import mob_field

        mob_field()
        rows = [list(r) for r in ROWS]
        rows[0][2] = EMAIL
        surveys.store_upload(staff, io.BytesIO(csv_bytes(rows=rows)), "welle.csv", surveys.UploadMeta("Welle"),
                             app.instance_path)
        db.session.commit()
        ids = {"person": anna.id, "user": user.id, "jobs": job_ids, "staff": staff.id, "measure": measure.id}
    # A queued task that carries her address, in the job queue's SQLite database.
    huey = app.extensions["huey"]
    huey.immediate = False
    try:
        mail_task = huey.task(name="tests.privacy.mail")(lambda to, name: None)
        mail_task(EMAIL, NAME)
    finally:
        huey.immediate = True
    # A log line naming her.
    logs = Path(app.instance_path) / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "planner.log").write_text(f"2026-12-03 ERROR mail to {EMAIL} failed\n2026-12-03 INFO started\n")
    (logs / "planner.log.2.gz").write_bytes(gzip.compress(f"2026-12-01 WARNING {NAME} bounced\n".encode()))
    # The published version's cached download (made by an anonymous request).
    download = client.get("/strategy/published/2/export?format=md")
    assert download.status_code == 200 and NAME in download.get_data(as_text=True)
    download.close()
    return ids


def test_erasure_leaves_the_person_nowhere(app, client, auth, everywhere, tmp_path):
    instance = Path(app.instance_path)
    # Before: every kind of store holds her.
    before = _file_hits(tmp_path)
    for place in ("outbox/", "jobs/", "published-exports/", "uploads/", "huey.sqlite3", "logs/planner.log"):
        assert any(hit.startswith("instance/" + place) for hit in before), (place, before)
    with app.app_context():
        assert _row_hits()
        assert (instance / "huey.sqlite3").is_file()

    auth.login(Role.ADMIN)
    done = client.post(f"/privacy-requests/people/{everywhere['person']}/erase", data={"confirm": "y"})
    assert done.status_code == 302

    with app.app_context():
        assert _row_hits() == []
        person = db.session.get(Person, everywhere["person"])
        assert services.is_erased(person)
        # The jobs whose files named her say so and offer no download.
        for job_id in everywhere["jobs"]:
            job = db.session.get(Job, job_id)
            assert job.status == JobStatus.DONE and job.result_path is None and "Art. 17" in job.message
        from planner.findings.models import Finding

        texts = db.session.scalars(select(Finding.text).order_by(Finding.id)).all()
        assert "Ansprechpartnerin: [erased], Klinikum" in texts  # the colleague's finding stays, without her
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy_erasure"))
        assert entry.changes["outbox"] >= 1 and entry.changes["job_files"] == 2
    # No file of the installation holds her any more: instance folder, database and its WAL, job queue.
    assert _file_hits(tmp_path) == []
    assert (instance / "logs" / "planner.log").read_text().count("INFO started") == 1
    rotated = gzip.decompress((instance / "logs" / "planner.log.2.gz").read_bytes())
    assert rotated == b"2026-12-01 WARNING [erased] bounced\n"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        assert database.is_file() and database.is_relative_to(tmp_path)
        wal = database.with_name(database.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    # The people who used the planner see the results of the erasure.
    assert client.get(f"/jobs/{everywhere['jobs'][0]}/download").status_code == 404
    page = client.get("/strategy/published/2/export?format=md")
    assert page.status_code == 200 and NAME not in page.get_data(as_text=True)
    page.close()
    history = text_of(client.get(f"/findings/measures/{everywhere['measure']}/history"))
    assert "Beispielfrau" not in history


def test_the_export_walks_every_store(app, client, auth, everywhere):
    auth.login(Role.ADMIN)
    download = client.post(f"/privacy-requests/people/{everywhere['person']}/export")
    assert download.status_code == 200
    data = json.loads(download.data)
    for store in registry.stores():
        assert store.key in data or store.key in ("people",), store.key
    assert {s["key"] for s in data["stores"]} == {s.key for s in registry.stores()}
    assert data["person"]["email"] == EMAIL
    assert data["records"]["findings"][0]["text"] == "Telemedizin fehlt im Quartier"
    assert data["account_records"]["finding_comments"][0]["text"] == "Bitte mit dem Pflegedienst abstimmen."
    assert data["invitations"]["invitations"]
    assert data["email_tables"]["accessibility_feedback"][0]["message"] == "Kontrast zu schwach"
    assert [v["version"] for v in data["paper_versions"]] == [1, 2]
    assert len([j for j in data["job_files"] if "file" in j]) == 2
    assert data["outbox"] and EMAIL in data["outbox"][0]["to"]
    assert len(data["uploads"]) >= 2
    assert data["job_queue"]["queued_tasks_naming_the_person"] == 1
    assert {f["file"]: f["lines"] for f in data["log_files"]} == {
        "logs/planner.log": [f"2026-12-03 ERROR mail to {EMAIL} failed"],
        "logs/planner.log.2.gz": [f"2026-12-01 WARNING {NAME} bounced"]}
    assert any(e["action"] == "support" for e in data["audit_log"])
    assert "password_hash" not in json.dumps(data)
    assert [r["texts"]["text"] for r in data["free_text"]["findings"]] == [f"Ansprechpartnerin: {NAME}, Klinikum"]
    assert [r["texts"]["text"] for r in data["free_text"]["finding_comments"]] == [f"Rückfragen bitte an {EMAIL}"]


def test_support_of_a_measure_is_audited_without_the_name(ctx):
    from planner.findings import services as findings

    fld = factories.field()
    person = factories.person(first_name="Berta", last_name="Unterstützerin")
    user = factories.user(person=person)
    measure = factories.measure(field=fld)
    db.session.commit()
    findings.toggle_support(user, measure)
    findings.toggle_support(user, measure)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(("support", "unsupport")))).all()
    assert [e.action for e in entries] == ["support", "unsupport"]
    assert all("Unterstützerin" not in e.summary + json.dumps(e.changes) for e in entries)
    assert entries[0].changes == {"person_id": [None, person.id]}


# --- the registry covers every table -------------------------------------------------------------------------


def test_every_table_with_personal_columns_is_covered_by_a_store(ctx):
    assert registry.uncovered_personal_tables() == []


def test_a_new_table_is_picked_up_or_reported(ctx):
    """A table keyed by an e-mail address (a mail outbox) is covered without a change to the registry; a table
    with names of people that no store knows makes the test above fail."""
    outbox = Table("test_outgoing_mails", db.metadata, Column("id", Integer, primary_key=True),
                   Column("recipient", String(254)), Column("message", Text))
    names = Table("test_contacts", db.metadata, Column("id", Integer, primary_key=True),
                  Column("contact_name", String(200)))
    try:
        assert "test_outgoing_mails" in registry.covered_tables()
        assert registry.uncovered_personal_tables() == ["test_contacts"]
    finally:
        db.metadata.remove(outbox)
        db.metadata.remove(names)


def test_every_store_declares_what_the_record_of_processing_needs(ctx):
    for store in registry.stores():
        assert store.key and str(store.label) and str(store.purpose) and str(store.location)
        assert store.data_categories and store.people_categories and store.recipients
        assert store.retention_key in (None, *registry.RETENTION_DEFAULTS)
        assert str(store.retention_note)
        assert callable(store.export) and callable(store.erase)


def test_throttling_counters_keyed_by_the_address_are_removed(app, tmp_path):
    from tests.conftest import make_test_app

    (tmp_path / "limited").mkdir()
    # Counters in memory (or Redis) are keyed by the address itself; the default database storage keeps only an
    # HMAC of the key (test_counters_in_the_database_name_nobody).
    limited = make_test_app(tmp_path / "limited", RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    with limited.app_context():
        db.create_all()
    client = limited.test_client()
    for _ in range(3):
        client.post("/login", data={"email": EMAIL, "password": "falsch-falsch-falsch"})
    with limited.app_context():
        person = factories.person(first_name="Anna", last_name="Beispielfrau", email=EMAIL)
        db.session.commit()
        subject = registry.Subject.of(person)
        assert registry.get_store("rate_limits").export(subject)["counters_keyed_by_the_address"] >= 1
        assert registry.get_store("rate_limits").erase(subject) >= 1
        assert registry.get_store("rate_limits").export(subject)["counters_keyed_by_the_address"] == 0


def test_counters_in_the_database_name_nobody(tmp_path):
    from planner.accounts.limits import RateLimitCounter
    from tests.conftest import make_test_app

    (tmp_path / "db-limited").mkdir()
    limited = make_test_app(tmp_path / "db-limited", RATELIMIT_ENABLED=True)
    with limited.app_context():
        db.create_all()
    client = limited.test_client()
    for _ in range(3):
        client.post("/login", data={"email": EMAIL, "password": "falsch-falsch-falsch"})
    with limited.app_context():
        keys = db.session.scalars(db.select(RateLimitCounter.key)).all()
        assert keys and not any(EMAIL in key or "@" in key for key in keys)
        db.session.remove()
        db.engine.dispose()


# --- the record of processing activities (Art. 30) -----------------------------------------------------------


def test_record_of_processing_page_and_docx(app, client, auth):
    import docx

    app.config["RETENTION"] = {"inactive_people_days": 365}
    auth.login(Role.ADMIN)
    assert "/privacy-requests/record" in client.get("/privacy-requests/").get_data(as_text=True)
    page = text_of(client.get("/privacy-requests/record"))
    assert "Verzeichnis von Verarbeitungstätigkeiten" in page
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("de"):
        for store in registry.stores():
            assert str(store.label) in page
    assert "365 Tage" in page and "90 Tage" in page  # configured, and the default of the links
    assert "Technische und organisatorische Maßnahmen" in page

    download = client.get("/privacy-requests/record.docx")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(download.data))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "Verzeichnis von Verarbeitungstätigkeiten" in text and "Aufbewahrungsfristen" in text
    assert "E-Mails im Postausgangsordner" in text  # a store's heading
    assert "365 Tage" in cells and "Zweck" in cells and "Empfänger" in cells

    auth.logout()
    auth.login(Role.STRATEGY_TEAM)
    assert client.get("/privacy-requests/record").status_code == 403
    assert client.get("/privacy-requests/record.docx").status_code == 403


def test_the_migration_takes_names_out_of_existing_support_entries(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.conftest import make_test_app

    app = make_test_app(tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision="0d95e3a9d098")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO people (id, first_name, last_name, title, email, position, has_consent, "
                              "consent_text, is_fictional, created_at, updated_at) VALUES (7, 'Berta', "
                              "'Unterstützerin', 'Dr.', 'b@example.org', '', false, '', false, :now, :now)"),
                         {"now": utcnow()})
            for action, summary in (("support", "Dr. Berta Unterstützerin"), ("unsupport", "Dr. Berta Unterstützerin"),
                                    ("support", "Nicht Mehr Da"), ("merge", "M1 → M2")):
                conn.execute(text("INSERT INTO audit_log (at, actor_label, action, entity, entity_id, changes, "
                                  "summary) VALUES (:now, '', :action, 'measures', 1, '{}', :summary)"),
                             {"now": utcnow(), "action": action, "summary": summary})
        upgrade()
        rows = db.session.execute(select(AuditEntry.action, AuditEntry.summary, AuditEntry.changes)
                                  .order_by(AuditEntry.id)).all()
        assert [tuple(r) for r in rows] == [
            ("support", "", {"person_id": [None, 7]}),
            ("unsupport", "", {"person_id": [7, None]}),
            ("support", "", {}),
            ("merge", "M1 → M2", {}),
        ]
        db.session.remove()
        downgrade(revision="0d95e3a9d098")  # possible, and keeps the names out
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def test_a_subject_matches_the_person_and_no_one_else(ctx):
    subject = registry.Subject(person_id=1, first_name="Anna", last_name="Beispiel", full_name="Dr. Anna Beispiel",
                               email="anna@example.org", organisation=None)
    assert subject.mentions("To: Anna Beispiel <ANNA@example.org>")
    assert subject.mentions("Teilnehmende: Dr. Anna\nBeispiel (Klinikum)")  # a line break in a PDF
    assert subject.mentions(b"account:anna@example.org/login")
    for other in ("hanna@example.org", "anna@example.org.uk", "johanna@example.org", "Johanna Beispiel",
                  "Anna Beispielmann", "maria.anna@example.org"):
        assert not subject.mentions(other), other
    assert subject.redact("Mail an anna@example.org und hanna@example.org von Dr. Anna Beispiel") == \
        "Mail an [erased] und hanna@example.org von [erased]"


def test_erasure_leaves_other_peoples_records_alone(ctx):
    from planner.site.models import AccessibilityFeedback

    anna = factories.person(first_name="Anna", last_name="Beispiel", email="anna@example.org")
    db.session.add_all([AccessibilityFeedback(message="Kontrast", contact_email="hanna@example.org"),
                        AccessibilityFeedback(message="Fokus", contact_email="Anna@Example.org")])
    db.session.commit()
    services.erase_person(None, anna)
    db.session.commit()
    left = db.session.execute(select(AccessibilityFeedback.message, AccessibilityFeedback.contact_email)
                              .order_by(AccessibilityFeedback.id)).all()
    assert [tuple(r) for r in left] == [("Kontrast", "hanna@example.org"), ("Fokus", "")]  # the report stays


def test_a_table_that_is_the_mail_loses_its_rows(ctx):
    """A mail outbox table (another package's) declares that its rows go with the address."""
    from sqlalchemy import insert

    outbox = Table("test_outgoing_mails", db.metadata, Column("id", Integer, primary_key=True),
                   Column("to_address", String(254)), Column("message", Text), info={"erase_rows": True})
    try:
        outbox.create(db.engine)
        db.session.execute(insert(outbox).values([{"to_address": EMAIL, "message": "Hallo"},
                                                  {"to_address": "carla@example.org", "message": f"Über {NAME}"}]))
        anna = factories.person(first_name="Anna", last_name="Beispielfrau", email=EMAIL)
        db.session.commit()
        data = services.export_person(None, anna)
        assert data["email_tables"]["test_outgoing_mails"][0]["message"] == "Hallo"
        services.erase_person(None, anna)
        db.session.commit()
        rows = db.session.execute(select(outbox.c.to_address, outbox.c.message)).all()
        assert [tuple(r) for r in rows] == [("carla@example.org", "Über [erased]")]
    finally:
        db.session.remove()
        outbox.drop(db.engine)
        db.metadata.remove(outbox)


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free port for the test (Debian package redis-server)."""
    import shutil
    import socket
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: apt-get install -y redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_queued_tasks_and_counters_in_redis_are_erased(tmp_path, redis_url):
    from tests.conftest import make_test_app

    app = make_test_app(tmp_path, HUEY_REDIS_URL=redis_url, HUEY_IMMEDIATE=False, RATELIMIT_ENABLED=True,
                        RATELIMIT_STORAGE_URI=redis_url)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    for address in (EMAIL, "hanna.beispielfrau@example.org"):
        client.post("/login", data={"email": address, "password": "falsch-falsch-falsch"})
    huey = app.extensions["huey"]
    mail_task = huey.task(name="tests.privacy.redis_mail")(lambda to, name: None)
    mail_task(EMAIL, NAME)
    mail_task("hanna.beispielfrau@example.org", "Hanna Beispielfrau")
    with app.app_context():
        person = factories.person(first_name="Anna", last_name="Beispielfrau", email=EMAIL)
        db.session.commit()
        subject = registry.Subject.of(person)
        assert registry.get_store("job_queue").export(subject) == {"queued_tasks_naming_the_person": 1}
        assert registry.get_store("rate_limits").export(subject)["counters_keyed_by_the_address"] >= 1
        services.erase_person(None, person)
        db.session.commit()
        assert registry.get_store("job_queue").export(subject) == {"queued_tasks_naming_the_person": 0}
        assert registry.get_store("rate_limits").export(subject)["counters_keyed_by_the_address"] == 0
    assert huey.pending_count() == 1  # Hanna's mail is still queued
    huey.flush()


def test_a_merge_of_duplicates_is_audited_without_names_and_erased_with_the_person(ctx):
    from planner.people.services import merge_people

    keep = factories.person(first_name="Anna", last_name="Beispielfrau", email=EMAIL)
    duplicate = factories.person(first_name="Anna", last_name="Beispiel-Frau", email="a.beispiel-frau@example.org")
    db.session.commit()
    merge_people(None, keep, duplicate)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "merge"))
    assert "Beispiel" not in entry.summary and entry.changes["merged_email"] == "a.beispiel-frau@example.org"
    services.erase_person(None, db.session.get(Person, keep.id))
    db.session.commit()
    everything = json.dumps([[e.summary, e.changes] for e in db.session.scalars(select(AuditEntry))])
    assert "beispiel" not in everything.lower()


def test_a_version_naming_the_person_elsewhere_is_redacted_too(ctx):
    from planner.strategy import versions
    from planner.strategy.models import PaperVersion

    factories.process()
    fld = factories.field()
    anna = factories.person(first_name="Anna", last_name="Beispielfrau", email=EMAIL)
    factories.finding(field=fld, workshop=factories.workshop(fields=[fld]),
                      text=f"Rückfragen an {EMAIL} (Anna Beispielfrau)")
    db.session.commit()
    frozen = versions.freeze_version(None)
    db.session.commit()
    assert EMAIL in frozen.rollup_json
    services.erase_person(None, anna)
    db.session.commit()
    stored = db.session.scalar(select(PaperVersion.rollup_json))
    assert EMAIL not in stored and NAME not in stored and "Rückfragen an [erased] ([erased])" in stored
    versions.version_rollup(versions.get_version(frozen.number))  # still opens
