"""Vor dem Start: Die Administration öffnet das Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO) über die
Datenschutz-Anfragen, prüft es im Browser und lädt es als DOCX für die Datenschutzbeauftragte herunter."""

import io

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_accessible, login, nu_errors, screenshot

pytestmark = pytest.mark.e2e
JOURNEY = "privacy-record"


def test_verarbeitungsverzeichnis(page, live_server):
    import docx

    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server.url}/privacy-requests/")
    page.get_by_role("link", name="Verarbeitungsverzeichnis").click()
    heading = page.get_by_role("heading", name="Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)", level=1)
    assert heading.is_visible()
    assert page.get_by_role("heading", name="E-Mails im Postausgangsordner", level=3).is_visible()
    assert page.get_by_text("730 Tage: nach dem Ende des Prozesses ohne Aktivität, danach gelöscht").is_visible()
    assert_accessible(page, "Verarbeitungsverzeichnis")
    screenshot(page, JOURNEY, "verzeichnis")
    html = ARTIFACTS / "html" / JOURNEY
    html.mkdir(parents=True, exist_ok=True)
    (html / "record.html").write_text(page.content(), encoding="utf-8")
    assert nu_errors([html / "record.html"]) == []

    with page.expect_download() as info:
        page.get_by_role("link", name="Als DOCX herunterladen").click()
    download = info.value
    assert download.suggested_filename == "verarbeitungsverzeichnis.docx"
    from pathlib import Path

    document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    assert document.paragraphs[0].text == "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)"
