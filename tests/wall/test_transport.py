"""The transport across processes: two Flask apps on the same database file stand for two gunicorn workers. What one
commits, the other's event stream and polling fallback deliver; a revoked link is disconnected at once."""

import json
import threading
import time

from planner import create_app
from planner.core.models import utcnow
from planner.extensions import db
from planner.invitations.models import Invitation
from planner.wall import services
from planner.wall.models import Wall
from planner.workshops.models import AgendaBlock
from tests import factories

JSON = {"Accept": "application/json"}


def _open(app, scene) -> int:
    from planner.accounts.models import User

    with app.app_context():
        wall = services.wall_for_block(db.session.get(AgendaBlock, scene.status_block_id))
        services.open_wall(services.Actor(user=db.session.get(User, scene.facilitator_id)), wall)
        db.session.commit()
        return wall.id


def second_process(app, tmp_path, **overrides):
    """Another app on the same database (not tests.conftest.make_test_app: on PostgreSQL that empties the tables)."""
    config = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED",
                                                "MAIL_SERVER", "RATELIMIT_ENABLED", "BASE_URL",
                                                "PASSWORD_HASH_METHOD")}
    (tmp_path / "instance-2").mkdir(exist_ok=True)
    return create_app({**config, **overrides}, instance_path=tmp_path / "instance-2")


def _login(client, email):
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302


def _next_change(chunks, timeout=5.0) -> tuple[dict, float]:
    """Reads the stream (in a thread, so a silent stream fails the test instead of hanging it)."""
    found: list = []

    def read():
        for chunk in chunks:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if "event: change" in text or "event: gone" in text:
                found.append(text)
                return

    started = time.monotonic()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    assert found, "no event arrived in time"
    text = found[0]
    if "event: gone" in text:
        return {"gone": True}, time.monotonic() - started
    data = next(line for line in text.splitlines() if line.startswith("data: "))[6:]
    return json.loads(data), time.monotonic() - started


def test_a_card_posted_through_one_process_reaches_the_stream_of_another(app, scene, tmp_path):
    other = second_process(app, tmp_path, WALL_POLL_SECONDS=0.1)
    wall_id = _open(app, scene)
    watcher = other.test_client()
    _login(watcher, scene.expert_email)
    response = watcher.get(f"/wall/{wall_id}/events", buffered=False)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["X-Accel-Buffering"] == "no"
    chunks = iter(response.response)
    assert "event: hello" in next(chunks).decode()

    poster = app.test_client()
    _login(poster, scene.facilitator_email)
    posted = poster.post(f"/wall/{wall_id}/cards", data={"kind": "weakness", "text": "Zu wenig Ladesäulen",
                                                         "field": scene.field_id}, headers=JSON)
    assert posted.status_code == 200, posted.get_data(as_text=True)
    event, elapsed = _next_change(chunks)
    assert event["kind"] == "card"
    assert event["data"]["text"] == "Zu wenig Ladesäulen" and event["data"]["number"] == "MOB-S01"
    assert elapsed < 2
    response.close()

    # The polling fallback of the other process: the events after a cursor, and nothing twice.
    polled = watcher.get(f"/wall/{wall_id}/poll?after=0").get_json()
    assert [e["kind"] for e in polled["events"]] == ["wall", "card"]
    again = watcher.get(f"/wall/{wall_id}/poll?after={polled['cursor']}").get_json()
    assert again["events"] == [] and again["cursor"] == polled["cursor"]


