"""Eine neue Moderatorin plant einen Workshop in fünf Minuten: ganztägig und hybrid aus der Vorlage anlegen, die
Tagesordnung auf einer Seite anpassen (htmx: bearbeiten, löschen, verschieben, ziehen, hinzufügen), zehn
Expertinnen und Experten mit sichtbarer Sektorenverteilung einladen (Bestätigungsschritt mit E-Mail-Vorschau),
eine Terminumfrage starten und den Termin festlegen: höchstens 15 Seitenaufrufe, gezählt. Eine Variante kommt
allein mit der Tastatur aus."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, focus_by_keyboard, login, screenshot
from tests.e2e.test_journey_workshop_planning import native_field_uses_german_order

pytestmark = pytest.mark.e2e

JOURNEY = "plan_in_five_minutes"
FACILITATOR = "moderation@example.org"
MAX_PAGE_LOADS = 15


class PageLoads:
    """Counts the main frame's navigations (full page loads); htmx requests and downloads are none."""

    def __init__(self, page):
        self.page = page
        self.urls: list[str] = []
        page.on("framenavigated", self._seen)

    def _seen(self, frame) -> None:
        if frame == self.page.main_frame:
            self.urls.append(frame.url)

    def reset(self) -> None:
        self.urls.clear()

    @property
    def count(self) -> int:
        return len(self.urls)


def _announced(page, text: str) -> None:
    expect(page.locator("#agenda-announce")).to_contain_text(text)


def _titles(page) -> list[str]:
    return [t.strip() for t in page.locator(".agenda-list .agenda-title").all_inner_texts()]


