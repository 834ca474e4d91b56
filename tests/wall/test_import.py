"""The import fallback: Miro CSV, plain CSV, Etherpad text and Excalidraw JSON become cards; row errors refuse the
whole file."""

import io
import json

import pytest

from planner.core.errors import DomainError
from planner.extensions import db
from planner.findings.models import Finding
from planner.wall import importer
from tests.conftest import text_of

MIRO_CSV = ("Content;Type;Author\n"
            "Gutes Radnetz;Stärke;Anna\n"
            '"Zu wenige Ladesäulen, besonders im Norden";Schwäche;Ben\n'
            "Förderprogramm des Landes;Chance;Cem\n").encode("cp1252")
ETHERPAD = """Workshop Mobilität – Notizen

Stärken:
* Gutes Radnetz
* Dichtes ÖPNV-Netz
## Risiken
- Fachkräftemangel in der Verwaltung
""".encode()
EXCALIDRAW = json.dumps({"type": "excalidraw", "version": 2, "elements": [
    {"type": "rectangle", "id": "r1"},
    {"type": "text", "id": "t1", "text": "Sensoren\nan Bäumen", "originalText": "Sensoren\nan Bäumen",
     "containerId": "r1"},
    {"type": "text", "id": "t2", "text": "gelöscht", "isDeleted": True},
    {"type": "text", "id": "t3", "text": "Offene Daten"},
]}).encode()


def test_the_formats_become_rows_with_their_columns():
    miro = importer.parse(MIRO_CSV, 500)
    assert [(r.text, r.kind) for r in miro.rows] == [
        ("Gutes Radnetz", "strength"), ("Zu wenige Ladesäulen, besonders im Norden", "weakness"),
        ("Förderprogramm des Landes", "opportunity")]
    pad = importer.parse(ETHERPAD, 500)
    assert [(r.text, r.kind) for r in pad.rows] == [
        ("Workshop Mobilität – Notizen", None), ("Gutes Radnetz", "strength"), ("Dichtes ÖPNV-Netz", "strength"),
        ("Fachkräftemangel in der Verwaltung", "risk")]
    drawing = importer.parse(EXCALIDRAW, 500)
    assert [r.text for r in drawing.rows] == ["Sensoren an Bäumen", "Offene Daten"]
    plain = importer.parse(b"Eine Karte\nNoch eine Karte\n", 500)
    assert [r.text for r in plain.rows] == ["Eine Karte", "Noch eine Karte"]


def test_row_errors_name_their_line():
    parsed = importer.parse(("text;kind\nGut;Stärke\n" + "x" * 600 + ";Risiko\nAnders;Sonstiges\n").encode(), 500)
    assert [(line, str(message)[:30]) for line, message in parsed.errors] == [
        (4, "Unknown column “Sonstiges”."), (3, "The card has 600 characters; a")]
    with pytest.raises(DomainError):
        importer.parse(b"{not json", 500)
    with pytest.raises(DomainError):
        importer.parse(b"", 500)


def _upload(client, wall_id, data, name, **form):
    return client.post(f"/wall/{wall_id}/import", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def _wall_id(client, auth, scene):
    auth.login_as(scene.facilitator_email)
    client.get(f"/wall/block/{scene.status_block_id}")
    from planner.wall.models import Wall

    with client.application.app_context():
        return db.session.query(Wall).filter_by(agenda_block_id=scene.status_block_id).one().id


def test_preview_then_all_cards_become_numbered_findings(client, auth, scene):
    wall_id = _wall_id(client, auth, scene)
    assert client.get(f"/wall/{wall_id}/import").status_code == 200
    preview = _upload(client, wall_id, MIRO_CSV, "board.csv", kind="risk", field=str(scene.field_id))
    page = text_of(preview)
    assert "Vorschau" in page and "Zu wenige Ladesäulen, besonders im Norden" in page
    with client.application.app_context():
        assert db.session.query(Finding).count() == 0
    payload = preview.get_data(as_text=True).split('name="payload" value="')[1].split('"')[0]
    import html

    done = client.post(f"/wall/{wall_id}/import", data={"step": "import", "payload": html.unescape(payload),
                                                        "kind": "risk", "field": str(scene.field_id)},
                       follow_redirects=True)
    assert "3 Karten wurden importiert." in text_of(done)
    assert "MOB-S03" in text_of(done)
    with client.application.app_context():
        assert sorted(f.kind.value for f in db.session.query(Finding)) == ["opportunity", "strength", "weakness"]


def test_a_file_with_row_errors_imports_nothing(client, auth, scene):
    wall_id = _wall_id(client, auth, scene)
    bad = _upload(client, wall_id, "text;kind\nGut;Stärke\nAnders;Sonstiges\n".encode(), "x.csv", kind="risk",
                  field=str(scene.field_id))
    page = text_of(bad)
    assert "Zeile 3:" in page and "Unbekannte Spalte „Sonstiges“." in page
    assert 'name="step" value="import"' not in bad.get_data(as_text=True)
    forced = client.post(f"/wall/{wall_id}/import", data={
        "step": "import", "payload": json.dumps([{"line": 2, "text": "Gut", "kind": "need"}]), "kind": "risk",
        "field": str(scene.field_id)})
    assert "nichts wurde importiert" in text_of(forced)
    empty = client.post(f"/wall/{wall_id}/import", data={"step": "preview"}, follow_redirects=True)
    assert "Bitte wählen Sie eine Datei." in text_of(empty)
    with client.application.app_context():
        assert db.session.query(Finding).count() == 0
