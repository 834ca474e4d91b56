"""End-to-end tests: the real app on 127.0.0.1 and a free port, Debian's Chromium driven by Playwright.

Each test module gets its own server with a fresh database holding the demo (the journeys start where a
new user starts). CSRF is on, as in production.
"""

import contextlib
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from werkzeug.serving import make_server

from planner import create_app
from planner.extensions import db

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "planner-demo"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = pytest.mark.e2e


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=10)


E2E_CONFIG = {
    "SECRET_KEY": "e2e-secret",
    "MAIL_SERVER": None,
    "RATELIMIT_ENABLED": False,
    "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
}


@pytest.fixture(scope="session")
def demo_snapshot(tmp_path_factory) -> Path:
    """The demo seeded once per test process (it takes seconds): every module's server starts from a copy of its
    database file and instance folder, as if it had seeded its own."""
    tmp = tmp_path_factory.mktemp("demo")
    app = create_app({**E2E_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'e2e.sqlite3'}"},
                     instance_path=tmp / "instance")
    with app.app_context():
        from planner.demo import seed_demo

        db.create_all()
        seed_demo()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tmp


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, demo_snapshot):
    """The planner with the demo loaded, serving on 127.0.0.1 and a free port."""
    tmp = tmp_path_factory.mktemp("live")
    shutil.copyfile(demo_snapshot / "e2e.sqlite3", tmp / "e2e.sqlite3")
    shutil.copytree(demo_snapshot / "instance", tmp / "instance")
    app = create_app({**E2E_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'e2e.sqlite3'}"},
                     instance_path=tmp / "instance")
    app.config["BASE_URL"] = "http://127.0.0.1"
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright cannot download its own browser here: Debian's Chromium it is.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "de-DE", "timezone_id": "Europe/Berlin",
            "viewport": {"width": 1280, "height": 900}}


def login(page, server, email: str, password: str = DEMO_PASSWORD):
    """Sign in through the real form."""
    page.goto(f"{server.url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed"


def login_by_keyboard(page, server, email: str, password: str = DEMO_PASSWORD):
    """Sign in with the keyboard alone: the e-mail field has the focus, Tab to the password, Enter."""
    page.goto(f"{server.url}/login")
    expect(page.locator("#email")).to_be_focused()  # autofocus may land a moment after the load event
    page.keyboard.type(email)
    focus_by_keyboard(page, "#password", "Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, f"sign-in as {email} failed"


FOCUS_STATE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return {
    name: el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""),
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
              && r.top < innerHeight && r.left < innerWidth && s.visibility === "visible",
    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== "none",
  };
}"""


def assert_focus_visible(page, where: str = "") -> None:
    """The focused element is on screen and shows a focus indicator (WCAG 2.4.7): an outline or a shadow."""
    # KERN scrolls smoothly: the focused element may take a moment to arrive on screen.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"() => {{ const s = ({FOCUS_STATE_JS})(); return !s || s.onScreen; }}", timeout=3000)
    state = page.evaluate(FOCUS_STATE_JS)
    assert state, f"{where}: nothing has the focus"
    assert state["onScreen"], f"{where}: the focused {state['name']} is not on screen"
    assert state["outline"] or state["shadow"], f"{where}: the focused {state['name']} shows no focus indicator"


def focus_by_keyboard(page, selector: str, key: str | None = None, limit: int = 150) -> None:
    """Moves the focus with Tab or Shift+Tab (whichever way the element lies) until it has it: no clicks.

    Then checks that the focused element is visible and shows its focus (assert_focus_visible).
    """
    target = page.locator(selector).first
    if key is None:
        follows = target.evaluate(
            "el => !!(document.activeElement.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)")
        key = "Tab" if follows else "Shift+Tab"
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            assert_focus_visible(page, selector)
            return
        page.keyboard.press(key)
    pytest.fail(f"{selector} not reached with {key}")


def choose_option(page, selector: str, value: str) -> None:
    """Chooses an option of the focused select with the arrow keys (Home, then ArrowDown)."""
    select_ = page.locator(selector).first
    assert select_.evaluate("el => el === document.activeElement"), f"{selector} has no focus"
    page.keyboard.press("Home")
    for _ in range(60):
        if select_.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    pytest.fail(f"option {value} of {selector} not reached")


def choose_option_by_keyboard(page, selector: str, label: str) -> None:
    """Tabs to a select and chooses the first option whose text contains ``label`` with the arrow keys."""
    focus_by_keyboard(page, selector)
    value = page.locator(f"{selector} option", has_text=label).first.get_attribute("value")
    choose_option(page, selector, value)


def screenshot(page, journey: str, name: str) -> Path:
    """Keeps a screenshot of a journey's key page under test-artifacts/screenshots/ (git-ignored)."""
    folder = ARTIFACTS / "screenshots" / journey
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Runs axe-core (WCAG 2.1 A and AA rules) on the current page and returns its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) stays in force.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;void 0;")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return result["violations"]


def assert_accessible(page, where: str = ""):
    violations = axe_violations(page)
    if violations:
        lines = [f"axe found {len(violations)} WCAG violation(s) on {where or page.url}:"]
        for v in violations:
            targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} -> {targets}")
        pytest.fail("\n".join(lines))


def nu_errors(html_files: list[Path]) -> list[str]:
    """Runs the Nu HTML Checker (vnu.jar, offline) over the files; returns its error messages."""
    if not html_files:
        return []
    completed = subprocess.run(  # noqa: S603 - fixed command, our own files
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--exit-zero-always",
         *[str(f) for f in html_files]],
        capture_output=True, text=True, timeout=600, check=True,
    )
    messages = json.loads(completed.stderr or completed.stdout or '{"messages": []}')["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m.get('message')}"
        for m in messages if m.get("type") == "error"
    ]


def slug(url: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", url).strip("_")[:120] or "root"
