"""Versions (frozen, diff), review rounds to "abgestimmt", publication, the CLI and the pages."""

import io

import pytest
from docx import Document

from planner.core.errors import InvalidTransition
from planner.core.permissions import Role
from planner.extensions import db
from planner.findings.models import MeasureStatus
from planner.strategy import review, services, versions
from planner.strategy.models import FrozenVersionError, PaperVersion, ReviewComment, SectionVerdict
from tests import factories
from tests.conftest import text_of
from tests.strategy import helpers


def _draft():
    factories.process()
    f = factories.field(code="MOB", name_de="Smarte Mobilität")
    m = factories.measure(field=f, title="Smart Parking", status=MeasureStatus.ACCEPTED, lead_unit="Amt 66",
                          start_year=2023, end_year=2025)
    services.save_section("foreword", None, title="Vorwort", body="Erster Satz.\nZweiter Satz.", version=0)
    return m


def test_freeze_stores_rollup_and_is_immutable(ctx):
    _draft()
    user = factories.user(role=Role.STRATEGY_TEAM)
    v = versions.freeze_version(user, "Erster Entwurf")
    db.session.commit()
    assert v.number == 1
    rollup = versions.version_rollup(v)
    assert rollup.version == 1 and rollup.fields[0].measures[0].title == "Smart Parking"
    with pytest.raises(FrozenVersionError):
        v.rollup_json = "{}"
    with pytest.raises(FrozenVersionError):
        v.note = "anders"
    db.session.rollback()
    v = db.session.get(PaperVersion, v.id)
    db.session.delete(v)
    with pytest.raises(FrozenVersionError):
        db.session.flush()
    db.session.rollback()
    assert versions.freeze_version(user).number == 2


def test_diff_between_versions(ctx):
    m = _draft()
    user = factories.user(role=Role.STRATEGY_TEAM)
    versions.freeze_version(user)
    m.lead_unit = "Amt 61"
    factories.measure(field=m.field, title="Adaptive Ampeln", status=MeasureStatus.ACCEPTED)
    row = services.section_info("foreword")
    services.save_section("foreword", user, title="Vorwort", body="Erster Satz.\nNeuer Satz.", version=row.version)
    versions.freeze_version(user)
    diff = versions.diff_versions(1, 2)
    assert [t for _n, t in diff.added] == ["Adaptive Ampeln"]
    assert diff.changed[0].attributes == ("lead_unit",)
    assert diff.removed == ()
    section = diff.sections[0]
    assert section.key == "foreword"
    assert ("-", "Zweiter Satz.") in section.lines and ("+", "Neuer Satz.") in section.lines
    with pytest.raises(versions.UnknownVersion):
        versions.diff_versions(1, 9)


def test_section_edit_refuses_stale_version(ctx):
    services.save_section("vision", None, title="Leitbild", body="A", version=0)
    from planner.core.errors import StaleVersion

    with pytest.raises(StaleVersion):
        services.save_section("vision", None, title="Leitbild", body="B", version=0)


def test_review_round_ends_agreed_and_version_is_published(ctx):
    alice, bob = helpers.reviewer(), helpers.reviewer()
    staff = factories.user(role=Role.STRATEGY_TEAM)
    round_ = helpers.review_round(helpers.complete_version(), members=[alice, bob])
    keys = [p.key for p in review.parts_of(versions.version_rollup(round_.version))]
    with pytest.raises(InvalidTransition):
        review.publish_version(round_.version, staff)
    comment = review.add_comment(round_, alice, target="measure:MOB-M02", text="Bitte Kosten ergänzen.")
    with pytest.raises(Exception, match="begründen"):
        review.answer_comment(comment, staff, answer="rejected", text="")
    review.answer_comment(comment, staff, answer="changed", text="Ergänzt.")
    with pytest.raises(Exception, match="begründen"):
        review.set_verdict(round_, alice, part=keys[0], verdict="changes_requested", reason="")
    for user in (alice, bob):
        for key in keys:
            review.set_verdict(round_, user, part=key, verdict="approved", reason="")
    db.session.expire_all()
    state = review.round_state(round_)
    assert state.is_agreed and state.approvals == len(keys) * 2
    review.set_verdict(round_, bob, part=keys[0], verdict="changes_requested", reason="Zu lang.")
    db.session.expire_all()
    assert not review.round_state(round_).is_agreed
    review.set_verdict(round_, bob, part=keys[0], verdict="approved", reason="")
    db.session.expire_all()
    with pytest.raises(InvalidTransition, match="nicht abschließend freigegeben"):
        review.publish_version(round_.version, staff)
    review.sign_off_version(round_.version, staff)
    review.publish_version(round_.version, staff)
    assert round_.version.is_published