def test_a_revoked_link_is_disconnected_at_once(app, scene, tmp_path):
    other = second_process(app, tmp_path, WALL_POLL_SECONDS=0.1, WALL_LINK_CHECK_SECONDS=0.2)
    wall_id = _open(app, scene)
    guest = other.test_client()
    response = guest.get(f"/wall/l/{scene.token}/{wall_id}/events", buffered=False)
    assert response.status_code == 200
    chunks = iter(response.response)
    next(chunks)
    with app.app_context():
        invitation = db.session.query(Invitation).filter_by(participation_id=scene.link_participation_id).one()
        invitation.revoked_at = utcnow()
        db.session.commit()
    event, elapsed = _next_change(chunks)
    assert event == {"gone": True} and elapsed < 2
    response.close()
    refused = guest.post(f"/wall/l/{scene.token}/{wall_id}/cards", data={"kind": "risk", "text": "Hallo"},
                         headers=JSON)
    assert refused.status_code == 410
    assert "zurückgezogen" in refused.get_json()["error"]
    with app.app_context():
        assert db.session.get(Wall, wall_id) is not None


def test_when_a_process_has_no_thread_left_for_a_stream_the_client_is_told_to_poll(app, scene):
    app.config["WALL_MAX_STREAMS"] = 1
    wall_id = _open(app, scene)
    client = app.test_client()
    _login(client, scene.expert_email)
    first = client.get(f"/wall/{wall_id}/events", buffered=False)
    assert "event: hello" in next(iter(first.response)).decode()
    second = client.get(f"/wall/{wall_id}/events", buffered=False)
    assert "event: busy" in b"".join(second.response).decode()
    first.close()
    third = client.get(f"/wall/{wall_id}/events", buffered=False)
    assert "event: hello" in next(iter(third.response)).decode()
    third.close()


def test_with_redis_the_wake_up_goes_through_pub_sub(app, scene, tmp_path):
    import shutil
    import socket
    import subprocess

    import pytest

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    redis = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",  # noqa: S603
                              "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    apps = [app]
    try:
        url = f"redis://127.0.0.1:{port}/0"
        import redis as redis_client

        for _ in range(50):
            try:
                redis_client.Redis.from_url(url).ping()
                break
            except redis_client.ConnectionError:
                time.sleep(0.1)
        app.config["WALL_REDIS_URL"] = url
        # A poll interval far too slow to pass the test: only the Redis message can wake the other process in time.
        other = second_process(app, tmp_path, WALL_REDIS_URL=url, WALL_POLL_SECONDS=60)
        apps.append(other)
        wall_id = _open(app, scene)
        watcher = other.test_client()
        _login(watcher, scene.expert_email)
        response = watcher.get(f"/wall/{wall_id}/events", buffered=False)
        chunks = iter(response.response)
        next(chunks)
        assert transport_backend(other) == "redis"
        poster = app.test_client()
        _login(poster, scene.facilitator_email)
        poster.post(f"/wall/{wall_id}/cards", data={"kind": "risk", "text": "Über Redis", "field": scene.field_id},
                    headers=JSON)
        event, elapsed = _next_change(chunks)
        assert event["data"]["text"] == "Über Redis" and elapsed < 2
        response.close()
    finally:
        from planner.wall import transport

        for each in apps:  # before the server goes: no listener left retrying for the rest of the run
            transport.hub_for(each).stop()
        redis.terminate()
        redis.wait(10)


def transport_backend(app) -> str:
    from planner.wall import transport

    return transport.hub_for(app).backend


def test_old_events_are_pruned(app, scene):
    from datetime import timedelta

    from planner.wall import transport
    from planner.wall.models import WallEvent

    wall_id = _open(app, scene)
    with app.app_context():
        old = db.session.query(WallEvent).filter_by(wall_id=wall_id).one()
        old.created_at = utcnow() - timedelta(hours=25)
        db.session.commit()
        transport.publish(wall_id, "timer", {"running": False})
        assert transport.prune_events(24) == 1
        db.session.commit()
        assert [e["kind"] for e in transport.events_after(wall_id, 0)] == ["timer"]


