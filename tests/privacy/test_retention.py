"""Retention: the periods in RETENTION, the dry-run report (page and CLI), the run (erasure, links, audit values,
uploads) and the archive bundle written before it (PDF/A-2b files and a manifest that matches them)."""

import csv
import hashlib
import io
import json
import re
import subprocess
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import select, update

from planner.config import DefaultConfig
from planner.core import audit
from planner.core.audit import AuditEntry
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from planner.findings.models import Finding, MeasureStatus
from planner.invitations.models import Invitation
from planner.people.models import Person
from planner.privacy import archive, retention
from planner.privacy.services import is_erased
from planner.strategy import services as strategy_services
from planner.strategy import versions
from planner.surveys.models import SurveyUpload
from planner.workshops.models import WorkshopStatus
from tests import factories
from tests.conftest import text_of

LONG_AGO = date.today() - timedelta(days=1200)



def _age(model, obj_id: int, days: int) -> None:
    moment = utcnow() - timedelta(days=days)
    db.session.execute(update(model).where(model.id == obj_id).values(created_at=moment, updated_at=moment))


@pytest.fixture
def old_process(app):
    """A process that ended 1,200 days ago: a held workshop then, a forgotten expert, an active one, links,
    an old audit entry by a staff member, an old upload, and a published version of the paper."""
    with app.app_context():
        factories.process()
        fld = factories.field(code="GES", name_de="Smart Health")
        factories.series(starts_on=LONG_AGO - timedelta(days=60), ends_on=LONG_AGO)
        ws = factories.workshop(title="Smart Health Werkstatt", fields=[fld], status=WorkshopStatus.HELD,
                                starts_at=factories.aware(LONG_AGO.year, LONG_AGO.month, LONG_AGO.day))
        gone = factories.person(first_name="Greta", last_name="Vergessen", email="greta@example.org",
                                has_consent=True)
        active = factories.person(first_name="Aktiv", last_name="Dabei", email="aktiv@example.org")
        staff = factories.user(role=Role.FACILITATOR, email="moderation@example.org", person=active)
        staff.last_login_at = utcnow() - timedelta(days=3)
        p1 = factories.participation(workshop=ws, person=gone, attended=True)
        p2 = factories.participation(workshop=ws, person=active, attended=True)
        for n, p in enumerate((p1, p2)):
            db.session.add(Invitation(participation=p, token_hash=f"{n:064d}", expires_at=utcnow()))
        finding = factories.finding(workshop=ws, field=fld, author=gone, text="Telemedizin fehlt")
        m = factories.measure(field=fld, title="Telemedizin-Netzwerk", status=MeasureStatus.ACCEPTED)
        m.workshop_id = ws.id
        db.session.flush()
        _age(Person, gone.id, 1300)
        _age(Finding, finding.id, 1200)
        _age(Person, active.id, 1300)
        with audit.acting_as(staff.id, "moderation@example.org"):
            entry = audit.record("support", m, summary=gone.full_name)
        db.session.flush()
        entry.at = utcnow() - timedelta(days=1200)
        token = "a" * 32 + ".upload"
        upload_dir = Path(app.instance_path) / "uploads"
        upload_dir.mkdir(exist_ok=True)
        (upload_dir / token).write_text("id;q1\n1;ja\n", encoding="utf-8")
        db.session.add(SurveyUpload(token=token, file_name="befragung.csv", file_size=11, sha256="0" * 64,
                                    title="Befragung", uploaded_at=utcnow() - timedelta(days=40)))
        strategy_services.save_section("foreword", None, title="Vorwort", body="Die Stadt plant.", version=0)
        version = versions.freeze_version(staff, "Beschlossen")
        version.published_at = utcnow() - timedelta(days=1100)
        db.session.commit()
        return {"gone": gone.id, "active": active.id, "entry": entry.id, "workshop": ws.id, "token": token,
                "measure": m.id}


def test_config_has_exactly_the_agreed_keys():
    assert DefaultConfig.RETENTION == {"inactive_people_days": 730, "invitation_links_days": 90,
                                       "audit_personal_values_days": 1095, "survey_uploads_days": 30}


def test_dry_run_lists_what_would_go_and_changes_nothing(app, old_process):
    with app.app_context():
        report = retention.retention_report(dry_run=True)
        assert report.process_end == LONG_AGO
        assert [i.label for i in report.people.items] == ["Greta Vergessen"]
        assert report.invitations.count == 2
        assert [i.id for i in report.audit.items] == [old_process["entry"]]
        assert [i.label for i in report.uploads.items] == ["befragung.csv"]
        assert not is_erased(db.session.get(Person, old_process["gone"]))
        assert db.session.scalar(select(db.func.count()).select_from(Invitation)) == 2


def test_nobody_is_removed_while_the_process_runs(app, old_process):
    with app.app_context():
        factories.series(starts_on=date.today(), ends_on=None)
        db.session.commit()
        report = retention.retention_report()
        assert report.process_end is None and report.people.count == 0
        assert report.invitations.count == 2  # links follow their own workshop


def test_run_erases_deletes_and_archives_first(app, old_process):
    with app.app_context():
        with audit.acting_as(None, "retention"):
            report = retention.apply_retention(None)
        db.session.commit()
        assert report.archive and zipfile.is_zipfile(report.archive)
        gone = db.session.get(Person, old_process["gone"])
        assert is_erased(gone) and "Greta" not in gone.full_name
        assert not is_erased(db.session.get(Person, old_process["active"]))
        assert db.session.scalar(select(db.func.count()).select_from(Invitation)) == 0
        entry = db.session.get(AuditEntry, old_process["entry"])
        assert entry.actor_id is None and entry.actor_label == "" and entry.summary == ""
        assert db.session.scalar(select(db.func.count()).select_from(SurveyUpload)) == 0
        assert not (Path(app.instance_path) / "uploads" / old_process["token"]).exists()
        # A second run finds nothing left.
        assert retention.retention_report().total == 0


