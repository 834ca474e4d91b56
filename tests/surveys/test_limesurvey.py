"""A real LimeSurvey export and its Excel re-save, from the suggestion to the stored responses."""

import io
import json
import re
from pathlib import Path

import pytest

from planner.extensions import db
from planner.fields.models import ActionField
from planner.surveys.models import Survey, SurveyQuestion, SurveyResponse, SurveyUpload
from tests.conftest import make_test_app, text_of
from tests.surveys.limesurvey import FIELDS, excel_resave, limesurvey_export
from tests.surveys.test_import_flow import _mapping_form

EMAIL = re.compile(rb"teilnehmer\d+@example\.net")
IP = re.compile(rb"192\.168\.\d{1,3}\.\d{1,3}")


def _fields():
    for position, (code, name) in enumerate(FIELDS):
        db.session.add(ActionField(code=code, name_de=name, name_en=code, position=position))
    db.session.commit()


@pytest.fixture
def fields(app):
    with app.app_context():
        _fields()


def _suggest(runner, path: Path) -> dict:
    result = runner.invoke(args=["suggest-mapping", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_suggest_mapping_needs_no_hand_editing(app, runner, fields, tmp_path):
    export = limesurvey_export(headings="full")
    path = tmp_path / "results-survey123.csv"
    path.write_bytes(export.csv_bytes())
    mapping = _suggest(runner, path)
    questions = {q["text"]: q for q in mapping["questions"]}
    assert mapping["response_id"] == "Antwort ID" and mapping["submitdate"] == "Datum Abgeschickt"
    # the importance matrix: one rating per item, 1–5, "weiß nicht" as missing, each item linked to its field
    items = [q for q in mapping["questions"] if q.get("group", "").startswith("Wie wichtig")]
    assert [q["field"] for q in items] == [code for code, _name in FIELDS]
    assert {(q["kind"], q["scale"], q["direction"]) for q in items} == {("rating", 5, "higher")}
    assert all("weiß nicht" in q["missing"] for q in items)
    grade = next(q for text, q in questions.items() if text.startswith("Wie bewerten Sie die Lebensqualität"))
    assert (grade["kind"], grade["scale"], grade["direction"]) == ("rating", 6, "lower")
    ranking = next(q for q in mapping["questions"] if q["kind"] == "ranking")
    assert ranking["option_fields"]["Smarte Mobilität und Infrastruktur"] == "MOB"
    assert questions["Haben Sie weitere Anregungen oder Wünsche?"]["kind"] == "text"
    for personal in ("IP-Adresse", "E-Mail-Adresse für die Verlosung (freiwillig)"):
        assert questions[personal]["kind"] == "ignore"
    district = next(q for q in mapping["questions"] if q["text"].startswith("In welchem Stadtbezirk"))
    assert district["kind"] == "demographic" and district["options"][-1] == "Stadtbezirk IX"
    assert district["options"][:3] == ["Stadtbezirk I", "Stadtbezirk II", "Stadtbezirk III"]
    age = next(q for q in mapping["questions"] if q["text"].startswith("Wie alt"))
    assert age["options"] == ["unter 18", "18–29", "30–44", "45–64", "65 und älter"]


def test_code_headings_give_the_same_shape(app, runner, fields, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_bytes(limesurvey_export(headings="code").csv_bytes())
    mapping = _suggest(runner, path)
    kinds = {q["key"]: q["kind"] for q in mapping["questions"]}
    assert [k for k in kinds if k.startswith("q11s")] == [f"q11s{i}" for i in range(1, 8)]
    assert {kinds[f"q11s{i}"] for i in range(1, 8)} == {"rating"}
    assert kinds["q8"] == "ignore"  # ipaddr
    assert mapping["response_id"] == "id" and mapping["submitdate"] == "submitdate"


def test_import_stores_complete_responses_only_and_refuses_the_excel_copy(app, runner, fields, tmp_path):
    export = limesurvey_export(headings="full")
    original = tmp_path / "limesurvey.csv"
    original.write_bytes(export.csv_bytes())
    (tmp_path / "mapping.json").write_text(json.dumps(_suggest(runner, original)), encoding="utf-8")
    result = runner.invoke(args=["import-survey", str(original), "--mapping", str(tmp_path / "mapping.json"),
                                 "--title", "Bürgerbefragung 2022"])
    assert result.exit_code == 0, result.output
    assert (f"{export.complete} complete responses stored, {export.incomplete} incomplete left out"
            in result.stdout)
    with app.app_context():
        survey = db.session.scalar(db.select(Survey))
        assert (survey.response_count, survey.incomplete_count) == (export.complete, export.incomplete)
        assert db.session.scalar(db.select(db.func.count(SurveyResponse.id))) == export.complete
        grade = db.session.scalar(db.select(SurveyQuestion).where(SurveyQuestion.text.like("Wie bewerten%")))
        assert (grade.scale, grade.direction) == (6, "lower")

    copy = tmp_path / "limesurvey-excel.csv"
    copy.write_bytes(excel_resave(export))
    (tmp_path / "copy.json").write_text(json.dumps(_suggest(runner, copy)), encoding="utf-8")
    refused = runner.invoke(args=["import-survey", str(copy), "--mapping", str(tmp_path / "copy.json")])
    assert refused.exit_code != 0
    assert "Bürgerbefragung 2022" in refused.output and f"{export.complete} dieser Antworten" in refused.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Survey.id))) == 1
        assert db.session.scalar(db.select(db.func.count(SurveyResponse.id))) == export.complete
    forced = runner.invoke(args=["import-survey", str(copy), "--mapping", str(tmp_path / "copy.json"),
                                 "--allow-duplicates"])
    assert forced.exit_code == 0, forced.output