def test_two_changes_at_the_same_moment_reach_a_stream_even_when_the_earlier_commits_last(app, scene):
    """Two participants post at the same moment. The change that got the lower event id is still committing when a
    stream reads the log: the stream must not move its cursor past that card (it would never send it). On
    PostgreSQL the ids come from a sequence, so this needs the publish lock; on SQLite one writer waits for the
    other."""
    from planner.wall import transport

    wall_id = _open(app, scene)
    with app.app_context():
        cursor = transport.last_event_id(wall_id)
    first_written, release = threading.Event(), threading.Event()
    errors: list = []

    def change(text: str, hold: bool) -> None:
        try:
            with app.app_context():
                transport.publish(wall_id, "card", {"text": text})
                if hold:  # still committing (a slow request)
                    first_written.set()
                    release.wait(10)
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    slow = threading.Thread(target=change, args=("Erste Karte", True))
    slow.start()
    assert first_written.wait(5)
    quick = threading.Thread(target=change, args=("Zweite Karte", False))
    quick.start()
    time.sleep(0.5)  # the second change would have committed by now if nothing held it back
    with app.app_context():
        seen = transport.events_after(wall_id, cursor)  # what a stream sends now
    cursor = seen[-1]["id"] if seen else cursor
    release.set()
    slow.join(10)
    quick.join(10)
    assert not errors
    with app.app_context():
        later = transport.events_after(wall_id, cursor)  # and after the next wake-up
    assert [e["data"]["text"] for e in seen + later] == ["Erste Karte", "Zweite Karte"]


def test_the_streams_of_a_wall_end_at_spread_moments_within_their_lifetime(app, scene):
    """A workshop's browsers open their streams in the same minute; ending them all in the same second would have
    them all reconnect at once (and a card posted then wait for that). Each stream ends somewhere between 60 % and
    all of WALL_STREAM_SECONDS; the browser reconnects from its cursor."""
    from planner.wall import views

    app.config["WALL_STREAM_SECONDS"] = 1.0
    wall_id = _open(app, scene)
    client = app.test_client()
    _login(client, scene.expert_email)
    started = time.monotonic()
    response = client.get(f"/wall/{wall_id}/events", buffered=False)
    body = b"".join(response.response).decode()  # the whole stream, until the server ends it
    assert "event: hello" in body
    assert 0.55 <= time.monotonic() - started <= 1.0 + 0.5
    lifetimes = [views.stream_lifetime(55) for _ in range(200)]
    assert all(33 <= s <= 55 for s in lifetimes)
    assert max(lifetimes) - min(lifetimes) > 15  # spread over the range, not one moment


def test_with_the_periodic_look_far_too_slow_a_card_still_reaches_another_process_at_once(app, scene, tmp_path):
    """SQLite: the committing process rings the other processes of the same database file (Unix datagram sockets),
    so their streams do not wait for the next look at the log (PostgreSQL: NOTIFY does the same)."""
    other = second_process(app, tmp_path, WALL_POLL_SECONDS=60)
    wall_id = _open(app, scene)
    watcher = other.test_client()
    _login(watcher, scene.expert_email)
    response = watcher.get(f"/wall/{wall_id}/events", buffered=False)
    chunks = iter(response.response)
    assert "event: hello" in next(chunks).decode()
    poster = app.test_client()
    _login(poster, scene.facilitator_email)
    posted = poster.post(f"/wall/{wall_id}/cards", data={"kind": "strength", "text": "Sofort da",
                                                         "field": scene.field_id}, headers=JSON)
    assert posted.status_code == 200
    event, elapsed = _next_change(chunks)
    assert event["data"]["text"] == "Sofort da" and elapsed < 2
    response.close()


def test_the_bell_of_a_process_that_is_gone_is_tidied_away(tmp_path):
    from planner.wall.transport import Bell

    database = str(tmp_path / "wall.sqlite3")
    listener, gone, ringer = Bell(database), Bell(database), Bell(database)
    assert listener.listen() and gone.listen()
    gone.socket.close()  # killed: its socket file stays behind
    ringer.ring_others()
    assert not gone.path.exists()
    assert listener.wait(2)  # the living one was rung
    assert not listener.wait(0.05)  # once
    listener.close()
    assert not listener.path
