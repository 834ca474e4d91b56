"""Production serving: JSON request log, fingerprinted static files, gunicorn with the shipped config."""

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from planner.serving import JsonLineFormatter

ROOT = Path(__file__).resolve().parents[2]


def test_every_request_is_logged_as_one_json_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="planner.requests"):
        response = client.get("/healthz", headers={"X-Request-ID": "proxy-abc-12345"})
    assert response.headers["X-Request-ID"] == "proxy-abc-12345"
    records = [r for r in caplog.records if r.name == "planner.requests"]
    assert len(records) == 1
    line = json.loads(JsonLineFormatter().format(records[0]))
    assert line["method"] == "GET" and line["path"] == "/healthz" and line["status"] == 200
    assert line["request_id"] == "proxy-abc-12345"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["ts"].endswith("+00:00")


def test_a_forged_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_static_files_get_a_content_hash_and_far_future_caching(client):
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"', page)
    assert match, "the stylesheet URL carries its content hash"
    response = client.get(match.group(1))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()
    stale = client.get("/static/css/app.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"  # an old hash is revalidated, never cached for a year
    stale.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_serves_the_app_with_the_shipped_config(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PLANNER_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
        "PLANNER_BIND": f"127.0.0.1:{port}",
        "PLANNER_GUNICORN_WORKERS": "2",
        "PLANNER_GUNICORN_THREADS": "2",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "planner/gunicorn_conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                    body = json.loads(response.read())
                    request_id = response.headers["X-Request-ID"]
                break
            except OSError:
                time.sleep(0.2)
        assert body == {"status": "ok", "database": "ok"}
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert "Booting worker" in stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line["path"] == "/healthz" and line["request_id"] == request_id for line in lines)
