"""20 clients write findings and measures at once for 30 s against a real server: no error, nothing lost, no
duplicate (SQLite in WAL mode with a busy timeout)."""

import http.cookiejar
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from planner.core.permissions import Role
from planner.extensions import db
from planner.findings.models import Finding, Measure
from tests import factories
from tests.conftest import make_test_app

pytestmark = pytest.mark.slow

CLIENTS = 20
DURATION = 30.0
# Generous, so a busy CI machine is not mistaken for a lost write; requests under way at 30 s end by 50 s.
REQUEST_TIMEOUT = 20.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def post(client, url, data) -> int:
    body = urllib.parse.urlencode(data).encode()
    try:
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - our own 127.0.0.1 server
        with client.open(request, timeout=REQUEST_TIMEOUT) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code
    except (TimeoutError, urllib.error.URLError, ConnectionError):
        return 0  # no answer in time: counted, and the write may or may not be there (but at most once)


@pytest.fixture
def server(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        db.create_all()
        fld = factories.field()
        ws = factories.workshop(fields=[fld])
        factories.user(role=Role.ADMIN, email="admin@example.org")
        db.session.commit()
        ids = {"field": fld.id, "workshop": ws.id}
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{srv.server_port}", ids
    srv.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def test_twenty_writers_for_thirty_seconds(server):
    app, base, ids = server
    started = time.monotonic()
    deadline = started + DURATION
    acknowledged: list[tuple[str, str]] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client_thread(n: int):
        client = opener()
        assert post(client, f"{base}/login", {"email": "admin@example.org", "password": factories.PASSWORD}) == 302
        i = 0
        while time.monotonic() < deadline:
            i += 1
            marker = f"T{n:02d}-{i:05d}"
            if n % 2:
                kind, status = "finding", post(client, f"{base}/findings/workshops/{ids['workshop']}/capture",
                                               {"field": ids["field"], "kind": "need", "text": f"Bedarf {marker}"})
            else:
                kind, status = "measure", post(client, f"{base}/findings/measures/new",
                                               {"field": ids["field"], "title": f"Maßnahme {marker}"})
            with lock:
                statuses[status] += 1
                if status == 302:
                    acknowledged.append((kind, marker))

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.1, DURATION + REQUEST_TIMEOUT - (time.monotonic() - started)))
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert time.monotonic() - started <= DURATION + REQUEST_TIMEOUT

    assert not [s for s in statuses if s >= 500], f"server errors: {statuses}"
    assert statuses[302] == sum(statuses.values()), f"not every write was acknowledged: {statuses}"
    assert len(acknowledged) > CLIENTS * 5, "too few writes to mean anything"
    with app.app_context():
        texts = Counter(t.removeprefix("Bedarf ") for t in db.session.scalars(select(Finding.text)))
        titles = Counter(t.removeprefix("Maßnahme ") for t in db.session.scalars(select(Measure.title)))
    for kind, marker in acknowledged:
        stored = texts if kind == "finding" else titles
        assert stored[marker] == 1, f"{kind} {marker} stored {stored[marker]} times"
    assert max([*texts.values(), *titles.values()]) == 1, "a write stored twice"
