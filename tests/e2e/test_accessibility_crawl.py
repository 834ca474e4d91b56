"""Every page each demo role can reach: zero axe violations (WCAG 2.1 A/AA) and zero Nu HTML Checker errors.

The crawler follows same-origin links by GET only (it never submits a form), visits at most a few pages
per URL shape (/workshops/1 and /workshops/2 are the same template), and looks at each page in German.
"""

import re
from urllib.parse import urldefrag, urlsplit

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_accessible, login, nu_errors, slug

pytestmark = pytest.mark.e2e

ROLES = {
    "anonymous": None,
    "admin": "admin@example.org",
    "facilitator": "moderation@example.org",
    "expert": "expertin@example.org",
    "strategy_team": "strategie@example.org",
    "reviewer": "pruefung@example.org",
}
MAX_PAGES = 80
# Pages a role can reach that the crawl must not miss within MAX_PAGES: visited first.
FIRST = {
    "anonymous": ["/city/imprint", "/monitoring/public", "/strategy/consultations/1",
                  "/strategy/consultations/1/paragraphs/2/comment"],
    "admin": ["/city/settings", "/city/setup/city", "/city/setup/process", "/city/setup/fields",
              "/city/setup/districts", "/city/setup/sectors", "/city/setup/template", "/city/setup/done",
              "/city/legal/privacy/de", "/city/legal/imprint/en", "/city/remove-demo",
              "/fields/manage", "/fields/new", "/fields/MOB/edit", "/fields/MOB/merge", "/fields/processes",
              "/fields/processes/new"],
    "strategy_team": ["/fields/manage", "/minutes/workshop/1", "/monitoring/", "/monitoring/reports",
                      "/strategy/versions/1/consultation", "/strategy/consultations/1/comments", "/surveys/codebook"],
    "facilitator": ["/minutes/workshop/1", "/minutes/workshop/1/edit", "/minutes/workshop/1/send",
                    "/wall/workshop/1"],  # the live card walls (their boards are linked from there)
}
PER_SHAPE = 2
# Links that are downloads, feeds or actions rather than pages.
SKIP = re.compile(r"\.(ics|csv|xlsx|docx|pdf|md|json|zip)(\?|$)|/logout|/export|/download|/feed|/healthz")


def shape(path: str) -> str:
    return re.sub(r"/\d+", "/N", re.sub(r"/[0-9a-f]{16,}|/[A-Za-z0-9_-]{30,}", "/T", path))


# Forms that may be submitted empty to show their validation errors: those with a required field, which a
# correct server refuses when it is empty (so the crawl changes nothing).
# htmx forms and confirmed actions are left to the journeys (they do not navigate).
REQUIRED_FORM = (
    "main form[method=post]:not([hx-post]):not([data-hx-post]):not([data-confirm])"
    ":has([required], [aria-required=true])"
)


def check_form_errors(page, url: str, role: str, html_dir, files: list) -> int:
    """Submits each form with a required field empty and checks the page that shows the errors."""
    checked = 0
    count = page.locator(REQUIRED_FORM).count()
    for index in range(count):
        page.goto(url)
        form = page.locator(REQUIRED_FORM).nth(index)
        for field in form.locator("input[type=text], input[type=email], input:not([type]), textarea").all():
            if field.is_visible() and field.is_editable():
                field.fill("")
        buttons = form.locator("button[type=submit], input[type=submit]")
        if buttons.count() == 0 or not buttons.first.is_visible():
            continue
        form.evaluate("f => f.setAttribute('novalidate', '')")  # the server's messages, not the browser's
        if form.evaluate("f => !!f.closest('[data-hx-boost=true], [hx-boost=true]')"):
            # An htmx-boosted form (the one-page agenda) answers in place: no navigation to wait for.
            with page.expect_response(lambda r: r.request.method == "POST", timeout=15000):
                buttons.first.click()
            page.wait_for_load_state("networkidle")
        else:
            with page.expect_navigation(timeout=15000):
                buttons.first.click()
        if role != "anonymous":
            assert "/login" not in page.url, f"submitting a form on {url} as {role} signed the user out"
        if page.locator("#error-summary, .kern-error").count():
            assert_accessible(page, f"{url} (form {index + 1} with errors) as {role}")
            path = html_dir / f"{slug(urlsplit(url).path)}_form{index + 1}_errors.html"
            path.write_text(page.content(), encoding="utf-8")
            files.append(path)
            checked += 1
    return checked


def crawl(page, server, role: str):
    start = f"{server.url}/"
    first = [server.url + path for path in FIRST.get(role, [])]
    queue, seen, shapes, visited = [start, *first], {start, *first}, {}, []
    forms_with_errors = 0
    html_dir = ARTIFACTS / "html" / role
    html_dir.mkdir(parents=True, exist_ok=True)
    files = []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        assert response.status < 500, f"{url} answered {response.status} for {role}"
        visited.append(url)
        assert_accessible(page, f"{url} as {role}")
        path = html_dir / f"{slug(urlsplit(url).path + '_' + (urlsplit(url).query or ''))}.html"
        path.write_text(page.content(), encoding="utf-8")
        files.append(path)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        forms_with_errors += check_form_errors(page, url, role, html_dir, files)
        for href in hrefs:
            href = urldefrag(href).url
            if not href.startswith(server.url) or href in seen or SKIP.search(href):
                continue
            key = shape(urlsplit(href).path)
            if shapes.get(key, 0) >= PER_SHAPE:
                continue
            shapes[key] = shapes.get(key, 0) + 1
            seen.add(href)
            queue.append(href)
    return visited, files, forms_with_errors


@pytest.mark.parametrize("role", list(ROLES))
def test_every_reachable_page_is_accessible_and_valid(page, live_server, role):
    if ROLES[role]:
        login(page, live_server, ROLES[role])
    visited, files, forms_with_errors = crawl(page, live_server, role)
    assert len(visited) >= 4, f"the crawl as {role} reached too few pages: {visited}"
    if role != "anonymous":
        assert forms_with_errors >= 1, f"no form was checked with its errors shown as {role}"
    errors = nu_errors(files)
    assert not errors, "Nu HTML Checker errors:\n" + "\n".join(errors[:40])
