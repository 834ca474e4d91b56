"""A new user's first minutes: the dashboard with the seven fields, signing in with the keyboard alone,
the skip link, visible focus, and switching the language."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_dashboard_shows_the_process_and_the_seven_fields(page, live_server):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert "CONNECTED.ESSEN" in page.locator("h1").inner_text()
    cards = page.locator("#fields-heading ~ ul.card-grid > li")
    assert cards.count() == 7
    assert "Smart Health" in page.locator("#series-heading").locator("xpath=..").inner_text()
    assert_accessible(page, "dashboard (anonymous)")
    screenshot(page, "foundation", "01-dashboard")


def test_keyboard_only_sign_in_with_skip_link_and_visible_focus(page, live_server):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.evaluate("el => getComputedStyle(el).top") != "-160px"  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # From the content, the keyboard reaches the sign-in link; the e-mail field then has the focus.
    page.locator("main a[href$='/login']").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#email")).to_be_focused()
    outline = page.locator("#email").evaluate(
        "el => getComputedStyle(el).outlineStyle + getComputedStyle(el).boxShadow"
    )
    assert outline not in ("nonenone", "none")
    page.keyboard.type("moderation@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("planner-demo")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    assert "Angemeldet als" in page.locator(".site-user").inner_text()
    screenshot(page, "foundation", "02-signed-in-facilitator")


def test_wrong_password_is_announced_and_linked_to_the_field(page, live_server):
    page.goto(live_server.url + "/login")
    page.locator("#email").fill("moderation@example.org")
    page.locator("#password").fill("falsch")
    page.locator("main form button[type=submit]").click()
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert summary.evaluate("el => el === document.activeElement")
    link = summary.locator("a").first
    assert link.get_attribute("href") == "#password"
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "sign-in with an error")
    screenshot(page, "foundation", "03-sign-in-error")


def test_language_switch_keeps_the_page_and_sets_lang(page, live_server):
    login(page, live_server, "strategie@example.org")
    page.goto(live_server.url + "/fields/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith("/fields/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Action fields"
    with page.expect_navigation():
        page.get_by_role("button", name="Deutsch").click()
    assert page.locator("h1").inner_text() == "Handlungsfelder"


@pytest.mark.parametrize("email", ["admin@example.org", "moderation@example.org", "expertin@example.org",
                                   "strategie@example.org", "pruefung@example.org"])
def test_every_demo_role_can_sign_in(page, live_server, email):
    login(page, live_server, email)
    assert page.locator(".site-user").is_visible()
