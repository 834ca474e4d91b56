"""The upload → mapping → preview → import flow through HTTP, and every kind of bad input."""

import io
from pathlib import Path

import pytest
from flask_babel import force_locale

from planner.extensions import db
from planner.surveys.models import Survey, SurveyComment, SurveyResponse, SurveyUpload
from tests.conftest import make_test_app, text_of
from tests.surveys import factories as sf
from tests.surveys.helpers import HEADER, ROWS, csv_bytes


def _upload(client, data: bytes, name="welle2.csv", title="Zweite Welle"):
    return client.post("/surveys/import", data={"file": (io.BytesIO(data), name), "title": title},
                       content_type="multipart/form-data")


def _mapping_form(client, upload_id, **changes):
    """The mapping form as the page renders it, with some fields changed."""
    from html.parser import HTMLParser

    page = client.get(f"/surveys/uploads/{upload_id}/mapping").get_data(as_text=True)
    values = {}

    class Parser(HTMLParser):
        select = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("submit",):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return  # as a browser sends it: only what is ticked
                values[a["name"]] = a.get("value", "")
            elif tag == "select":
                self.select = a.get("name")
                values.setdefault(self.select, "")
            elif tag == "option" and self.select and "selected" in a:
                values[self.select] = a.get("value", "")

    Parser().feed(page)
    values.update(changes)
    return values


def _count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_upload_map_preview_import(app, client, auth):
    with app.app_context():
        sf.mob_field()
        db.session.commit()
    auth.login("strategy_team")
    response = _upload(client, csv_bytes())
    assert response.status_code == 302 and "/mapping" in response.headers["Location"]
    with app.app_context():
        upload = db.session.scalar(db.select(SurveyUpload))
        upload_id, token = upload.id, upload.token
        stored = Path(app.instance_path) / "uploads" / token
        assert stored.exists() and token not in ("welle2.csv",)
    page = client.get(f"/surveys/uploads/{upload_id}/mapping")
    assert "Möglicherweise personenbezogen" in text_of(page) or "personal" in text_of(page).lower()
    form = _mapping_form(client, upload_id)
    form["q3__kind"] = "text"  # the e-mail column as free text: refused
    response = client.post(f"/surveys/uploads/{upload_id}/mapping", data=form)
    assert response.status_code == 400
    assert "personenbezogene Daten" in text_of(response)
    form["q3__kind"] = "ignore"
    form["q5__opt0__field"] = "MOB"
    form["save_as"] = "Vorlage Bürgerbefragung"
    response = client.post(f"/surveys/uploads/{upload_id}/mapping", data=form)
    assert response.status_code == 302, text_of(response)
    preview = client.get(f"/surveys/uploads/{upload_id}/preview")
    assert "4" in text_of(preview) and "/import" in preview.get_data(as_text=True)
    response = client.post(f"/surveys/uploads/{upload_id}/import")
    assert response.status_code == 302
    with app.app_context():
        survey = db.session.scalar(db.select(Survey))
        assert survey.response_count == 4 and survey.file_name == "welle2.csv" and len(survey.sha256) == 64
        assert survey.imported_by_id is not None and survey.file_size == len(csv_bytes())
        assert _count(SurveyResponse) == 4 and _count(SurveyUpload) == 0
        assert "a@example.org" not in str([r.answers for r in db.session.scalars(db.select(SurveyResponse))])
        texts = db.session.scalars(db.select(SurveyComment.text)).all()
        assert "WLAN in Schulen, Kontakt: [E-Mail entfernt]" in texts
    assert not stored.exists()  # retention: the raw upload is gone
    # the same file again is refused at upload
    response = _upload(client, csv_bytes())
    assert response.status_code == 400 and "bereits als" in text_of(response)


