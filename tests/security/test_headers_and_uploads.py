"""Security headers on every kind of response; upload size limit and type sniffing."""

import io
import zipfile

import pytest

from planner.core.permissions import Role
from planner.core.security import sniff_upload
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app, text_of
from tests.security.helpers import build_url, endpoints_with, sign_in_as


def assert_secure_headers(response, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "script-src" in directives, f"{what}: no script-src in CSP"
    assert "'unsafe-inline'" not in directives["script-src"], what
    assert "'unsafe-eval'" not in directives["script-src"], what
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", what
    assert directives.get("object-src") == "object-src 'none'", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


def test_headers_on_every_kind_of_page(app, client, auth):
    with app.app_context():
        person = factories.person()
        db.session.commit()
        person_id = person.id
    cases = {
        "html page": client.get("/login"),
        "json": client.get("/healthz"),
        "static file": client.get("/static/" + next(iter(sorted(p.name for p in
                                  __import__("pathlib").Path(app.static_folder, "css").glob("*.css"))))),
        "404 error": client.get("/no-such-page"),
        "405 error": client.get("/logout"),
        "redirect": client.get("/accounts/users"),
    }
    auth.login(Role.EXPERT)
    cases["403 error"] = client.get("/accounts/users")
    assert cases["403 error"].status_code == 403
    auth.logout()
    auth.login(Role.ADMIN)
    cases["405 on a signed-in page"] = client.get("/privacy-requests/me/export")
    cases["download"] = client.post(f"/privacy-requests/people/{person_id}/export")
    assert cases["download"].headers["Content-Disposition"].startswith("attachment")
    for what, response in cases.items():
        assert_secure_headers(response, what)


def test_headers_on_every_get_page(app):
    client = app.test_client()
    with app.app_context():
        factories.process()
        admin = factories.user(role=Role.ADMIN)
        db.session.commit()
        sign_in_as(client, admin)
        urls = [u for u in (build_url(app, e) for e in endpoints_with(app, "GET")) if u]
    for url in urls:
        assert_secure_headers(client.get(url), url)


def test_500_page_has_headers_and_no_traceback(tmp_path):
    app = make_test_app(tmp_path)

    @app.route("/boom")
    def boom():  # pragma: no cover - the handler below answers
        raise RuntimeError("secret internals")

    boom.access_rule = __import__("planner.core.permissions", fromlist=["AccessRule"]).AccessRule(True, frozenset())
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert_secure_headers(response, "500")


# --- uploads ---------------------------------------------------------------------------------------------------


@pytest.fixture
def small_limit_app(tmp_path):
    app = make_test_app(tmp_path, MAX_CONTENT_LENGTH=4096)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_too_large_upload_gets_the_friendly_413_page(small_limit_app):
    app = small_limit_app
    client = app.test_client()
    with app.app_context():
        admin = factories.user(role=Role.ADMIN)
        db.session.commit()
        sign_in_as(client, admin)
    big = io.BytesIO(b"Name;E-Mail\n" + b"x;y@example.org\n" * 2000)
    response = client.post("/accounts/users/new", data={"file": (big, "liste.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Datei zu groß" in text_of(response) or "File too large" in text_of(response)
    assert_secure_headers(response, "413")


def test_every_upload_form_refuses_too_large_files(small_limit_app):
    """Every page with a multipart form: a file over MAX_CONTENT_LENGTH gets the 413 page, not a 500."""
    app = small_limit_app
    client = app.test_client()
    with app.app_context():
        factories.process()
        admin = factories.user(role=Role.ADMIN)
        db.session.commit()
        sign_in_as(client, admin)
        urls = [u for u in (build_url(app, e) for e in endpoints_with(app, "POST")) if u]
    for url in urls:
        page = client.get(url)
        if page.status_code != 200 or b"multipart/form-data" not in page.data:
            continue
        response = client.post(url, data={"file": (io.BytesIO(b"a;b\n" * 4000), "gross.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 413, url


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    wb = Workbook()
    wb.active.append(["Frage", "Antwort"])
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Name;E-Mail\nAnna;anna@example.org\n", "csv"),
        ("\ufeffName;Straße\r\nÄ;Ö\r\n".encode(), "csv"),
        ("Name;Straße\nÄ;Ö\n".encode("cp1252"), "csv"),
        (b"%PDF-1.7\n...", "binary"),
        (b"\x89PNG\r\n\x1a\n....", "binary"),
        (b"MZ\x90\x00 an exe named .csv", "binary"),
        (b"a,b\n\x00\x01\x02", "binary"),
        (b"", "binary"),
        (b"PK\x03\x04 not really a zip", "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old xls", "binary"),
    ],
)
def test_sniff_upload(data, expected):
    assert sniff_upload(data) == expected


def test_sniff_upload_recognises_xlsx_and_refuses_other_zips():
    assert sniff_upload(_xlsx_bytes()) == "xlsx"
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert sniff_upload(other.getvalue()) == "binary"


def test_sniff_upload_does_not_decompress():
    """A zip bomb is recognised from the ZIP directory alone: the test finishes at once, memory stays small."""
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024
    assert sniff_upload(bomb.getvalue()) == "xlsx"  # what it claims to be; the importer limits the rest
