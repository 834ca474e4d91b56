"""Die Moderation ergänzt das Protokoll des ersten Demo-Workshops, prüft Empfängerinnen, Empfänger und die
E-Mail-Vorschau und versendet es; eine Teilnehmerin ohne Konto öffnet es später über ihren persönlichen Link,
liest es nur und lädt es als PDF herunter; ihre Einladungsseite bietet kein „Absagen“ mehr an."""

import email
import re
from email import policy
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_accessible, login, nu_errors, screenshot, slug

pytestmark = pytest.mark.e2e

JOURNEY = "minutes"
FACILITATOR = "moderation@example.org"
LINK = re.compile(r"https?://[^\s\"<>]+/minutes/r/[A-Za-z0-9_\-]+")
PAGES: list[Path] = []


def check(page, where: str) -> None:
    assert_accessible(page, where)
    folder = ARTIFACTS / "html" / JOURNEY
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{len(PAGES):02d}-{slug(where)}.html"
    path.write_text(page.content(), encoding="utf-8")
    PAGES.append(path)


def outbox(server) -> list:
    folder = Path(server.app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


def test_moderation_versendet_das_protokoll_teilnehmerin_liest_es_per_link(page, live_server):
    base = live_server.url
    # The live server has no job worker: the e-mails go out within the request (the job is tested without a browser).
    live_server.app.config["INVITATION_BACKGROUND_THRESHOLD"] = 1000
    login(page, live_server, FACILITATOR)
    page.goto(f"{base}/workshops/1")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Aktionen").get_by_role("link", name="Protokoll").click()
    assert "Workshop 1" in page.locator("h1").inner_text()
    main = page.locator("main").inner_text()
    for heading in ("Teilnahme nach Sektoren", "Tagesordnung wie durchgeführt", "Beiträge nach Tagesordnungspunkt",
                    "Steckbriefe der vorgeschlagenen Maßnahmen"):
        assert heading in main, heading
    check(page, "Protokoll")
    screenshot(page, JOURNEY, "01-protokoll")

    page.get_by_role("link", name="Protokoll bearbeiten").click()
    check(page, "Protokoll bearbeiten")
    steps = page.get_by_label("Nächste Schritte")
    steps.fill(steps.input_value() + "\n- Protokoll an alle Teilnehmenden senden.")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    assert "Das Protokoll wurde gespeichert." in page.locator(".flash-messages").inner_text()
    assert "Protokoll an alle Teilnehmenden senden." in page.locator("main").inner_text()

    page.get_by_role("link", name="An die Teilnehmenden versenden").click()
    check(page, "Protokoll versenden")
    screenshot(page, JOURNEY, "02-versenden-vorschau")
    heading = page.locator("#recipients-heading").inner_text()
    recipients = int(heading.split()[0])
    assert recipients >= 10
    assert "/minutes/r/" in page.locator("pre.mail-preview").inner_text()
    before = len(outbox(live_server))
    page.get_by_label("Ich habe die Empfängerinnen und Empfänger und das Protokoll geprüft").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Protokoll jetzt versenden").click()
    assert f"an {recipients} Teilnehmende versandt" in page.locator(".flash-messages").inner_text()
    mails = outbox(live_server)[before:]
    assert len(mails) == recipients
    assert all(not list(m.iter_attachments()) for m in mails)
    link = LINK.search(mails[0].get_body(preferencelist=("plain",)).get_content()).group(0)

    # Später, ohne Konto: der persönliche Link.
    page.context.clear_cookies()
    page.goto(link)
    assert "Protokoll für" in page.locator("main").inner_text()
    assert "Protokoll an alle Teilnehmenden senden." in page.locator("main").inner_text()
    assert page.locator("main form").count() == 0  # read-only
    check(page, "Protokoll per persönlichem Link")
    screenshot(page, JOURNEY, "03-persoenlicher-link")
    with page.expect_download() as download:
        page.locator("main").get_by_role("link", name="PDF").first.click()
    assert download.value.suggested_filename.startswith("Protokoll-2022-03-17-Workshop-1")
    with page.expect_navigation():
        page.get_by_role("link", name="Zurück zu Ihrer Einladung").click()
    assert page.get_by_role("button", name="Absagen").count() == 0
    assert page.get_by_role("link", name=re.compile("Protokoll")).count() == 1
    check(page, "Einladung nach dem Workshop")

    errors = nu_errors(PAGES)
    assert not errors, "\n".join(errors)
