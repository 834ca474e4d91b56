"""Das Strategiepapier: Das Strategieteam prüft die Vollständigkeit, exportiert DOCX und PDF, schreibt eine
Version fest; die Prüferin aus dem Ratsausschuss gibt einen Abschnitt frei."""

import io

import pytest
from docx import Document
from pypdf import PdfReader

from tests.e2e.conftest import (
    assert_accessible,
    assert_focus_visible,
    choose_option_by_keyboard,
    focus_by_keyboard,
    login,
    login_by_keyboard,
    screenshot,
)

pytestmark = pytest.mark.e2e


def _export(page, server, button: str) -> tuple[bytes, str]:
    """Starts an export (a background job), lets the worker run it and downloads the file from the job page.

    The live server has no worker process beside it: the test hands the job to the worker function itself.
    """
    import re
    from pathlib import Path

    from planner.jobs.services import execute_job

    page.get_by_role("button", name=button).first.click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    with server.app.app_context():
        execute_job(job_id)
    page.reload()
    assert_accessible(page, f"Auftrag {button}")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Ergebnis herunterladen")).click()
    data = Path(info.value.path()).read_bytes()
    assert data, f"{button}: empty download"
    page.goto(server.url + "/strategy/")
    return data, info.value.suggested_filename


def test_strategieteam_exportiert_und_schreibt_version_fest(page, live_server):
    login(page, live_server, "strategie@example.org")
    with page.expect_navigation():
        page.get_by_role("link", name="Strategiepapier").click()
    assert page.locator("h1").inner_text() == "Strategiepapier"
    assert page.get_by_role("heading", name="Vollständigkeitsprüfung").is_visible()
    assert_accessible(page, "Strategiepapier")
    screenshot(page, "paper", "01-uebersicht")

    data, name = _export(page, live_server, "DOCX exportieren")
    assert name == "Handlungskonzept-Essen-2040-Entwurf.docx"
    doc = Document(io.BytesIO(data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Handlungsfelder" in headings
    # Every field has its chapter (and its Zielbild in "Leitbild und Ziele 2040", so each code heads two headings).
    assert len({h for h in headings if h.startswith(("UMW ", "MOB ", "BIL ", "SER ", "GES ", "WOH ", "WWF "))}) == 7

    screenshot(page, "paper", "01b-export-auftrag")
    data, name = _export(page, live_server, "PDF exportieren")
    assert name.endswith(".pdf")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Fahrplan bis 2040" in text and "MOB-" in text

    with page.expect_navigation():
        page.get_by_role("link", name="Aktuellen Entwurf lesen").click()
    assert page.get_by_role("heading", name="Handlungsfelder").first.is_visible()
    assert_accessible(page, "Entwurf")
    screenshot(page, "paper", "02-entwurf")
    page.go_back()

    page.get_by_label("Notiz zu dieser Version").fill("Zweiter Entwurf nach der Befragung")
    page.get_by_role("button", name="Als neue Version festschreiben").click()
    page.wait_for_load_state()
    # The demo holds version 1 (the committee draft of 2022) and version 2 (adopted by the council in 2023).
    assert page.locator("h1").inner_text() == "Version 3"
    assert "Version 3 festgeschrieben." in page.locator(".flash-messages").inner_text()
    assert_accessible(page, "Version 3")
    screenshot(page, "paper", "03-version")

    with page.expect_navigation():
        page.get_by_role("link", name="Änderungen seit Version 2").click()
    assert "Änderungen von Version 2 zu Version 3" in page.locator("h1").inner_text()
    assert_accessible(page, "Vergleich")
    screenshot(page, "paper", "04-vergleich")


def test_pruefende_gibt_abschnitt_frei(page, live_server):
    login(page, live_server, "pruefung@example.org")
    page.get_by_role("link", name="Meine Prüfrunden").click()
    assert_accessible(page, "Meine Prüfrunden")
    screenshot(page, "paper", "05-meine-pruefrunden")
    with page.expect_navigation():
        page.get_by_role("link", name="Abstimmung mit dem Ratsausschuss Digitalisierung").click()
    assert "Prüfrunde zu Version 1" in page.locator(".kern-preline").first.inner_text()
    assert_accessible(page, "Prüfrunde")
    page.get_by_label("Teil des Papiers", exact=True).select_option(label="Abschnitt: Vorwort des Oberbürgermeisters")
    page.get_by_label("Freigeben", exact=True).check()
    page.get_by_role("button", name="Votum speichern").click()
    page.wait_for_load_state()
    assert "Ihr Votum wurde gespeichert." in page.locator(".flash-messages").inner_text()
    sections = page.get_by_role("table", name="Abschnitte").inner_text()
    assert "Freigegeben" in sections
    assert_accessible(page, "Prüfrunde nach Votum")
    screenshot(page, "paper", "06-votum")


def _enter(page, selector: str) -> None:
    """Tab to a link or button and press Enter: the next page loads."""
    focus_by_keyboard(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_strategieteam_exportiert_nur_mit_der_tastatur(page, live_server):
    """Format und Sprache wählen, der Auftrag läuft, der Download-Link – alles mit Tab und Enter."""
    import re
    from pathlib import Path

    from planner.jobs.services import execute_job

    login_by_keyboard(page, live_server, "strategie@example.org")
    _enter(page, "nav.site-nav a:text-is('Strategiepapier')")
    assert page.locator("h1").inner_text() == "Strategiepapier"
    english_pdf = ("section[aria-labelledby=export-heading] form:has(input[name=locale][value=en])"
                   ":has(input[name=format][value=pdf]):not(:has(input[name=short])) button")
    assert page.locator(english_pdf).inner_text().split() == ["PDF", "exportieren", "(Langfassung", "auf", "Englisch)"]
    _enter(page, english_pdf)
    assert re.search(r"/jobs/\d+$", page.url)
    job_id = int(page.url.rsplit("/", 1)[1])
    with live_server.app.app_context():
        execute_job(job_id)
    # The job page polls its status: the download link appears without reloading the page.
    download = page.locator("main a", has_text="Ergebnis herunterladen")
    download.wait_for()
    assert_accessible(page, "Auftrag fertig (Tastatur)")
    focus_by_keyboard(page, "main a:has-text('Ergebnis herunterladen')")
    screenshot(page, "paper", "07-tastatur-download")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename.endswith(".pdf")
    text = "".join(p.extract_text() for p in PdfReader(Path(info.value.path())).pages)
    assert "Roadmap to 2040" in text


def test_pruefende_gibt_abschnitt_nur_mit_der_tastatur_frei(page, live_server):
    """Die Prüferin öffnet ihre Runde, kommentiert einen Abschnitt und gibt ihn frei – ohne Maus."""
    login_by_keyboard(page, live_server, "pruefung@example.org")
    _enter(page, "nav.site-nav a:text-is('Meine Prüfrunden')")
    _enter(page, "main a:text-is('Abstimmung mit dem Ratsausschuss Digitalisierung')")
    assert "Prüfrunde zu Version 1" in page.locator(".kern-preline").first.inner_text()

    # Ein Kommentar zum Abschnitt „Leitbild 2040“.
    comment_form = "form[action$='/comments']"
    choose_option_by_keyboard(page, f"{comment_form} select", "Leitbild 2040")
    focus_by_keyboard(page, f"{comment_form} textarea")
    page.keyboard.type("Bitte die Kennzahlen für 2030 ergänzen.")
    _enter(page, f"{comment_form} button[type=submit]")
    assert "Kommentar" in page.locator(".flash-messages").inner_text()
    assert page.locator("article.review-comment", has_text="Bitte die Kennzahlen für 2030 ergänzen.").count() == 1

    # Das Votum: Abschnitt mit den Pfeiltasten, „Freigeben“ mit der Leertaste, Enter.
    verdict_form = "form[action$='/verdicts']"
    choose_option_by_keyboard(page, f"{verdict_form} select", "Leitbild 2040")
    focus_by_keyboard(page, f"{verdict_form} input[type=radio][value=approved]")
    page.keyboard.press("Space")
    approve = page.locator(f"{verdict_form} input[type=radio][value=approved]")
    assert approve.is_checked()
    assert_focus_visible(page, "verdict radio")
    screenshot(page, "paper", "08-tastatur-votum")
    _enter(page, f"{verdict_form} button[type=submit]")
    assert "Ihr Votum wurde gespeichert." in page.locator(".flash-messages").inner_text()
    sections = page.get_by_role("table", name="Abschnitte").inner_text()
    assert "Freigegeben" in sections
    assert_accessible(page, "Prüfrunde nach Votum (Tastatur)")
