"""The council's decision on a published version: the Drucksache and its Beratungsfolge, entered by hand or
followed through OParl (recorded JSON written from the specification; no network)."""

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planner.core.errors import DomainError
from planner.extensions import db
from planner.strategy import council, oparl
from planner.strategy.council import CouncilDecision, DecisionResult, DecisionState, DecisionStep
from tests import factories
from tests.strategy import helpers

RECORDINGS = Path(__file__).parent / "oparl"
BEFORE = RECORDINGS / "paper-before-council.json"
ADOPTED = RECORDINGS / "paper-adopted.json"
PAPER_ID = "https://ris.example-stadt.de/oparl/v1/paper/4711"


def _published(app, **kw) -> int:
    with app.app_context():
        number = helpers.version(published=True, **kw).number
        db.session.commit()
        return number


def _decision(app, number):
    with app.app_context():
        version = db.session.scalar(select(council.PaperVersion).where(council.PaperVersion.number == number))
        decision = council.decision_of(version)
        if decision is None:
            return None
        return {"reference": decision.reference, "state": decision.state, "decided_on": decision.decided_on,
                "resolution": decision.resolution_text,
                "steps": [(s.body, s.meeting_date, s.role, s.authoritative, s.result, s.result_text)
                          for s in decision.steps]}


def _rows(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(CouncilDecision.id))),
                db.session.scalar(select(func.count(DecisionStep.id))))


# --- by hand ---------------------------------------------------------------------------------------------------

def test_a_strategy_team_member_records_the_decision_by_hand(app, client, auth):
    number = _published(app)
    auth.login("strategy_team")
    page = client.get(f"/strategy/versions/{number}")
    assert "Ratsbeschluss" in page.get_data(as_text=True)
    assert client.get(f"/strategy/versions/{number}/decision").status_code == 200

    saved = client.post(f"/strategy/versions/{number}/decision", data={
        "reference": "0815/2023", "paper_type": "Beschlussvorlage", "title": "Smart-City-Strategie 2040",
        "submitted_on": "2023-04-18", "resolution_text": "1. Der Rat beschließt die Strategie.\n2. Bericht jährlich.",
    })
    assert saved.status_code == 302
    for step in (
        {"body": "Ausschuss für Digitalisierung", "meeting_date": "2023-05-10", "role": "Vorberatung",
         "result": "recommended"},
        {"body": "Rat der Stadt", "meeting_date": "2023-06-15", "role": "Entscheidung", "authoritative": "y",
         "result": "adopted"},
    ):
        assert client.post(f"/strategy/versions/{number}/decision/steps/new", data=step).status_code == 302

    decision = _decision(app, number)
    assert decision["state"] == DecisionState.ADOPTED
    assert decision["decided_on"] == date(2023, 6, 15)
    html = client.get(f"/strategy/versions/{number}").get_data(as_text=True)
    assert "0815/2023" in html and "vom Rat beschlossen" in html
    assert "Ausschuss für Digitalisierung" in html and "empfohlen" in html and "10.06.2023" not in html
    # The date the council decided, in the same format as the Beratungsfolge's dates (one date, one spelling).
    assert "15.06.2023" in html and "15. Juni 2023" not in html

    # The public page shows the decision too (without the edit links).
    public = client.get(f"/strategy/published/{number}").get_data(as_text=True)
    assert "0815/2023" in public and "Der Rat beschließt die Strategie." in public
    assert "decision-steps" not in public

    client.post("/language", data={"lang": "en"})
    english = client.get(f"/strategy/versions/{number}").get_data(as_text=True)
    assert "Council decision" in english and "adopted by the council" in english and "15 Jun 2023" in english


def test_a_decision_needs_a_published_version(app, client, auth):
    with app.app_context():
        number = helpers.version().number
        db.session.commit()
    auth.login("strategy_team")
    answer = client.post(f"/strategy/versions/{number}/decision", data={"reference": "1/2023"})
    assert answer.status_code == 400
    assert "noch nicht veröffentlicht" in answer.get_data(as_text=True)
    assert _rows(app) == (0, 0)


