"""Die Moderation lädt Fachleute eines Handlungsfelds und Sektors zu einem Workshop-Entwurf ein und startet eine
Terminumfrage; eine Expertin öffnet ihren persönlichen Link aus der E-Mail, markiert Termine und sagt nur mit
der Tastatur zu; die Moderation sieht die Antwort, legt den Termin fest, erfasst die Teilnahme und lädt die
Teilnehmendenliste als CSV und XLSX herunter."""

import email
import io
import re
from datetime import date, time, timedelta
from email import policy
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.conftest import ARTIFACTS, assert_accessible, focus_by_keyboard, login, nu_errors, screenshot, slug

pytestmark = pytest.mark.e2e

JOURNEY = "invitations"
FACILITATOR = "moderation@example.org"
LINK = re.compile(r"https?://[^\s\"<>]+/invitations/r/[A-Za-z0-9_\-]+")


PAGES: list[Path] = []


def check(page, where: str) -> None:
    """axe now; the page's HTML is kept for the Nu HTML Checker at the end of the journey."""
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


@pytest.fixture(scope="module")
def draft_workshop(live_server):
    """A fifth workshop in draft (next year, so the invitation links are valid), field MOB."""
    from planner.core.timeutil import local_datetime
    from planner.extensions import db
    from planner.fields.models import ActionField
    from planner.workshops.models import Workshop, WorkshopFormat, WorkshopStatus

    with live_server.app.app_context():
        day = date.today() + timedelta(days=90)
        workshop = Workshop(
            title="Workshop 5: Smarte Mobilität – Vertiefung",
            description="Vertiefung der Handlungsbedarfe zur Parksuchverkehr-Reduktion.",
            format=WorkshopFormat.VIRTUAL,
            starts_at=local_datetime(day, time(9, 0)),
            ends_at=local_datetime(day, time(16, 30)),
            video_link="https://video.example.org/workshop-5",
            capacity=30,
            status=WorkshopStatus.DRAFT,
        )
        workshop.fields = [db.session.query(ActionField).filter_by(code="MOB").one()]
        db.session.add(workshop)
        db.session.commit()
        return {"id": workshop.id, "day": day}