def test_neue_moderatorin_plant_in_hoechstens_15_seitenaufrufen(page, live_server):
    login(page, live_server, FACILITATOR)
    page.on("dialog", lambda dialog: dialog.accept())
    loads = PageLoads(page)

    page.goto(live_server.url + "/workshops/")
    with page.expect_navigation():
        page.get_by_role("link", name="Neuer ganztägiger Workshop aus der Vorlage").click()
    assert page.locator("#template").input_value() == "standard"
    assert (page.locator("#start_time").input_value(), page.locator("#end_time").input_value()) == ("09:00", "16:00")
    page.locator("#title").fill("Workshop 6: Smarte Mobilität – Umsetzung")
    page.get_by_label("MOB – Smarte Mobilität und Infrastruktur").check()
    page.get_by_label("Hybrid").check()
    page.locator("#day").fill("2027-03-10")
    page.locator("#location").fill("Haus der Technik, Essen")
    page.locator("#video_link").fill("https://video.example.org/workshop-6")
    assert_accessible(page, "Neuer Workshop aus der Vorlage")
    screenshot(page, JOURNEY, "01-aus-vorlage")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern", exact=True).click()
    if page.locator("#conflicts").count():
        with page.expect_navigation():
            page.get_by_role("button", name="Trotzdem speichern").click()
    assert "mit der Tagesordnung der Vorlage" in page.locator(".flash-messages").inner_text()
    workshop_url = page.url

    page.locator("nav.object-actions").get_by_role("link", name="Tagesordnung", exact=True).click()
    before = loads.count
    assert len(_titles(page)) == 10
    assert "15:30–16:00" in page.locator(".agenda-item").last.inner_text()
    assert_accessible(page, "Tagesordnung aus der Vorlage")

    # Inline edit: the keynote gets 45 minutes and the facilitator as the responsible person (searched by name).
    item = page.locator(".agenda-item", has_text="Impulsvortrag")
    item.get_by_role("link", name=re.compile("^Bearbeiten")).click()
    page.locator("#edit-duration_minutes").fill("45")
    page.locator("#edit-responsible").fill("Mia Moderation (fiktiv)")
    assert_accessible(page, "Block bearbeiten")
    page.get_by_role("button", name="Block speichern").click()
    _announced(page, "Ihre Änderungen wurden gespeichert")
    assert "Verantwortlich: Mia Moderation" in page.locator(".agenda-item", has_text="Impulsvortrag").inner_text()
    expect(page.locator(".agenda-item", has_text="Impulsvortrag").locator(".agenda-title")).to_be_focused()

    # Networking goes to the end by dragging its handle, then one place up with the button.
    handle = page.locator(".agenda-item", has_text="Vernetzung").locator(".agenda-item__handle")
    handle.drag_to(page.locator(".agenda-item", has_text="Abschluss"), target_position={"x": 20, "y": 60})
    _announced(page, "Reihenfolge der Tagesordnung wurde geändert")
    assert _titles(page)[-1] == "Vernetzung"
    page.locator(".agenda-item", has_text="Vernetzung").get_by_role("button", name=re.compile("^Nach oben")).click()
    _announced(page, "wurde verschoben")
    assert _titles(page)[-2:] == ["Vernetzung", "Abschluss und nächste Schritte"]

    # The agenda runs 15 minutes too long: the second coffee break goes (after a confirmation).
    expect(page.locator("#agenda-editor .kern-alert--warning")).to_contain_text("reicht über das Ende")
    page.locator(".agenda-item", has_text="Kaffeepause").last.get_by_role("button", name=re.compile("^Löschen")).click()
    _announced(page, "wurde aus der Tagesordnung entfernt")
    assert len(_titles(page)) == 9
    expect(page.locator("#agenda-editor .kern-alert--warning")).to_have_count(0)

    # A short block is added at the end; the end of the workshop follows the agenda with one click.
    add = page.locator("form.agenda-form--add")
    add.locator("#title").fill("Blitzlicht")
    add.locator("#kind").select_option(label="Abschluss")
    add.locator("#duration_minutes").fill("10")
    add.get_by_role("button", name="Zur Tagesordnung hinzufügen").click()
    _announced(page, "„Blitzlicht“ wurde der Tagesordnung hinzugefügt")
    page.get_by_role("button", name="Ende an Tagesordnung anpassen").click()
    _announced(page, "Tagesordnung um 16:10")
    assert loads.count == before, f"the agenda was changed without page loads, but saw {loads.urls[before:]}"
    assert_accessible(page, "Tagesordnung angepasst")
    screenshot(page, JOURNEY, "02-tagesordnung")

    page.get_by_role("link", name="Zurück zum Workshop").click()
    actions = page.get_by_role("navigation", name="Aktionen")
    actions.get_by_role("link", name="Expertinnen und Experten einladen").click()
    page.get_by_label("Handlungsfeld").select_option(label="MOB – Smarte Mobilität und Infrastruktur")
    page.get_by_role("button", name="Filtern").click()
    boxes = page.locator(".invite-form input[name=person_id]:not([disabled])")
    assert boxes.count() >= 10
    expect(page.locator("#selection-summary")).to_contain_text("Niemand ausgewählt")
    for i in range(10):
        boxes.nth(i).check()
    summary = page.locator("#selection-summary")
    expect(summary).to_contain_text("10 Personen ausgewählt")
    shown = summary.inner_text()
    counts = [int(n) for n in re.findall(r"(?:Verwaltung|Wirtschaft|Wissenschaft|Zivilgesellschaft|Politik) (\d+)",
                                         shown)]
    assert len(counts) == 5 and sum(counts) <= 10, shown
    assert_accessible(page, "Auswahl mit Sektorenverteilung")
    screenshot(page, JOURNEY, "03-auswahl")
    page.get_by_role("button", name="Weiter mit den ausgewählten Personen").first.click()

    main = page.locator("main").inner_text()
    assert "10 Personen werden per E-Mail eingeladen" in main and "noch ein Entwurf" in main
    assert "Einladung: Workshop 6: Smarte Mobilität – Umsetzung" in page.locator(".mail-preview").inner_text()
    assert "Haus der Technik, Essen" in page.locator(".mail-preview").inner_text()
    assert_accessible(page, "Einladungen prüfen")
    screenshot(page, JOURNEY, "04-bestaetigen")
    with page.expect_navigation():
        page.get_by_role("button", name="10 Einladungen senden").click()
    assert "10 Einladungen wurden versendet" in page.locator(".flash-messages").inner_text()

    page.get_by_role("link", name="Zurück zum Workshop").click()
    page.get_by_role("navigation", name="Aktionen").get_by_role("link", name="Terminfindung").click()
    for i, day in enumerate(("2027-03-10", "2027-03-17")):
        page.locator(f"#options-{i}-day").fill(day)
        page.locator(f"#options-{i}-starts").fill("09:00")
        page.locator(f"#options-{i}-ends").fill("16:10")
    with page.expect_navigation():
        page.get_by_role("button", name="Terminumfrage starten").click()
    assert "Terminumfrage wurde" in page.locator(".flash-messages").inner_text()
    screenshot(page, JOURNEY, "05-terminumfrage")
    page.locator("main table").get_by_role("button", name=re.compile("festlegen")).first.click()
    assert page.url.split("#")[0] == workshop_url
    assert "Geplant" in page.locator(".workshop-badges").inner_text()
    assert_accessible(page, "Termin festgelegt")
    screenshot(page, JOURNEY, "06-festgelegt")

    assert loads.count <= MAX_PAGE_LOADS, f"{loads.count} page loads: {loads.urls}"