def _upload(client, data: bytes, name: str):
    return client.post("/surveys/import", data={"file": (io.BytesIO(data), name), "title": "Bürgerbefragung"},
                       content_type="multipart/form-data")


def _database_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_xlsx_uploads_and_no_address_ever_reaches_the_database(tmp_path):
    """Through the web UI, an XLSX export: upload, mapping, import. After each step the database file and its WAL
    hold no e-mail or IP address of the file (the mapping page shows none either)."""
    database = tmp_path / "scan.sqlite3"
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    with app.app_context():
        db.create_all()
        _fields()
    from tests.conftest import AuthActions

    client = app.test_client()
    AuthActions(app, client).login("strategy_team")
    export = limesurvey_export(headings="full")
    assert EMAIL.search(export.csv_bytes()) and IP.search(export.csv_bytes())

    response = _upload(client, export.xlsx_bytes(), "befragung.xlsx")
    assert response.status_code == 302, text_of(response)
    assert not EMAIL.search(_database_bytes(database)) and not IP.search(_database_bytes(database))
    with app.app_context():
        upload_id = db.session.scalar(db.select(SurveyUpload.id))
    page = client.get(f"/surveys/uploads/{upload_id}/mapping")
    assert page.status_code == 200
    assert not EMAIL.search(page.data) and not IP.search(page.data)
    assert "Möglicherweise personenbezogen" in text_of(page)

    response = client.post(f"/surveys/uploads/{upload_id}/mapping", data=_mapping_form(client, upload_id))
    assert response.status_code == 302, text_of(response)
    assert not EMAIL.search(_database_bytes(database)) and not IP.search(_database_bytes(database))
    preview = client.get(f"/surveys/uploads/{upload_id}/preview")
    assert f"{export.incomplete} unvollständige Antworten" in text_of(preview)

    response = client.post(f"/surveys/uploads/{upload_id}/import")
    assert response.status_code == 302, text_of(response)
    assert not EMAIL.search(_database_bytes(database)) and not IP.search(_database_bytes(database))
    detail = client.get(response.headers["Location"])
    assert f"Unvollständige Antworten (nicht gezählt) {export.incomplete}" in text_of(detail)
    with app.app_context():
        assert db.session.scalar(db.select(Survey.response_count)) == export.complete
        db.session.remove()
        db.engine.dispose()


def test_the_excel_copy_is_flagged_in_the_web_ui_and_can_be_imported_on_purpose(app, client, auth, fields):
    auth.login("strategy_team")
    export = limesurvey_export(n=60, headings="full")
    for data, name in ((export.csv_bytes(), "original.csv"), (excel_resave(export), "kopie.csv")):
        response = _upload(client, data, name)
        upload_id = int(re.search(r"uploads/(\d+)/mapping", response.headers["Location"]).group(1))
        client.post(f"/surveys/uploads/{upload_id}/mapping", data=_mapping_form(client, upload_id))
        preview = client.get(f"/surveys/uploads/{upload_id}/preview")
        if name == "original.csv":
            assert client.post(f"/surveys/uploads/{upload_id}/import").status_code == 302
    assert "Diese Antworten sind bereits gespeichert" in text_of(preview)
    refused = client.post(f"/surveys/uploads/{upload_id}/import", follow_redirects=True)
    assert "bereits in der Umfrage „Bürgerbefragung“" in text_of(refused)
    forced = client.post(f"/surveys/uploads/{upload_id}/import", data={"allow_duplicates": "1"})
    assert forced.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Survey.id))) == 2