def test_bad_steps_are_refused_with_a_message_and_change_nothing(app, client, auth):
    number = _published(app)
    auth.login("strategy_team")
    assert client.post(f"/strategy/versions/{number}/decision", data={"reference": ""}).status_code == 400
    assert _rows(app) == (0, 0)
    client.post(f"/strategy/versions/{number}/decision", data={"reference": "0815/2023"})

    cases = [
        ({"body": "Rat der Stadt", "result": "adopted", "authoritative": "y"}, "Datum der Sitzung"),
        ({"body": "Haupt- und Finanzausschuss", "result": "amended"}, "geänderte Version"),
        ({"body": "Rat", "amendment": str(number)}, "spätere Version"),
        ({"body": "Rat", "amendment": "999"}, "keine Version 999"),
        ({"body": "x" * 201}, "200"),
        ({"body": "Rat\r\nBcc: x@example.org"}, "Steuerzeichen"),
    ]
    for data, message in cases:
        answer = client.post(f"/strategy/versions/{number}/decision/steps/new", data=data)
        assert answer.status_code == 400, data
        assert message in answer.get_data(as_text=True), (data, message)
    assert _rows(app) == (1, 0)


def test_an_amendment_links_the_later_version(app, client, auth):
    number = _published(app)
    amended = _published(app)
    auth.login("strategy_team")
    client.post(f"/strategy/versions/{number}/decision", data={"reference": "0815/2023"})
    answer = client.post(f"/strategy/versions/{number}/decision/steps/new", data={
        "body": "Haupt- und Finanzausschuss", "meeting_date": "2023-06-05", "result": "amended",
        "amendment": str(amended)})
    assert answer.status_code == 302
    html = client.get(f"/strategy/versions/{number}").get_data(as_text=True)
    assert f"Geändert in Version {amended}" in html


def test_two_people_editing_a_step_do_not_overwrite_each_other(app, client, auth):
    number = _published(app)
    auth.login("strategy_team")
    client.post(f"/strategy/versions/{number}/decision", data={"reference": "0815/2023"})
    client.post(f"/strategy/versions/{number}/decision/steps/new", data={"body": "Rat der Stadt"})
    with app.app_context():
        step_id = db.session.scalar(select(DecisionStep.id))
    first = client.post(f"/strategy/decision-steps/{step_id}", data={"body": "Rat der Stadt Essen", "version": "1"})
    assert first.status_code == 302
    second = client.post(f"/strategy/decision-steps/{step_id}", data={"body": "Stadtrat", "version": "1"})
    assert second.status_code == 409
    assert "Rat der Stadt Essen" in second.get_data(as_text=True)
    assert _decision(app, number)["steps"][0][0] == "Rat der Stadt Essen"


def test_a_step_entered_by_hand_can_be_removed(app, client, auth):
    number = _published(app)
    auth.login("strategy_team")
    client.post(f"/strategy/versions/{number}/decision", data={"reference": "0815/2023"})
    client.post(f"/strategy/versions/{number}/decision/steps/new", data={"body": "Bezirksvertretung I"})
    with app.app_context():
        step_id = db.session.scalar(select(DecisionStep.id))
    assert client.post(f"/strategy/decision-steps/{step_id}/delete").status_code == 302
    assert _rows(app) == (1, 0)


def test_a_drucksache_belongs_to_one_version(app):
    with app.app_context():
        user = factories.user(role="strategy_team")
        first, second = helpers.version(published=True), helpers.version(published=True)
        council.save_decision(first, user, reference="0815/2023", paper_type="", title="", submitted_on=None,
                              resolution_text="")
        with pytest.raises(DomainError, match="bereits"):
            council.save_decision(second, user, reference="0815/2023", paper_type="", title="",
                                  submitted_on=None, resolution_text="")


# --- OParl -----------------------------------------------------------------------------------------------------

