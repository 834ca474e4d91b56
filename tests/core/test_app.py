import sqlite3

import pytest
from flask import Blueprint

from planner import create_app
from planner.core.permissions import PUBLIC, access
from planner.extensions import db
from planner.fields.models import ActionField
from tests import factories
from tests.conftest import make_test_app, text_of


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}
    first = create_app(dict(config), instance_path=tmp_path)
    second = create_app(dict(config), instance_path=tmp_path)
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()


def test_environment_and_instance_config_override_defaults(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('CITY_NAME = "Musterstadt"\nIDLE_TIMEOUT_MINUTES = 30\n')
    monkeypatch.setenv("PLANNER_IDLE_TIMEOUT_MINUTES", "45")
    monkeypatch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app = create_app(instance_path=tmp_path)
    assert app.config["CITY_NAME"] == "Musterstadt"
    assert app.config["IDLE_TIMEOUT_MINUTES"] == 45
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite3")


def test_postgresql_urls_use_psycopg3(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql://u:p@127.0.0.1/db", "TESTING": True}, instance_path=tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite-specific")
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        path = db.engine.url.database
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_app_with_a_view_without_access_rule_refuses_to_start(tmp_path, monkeypatch):
    import planner

    stray = Blueprint("stray", __name__)
    stray.add_url_rule("/stray", "open", lambda: "open")
    original = planner.cli.init_app

    def add_stray(app):
        app.register_blueprint(stray)
        original(app)

    monkeypatch.setattr(planner.cli, "init_app", add_stray)
    with pytest.raises(RuntimeError, match="stray.open"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}, instance_path=tmp_path)


def test_unknown_url_gets_a_styled_german_404(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    text = text_of(response)
    assert "Seite nicht gefunden" in text and "Zurück zur Übersicht" in text
    assert "Zum Hauptinhalt springen" in text  # the full layout, not a bare error


def test_a_failing_request_rolls_back_and_shows_a_styled_500(tmp_path):
    app = make_test_app(tmp_path)

    @access(PUBLIC)
    def explode():
        db.session.add(ActionField(code="BOOM", name_de="Boom", name_en="Boom"))
        db.session.flush()
        raise RuntimeError("simulated failure")

    app.add_url_rule("/explode", "explode", explode)
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert "Es wurde nichts gespeichert" in text_of(response)
    with app.app_context():
        assert db.session.query(ActionField).filter_by(code="BOOM").count() == 0


def test_security_headers_on_every_response(client):
    for url in ("/", "/login", "/healthz", "/nope"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_pages_are_german_by_default_and_switch_to_english(app, client):
    assert 'lang="de"' in client.get("/login").get_data(as_text=True)
    assert "Anmelden" in text_of(client.get("/login"))
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login")
    assert 'lang="en"' in page.get_data(as_text=True)
    assert "Sign in" in text_of(page)


def test_language_choice_is_remembered_for_the_account(app, client, auth):
    user_id = auth.login("expert")
    client.post("/language", data={"lang": "en", "next": "/"})
    with app.app_context():
        from planner.accounts.models import User

        assert db.session.get(User, user_id).locale == "en"
    auth.logout()
    client.post("/language", data={"lang": "de"})  # anonymous choice, then sign in again
    with client.session_transaction() as session:
        session.pop("lang", None)
    with app.app_context():
        email = db.session.get(User, user_id).email
    auth.login_as(email)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_foreign_redirects_and_unknown_languages(client):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert 'lang="de"' in client.get("/").get_data(as_text=True)


def test_dashboard_shows_the_fields_with_their_counts(app, client):
    with app.app_context():
        factories.process(city_name="Essen", title="CONNECTED.ESSEN")
        mob = factories.field(code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility")
        ws = factories.workshop(fields=[mob], title="Mobilitätsworkshop", starts_at=factories.aware(2099, 5, 5))
        factories.person(fields=[mob])
        factories.finding(workshop=ws, field=mob, text="Parksuchverkehr reduzieren")
        db.session.commit()
    text = text_of(client.get("/"))
    assert "CONNECTED.ESSEN" in text
    assert "MOB Smarte Mobilität" in text
    assert "Workshops 1 Expertinnen und Experten 1 Handlungsbedarfe 1 Maßnahmen 0" in text
    assert "Mobilitätsworkshop" in text  # what is next


def test_an_id_beyond_the_database_range_is_bad_input_not_a_crash(app, client, auth):
    auth.login("facilitator")
    response = client.get("/people/?field=9223372036854775808")
    assert response.status_code in (200, 400)
    with app.app_context():
        workshop_id = factories.workshop().id
        db.session.commit()
    response = client.post(f"/invitations/workshop/{workshop_id}/invite",
                           data={"person_id": "9223372036854775808", "mode": "selection"})
    assert response.status_code in (200, 302, 400)


def test_exactly_one_menu_item_is_current(app, client, auth):
    auth.login("facilitator")
    for url in ("/findings/measures", "/findings/needs", "/workshops/", "/"):
        html = client.get(url).get_data(as_text=True)
        nav = html.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
        assert nav.count('aria-current="page"') == 1, url


def test_templates_render_outside_a_request_for_mails_and_jobs(ctx):
    from flask import render_template_string

    # e-mail templates use the shared context (city name, language) without a request
    from planner.city.services import update_city

    update_city(None, name="Lindhaven")
    assert render_template_string("{{ city_name }} {{ current_locale }} {{ nav_items|length }}") == "Lindhaven de 0"