def test_the_run_is_in_the_audit_log_in_the_ui_language(app, client, auth, old_process):
    with app.app_context(), audit.acting_as(None, "retention"):
        retention.apply_retention(None)
        db.session.commit()
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/audit?entity=retention"))
    assert "Aufbewahrungslauf" in text and "Aufbewahrungsfristen angewandt" in text
    assert "Personen ohne Aktivität: 1" in text and "Archivpaket: archiv-" in text
    assert "inactive_people_days" not in text


def test_admin_page_shows_the_report_in_german(app, client, auth, old_process):
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/retention"))
    assert "Aufbewahrung" in text and "Greta Vergessen" in text
    assert "Persönliche Einladungslinks" in text and "befragung.csv" in text
    assert "730 Tage" in text
    assert f"Maßnahme #{old_process['measure']}" in text and "measures" not in text


def test_cli_dry_run_and_run(app, runner, old_process):
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output and "Greta Vergessen" in result.output
    with app.app_context():
        assert not is_erased(db.session.get(Person, old_process["gone"]))
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "Archive bundle written first" in result.output
    with app.app_context():
        assert is_erased(db.session.get(Person, old_process["gone"]))


def test_archive_bundle_is_pdfa_with_a_matching_manifest(app, runner, old_process, tmp_path):
    target = tmp_path / "archiv.zip"
    result = runner.invoke(args=["archive", "export", "--output", str(target)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as bundle:
        names = set(bundle.namelist())
        manifest = json.loads(bundle.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode("utf-8-sig")), delimiter=";"))
        files = {e["file"]: e for e in manifest["files"]}
        assert names == set(files) | {"manifest.json", "manifest.csv"}
        assert {e["kind"] for e in files.values()} == {"paper_version", "workshop_minutes"}
        assert [r["file"] for r in rows] == [e["file"] for e in manifest["files"]]
        for name, entry in files.items():
            data = bundle.read(name)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
            pdf = tmp_path / name
            pdf.write_bytes(data)
            # PDF/A-2b: the XMP metadata declares part 2, conformance B (read by poppler's pdfinfo).
            meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True,
                                  check=True).stdout
            assert re.search(r"pdfaid:part(>|=\")2", meta) and re.search(r"pdfaid:conformance(>|=\")B", meta), meta
            # PDF/A also needs every font embedded and an output intent (sRGB).
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
            rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
            assert rows and all("yes" in row[-5:-3] for row in rows), fonts
            intents = pypdf.PdfReader(io.BytesIO(data)).trailer["/Root"]["/OutputIntents"]
            assert [i.get_object()["/S"] for i in intents] == ["/GTS_PDFA1"]
        minutes = next(n for n, e in files.items() if e["kind"] == "workshop_minutes")
        assert files[minutes]["title"] == "Smart Health Werkstatt"
    text = subprocess.run(["pdftotext", str(tmp_path / minutes), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Smart Health Werkstatt" in text and "Telemedizin fehlt" in text


def test_bad_settings_are_said_clearly_and_nothing_runs(app, client, auth, runner, old_process):
    app.config["RETENTION"] = {**DefaultConfig.RETENTION, "survey_uploads_days": 0}
    with app.app_context(), pytest.raises(retention.RetentionSettingsError):
        retention.settings()
    auth.login(Role.ADMIN)
    response = client.get("/privacy-requests/retention")
    assert response.status_code == 200
    assert "Die Aufbewahrungseinstellungen sind ungültig" in text_of(response)
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code != 0 and "survey_uploads_days" in result.output
    with app.app_context():
        assert not is_erased(db.session.get(Person, old_process["gone"]))


def test_the_worker_schedules_the_nightly_run_and_it_applies_retention(tmp_path, old_process, app):
    """The worker's Huey (not immediate) carries the periodic task; running it erases, archives and commits."""
    from huey import SqliteHuey

    from planner.jobs.queue import register_periodic

    huey = SqliteHuey("retention-test", filename=str(tmp_path / "queue.sqlite3"))
    assert "privacy.retention_daily" in register_periodic(app, huey)
    # What the worker's scheduler finds due at 02:30 UTC (and not at 03:00), run as the worker would run it.
    due = [t for t in huey.read_periodic(datetime(2030, 1, 1, 2, 30)) if t.name.endswith("privacy.retention_daily")]
    assert len(due) == 1
    assert not [t for t in huey.read_periodic(datetime(2030, 1, 1, 3, 0)) if t.name.endswith("retention_daily")]
    huey.execute(due[0])
    with app.app_context():
        assert is_erased(db.session.get(Person, old_process["gone"]))
        assert list((Path(app.instance_path) / "archive").glob("archiv-*.zip"))
        assert archive.PDF_VARIANT == "pdf/a-2b"


def test_long_lists_are_cut_on_the_page_but_applied_in_full(app, client, auth, old_process, monkeypatch):
    monkeypatch.setattr(retention, "ITEM_LIMIT", 1)
    with app.app_context():
        other = factories.person(first_name="Otto", last_name="Ohnespur")
        db.session.flush()
        _age(Person, other.id, 1300)
        db.session.commit()
        other_id = other.id
    auth.login(Role.ADMIN)
    text = text_of(client.get("/privacy-requests/retention"))
    assert "Aufgeführt sind die ersten 1 von 2." in text
    with app.app_context():
        report = retention.apply_retention(None)
        db.session.commit()
        assert report.people.count == 2
        assert is_erased(db.session.get(Person, other_id)) and is_erased(db.session.get(Person, old_process["gone"]))