def test_oparl_sync_from_a_recording_records_the_beratungsfolge(app, runner):
    number = _published(app)
    result = runner.invoke(args=["oparl-sync", "--from-file", str(BEFORE)])
    assert result.exit_code == 0, result.output
    assert "3 consultations added" in result.output
    decision = _decision(app, number)
    assert decision["reference"] == "0815/2023"
    assert decision["state"] == DecisionState.IN_DELIBERATION
    assert decision["steps"] == [
        ("Ausschuss für Digitalisierung und Smart City", date(2023, 5, 10), "Vorberatung", False,
         DecisionResult.RECOMMENDED, "einstimmig empfohlen"),
        ("Haupt- und Finanzausschuss", date(2023, 6, 5), "Vorberatung", False, DecisionResult.AMENDED,
         "geändert empfohlen"),
        ("Rat der Stadt", date(2023, 6, 15), "Entscheidung", True, None, ""),
    ]

    # The council has decided since: syncing again updates the step and adds nothing.
    result = runner.invoke(args=["oparl-sync", "--from-file", str(ADOPTED)])
    assert result.exit_code == 0, result.output
    assert "0 consultations added, 1 updated" in result.output
    decision = _decision(app, number)
    assert decision["state"] == DecisionState.ADOPTED and decision["decided_on"] == date(2023, 6, 15)
    assert decision["resolution"].startswith("1. Der Rat der Stadt beschließt")
    assert decision["steps"][2][4:] == (DecisionResult.ADOPTED, "mehrheitlich beschlossen")

    again = runner.invoke(args=["oparl-sync", "--from-file", str(ADOPTED)])
    assert "0 consultations added, 0 updated" in again.output
    assert _rows(app) == (1, 3)


def test_oparl_sync_finds_the_version_by_its_drucksache_and_keeps_what_was_entered(app, client, auth, runner):
    recorded = _published(app)
    _published(app)  # a newer published version: not the one the council decides on
    auth.login("strategy_team")
    client.post(f"/strategy/versions/{recorded}/decision", data={
        "reference": "0815/2023", "title": "Unser Titel", "resolution_text": ""})
    client.post(f"/strategy/versions/{recorded}/decision/steps/new", data={"body": "Bezirksvertretung III",
                                                                        "meeting_date": "2023-05-02"})
    result = runner.invoke(args=["oparl-sync", "--from-file", str(ADOPTED)])
    assert result.exit_code == 0, result.output
    assert f"version {recorded}" in result.output
    with app.app_context():
        decision = db.session.scalar(select(CouncilDecision))
        assert decision.title == "Unser Titel"  # what the team wrote stays
        assert [s.body for s in decision.steps][0] == "Bezirksvertretung III"  # a step by hand stays
        assert len(decision.steps) == 4


def test_oparl_sync_links_the_newest_published_version_or_the_one_named(app, runner):
    _published(app)
    newest = _published(app)
    with app.app_context():
        helpers.version()  # frozen, not published
        db.session.commit()
    assert runner.invoke(args=["oparl-sync", "--from-file", str(BEFORE)]).exit_code == 0
    assert _decision(app, newest) is not None

    named = _published(app)
    result = runner.invoke(args=["oparl-sync", "--from-file", str(BEFORE), "--version", str(named)])
    assert result.exit_code == 1
    assert f"bereits mit Version {newest} verknüpft" in result.output


def _write(tmp_path, objects) -> str:
    path = tmp_path / "recording.json"
    path.write_text(json.dumps(objects) if not isinstance(objects, str) else objects, encoding="utf-8")
    return str(path)


def _objects():
    return json.loads(ADOPTED.read_text(encoding="utf-8"))