def test_moderation_laedt_ein_expertin_sagt_zu(page, live_server, draft_workshop):
    wid, day = draft_workshop["id"], draft_workshop["day"]
    base = live_server.url
    login(page, live_server, FACILITATOR)

    # Die Workshopseite bietet alle Schritte an.
    page.goto(f"{base}/workshops/{wid}")
    actions = page.get_by_role("navigation", name="Aktionen")
    for label in ("Expertinnen und Experten einladen", "Antworten", "Terminfindung", "Check-in-Liste",
                  "Teilnehmendenliste (CSV)", "Sektorenbalance"):
        assert actions.get_by_role("link", name=label).count() == 1, label
    screenshot(page, JOURNEY, "01-workshop")

    # Terminfindung: zwei Termine vorschlagen.
    actions.get_by_role("link", name="Terminfindung").click()
    check(page, "Terminfindung")
    first, second = day + timedelta(days=7), day + timedelta(days=14)
    page.locator("#options-0-day").fill(first.isoformat())
    page.locator("#options-0-starts").fill("09:00")
    page.locator("#options-0-ends").fill("16:30")
    page.locator("#options-1-day").fill(second.isoformat())
    page.locator("#options-1-starts").fill("09:00")
    page.locator("#options-1-ends").fill("16:30")
    page.get_by_label("Hinweis an die Eingeladenen").fill("Bitte markieren Sie bis Freitag.")
    screenshot(page, JOURNEY, "02-termine-vorschlagen")
    with page.expect_navigation():
        page.get_by_role("button", name="Terminumfrage starten").click()
    assert "Terminumfrage wurde gestartet" in page.locator(".flash-messages").inner_text()
    check(page, "Terminumfrage offen")

    # Einladen nach Filter: Handlungsfeld MOB, Sektor Wissenschaft.
    page.goto(f"{base}/workshops/{wid}")
    actions = page.get_by_role("navigation", name="Aktionen")
    actions.get_by_role("link", name="Expertinnen und Experten einladen").click()
    page.get_by_label("Handlungsfeld").select_option(label="MOB – Smarte Mobilität und Infrastruktur")
    page.get_by_label("Sektor").select_option(label="Wissenschaft")
    page.get_by_role("button", name="Filtern").click()
    check(page, "Einladen")
    screenshot(page, JOURNEY, "03-einladen-filter")
    rows = page.locator("main table tbody tr")
    count = rows.count()
    assert count >= 1
    assert all("Wissenschaft" in rows.nth(i).inner_text() and "MOB" in rows.nth(i).inner_text()
               for i in range(count))
    before = len(outbox(live_server))
    page.get_by_role("button", name=re.compile("laut Filter")).first.click()
    # The confirmation step: nothing is sent before it; the mail is shown as the invitees will get it.
    assert "Einladung: Workshop 5: Smarte Mobilität – Vertiefung" in page.locator(".mail-preview").inner_text()
    check(page, "Einladungen prüfen")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"Einladungen? senden")).click()
    assert "versendet" in page.locator(".flash-messages").inner_text()
    check(page, "Antworten")
    screenshot(page, JOURNEY, "04-antworten-eingeladen")
    mails = outbox(live_server)[before:]
    assert len(mails) == count
    invitation = mails[0]
    assert invitation["Subject"] == "Einladung: Workshop 5: Smarte Mobilität – Vertiefung"
    invitee = invitation["To"]
    link = LINK.search(invitation.get_body(preferencelist=("plain",)).get_content()).group(0)
    with live_server.app.app_context():
        from planner.extensions import db
        from planner.people.models import Person

        person = db.session.query(Person).filter_by(email=invitee).one()
        invitee_name = person.full_name

    # Die Expertin öffnet den Link ohne Konto.
    page.context.clear_cookies()
    page.goto(link)
    assert "Workshop 5: Smarte Mobilität – Vertiefung" in page.locator("h1").inner_text()
    assert "Welche Termine passen Ihnen?" in page.locator("main").inner_text()
    check(page, "Persönliche Einladung")
    screenshot(page, JOURNEY, "05-persoenlicher-link")
    fieldsets = page.locator("fieldset.date-option")
    fieldsets.nth(0).get_by_label("Wenn nötig").check()
    fieldsets.nth(1).get_by_label("Ja").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Meine Termine speichern").click()
    assert "Termine wurden gespeichert" in page.locator(".flash-messages").inner_text()

    # Zusage nur mit der Tastatur: Einwilligung (Leertaste), Kontakt teilen (Leertaste), Zusagen (Enter).
    focus_by_keyboard(page, "#consent")
    page.keyboard.press("Space")
    focus_by_keyboard(page, "#share_contact")
    page.keyboard.press("Space")
    focus_by_keyboard(page, "form.answer-form:has(input[value=accept]) button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Zusage wurde gespeichert" in page.locator(".flash-messages").inner_text()
    check(page, "Nach der Zusage")
    screenshot(page, JOURNEY, "06-zugesagt")

    # Ein unbekannter Link: klare Seite, Status 404.
    response = page.goto(f"{base}/invitations/r/erfundener-link")
    assert response.status == 404 and "nicht bekannt" in page.locator("main").inner_text()
    check(page, "Unbekannter Link")

    # Die Moderation sieht die Antwort.
    login(page, live_server, FACILITATOR)
    page.goto(f"{base}/invitations/workshop/{wid}/answers")
    row = page.locator("main table tbody tr", has_text=invitee_name)
    assert row.count() == 1
    assert row.locator("td").nth(4).inner_text().strip() not in ("", "–")  # answered on …
    screenshot(page, JOURNEY, "07-antworten")

    # Ranking und Festlegung des Termins.
    page.goto(f"{base}/invitations/workshop/{wid}/dates")
    ranking = page.locator("section[aria-labelledby=ranking-heading] table tbody tr")
    assert ranking.count() == 2
    # The grid: who answered what, per proposed date.
    voter = page.locator(".voter-grid tbody tr", has_text=invitee_name)
    assert voter.locator("td").nth(0).inner_text().strip() == "Wenn nötig"
    assert voter.locator("td").nth(1).inner_text().strip() == "Ja"
    check(page, "Rangfolge")
    screenshot(page, JOURNEY, "08-rangfolge")
    before = len(outbox(live_server))
    ranking.nth(0).get_by_role("button").click()
    assert "Termin wurde festgelegt" in page.locator(".flash-messages").inner_text()
    fixed = [m for m in outbox(live_server)[before:] if "Termin steht fest" in m["Subject"]]
    assert any(m["To"] == invitee for m in fixed)

    # Teilnahme erfassen: erst am Tag des Workshops.
    page.goto(f"{base}/invitations/workshop/{wid}/checkin")
    assert "ab dem Tag des Workshops" in page.locator("main").inner_text()
    from planner.core.timeutil import local_datetime, local_today
    from planner.extensions import db
    from planner.workshops.models import Workshop

    with live_server.app.app_context():  # der Tag ist gekommen
        workshop = db.session.get(Workshop, wid)
        workshop.starts_at = local_datetime(local_today(), time(0, 5))
        workshop.ends_at = local_datetime(local_today(), time(23, 30))
        db.session.commit()
    page.reload()
    check(page, "Check-in")
    page.get_by_label(re.compile(re.escape(invitee_name))).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Teilnahme speichern").click()
    assert "Teilnahme gespeichert: 1 Person anwesend" in page.locator(".flash-messages").inner_text()
    screenshot(page, JOURNEY, "09-check-in")
    with page.expect_navigation():
        page.get_by_role("link", name="Druckbare Liste mit Unterschriftsfeldern").click()
    assert "Unterschrift" in page.locator("main").inner_text()
    check(page, "Druckliste")
    screenshot(page, JOURNEY, "10-druckliste")

    # Teilnehmendenliste als CSV und XLSX.
    page.goto(f"{base}/invitations/workshop/{wid}/answers")
    with page.expect_download() as csv_info:
        page.get_by_role("link", name="Teilnehmendenliste als CSV").click()
    csv_text = Path(csv_info.value.path()).read_bytes().decode("utf-8-sig")
    assert csv_text.startswith("Name;Organisation;Sektor")
    assert invitee in csv_text
    with page.expect_download() as xlsx_info:
        page.get_by_role("link", name="Teilnehmendenliste als Excel (XLSX)").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(xlsx_info.value.path()).read_bytes())).active
    rows = {r[4]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[invitee][-1] == "Ja"

    # Sektorenbalance des Workshops: nur Wissenschaft hat zugesagt, die anderen Sektoren fehlen.
    page.goto(f"{base}/invitations/workshop/{wid}/balance")
    text = page.locator("main").inner_text().replace("\xa0", " ")
    assert "warnung: sektoren fehlen" in text.lower() and "100 %" in text
    check(page, "Sektorenbalance")
    screenshot(page, JOURNEY, "11-sektorenbalance")


def test_moderation_pflegt_expertinnen_und_importiert_csv(page, live_server, tmp_path):
    base = live_server.url
    login(page, live_server, FACILITATOR)
    page.goto(f"{base}/people/")
    check(page, "Expertenliste")
    page.get_by_role("link", name="Aus CSV importieren").click()
    check(page, "CSV hochladen")
    csv_file = tmp_path / "experten.csv"
    csv_file.write_bytes("Name;E-Mail;Organisation;Sektor;Handlungsfelder\r\n"
                         "Dr. Jürgen Weiß;juergen.weiss@example.org;Stadtwerke Essen;Wirtschaft;UMW;WOH\r\n"
                         .replace("UMW;WOH", "\"UMW;WOH\"").encode("cp1252"))
    page.get_by_label("CSV-Datei").set_input_files(str(csv_file))
    with page.expect_navigation():
        page.get_by_role("button", name="Datei prüfen").click()
    assert "1 neu" in page.locator("main").inner_text()
    check(page, "Import prüfen")
    screenshot(page, JOURNEY, "20-import-vorschau")
    with page.expect_navigation():
        page.get_by_role("button", name="Jetzt importieren").click()
    assert "Import abgeschlossen: 1 neu" in page.locator(".flash-messages").inner_text()
    page.get_by_label("Suche nach Name oder E-Mail").fill("Weiß")
    page.get_by_role("button", name="Filtern").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Weiß, Jürgen").click()
    assert "Stadtwerke Essen" in page.locator("main").inner_text()
    check(page, "Person")
    page.get_by_role("link", name="Bearbeiten").click()
    check(page, "Person bearbeiten")
    page.goto(f"{base}/people/duplicates")
    check(page, "Dubletten")
    screenshot(page, JOURNEY, "21-dubletten")
    page.goto(f"{base}/people/organisations")
    check(page, "Organisationen")
    page.goto(f"{base}/people/new")
    check(page, "Person anlegen")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    assert page.locator("#error-summary").count() == 1
    check(page, "Person anlegen mit Fehlern")
    page.goto(f"{base}/people/organisations/new")
    check(page, "Organisation anlegen")


def test_moderation_laedt_viele_im_hintergrund_ein(page, live_server):
    """Viele Einladungen auf einmal: Die E-Mails gehen in einer Hintergrundaufgabe hinaus, deren Fortschritt die
    Aufgabenseite zeigt; fertig, führt ein Link zurück zu den Antworten."""
    from planner.core.timeutil import local_datetime
    from planner.extensions import db
    from planner.fields.models import ActionField
    from planner.jobs.services import execute_job
    from planner.workshops.models import Workshop, WorkshopFormat, WorkshopStatus

    app = live_server.app
    with app.app_context():
        day = date.today() + timedelta(days=120)
        workshop = Workshop(title="Workshop 6: Smarte Mobilität – Großer Kreis", format=WorkshopFormat.VIRTUAL,
                            starts_at=local_datetime(day, time(9, 0)), ends_at=local_datetime(day, time(16, 30)),
                            status=WorkshopStatus.SCHEDULED)
        workshop.fields = [db.session.query(ActionField).filter_by(code="MOB").one()]
        db.session.add(workshop)
        db.session.commit()
        wid = workshop.id
    base = live_server.url
    app.config["INVITATION_BACKGROUND_THRESHOLD"] = 2
    try:
        login(page, live_server, FACILITATOR)
        page.goto(f"{base}/invitations/workshop/{wid}/invite")
        page.get_by_label("Handlungsfeld").select_option(label="MOB – Smarte Mobilität und Infrastruktur")
        with page.expect_navigation():
            page.get_by_role("button", name="Filtern").click()
        count = page.locator("main table tbody tr").count()
        assert count > 2
        before = len(outbox(live_server))
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("laut Filter")).first.click()
        assert "im Hintergrund" in page.locator("main").inner_text()
        page.get_by_role("button", name=re.compile(r"Einladungen? senden")).click()
        page.wait_for_url(re.compile(r"/jobs/\d+$"))
        assert "im Hintergrund gesendet" in page.locator(".flash-messages").inner_text()
        assert page.locator("main progress").count() == 1
        check(page, "Einladungen warten auf den Versand")
        screenshot(page, JOURNEY, "30-versand-wartet")
        job_id = int(page.url.rsplit("/", 1)[1])
        page.goto(f"{base}/invitations/workshop/{wid}/answers")
        assert "werden im Hintergrund gesendet" in page.locator("main").inner_text()
        check(page, "Antworten während des Versands")
        # Die Testumgebung hat keinen Worker-Prozess: der Test übergibt die Aufgabe selbst.
        with app.app_context():
            execute_job(job_id)
        page.goto(f"{base}/jobs/{job_id}")
        main = page.locator("main").inner_text()
        assert "Fertig" in main and "E-Mails gesendet" in main
        check(page, "Versand abgeschlossen")
        screenshot(page, JOURNEY, "31-versand-fertig")
        assert len(outbox(live_server)) - before >= count
        page.get_by_role("link", name="Zurück zu den Antworten").click()
        assert page.url.endswith(f"/invitations/workshop/{wid}/answers")
        assert "nicht versendet" not in page.locator("main").inner_text()
    finally:
        app.config.pop("INVITATION_BACKGROUND_THRESHOLD", None)


def test_seiten_sind_valides_html(live_server):
    """The Nu HTML Checker over every page the journeys above looked at."""
    assert PAGES, "the journeys kept no pages"
    errors = nu_errors(PAGES)
    assert not errors, "Nu HTML Checker errors:\n" + "\n".join(errors[:40])
