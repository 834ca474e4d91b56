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
PER_SHAPE = 2
# Links that are downloads, feeds or actions rather than pages.
SKIP = re.compile(r"\.(ics|csv|xlsx|docx|pdf|md|json|zip)(\?|$)|/logout|/export|/download|/feed|/healthz")


def shape(path: str) -> str:
    return re.sub(r"/\d+", "/N", re.sub(r"/[0-9a-f]{16,}|/[A-Za-z0-9_-]{30,}", "/T", path))


def crawl(page, server, role: str) -> list[str]:
    start = f"{server.url}/"
    queue, seen, shapes, visited = [start], {start}, {}, []
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
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            href = urldefrag(href).url
            if not href.startswith(server.url) or href in seen or SKIP.search(href):
                continue
            key = shape(urlsplit(href).path)
            if shapes.get(key, 0) >= PER_SHAPE:
                continue
            shapes[key] = shapes.get(key, 0) + 1
            seen.add(href)
            queue.append(href)
    return visited, files


@pytest.mark.parametrize("role", list(ROLES))
def test_every_reachable_page_is_accessible_and_valid(page, live_server, role):
    if ROLES[role]:
        login(page, live_server, ROLES[role])
    visited, files = crawl(page, live_server, role)
    assert len(visited) >= 4, f"the crawl as {role} reached too few pages: {visited}"
    errors = nu_errors(files)
    assert not errors, "Nu HTML Checker errors:\n" + "\n".join(errors[:40])