@pytest.mark.parametrize("damage, message", [
    (lambda o: "{ not json", "kein JSON"),
    (lambda o: [x for x in o if not x["type"].endswith("/Paper")], "genau ein Paper"),
    (lambda o: o + [dict(o[0], id=o[0]["id"] + "0")], "genau ein Paper"),
    (lambda o: [x for x in o if not x["id"].endswith("/meeting/103")], "fehlt das Objekt vom Typ Meeting"),
    (lambda o: [dict(x, type="https://schema.oparl.org/1.1/Person") if x["id"].endswith("/organization/1") else x
                for x in o], "erwartet: Organization"),
    (lambda o: [dict(x, start="15.06.2023") if x["id"].endswith("/meeting/103") else x for x in o], "kein Datum"),
    (lambda o: [{"name": "ohne id"}] + o, "keine OParl-Daten"),
    (lambda o: {"hello": "world"}, "keine OParl-Daten"),
])
def test_unknown_or_malformed_oparl_data_changes_nothing(app, runner, tmp_path, damage, message):
    _published(app)
    result = runner.invoke(args=["oparl-sync", "--from-file", _write(tmp_path, damage(_objects()))])
    assert result.exit_code == 1
    assert "Nothing was changed" in result.output
    assert message in result.output, result.output
    assert _rows(app) == (0, 0)


def test_oparl_sync_without_a_published_version_says_so(app, runner):
    result = runner.invoke(args=["oparl-sync", "--from-file", str(BEFORE)])
    assert result.exit_code == 1 and "Noch keine Version des Papiers ist veröffentlicht" in result.output
    assert _rows(app) == (0, 0)


class _RecordedServer:
    """Answers GET requests from the recording, as a council system would (a requests.Session stand-in)."""

    def __init__(self, objects):
        self.by_id = {o["id"]: o for o in objects}
        self.requested = []

    def get(self, url, timeout=None, headers=None):
        import requests

        self.requested.append(url)
        response = requests.Response()
        response.url = url
        if url in self.by_id:
            response.status_code = 200
            response._content = json.dumps(self.by_id[url]).encode()
        else:
            response.status_code = 404
            response._content = b"{}"
        return response


def test_a_paper_is_followed_on_the_server_object_by_object(app):
    server = _RecordedServer(_objects())
    paper = oparl.fetch_paper(PAPER_ID, session=server)
    assert paper.reference == "0815/2023" and len(paper.consultations) == 3
    assert paper.consultations[2].result == DecisionResult.ADOPTED
    assert server.requested[0] == PAPER_ID
    assert any(url.endswith("/agendaitem/1003") for url in server.requested)

    broken = _RecordedServer([o for o in _objects() if not o["id"].endswith("/organization/11")])
    with pytest.raises(council.OParlError, match="404"):
        oparl.fetch_paper(PAPER_ID, session=broken)


@pytest.mark.parametrize("text, authoritative, result", [
    ("ungeändert beschlossen", True, DecisionResult.ADOPTED),
    ("geändert beschlossen", True, DecisionResult.ADOPTED),
    ("mehrheitlich beschlossen", False, DecisionResult.RECOMMENDED),
    ("einstimmig empfohlen", False, DecisionResult.RECOMMENDED),
    ("geändert empfohlen", False, DecisionResult.AMENDED),
    ("mit Änderungen zugestimmt", False, DecisionResult.AMENDED),
    ("vertagt", True, DecisionResult.POSTPONED),
    ("abgelehnt", True, DecisionResult.REJECTED),
    ("zur Kenntnis genommen", False, DecisionResult.RECOMMENDED),
    ("", True, None),
    ("ohne Votum", True, None),
])
def test_the_council_systems_wording_becomes_a_result(text, authoritative, result):
    assert oparl.result_of(text, authoritative) == result


def test_the_recordings_are_valid_oparl(tmp_path):
    """The recordings follow the specification's shape: ids are URLs, types are OParl 1.1 types, and every
    reference of the paper's consultations is in the file."""
    for recording in (BEFORE, ADOPTED):
        objects = json.loads(recording.read_text(encoding="utf-8"))
        ids = {o["id"] for o in objects}
        assert all(o["id"].startswith("https://") and oparl.kind(o) for o in objects)
        for consultation in next(o for o in objects if oparl.kind(o) == "Paper")["consultation"]:
            assert {consultation["meeting"], consultation["agendaItem"], *consultation["organization"]} <= ids
    shutil.copy(BEFORE, tmp_path / "copy.json")
    assert oparl.read_recording(tmp_path / "copy.json").id == PAPER_ID


