"""The strategy team manages the action fields with the keyboard alone: reorder, create, and a refused retire."""

import pytest

from tests.e2e.conftest import assert_accessible, focus_by_keyboard, login_by_keyboard, screenshot

pytestmark = pytest.mark.e2e


def _codes(page) -> list[str]:
    return [row.get_attribute("id").removeprefix("field-") for row in page.locator("tbody tr[id^=field-]").all()]


def test_fields_are_reordered_and_created_by_keyboard(page, live_server):
    login_by_keyboard(page, live_server, "strategie@example.org")
    page.goto(f"{live_server.url}/fields/manage")
    before = _codes(page)
    assert before[:2] == ["UMW", "MOB"]
    assert_accessible(page, "manage action fields")
    focus_by_keyboard(page, "button:has-text('MOB nach oben')", "Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "MOB wurde verschoben." in page.locator("main").inner_text()
    assert _codes(page)[:2] == ["MOB", "UMW"]

    # Retiring a field with open measures is refused with a clear message; nothing changes.
    page.goto(f"{live_server.url}/fields/manage")
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmation of the retire button
    focus_by_keyboard(page, "button:has-text('GES ausscheiden lassen')", "Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "offene Maßnahmen" in page.locator("main").inner_text()

    page.goto(f"{live_server.url}/fields/new")
    focus_by_keyboard(page, "#code", "Tab")
    page.keyboard.type("KUL")
    focus_by_keyboard(page, "#name_de", "Tab")
    page.keyboard.type("Teilhabe und Kultur")
    focus_by_keyboard(page, "#colour", "Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("#fafafa")  # too light: refused, the form keeps the input
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "zu hell" in page.locator("#error-summary").inner_text()
    assert_accessible(page, "new action field with errors")
    focus_by_keyboard(page, "#colour", "Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("#6a1b9a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Das Handlungsfeld KUL wurde angelegt." in page.locator("main").inner_text()
    assert _codes(page)[-1] == "KUL"
    screenshot(page, "fields", "01-manage-after-create")
