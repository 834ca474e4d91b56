"""The setup pages, the city's settings, the logo, the legal pages and the removal of the demo, through HTTP."""

import io
import zipfile
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from planner.accounts.models import User
from planner.city.models import CitySettings, LegalPage
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from tests.conftest import text_of


def png_bytes(size=(20, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1d4e89").save(buffer, "PNG")
    return buffer.getvalue()


def docx_bytes() -> bytes:
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    return buffer.getvalue()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_setup_step_by_step_with_a_skip(app, client, auth):
    auth.login("admin")
    assert client.get("/city/setup").headers["Location"].endswith("/city/setup/city")
    page = client.get("/city/setup/city")
    assert "Einrichtung: die Stadt" in text_of(page) and 'aria-current="step"' in page.get_data(as_text=True)

    response = client.post("/city/setup/city", data={"name": "Lindhaven", "contact_email": "kein-mail"})
    assert response.status_code == 200 and "gültige E-Mail-Adresse" in text_of(response)
    with app.app_context():
        assert CitySettings.get() is None  # nothing half-saved
    response = client.post("/city/setup/city", data={"name": "Lindhaven", "mail_sender": "post@lindhaven.example",
                                                     "address": "Am Markt 3\n99999 Lindhaven"})
    assert response.headers["Location"].endswith("/city/setup/process")
    assert "Lindhaven" in text_of(client.get("/"))

    response = client.post("/city/setup/process", data={"title": "Lindhaven 2035", "target_year": "2030",
                                                        "milestone_years": "2028, 2035"})
    assert "darf nicht vor dem letzten Meilenstein (2035) liegen" in text_of(response)
    response = client.post("/city/setup/process", data={"title": "Lindhaven 2035", "target_year": "2035",
                                                        "milestone_years": "2028, zwanzig"})
    assert "ganze Jahreszahlen" in text_of(response)
    with app.app_context():
        assert StrategyProcess.current() is None
    response = client.post("/city/setup/process", data={"title": "Lindhaven 2035", "vision": "Offen.",
                                                        "target_year": "2035", "milestone_years": "2028, 2031"})
    assert response.headers["Location"].endswith("/city/setup/fields")

    field = {"code": "mov", "name_de": "Mobilität und Verkehr", "name_en": "Mobility and transport",
             "colour": "#1565c0", "index_area": "mobility"}
    response = client.post("/city/setup/fields", data=field)
    assert response.headers["Location"].endswith("/city/setup/fields")
    page = client.get("/city/setup/fields")
    assert "MOV – Mobilität und Verkehr" in text_of(page)
    response = client.post("/city/setup/fields", data=field)
    assert "Das Kürzel „MOV“ ist bereits vergeben." in text_of(response)
    response = client.post("/city/setup/fields", data={**field, "code": "WOL", "colour": "grün"})
    assert "#rrggbb" in text_of(response)
    response = client.post("/city/setup/fields", data={"skip": "1"})
    assert response.headers["Location"].endswith("/city/setup/districts")

    response = client.post("/city/setup/districts", data={"districts": "Hafen: Kai, Speicherstadt\nOberstadt\n"})
    assert response.headers["Location"].endswith("/city/setup/sectors")
    response = client.post("/city/setup/sectors", data={"sectors": ["administration", "science"]})
    assert response.headers["Location"].endswith("/city/setup/template")

    response = client.post("/city/setup/template", data={"template": (io.BytesIO(b"not a docx"), "vorlage.docx")},
                           content_type="multipart/form-data")
    assert "kein Word-Dokument" in text_of(response)
    response = client.post("/city/setup/template", data={"template": (io.BytesIO(docx_bytes()), "vorlage.docx")},
                           content_type="multipart/form-data")
    assert response.headers["Location"].endswith("/city/setup/done")
    summary = text_of(client.get("/city/setup/done"))
    assert "Lindhaven 2035" in summary and "MOV" in summary
    assert client.post("/city/setup/done").headers["Location"].endswith("/")

    with app.app_context():
        settings = CitySettings.get()
        assert settings.setup_finished_at is not None
        assert settings.districts == [{"name": "Hafen", "quarters": ["Kai", "Speicherstadt"]},
                                      {"name": "Oberstadt", "quarters": []}]
        assert settings.sectors == ["administration", "science"]
        assert settings.paper_template_name == "vorlage.docx"
        assert zipfile.is_zipfile(io.BytesIO(settings.paper_template))
        process = StrategyProcess.current()
        assert (process.city_name, process.target_year, process.milestone_years) == ("Lindhaven", 2035, [2028, 2031])
        assert [f.code for f in db.session.scalars(select(ActionField))] == ["MOV"]

    # A workshop can be planned right away with the new field.
    auth.logout()
    auth.login("facilitator")
    assert "Mobilität und Verkehr" in text_of(client.get("/workshops/new"))


def test_every_step_can_be_skipped(app, client, auth):
    auth.login("admin")
    for step, following in (("city", "process"), ("process", "fields"), ("fields", "districts"),
                            ("districts", "sectors"), ("sectors", "template"), ("template", "done")):
        response = client.post(f"/city/setup/{step}", data={"skip": "1"})
        assert response.headers["Location"].endswith(f"/city/setup/{following}")
    with app.app_context():
        assert CitySettings.get() is None and StrategyProcess.current() is None


def test_logo_upload_checks_the_file(app, client, auth):
    auth.login("admin")

    def upload(data, name):
        return client.post("/city/logo", data={"logo": (io.BytesIO(data), name), "next": "/city/settings"},
                           content_type="multipart/form-data", follow_redirects=True)

    assert "PNG- oder SVG-Bild" in text_of(upload(b"%PDF-1.4 not an image", "logo.png"))
    assert "Skript" in text_of(upload(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                                      "logo.svg"))
    assert "höchstens 1 MB" in text_of(upload(png_bytes() + b"\0" * (2 * 1024 * 1024), "logo.png"))
    with app.app_context():
        assert CitySettings.get() is None or not CitySettings.get().logo_mimetype
    assert client.get("/city/logo").status_code == 404

    assert "Das Logo wurde gespeichert." in text_of(upload(png_bytes(), "logo.png"))
    response = client.get("/city/logo")
    assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert 'class="site-brand__logo"' in client.get("/").get_data(as_text=True)

    svg = (b'<?xml version="1.0"?><!-- drawn by hand --><svg xmlns="http://www.w3.org/2000/svg" '
           b'viewBox="0 0 10 10"><a href="#x"><circle r="4" cx="5" cy="5"/></a></svg>')
    assert "Das Logo wurde gespeichert." in text_of(upload(svg, "logo.svg"))
    stored = client.get("/city/logo")
    assert stored.mimetype == "image/svg+xml" and b"drawn by hand" not in stored.data and b"<circle" in stored.data

    client.post("/city/logo/remove")
    assert client.get("/city/logo").status_code == 404


def test_settings_page_saves_identity_and_mail_sender(app, client, auth, outbox):
    auth.login("admin")
    page = client.get("/city/settings")
    assert page.status_code == 200 and "Einstellungen der Stadt" in text_of(page)
    response = client.post("/city/settings", data={"name": "Lindhaven", "mail_sender": "post@lindhaven.example",
                                                   "feedback_email": "barrieren@lindhaven.example",
                                                   "website": "lindhaven.example"})
    assert "https://" in text_of(response)
    response = client.post("/city/settings", data={"name": "Lindhaven\r\nBcc: x@evil.example",
                                                   "mail_sender": "post@lindhaven.example"})
    assert "einzelne Zeile" in text_of(response)
    response = client.post("/city/settings", data={"name": "Lindhaven", "mail_sender": "post@lindhaven.example",
                                                   "feedback_email": "barrieren@lindhaven.example"})
    assert response.status_code == 302
    client.post("/accessibility", data={"message": "Zu kleiner Text", "page": "/"})
    mail = outbox()[-1]
    assert mail["From"] == "post@lindhaven.example" and mail["To"] == "barrieren@lindhaven.example"


def test_legal_pages_are_edited_per_language_and_sanitised(app, client, auth):
    auth.login("admin")
    page = client.get("/city/legal/privacy/de")
    assert "## Welche Daten wir verarbeiten" in page.get_data(as_text=True)  # the built-in text as the start
    body = "## Verantwortlich\n\nStadt Lindhaven, Am Markt 3.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    assert client.post("/city/legal/privacy/de", data={"body": body}).status_code == 302
    public = client.get("/privacy")
    html = public.get_data(as_text=True)
    assert "Stadt Lindhaven, Am Markt 3." in text_of(public)
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, never run
    assert '<h2>Verantwortlich</h2>' in html
    client.post("/language", data={"lang": "en"})
    english = text_of(client.get("/privacy"))
    assert "What data we process" in english and "Am Markt 3" not in english
    client.post("/language", data={"lang": "de"})

    assert client.post("/city/legal/imprint/de", data={"body": "## Herausgeber\n\nStadt Lindhaven"}).status_code == 302
    assert "Stadt Lindhaven" in text_of(client.get("/city/imprint"))
    client.post("/city/legal/imprint/de/reset")
    assert "Stadt Lindhaven" not in text_of(client.get("/city/imprint"))
    assert client.get("/city/legal/cookies/de").status_code == 404
    with app.app_context():
        assert [(p.kind, p.locale) for p in db.session.scalars(select(LegalPage))] == [("privacy", "de")]


def test_remove_demo_leaves_nothing_but_the_admin(app, client, auth, runner, outbox):
    from planner.core.mail import send_mail
    from planner.demo import seed_demo

    with app.app_context():
        seed_demo()
        send_mail("expertin@example.org", "Einladung", "Hallo")  # a demo mail in the outbox
        db.session.commit()
        demo_names = [p for p in db.session.scalars(select(User.email))]
    jobs = Path(app.instance_path) / "jobs" / "1"
    jobs.mkdir(parents=True)
    (jobs / "paper.pdf").write_bytes(b"%PDF demo")
    assert outbox()

    auth.login_as("admin@example.org", "planner-demo")
    page = client.get("/city/remove-demo")
    assert "Was entfernt wird" in text_of(page) and "people" in text_of(page)
    response = client.post("/city/remove-demo", data={})
    assert "Bitte bestätigen Sie das Entfernen." in text_of(response)
    response = client.post("/city/remove-demo", data={"confirm": "y"})
    assert response.headers["Location"].endswith("/city/setup")

    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["admin@example.org"]
        assert db.session.get(User, db.session.scalar(select(User.id))).person_id is None
        leftovers = {t.name: n for t in db.metadata.sorted_tables
                     if (n := db.session.scalar(select(func.count()).select_from(t)))}
        assert leftovers == {"users": 1, "audit_log": 1}, leftovers
    assert not outbox() and not jobs.exists()
    assert len(demo_names) > 1
    home = text_of(client.get("/"))
    assert "Essen" not in home and "CONNECTED" not in home and "Demodaten sind fiktiv" not in home, home
    # The admin is still signed in, was told to check their own account, and is led to the setup.
    assert "Wenn es ein Demokonto ist" in home
    assert client.get("/city/setup/city").status_code == 200
    # A second removal has nothing to remove.
    assert "keine Demodaten" in text_of(client.get("/city/remove-demo"))
    result = runner.invoke(args=["remove-demo", "--yes"])
    assert result.exit_code != 0 and "keine Demodaten; nichts wurde entfernt" in result.output


def test_remove_demo_command_keeps_the_named_admin(app, runner):
    from planner.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.commit()
    result = runner.invoke(args=["remove-demo", "--yes", "--keep", "expertin@example.org"])
    assert result.exit_code != 0 and "No administrator account" in result.output
    result = runner.invoke(args=["remove-demo", "--yes", "--keep", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert "Kept the account admin@example.org" in result.output
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["admin@example.org"]
        assert _count(ActionField) == 0 and StrategyProcess.current() is None and CitySettings.get() is None


def test_the_organisation_form_offers_the_sectors_the_city_uses(app, client, auth):
    auth.login("admin")
    assert "Politik" in text_of(client.get("/people/organisations/new"))
    client.post("/city/setup/sectors", data={"sectors": ["administration", "science"]})
    page = text_of(client.get("/people/organisations/new"))
    assert "Verwaltung" in page and "Wissenschaft" in page and "Politik" not in page


def test_the_paper_is_written_into_the_city_template(app, client, auth, runner, tmp_path):
    from docx import Document

    from tests import factories

    with app.app_context():
        factories.process(city_name="Lindhaven", title="Lindhaven 2035")
        factories.field(code="MOV", name_de="Mobilität und Verkehr", name_en="Mobility")
        db.session.commit()
    template = Document()
    template.sections[0].header.paragraphs[0].text = "Kopfzeile der Stadt Lindhaven"
    template.add_paragraph("Platzhalter aus der Vorlage")
    buffer = io.BytesIO()
    template.save(buffer)
    auth.login("admin")
    response = client.post("/city/setup/template", data={"template": (io.BytesIO(buffer.getvalue()), "cd.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    out = tmp_path / "paper.docx"
    assert runner.invoke(args=["export-paper", "--format", "docx", "--output", str(out)]).exit_code == 0
    paper = Document(str(out))
    text = "\n".join(p.text for p in paper.paragraphs)
    assert "Mobilität und Verkehr" in text and "Platzhalter aus der Vorlage" not in text
    assert paper.sections[0].header.paragraphs[0].text == "Kopfzeile der Stadt Lindhaven"


def test_survey_breakdowns_follow_the_city_districts(app, client, auth):
    import re

    from planner.surveys import services as survey_services
    from tests.surveys.limesurvey import limesurvey_export

    with app.app_context():  # enough respondents per district to be shown (groups under 30 are not)
        path = Path(app.instance_path) / "befragung.csv"
        path.write_bytes(limesurvey_export(n=400, headings="full").csv_bytes())
        mapping = survey_services.suggest_file_mapping(path, path.name)
        survey_id = survey_services.import_file(None, path, path.name, mapping,
                                                survey_services.UploadMeta("Befragung")).id
        db.session.commit()
    auth.login("admin")
    url = f"/surveys/{survey_id}/breakdown?by=q9&question=q12"

    def order():
        return re.findall(r"Stadtbezirk II?\b", text_of(client.get(url)))

    first = order()
    assert first.index("Stadtbezirk I") < first.index("Stadtbezirk II")
    client.post("/city/setup/districts", data={"districts": "Stadtbezirk II: Hafen\nStadtbezirk I: Altstadt"})
    second = order()
    assert second.index("Stadtbezirk II") < second.index("Stadtbezirk I")
