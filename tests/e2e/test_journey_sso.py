"""Anmelden auf dem Weg der Stadt: Eine neue Moderatorin meldet sich mit ihrem Rathaus-Konto (LDAP, ein echter
slapd) nur mit der Tastatur an, ein Moderator über den Stadt-Login (OpenID Connect, ein echter Anbieter) – beide
landen mit der Rolle, die ihre Gruppe vorgibt. Die Administration schreibt den zweiten Faktor für Administratoren
vor; der Administrator wird vor jeder Seite durch die Einrichtung geführt und meldet sich danach mit Code an."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from planner.accounts.models import User
from planner.core.permissions import Role
from planner.extensions import db
from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, focus_by_keyboard, login, screenshot
from tests.ldap_server import SlapdServer, group, person
from tests.oidc_provider import OIDCProvider

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not SlapdServer.available(), reason="slapd is not installed (make setup)")]
JOURNEY = "sso"


@pytest.fixture(scope="module")
def providers(live_server, tmp_path_factory):
    slapd = SlapdServer(tmp_path_factory.mktemp("slapd"), [
        person("llehmann", "Lena Lehmann", "l.lehmann@essen.de", "Lehmann-Passwort-1"),
        group("smartcity-moderation", "llehmann"),
    ]).start()
    oidc = OIDCProvider().start()
    oidc.add_user("tberg", email="t.berg@essen.de", groups=["planner-moderation"], name="Tim Berg")
    live_server.app.config["SSO_PROVIDERS"] = [
        slapd.provider(role_map={"smartcity-moderation": "facilitator"}),
        oidc.config(role_map={"planner-moderation": "facilitator"}),
    ]
    live_server.app.config["SSO_CREATE_ACCOUNTS"] = True
    yield slapd, oidc
    live_server.app.config["SSO_PROVIDERS"] = []
    oidc.stop()
    slapd.stop()


def _role_of(server, email: str) -> Role:
    with server.app.app_context():
        return db.session.scalar(select(User.role).where(User.email == email))


def test_moderatorin_meldet_sich_mit_dem_rathaus_konto_per_tastatur_an(page, live_server, providers):
    page.goto(f"{live_server.url}/login")
    assert_accessible(page, "sign-in page with providers")
    screenshot(page, JOURNEY, "01-anmeldung")
    focus_by_keyboard(page, "a:has-text('Anmelden mit Rathaus-Konto')", "Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Anmelden mit Rathaus-Konto (Active Directory)"
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("llehmann")
    focus_by_keyboard(page, "#password", "Tab")
    page.keyboard.type("falsches-passwort")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Benutzername oder Passwort ist nicht richtig").first.is_visible()
    assert_accessible(page, "directory sign-in with an error")
    focus_by_keyboard(page, "#password")
    page.keyboard.press("Control+A")
    page.keyboard.type("Lehmann-Passwort-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    assert page.get_by_text("Angemeldet als Lena Lehmann").is_visible()
    assert page.get_by_role("link", name="Experten").first.is_visible()  # the facilitator's menu
    assert _role_of(live_server, "l.lehmann@essen.de") == Role.FACILITATOR
    screenshot(page, JOURNEY, "02-ldap-angemeldet")


def test_moderator_meldet_sich_ueber_den_stadt_login_an_und_ab(page, live_server, providers):
    _slapd, oidc = providers
    page.goto(f"{live_server.url}/login")
    with page.expect_navigation():
        page.get_by_role("link", name="Anmelden mit Stadt-Login (Keycloak)").click()
    assert page.url.startswith(oidc.url + "/authorize")
    page.locator("#username").fill("tberg")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url.startswith(live_server.url) and "/login" not in page.url
    assert page.get_by_text("Angemeldet als Tim Berg").is_visible()
    assert page.get_by_role("link", name="Experten").first.is_visible()
    assert _role_of(live_server, "t.berg@essen.de") == Role.FACILITATOR
    screenshot(page, JOURNEY, "03-oidc-angemeldet")
    # Signing out ends the planner session and the provider's (RP-initiated logout), then back to sign-in.
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r".*/login$"))
    assert oidc.logouts and oidc.logouts[-1].get("id_token_hint")
    page.goto(f"{live_server.url}/people/")
    assert "/login" in page.url


def test_administrator_wird_durch_die_einrichtung_des_zweiten_faktors_gefuehrt(page, live_server, providers):
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server.url}/accounts/users")
    with page.expect_navigation():
        page.get_by_role("link", name="Zweiter Faktor für Rollen").click()
    assert_accessible(page, "second factor setting")
    page.get_by_label("Administration", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    # From now on every page leads to the set-up first.
    page.goto(f"{live_server.url}/workshops/")
    assert page.url.endswith("/account/two-factor")
    assert page.locator("h1").inner_text() == "Zweiten Faktor einrichten"
    assert page.locator("figure.qr-code svg").is_visible()
    assert_accessible(page, "second factor set-up")
    screenshot(page, JOURNEY, "04-einrichtung")
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    page.locator("#code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    with page.expect_navigation():
        page.get_by_role("button", name="Bestätigen und einschalten").click()
    assert page.get_by_text("Dieser Code ist nicht richtig").first.is_visible()
    assert_accessible(page, "second factor set-up with an error")
    # The second try with the keyboard alone: Tab to the field, type, Enter.
    page.locator("#code").evaluate("el => { el.value = ''; el.blur(); }")
    focus_by_keyboard(page, "#code", "Tab")
    page.keyboard.type(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Ihre Wiederherstellungscodes"
    assert page.locator(".recovery-codes li").count() == 10
    assert_accessible(page, "recovery codes")
    with page.expect_navigation():
        page.get_by_role("link", name="Ich habe die Codes aufbewahrt, weiter").click()
    page.goto(f"{live_server.url}/workshops/")
    assert page.url.endswith("/workshops/")

    # Next sign-in: password, then the code (of the next time step: the one used at set-up is spent).
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r".*/login$"))
    page.locator("#email").fill("admin@example.org")
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/login/code")
    assert_accessible(page, "second factor at sign-in")
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type(pyotp.TOTP(secret).at(time.time() + 30))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    assert page.get_by_text("Angemeldet als Alex Admin").is_visible()
    screenshot(page, JOURNEY, "05-mit-code-angemeldet")
