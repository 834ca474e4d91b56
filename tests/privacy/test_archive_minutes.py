"""The archive bundle holds each held workshop's approved minutes (Protokoll) as PDF/A-2b with its index entry in
both manifests; minutes not approved yet (not sent, workshop not marked documented) and empty ones stay out."""

import csv
import hashlib
import io
import json
import re
import subprocess
import zipfile

from planner.extensions import db
from planner.minutes import services as minutes_services
from planner.minutes.outline import MinutesText
from planner.workshops.models import WorkshopStatus
from tests import factories
from tests.minutes.helpers import held_workshop, pdf_text

TEXT = MinutesText(summary="Wir haben den Status quo der Mobilität erhoben.", decisions="- Smart Parking prüfen",
                   open_points="- Datenlage zu Ladesäulen", next_steps="- Steckbriefe bis Mai ergänzen")


def _bundle(runner, tmp_path):
    target = tmp_path / "archiv.zip"
    result = runner.invoke(args=["archive", "export", "--output", str(target)])
    assert result.exit_code == 0, result.output
    return zipfile.ZipFile(target)


def test_the_bundle_holds_the_approved_minutes_with_their_index_entry(app, runner, tmp_path):
    with app.app_context():
        held = held_workshop(status=WorkshopStatus.DOCUMENTED)  # documented: its minutes stand
        minutes_services.save_minutes(held.facilitator, held.workshop, TEXT)
        # Held but neither documented nor sent: a draft of the minutes, not for the archive.
        draft = factories.workshop(title="Noch im Entwurf", status=WorkshopStatus.HELD,
                                   starts_at=factories.aware(2022, 4, 1, 9), ends_at=factories.aware(2022, 4, 1, 16))
        minutes_services.save_minutes(held.facilitator, draft, MinutesText(summary="Entwurf des Protokolls"))
        # Documented without minutes written: nothing to archive as minutes.
        factories.workshop(title="Ohne Protokoll", status=WorkshopStatus.DOCUMENTED,
                           starts_at=factories.aware(2022, 4, 8, 9), ends_at=factories.aware(2022, 4, 8, 16))
        db.session.commit()
        wid = held.workshop.id
    with _bundle(runner, tmp_path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode("utf-8-sig")), delimiter=";"))
        entries = [e for e in manifest["files"] if e["kind"] == "approved_minutes"]
        assert [e["file"] for e in entries] == [f"protokoll-2022-03-18-{wid}.pdf"]
        (entry,) = entries
        assert entry["title"] == "Protokoll: Mobilität der Zukunft" and entry["date"] == "2022-03-18"
        assert entry["pdf_variant"] == "pdf/a-2b"
        (row,) = [r for r in rows if r["kind"] == "approved_minutes"]
        assert row["file"] == entry["file"] and row["sha256"] == entry["sha256"]
        data = bundle.read(entry["file"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        # The documentation of all three held workshops is still there beside it.
        assert len([e for e in manifest["files"] if e["kind"] == "workshop_minutes"]) == 3
    pdf = tmp_path / entry["file"]
    pdf.write_bytes(data)
    meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"pdfaid:part(>|=\")2", meta) and re.search(r"pdfaid:conformance(>|=\")B", meta), meta
    text = pdf_text(pdf)
    for expected in ("Protokoll: Mobilität der Zukunft", "Wir haben den Status quo der Mobilität erhoben.",
                     "Smart Parking prüfen", "Teilnahme nach Sektoren", "MOB-B01 Dichtes ÖPNV-Netz"):
        assert expected in text, expected
    assert "Entwurf des Protokolls" not in text


def test_minutes_sent_to_the_participants_count_as_approved(app, runner, tmp_path):
    with app.app_context():
        held = held_workshop(status=WorkshopStatus.HELD)
        minutes_services.save_minutes(held.facilitator, held.workshop, TEXT)
        db.session.commit()
        assert minutes_services.approved_minutes() == []
        minutes_services.minutes_of(held.workshop).sent_at = factories.aware(2022, 3, 20, 10)
        db.session.commit()
        assert [m.workshop_id for m in minutes_services.approved_minutes()] == [held.workshop.id]
    with _bundle(runner, tmp_path) as bundle:
        kinds = [e["kind"] for e in json.loads(bundle.read("manifest.json"))["files"]]
        assert kinds.count("approved_minutes") == 1