def test_reviewer_outside_round_is_refused(ctx):
    member, outsider = helpers.reviewer(), helpers.reviewer()
    round_ = helpers.review_round(members=[member])
    from planner.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        review.add_comment(round_, outsider, target="paper", text="Hallo")
    with pytest.raises(NotAllowed):
        review.set_verdict(round_, outsider, part="section:foreword", verdict="approved", reason="")


# --- over HTTP --------------------------------------------------------------------------------------------------

def test_reviewer_attack_on_other_round(app, client, auth):
    with app.app_context():
        mine = helpers.review_round()
        other = helpers.review_round()
        mine_id, other_id = mine.id, other.id
        db.session.commit()
    uid = auth.login(Role.REVIEWER)
    with app.app_context():
        from planner.strategy.models import ReviewRoundMember

        db.session.add(ReviewRoundMember(round_id=mine_id, user_id=uid))
        db.session.commit()
    assert client.get(f"/strategy/rounds/{mine_id}").status_code == 200
    assert client.get(f"/strategy/rounds/{other_id}").status_code == 403
    response = client.post(f"/strategy/rounds/{other_id}/comments", data={"target": "paper", "text": "x"})
    assert response.status_code == 403
    # Posting another round's id through the form of one's own round.
    response = client.post(f"/strategy/rounds/{mine_id}/verdicts",
                           data={"round_id": other_id, "part": "section:foreword", "verdict": "approved"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.query(ReviewComment).count() == 0
        assert db.session.query(SectionVerdict).count() == 0
    response = client.post(f"/strategy/rounds/{mine_id}/verdicts",
                           data={"round_id": mine_id, "part": "section:foreword", "verdict": "changes_requested"})
    assert response.status_code == 400
    assert "Bitte begründen Sie" in text_of(response)
    response = client.post(f"/strategy/rounds/{mine_id}/verdicts",
                           data={"round_id": mine_id, "part": "section:foreword", "verdict": "approved"})
    assert response.status_code == 302
    assert "Freigegeben" in text_of(client.get(f"/strategy/rounds/{mine_id}"))


def test_unknown_version_gives_clear_404(app, client, auth):
    auth.login(Role.STRATEGY_TEAM)
    response = client.get("/strategy/versions/42")
    assert response.status_code == 404
    assert "Es gibt keine Version 42 des Papiers." in text_of(response)
    assert client.get("/strategy/published/42").status_code == 404


def _job_download(client, started):
    """The file of the job a POST started (the job ran at once in tests), read and closed."""
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    response = client.get(started.headers["Location"] + "/download")
    assert response.status_code == 200
    response.get_data()
    response.close()
    return response


def test_strategy_team_exports_and_freezes(app, client, auth):
    with app.app_context():
        _draft()
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    page = text_of(client.get("/strategy/"))
    assert "Vollständigkeitsprüfung" in page and "Abschnitt noch nicht geschrieben" in page
    assert "Monitoring und Evaluation" in page and "monitoring" not in page, "sections named by title, not key"
    # Exports run as background jobs (immediately in tests): the job page offers the file.
    response = client.post("/strategy/export", data={"format": "docx", "locale": "de"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"])
    assert job_page.status_code == 200
    download = _job_download(client, response)
    assert "Handlungskonzept-Teststadt-2040-Entwurf.docx" in download.headers["Content-Disposition"]
    doc = Document(io.BytesIO(download.data))
    assert any(p.text == "MOB Smarte Mobilität" for p in doc.paragraphs)
    response = client.post("/strategy/export", data={"format": "md", "locale": "en", "short": "1"})
    assert "Short version" in _job_download(client, response).get_data(as_text=True)
    assert client.post("/strategy/export", data={"format": "exe"}).status_code == 400
    assert client.get("/strategy/export?format=md").status_code == 405  # no state change on GET
    response = client.post("/strategy/versions", data={"note": "Für den Ausschuss"})
    assert response.status_code == 302
    response = client.post("/strategy/versions/1/export", data={"format": "pdf"})
    download = _job_download(client, response)
    assert download.data.startswith(b"%PDF")
    assert "Handlungskonzept-Teststadt-2040-v1.pdf" in download.headers["Content-Disposition"]
    assert client.post("/strategy/versions/42/export", data={"format": "pdf"}).status_code == 404
    response = client.post("/strategy/sections/foreword", data={"title": "Vorwort", "body": "Neu", "version": "0"})
    assert response.status_code == 409
    assert "Jemand anderes hat dies inzwischen geändert" in text_of(response)
    assert "Die aktuelle Fassung (von jemand anderem gespeichert)" in text_of(response)


def test_very_large_draft_is_shown_condensed(app, client, auth, monkeypatch):
    from planner.strategy import outline

    with app.app_context():
        _draft()
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    assert "Zu dieser Druckfassung" not in text_of(client.get("/strategy/draft"))
    monkeypatch.setattr(outline, "CONDENSE_LIMIT_MEASURES", 0)
    page = client.get("/strategy/draft").get_data(as_text=True)
    assert "Zu dieser Druckfassung" in page and "Maßnahmensteckbrief" not in page
    assert "Smart Parking" in page, "every measure is still listed in a table"
    assert 'href="/findings/measures/' in page, "each measure links to its own page with the fact sheet"


def test_published_page_is_public(app, client):
    with app.app_context():
        helpers.version(published=True)
        db.session.commit()
    response = client.get("/strategy/published")
    assert response.status_code == 302 and response.headers["Location"].endswith("/strategy/published/1")
    page = text_of(client.get("/strategy/published/1"))
    assert "Handlungsfelder" in page and "MOB-M02" in page
    download = client.get("/strategy/published/1/export?format=md")
    assert download.status_code == 200
    download.close()


def test_public_exports_are_made_once_and_then_served(app, client, monkeypatch):
    """Anonymous downloads must not lay out the paper anew each time: one export per version, language and format."""
    from planner.strategy import versions

    with app.app_context():
        helpers.version(published=True)
        db.session.commit()
    calls = []
    real = versions.export

    def counting(rollup, code, output):
        calls.append(code)
        return real(rollup, code, output)

    monkeypatch.setattr(versions, "export", counting)
    first = client.get("/strategy/published/1/export?format=md")
    second = client.get("/strategy/published/1/export?format=md")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    first.close()
    second.close()
    assert "Handlungskonzept-" in first.headers["Content-Disposition"]
    assert calls == ["md"]
    client.get("/strategy/published/1/export?format=md&short=1").close()
    client.get("/strategy/published/1/export?format=md&locale=en").close()
    assert calls == ["md", "md", "md"], "another length or language is another file"
    assert client.get("/strategy/published/1/export?format=exe").status_code == 400
    assert client.get("/strategy/published/9/export?format=md").status_code == 404


def test_cli_exports_draft_and_version(app, runner, tmp_path):
    with app.app_context():
        _draft()
        helpers.version(number=5)
        db.session.commit()
    out = tmp_path / "paper.md"
    result = runner.invoke(args=["export-paper", "--format", "md", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Smart Parking" in out.read_text()
    out = tmp_path / "v5.docx"
    result = runner.invoke(args=["export-paper", "--format", "docx", "--version", "5", "--short", "--locale", "en",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert any(p.text == "Top measures" for p in Document(str(out)).paragraphs)
    result = runner.invoke(args=["export-paper", "--format", "pdf", "--version", "9", "--output",
                                 str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert "Es gibt keine Version 9" in result.output or "There is no version 9" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_diff_page_names_the_changed_items_in_words(app, client, auth):
    with app.app_context():
        measure = _draft()
        db.session.commit()
        versions.freeze_version(None)
        measure.lead_unit = "Amt 61"
        measure.cost_estimate = 650000
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    page = text_of(client.get("/strategy/versions/diff?old=1"))
    assert "Federführung" in page and "Kostenschätzung" in page
    assert "lead_unit" not in page and "cost_estimate" not in page


def test_paper_page_names_the_rounds_with_open_comments(app, client, auth):
    """The readiness check said "Offene Kommentare aus der Abstimmung (1): 1": a count of one gap and the number
    of comments as its subject. It names each round with its open comments instead."""
    with app.app_context():
        _draft()
        first = helpers.review_round(title="Abstimmung Ausschuss Digitalisierung")
        helpers.comment(first)
        helpers.comment(first, text="Noch eine Frage.")
        helpers.comment(helpers.review_round(first.version, title="Runde Partner"))
        answered = helpers.comment(helpers.review_round(first.version, title="Runde erledigt"))
        answered.answer = "accepted"
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    page = text_of(client.get("/strategy/"))
    assert "Offene Kommentare aus der Abstimmung (3): Abstimmung Ausschuss Digitalisierung: 2; Runde Partner: 1" in page
    assert "Runde erledigt" not in page.split("Textabschnitte")[0]


def test_paper_page_offers_the_short_version_in_english(app, client, auth):
    """The page offered the long version in German and English but the short one only in German; and twenty
    buttons all named "DOCX exportieren" and the like. Each button now says which edition it exports."""
    with app.app_context():
        _draft()
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    html = client.get("/strategy/").get_data(as_text=True)
    assert "Kurzfassung auf Englisch" in html
    assert 'DOCX exportieren<span class="kern-sr-only"> (Kurzfassung auf Englisch)</span>' in html
    block = html.split("Kurzfassung auf Englisch</h3>")[1].split("</ul>")[0]
    assert 'name="locale" value="en"' in block and 'name="short" value="1"' in block
    response = client.post("/strategy/export", data={"format": "md", "locale": "en", "short": "1"})
    text = _job_download(client, response).get_data(as_text=True)
    assert "Short version" in text and "Kurzfassung" not in text


def test_no_reviewer_joins_a_round_after_the_version_is_signed_off(app, client, auth):
    """A guest invited to the still open round of a signed-off version turned its "23 of 23 approvals" into
    "23 of 46" while the version stayed signed off and published."""
    with app.app_context():
        alice, late = helpers.reviewer(), helpers.reviewer()
        staff = factories.user(role=Role.STRATEGY_TEAM)
        round_ = helpers.review_round(helpers.complete_version(), members=[alice])
        for key in [p.key for p in review.parts_of(versions.version_rollup(round_.version))]:
            review.set_verdict(round_, alice, part=key, verdict="approved", reason="")
        db.session.expire_all()
        review.sign_off_version(round_.version, staff)
        with pytest.raises(InvalidTransition, match="abschließend freigegeben"):
            review.add_member(round_, staff, user_id=late.id, body_label="")
        with pytest.raises(InvalidTransition, match="abschließend freigegeben"):
            review.invite_guest(round_, staff, name="Gerd Gast", email="gerd@example.org")
        round_id, late_id = round_.id, late.id
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    page = client.get(f"/strategy/rounds/{round_id}").get_data(as_text=True)
    assert f'action="/strategy/rounds/{round_id}/guests"' not in page
    response = client.post(f"/strategy/rounds/{round_id}/members", data={"user_id": late_id})
    assert response.status_code < 500
    with app.app_context():
        from planner.strategy.models import ReviewRoundMember
        assert db.session.scalar(db.select(db.func.count(ReviewRoundMember.id))
                                 .where(ReviewRoundMember.round_id == round_id)) == 1
