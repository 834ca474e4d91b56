"""A city without the demo: the first administrator is led through the setup in a real browser, once with
the mouse and once with the keyboard alone; every setup page passes axe and the Nu HTML Checker."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from planner import create_app
from planner.extensions import db
from tests.e2e.conftest import (
    ARTIFACTS,
    LiveServer,
    assert_accessible,
    focus_by_keyboard,
    login,
    login_by_keyboard,
    nu_errors,
    screenshot,
    slug,
)

pytestmark = pytest.mark.e2e
ADMIN, PASSWORD = "it@lindhaven.example", "lindhaven-admin-1"


@pytest.fixture
def fresh_server(tmp_path):
    """A fresh installation: `flask db upgrade` and `create-user --role admin`, no demo."""
    app = create_app(
        {"SECRET_KEY": "e2e-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'city.sqlite3'}",
         "MAIL_SERVER": None, "RATELIMIT_ENABLED": False, "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"},
        instance_path=tmp_path / "instance",
    )
    with app.app_context():
        from planner.accounts.services import create_user

        db.create_all()
        create_user(ADMIN, "admin", PASSWORD, display_name="Ida Admin")
        db.session.commit()
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield server
    server.stop()


def _keep(page, files, name):
    folder = ARTIFACTS / "html" / "city-setup"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug(name)}.html"
    path.write_text(page.content(), encoding="utf-8")
    files.append(path)


def _logo(tmp_path):
    path = tmp_path / "wappen.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "#1d4e89").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_setup_journey_with_the_mouse(page, fresh_server, tmp_path):
    files = []
    login(page, fresh_server, ADMIN, PASSWORD)
    page.goto(fresh_server.url + "/")
    page.get_by_role("link", name="Einrichtung beginnen").click()
    expect(page.locator("h1")).to_have_text("Einrichtung: die Stadt")
    assert_accessible(page, "setup: city")
    _keep(page, files, "city")
    page.get_by_label("Name der Stadt").fill("Lindhaven")
    page.get_by_label("Kontakt-E-Mail-Adresse").fill("kein Mail")
    page.get_by_role("button", name="Speichern und weiter").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page, "setup: city with an error")
    _keep(page, files, "city-error")
    page.get_by_label("Kontakt-E-Mail-Adresse").fill("digital@lindhaven.example")
    page.get_by_role("button", name="Speichern und weiter").click()
    expect(page.locator("h1")).to_have_text("Einrichtung: der Strategieprozess")
    assert "Lindhaven" in page.locator(".site-brand").inner_text()

    page.goto(fresh_server.url + "/city/setup/city")
    page.get_by_label("Logo (PNG oder SVG, höchstens 1 MB)").set_input_files(str(_logo(tmp_path)))
    page.get_by_role("button", name="Logo hochladen").click()
    expect(page.locator(".site-brand__logo")).to_be_visible()
    page.get_by_role("link", name="Strategieprozess", exact=True).click()

    page.get_by_label("Titel des Strategieprozesses").fill("Lindhaven vernetzt 2035")
    page.get_by_label("Zieljahr").fill("2035")
    page.get_by_label("Meilensteinjahre").fill("2028, 2031, 2035")
    assert_accessible(page, "setup: process")
    _keep(page, files, "process")
    page.get_by_role("button", name="Speichern und weiter").click()

    expect(page.locator("h1")).to_have_text("Einrichtung: Handlungsfelder")
    for code, de, en in (("MOV", "Mobilität und Verkehr", "Mobility and transport"),
                         ("WOL", "Wohnen und Leben", "Housing and living")):
        page.get_by_label("Kürzel").fill(code)
        page.get_by_label("Name (Deutsch)").fill(de)
        page.get_by_label("Name (Englisch)").fill(en)
        page.get_by_label("Bereich im Smart City Index").select_option("mobility")
        page.get_by_role("button", name="Feld hinzufügen").click()
        expect(page.locator("#setup-field-list")).to_contain_text(f"{code} – {de}")
    assert_accessible(page, "setup: fields")
    _keep(page, files, "fields")
    page.get_by_role("button", name="Weiter").click()

    expect(page.locator("h1")).to_have_text("Einrichtung: Stadtbezirke und Stadtteile")
    page.get_by_label("Stadtbezirke und ihre Stadtteile").fill("Hafen: Kai, Speicherstadt\nOberstadt")
    assert_accessible(page, "setup: districts")
    _keep(page, files, "districts")
    page.get_by_role("button", name="Speichern und weiter").click()

    expect(page.locator("h1")).to_have_text("Einrichtung: Sektoren")
    assert_accessible(page, "setup: sectors")
    _keep(page, files, "sectors")
    page.get_by_role("button", name="Diesen Schritt überspringen").click()

    expect(page.locator("h1")).to_have_text("Einrichtung: Vorlage für das Strategiepapier")
    assert_accessible(page, "setup: template")
    _keep(page, files, "template")
    page.get_by_role("button", name="Diesen Schritt überspringen").click()

    expect(page.locator("h1")).to_have_text("Einrichtung: Zusammenfassung")
    assert_accessible(page, "setup: summary")
    _keep(page, files, "summary")
    screenshot(page, "city-setup", "01-summary")
    page.get_by_role("button", name="Einrichtung abschließen").click()

    expect(page.locator("h1")).to_contain_text("Lindhaven vernetzt 2035")
    assert "Mobilität und Verkehr" in page.locator("main").inner_text()
    assert "Essen" not in page.locator("body").inner_text()
    screenshot(page, "city-setup", "02-dashboard")

    for path in ("/city/settings", "/city/legal/imprint/de", "/city/imprint", "/city/remove-demo"):
        page.goto(fresh_server.url + path)
        assert_accessible(page, path)
        _keep(page, files, path)
    errors = nu_errors(files)
    assert not errors, "Nu HTML Checker errors:\n" + "\n".join(errors[:40])


def test_setup_journey_with_the_keyboard_alone(page, fresh_server):
    login_by_keyboard(page, fresh_server, ADMIN, PASSWORD)
    focus_by_keyboard(page, "main a[href$='/city/setup']", "Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Einrichtung: die Stadt")

    focus_by_keyboard(page, "#name", "Tab")
    page.keyboard.type("Lindhaven")
    focus_by_keyboard(page, "main form button[type=submit]:not([name=skip])", "Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Einrichtung: der Strategieprozess")

    focus_by_keyboard(page, "#title", "Tab")
    page.keyboard.type("Lindhaven vernetzt 2035")
    focus_by_keyboard(page, "#target_year", "Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2035")
    focus_by_keyboard(page, "#milestone_years", "Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2030, 2035")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Einrichtung: Handlungsfelder")

    focus_by_keyboard(page, "#code", "Tab")
    page.keyboard.type("TEK")
    focus_by_keyboard(page, "#name_de", "Tab")
    page.keyboard.type("Teilhabe und Kultur")
    focus_by_keyboard(page, "#name_en", "Tab")
    page.keyboard.type("Participation and culture")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#setup-field-list")).to_contain_text("TEK – Teilhabe und Kultur")

    # The remaining steps skipped with the keyboard, then finished.
    for heading in ("Einrichtung: Stadtbezirke und Stadtteile", "Einrichtung: Sektoren",
                    "Einrichtung: Vorlage für das Strategiepapier", "Einrichtung: Zusammenfassung"):
        focus_by_keyboard(page, "main button[name=skip]", "Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text(heading)
    focus_by_keyboard(page, "main form button[type=submit]", "Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Lindhaven vernetzt 2035")
    assert "Teilhabe und Kultur" in page.locator("main").inner_text()