def test_saved_mapping_is_reused_for_the_next_wave(app, client, auth):
    with app.app_context():
        sf.mob_field()
        db.session.commit()
    auth.login("strategy_team")
    _upload(client, csv_bytes())
    with app.app_context():
        upload_id = db.session.scalar(db.select(SurveyUpload.id))
    form = _mapping_form(client, upload_id, q6__kind="single", save_as="Vorlage")
    assert client.post(f"/surveys/uploads/{upload_id}/mapping", data=form).status_code == 302
    rows = [list(r) for r in ROWS] + [["99"] + [""] * 11]
    with app.app_context():
        from planner.surveys.models import SavedMapping

        saved_id = db.session.scalar(db.select(SavedMapping.id))
        db.session.commit()
    response = client.post("/surveys/import", data={"file": (io.BytesIO(csv_bytes(rows=rows)), "w3.csv"),
                                                    "title": "Dritte Welle", "saved_mapping": str(saved_id)},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        newest = db.session.scalars(db.select(SurveyUpload).order_by(SurveyUpload.id.desc())).first()
        kinds = {q["key"]: q["kind"] for q in newest.mapping["questions"]}
        assert kinds["q6"] == "single"
    exported = client.get(f"/surveys/mappings/{saved_id}.json")
    assert exported.status_code == 200 and exported.json["questions"]


BAD_INPUTS = [
    (b"", "bad.csv", "leer"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "bild.csv", "keine CSV"),
    (csv_bytes(rows=[]), "header.csv", "keine Antworten"),
]


@pytest.mark.parametrize("data, name, message", BAD_INPUTS)
def test_bad_files_get_a_clear_message_and_nothing_is_stored(app, client, auth, data, name, message):
    auth.login("strategy_team")
    response = _upload(client, data, name)
    assert response.status_code == 400
    assert message in text_of(response)
    with app.app_context():
        assert _count(SurveyUpload) == 0 and _count(Survey) == 0
    assert not list((Path(app.instance_path) / "uploads").glob("*"))


@pytest.mark.parametrize(
    "row_change, message",
    [(lambda r: r.__setitem__(7, "7"), "außerhalb der Skala"), (lambda r: r.pop(), "Spalten")],
)
def test_row_errors_block_the_import(app, client, auth, row_change, message):
    with app.app_context():
        sf.mob_field()
        db.session.commit()
    auth.login("strategy_team")
    rows = [list(r) for r in ROWS]
    row_change(rows[2])
    _upload(client, csv_bytes(rows=rows))
    with app.app_context():
        upload_id = db.session.scalar(db.select(SurveyUpload.id))
    form = _mapping_form(client, upload_id, q6__kind="rating", q6__scale="5")  # the questionnaire's 1–5 scale
    assert client.post(f"/surveys/uploads/{upload_id}/mapping", data=form).status_code == 302
    preview = client.get(f"/surveys/uploads/{upload_id}/preview")
    assert message in text_of(preview) and "Zeile" in text_of(preview)
    assert "4" in text_of(preview)  # line number of the bad row
    response = client.post(f"/surveys/uploads/{upload_id}/import", follow_redirects=True)
    assert "nichts importiert" in text_of(response) or "nothing was imported" in text_of(response)
    with app.app_context():
        assert _count(Survey) == 0 and _count(SurveyResponse) == 0


def test_upload_over_the_limit_gets_the_413_page(tmp_path):
    app = make_test_app(tmp_path, MAX_CONTENT_LENGTH=2048)
    with app.app_context():
        db.create_all()
        from tests import factories

        factories.user(role="strategy_team", email="s@example.org")
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "s@example.org", "password": "correct-horse-battery"})
    response = _upload(client, b"a;b\r\n" + b"1;2\r\n" * 5000)
    assert response.status_code == 413
    with app.app_context():
        assert _count(SurveyUpload) == 0 and _count(Survey) == 0
        db.session.remove()
        db.engine.dispose()


def test_same_file_twice_is_refused_by_the_service(ctx, tmp_path):
    from planner.core.errors import DomainError
    from planner.surveys import services
    from tests import factories

    sf.mob_field()
    user = factories.user(role="strategy_team")
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes())
    from tests.surveys.helpers import mapping

    services.import_file(user, path, "a.csv", mapping(), services.UploadMeta("Eins"))
    with force_locale("en"):
        with pytest.raises(DomainError) as error:
            services.import_file(user, path, "b.csv", mapping(), services.UploadMeta("Zwei"))
        assert "already imported" in str(error.value.message)


def test_delete_survey_with_all_responses(app, client, auth):
    with app.app_context():
        survey_id = sf.survey().id
        db.session.commit()
        assert _count(SurveyResponse) == 5
    auth.login("strategy_team")
    response = client.post(f"/surveys/{survey_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert _count(Survey) == 0 and _count(SurveyResponse) == 0 and _count(SurveyComment) == 0


def test_facilitator_reads_but_cannot_import_or_delete(app, client, auth):
    with app.app_context():
        survey_id = sf.survey().id
        db.session.commit()
    auth.login("facilitator")
    assert client.get(f"/surveys/{survey_id}").status_code == 200
    assert client.get(f"/surveys/{survey_id}/comments").status_code == 200
    assert client.post(f"/surveys/{survey_id}/delete").status_code == 403
    assert _upload(client, csv_bytes()).status_code == 403
    with app.app_context():
        assert _count(Survey) == 1


def test_another_users_upload_is_out_of_reach(app, client, auth):
    with app.app_context():
        upload_id = sf.upload().id
        db.session.commit()
    auth.login("strategy_team")
    assert client.get(f"/surveys/uploads/{upload_id}/mapping").status_code == 403
    assert client.post(f"/surveys/uploads/{upload_id}/import").status_code == 403
    assert client.post(f"/surveys/uploads/{upload_id}/discard").status_code == 403
    with app.app_context():
        assert _count(SurveyUpload) == 1


def test_header_is_what_was_uploaded():
    assert HEADER[2] == "E-Mail"