# --- the Beschlussvorlage --------------------------------------------------------------------------------------

def _document(client, number, code, locale="de"):
    answer = client.get(f"/strategy/versions/{number}/decision/document?format={code}&locale={locale}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer


def test_the_beschlussvorlage_reads_back_in_word_and_pdf(app, client, auth, tmp_path):
    import subprocess

    from docx import Document

    from tests.strategy.rollups import FIELDS

    number = _published(app)
    auth.login("strategy_team")
    client.post(f"/strategy/versions/{number}/decision", data={"reference": "0815/2023"})
    client.post(f"/strategy/versions/{number}/decision/steps/new", data={
        "body": "Rat der Stadt", "meeting_date": "2023-06-15", "authoritative": "y", "result": "adopted"})
    assert "Beschlussvorlage als Word" in client.get(f"/strategy/versions/{number}").get_data(as_text=True)

    answer = _document(client, number, "docx")
    assert "Beschlussvorlage-0815-2023" in answer.headers["Content-Disposition"]
    path = tmp_path / "vorlage.docx"
    path.write_bytes(answer.data)
    document = Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in ("Beschlussvorschlag", "Begründung", "Finanzielle Auswirkungen", "Anlagen", "Beratungsfolge"):
        assert heading in headings, headings
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Der Rat der Stadt Essen beschließt das Handlungskonzept" in text
    assert "Rang 1: UMW-M01 Maßnahme UMW 1 (Smarte Umwelt)" in text
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    total = next(row for row in cells if row[0] == "Gesamt")
    assert total[-1] == f"{650_000 * len(FIELDS):,}\u00a0€".replace(",", ".")  # every measure's estimate, once
    assert any(row[0] == "2023" for row in cells)
    assert "650000" not in "\n".join(c for row in cells for c in row) + text

    pdf = tmp_path / "vorlage.pdf"
    pdf.write_bytes(_document(client, number, "pdf").data)
    shown = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Finanzielle Auswirkungen" in shown and "Drucksache 0815/2023" in shown

    english = tmp_path / "vorlage-en.docx"
    english.write_bytes(_document(client, number, "docx", "en").data)
    english_text = "\n".join(p.text for p in Document(str(english)).paragraphs)
    assert "Financial implications" in english_text and "Proposed resolution" in english_text
    assert "Finanzielle" not in english_text and "Beschlussvorschlag" not in english_text

    markdown = _document(client, number, "md").get_data(as_text=True)
    assert "Beschlussvorschlag" in markdown


def test_costs_are_spread_over_the_years_of_a_measure():
    import dataclasses

    from planner.strategy.council_paper import yearly_costs
    from tests.strategy.rollups import measure, rollup

    r = rollup()
    one = dataclasses.replace(r.fields[0], measures=(
        measure("MOB", 1, cost_estimate=300.0, start_year=2024, end_year=2026, funding="own"),
        measure("MOB", 2, cost_estimate=100.0, start_year=None, end_year=2030, funding="grant"),
        measure("MOB", 3, cost_estimate=None),
        measure("MOB", 4, cost_estimate=50.0, start_year=None, end_year=None, funding=""),
    ))
    by_year, unestimated = yearly_costs(dataclasses.replace(r, fields=(one,)))
    assert {y: dict(v) for y, v in by_year.items()} == {
        2024: {"own": 100.0}, 2025: {"own": 100.0}, 2026: {"own": 100.0}, 2030: {"grant": 100.0}, None: {"": 50.0}}
    assert unestimated == 1


def test_the_beschlussvorlage_of_a_version_without_a_drucksache_proposes_a_resolution(app, client, auth):
    number = _published(app)
    auth.login("strategy_team")
    text = _document(client, number, "md").get_data(as_text=True)
    assert "Drucksache (Nummer noch nicht erfasst)" in text
    assert "beschließt das Handlungskonzept" in text
    assert client.get(f"/strategy/versions/{number}/decision/document?format=exe").status_code == 404