def test_tagesordnung_und_einladung_allein_mit_der_tastatur(page, live_server):
    login(page, live_server, FACILITATOR)
    loads = PageLoads(page)
    german = native_field_uses_german_order(page, live_server)
    page.goto(live_server.url + "/workshops/new?template=standard")
    focus_by_keyboard(page, "#title")
    page.keyboard.type("Workshop 7: Tastatur")
    focus_by_keyboard(page, "#fields-1")
    page.keyboard.press("Space")  # MOB
    focus_by_keyboard(page, "#format-0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator("#format-2").is_checked()  # hybrid
    focus_by_keyboard(page, "#day")
    page.keyboard.type("10032027" if german else "03102027")
    assert page.locator("#day").input_value() == "2027-03-10"
    focus_by_keyboard(page, "#location")
    page.keyboard.type("Rathaus Essen")
    focus_by_keyboard(page, "#video_link")
    page.keyboard.type("https://video.example.org/workshop-7")
    focus_by_keyboard(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if page.locator("#conflicts").count():
        focus_by_keyboard(page, "button[name=confirm_conflicts]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    assert "mit der Tagesordnung der Vorlage" in page.locator(".flash-messages").inner_text()
    focus_by_keyboard(page, "nav.object-actions a[href$='/agenda']")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Move "Networking" up twice with the keyboard: the focus stays on its button, so Enter moves it again.
    before = loads.count
    networking = page.locator(".agenda-item", has_text="Vernetzung")
    block_id = networking.get_attribute("data-block-id")
    start = _titles(page).index("Vernetzung")
    focus_by_keyboard(page, f"#block-{block_id}-up")
    for place in (start - 1, start - 2):
        page.keyboard.press("Enter")
        expect(page.locator(".agenda-item").nth(place)).to_contain_text("Vernetzung")
        expect(page.locator(f"#block-{block_id}-up")).to_be_focused()
        # A person presses keys hundreds of milliseconds apart; Playwright does not. htmx keeps the focus on the
        # new button at once but boosts its form only when the swap settles: wait for that, as a person would.
        expect(page.locator("#agenda-editor")).to_have_attribute("data-ready", "true")
    _announced(page, "wurde verschoben")

    # Edit its duration inline: Enter on "Edit", type, Enter saves; the focus returns to the block's heading.
    focus_by_keyboard(page, f"#block-{block_id}-edit")
    page.keyboard.press("Enter")
    expect(page.locator(f"#block-{block_id}-title")).to_be_focused()
    focus_by_keyboard(page, "#edit-duration_minutes")
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    _announced(page, "Ihre Änderungen wurden gespeichert")
    expect(page.locator(f"#block-{block_id}-title")).to_be_focused()
    assert "20 Minuten" in page.locator(f"#block-{block_id}").inner_text()
    assert loads.count == before
    assert_accessible(page, "Tagesordnung per Tastatur")

    # Invite three people with Space and Enter; the selection's balance is announced while ticking.
    wid = re.search(r"/workshops/(\d+)/agenda", page.url).group(1)
    focus_by_keyboard(page, f"main a[href$='/workshops/{wid}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_by_keyboard(page, "nav.object-actions a[href*='/invite']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    boxes = page.locator(".invite-form input[name=person_id]:not([disabled])")
    for i in range(3):
        focus_by_keyboard(page, f"#{boxes.nth(i).get_attribute('id')}")
        page.keyboard.press("Space")
    expect(page.locator("#selection-summary")).to_contain_text("3 Personen ausgewählt")
    focus_by_keyboard(page, ".invite-actions--top button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "3 Personen werden per E-Mail eingeladen" in page.locator("main").inner_text()
    focus_by_keyboard(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "3 Einladungen wurden versendet" in page.locator(".flash-messages").inner_text()

    # The date poll and the fixed date, by keyboard too.
    focus_by_keyboard(page, f"main a[href$='/workshops/{wid}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_by_keyboard(page, "nav.object-actions a[href$='/dates']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for i, day in enumerate(("07042027", "14042027") if german else ("04072027", "04142027")):
        focus_by_keyboard(page, f"#options-{i}-day")
        page.keyboard.type(day)
        focus_by_keyboard(page, f"#options-{i}-starts")
        page.keyboard.type("0900" if german else "0900AM")
        focus_by_keyboard(page, f"#options-{i}-ends")
        page.keyboard.type("1600" if german else "0400PM")
    assert page.locator("#options-1-day").input_value() == "2027-04-14"
    focus_by_keyboard(page, "main form.planner-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Terminumfrage wurde gestartet" in page.locator(".flash-messages").inner_text()
    focus_by_keyboard(page, "main table button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Geplant" in page.locator(".workshop-badges").inner_text()
    assert "7. April 2027" in page.locator("main").inner_text()
