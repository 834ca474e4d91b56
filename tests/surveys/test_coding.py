"""Comment coding: the codebook, codings, offline suggestions, the queue, the analysis and the two CLI commands."""

import csv
import io
from pathlib import Path

import pytest
from flask_babel import force_locale

from planner.core.errors import DomainError
from planner.extensions import db
from planner.findings.models import Finding, FindingKind
from planner.surveys import coding
from planner.surveys.models import CommentCoding, CommentType, SurveyComment
from tests import factories
from tests.conftest import text_of
from tests.surveys.coding_helpers import coding_survey

BAD_INPUT = ["", "   ", "😀😀😀", "Parkplätze " * 2000 + "fehlen.", "Больше парковок в центре города, пожалуйста",
             "Please build more bike lanes and safer crossings in the city centre.",
             "Şehir merkezinde daha fazla otopark ve bisiklet yolu olmalı."]


def _comments(survey):
    return db.session.scalars(db.select(SurveyComment).where(SurveyComment.survey_id == survey.id)
                              .order_by(SurveyComment.id)).all()


def _lead():
    return factories.user(role="strategy_team")


def _confirm(user, comments, truth, share):
    codes = {c.key: c.id for c in coding.codebook()}
    labelled = [c for c in comments if truth.get(c.text)]
    for comment in labelled[: int(len(labelled) * share)]:
        coding.set_codes(user, comment, [codes[truth[comment.text]]])
    return labelled[int(len(labelled) * share):]


def test_codebook_is_seeded_from_fields_and_needs_and_keeps_codings(ctx):
    with force_locale("en"):
        _codebook_story()


def _codebook_story():
    user = _lead()
    survey, truth = coding_survey(60)
    need = Finding(kind=FindingKind.NEED, field_id=coding_survey.__globals__["seven_fields"]()["MOB"].id,
                   text="Parksuchverkehr in der Rüttenscheider Straße reduzieren")
    db.session.add(need)
    db.session.flush()
    assert coding.seed_codebook(user) == 7
    assert coding.seed_codebook(user) == 0  # idempotent
    mob = coding.code_by_key("MOB")
    assert mob.label == "Smarte Mobilität und Infrastruktur"
    assert any("Parksuchverkehr" in text for text in mob.seed_texts)

    parking = coding.create_code(user, mob.field_id, "parken", "Parken", "Parkplätze und Parksuche",
                                 "Parkplatz; Parkhaus,\nAnwohnerparken")
    assert parking.key == "MOB.parken" and parking.examples == "Parkplatz, Parkhaus, Anwohnerparken"
    for slug, message in (("Parken Innenstadt", "short name"), ("parken", "exists already")):
        with pytest.raises(DomainError, match=message):
            coding.create_code(user, mob.field_id, slug, "Parken")
    with pytest.raises(DomainError, match="enter a name"):
        coding.create_code(user, mob.field_id, "rad", "  ")

    comments = _comments(survey)
    coding.set_codes(user, comments[0], [parking.id, coding.code_by_key("UMW").id], "criticism")
    coding.set_codes(user, comments[1], [parking.id, mob.id])
    assert comments[0].field_id == mob.field_id  # the comment's tag follows its first code
    assert comments[0].comment_type == CommentType.CRITICISM

    coding.rename_code(user, parking, "Parken und Parksuche")
    assert coding.code_by_key("MOB.parken").label == "Parken und Parksuche"

    coding.retire_code(user, parking)
    assert {c.code.key for c in comments[0].codings} == {"MOB.parken", "UMW"}  # kept
    with pytest.raises(DomainError, match="retired"):
        coding.set_codes(user, comments[2], [parking.id])
    coding.reinstate_code(user, parking)

    moved = coding.merge_codes(user, parking, mob)
    assert moved == 1  # comment 1 had both: one coding left, not two
    db.session.expire_all()
    assert sorted(c.code.key for c in comments[0].codings) == ["MOB", "UMW"]
    assert [c.code.key for c in comments[1].codings] == ["MOB"]
    assert parking.merged_into_id == mob.id and parking.is_retired
    with pytest.raises(DomainError, match="cannot come back"):
        coding.reinstate_code(user, parking)
    with pytest.raises(DomainError):
        coding.merge_codes(user, mob, mob)


def _no_network(monkeypatch):
    """Any connection to another host fails the test: the suggestions must not need one (nothing downloaded)."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"a network connection was attempted: {args[1:] or kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_suggestions_learn_from_confirmed_codes_offline(ctx, monkeypatch):
    _no_network(monkeypatch)
    user = _lead()
    survey, truth = coding_survey(400, extra_texts=BAD_INPUT)
    coding.seed_codebook(user)
    comments = _comments(survey)
    # A quarter of 400 (about 100 confirmed codes); the bench confirms 10 % of 10,000.
    rest = _confirm(user, comments, truth, 0.25)
    result = coding.refresh_suggestions(survey, ctx.instance_path)
    assert result.retrained and result.comments == len(comments)
    db.session.expire_all()
    right = sum(1 for c in rest if c.suggested_code is not None and c.suggested_code.key == truth[c.text])
    assert right / len(rest) >= 0.8

    by_text = {c.text: c for c in comments}
    assert by_text[BAD_INPUT[5]].language == "en" and by_text[BAD_INPUT[6]].language == "tr"
    assert "" not in by_text and "   " not in by_text  # the import keeps no empty comment
    for text in BAD_INPUT[2:3] + BAD_INPUT[4:]:
        assert text in by_text
        assert by_text[text].suggested_code_id is None, text  # emoji only, other languages and scripts
    long = next(c for c in comments if c.text.startswith("Parkplätze Parkplätze"))
    assert long.text == BAD_INPUT[3]  # 22,007 characters, kept whole
    assert long.language == "de" and long.suggested_code.key == "MOB"

    # Unchanged codes: the cached model is used again; a new code re-trains.
    assert not coding.refresh_suggestions(survey, ctx.instance_path).retrained
    assert not coding.needs_refresh(survey.id, ctx.instance_path)
    queue = db.session.scalars(coding.uncoded(survey.id)).all()
    confidences = [c.suggestion_confidence for c in queue if c.suggestion_confidence is not None]
    assert confidences == sorted(confidences, reverse=True) and queue[-1].suggestion_confidence is None
    coding.accept_suggestion(user, queue[0])
    assert coding.refresh_suggestions(survey, ctx.instance_path).retrained


def test_codings_record_who_when_and_accepted_suggestions(ctx):
    user = _lead()
    survey, truth = coding_survey(200)
    coding.seed_codebook(user)
    comments = _comments(survey)
    _confirm(user, comments, truth, 0.2)
    coding.refresh_suggestions(survey, ctx.instance_path)
    first = db.session.scalars(coding.uncoded(survey.id)).first()
    coding.accept_suggestion(user, first)
    (record,) = first.codings
    assert record.coded_by_id == user.id and record.from_suggestion and record.coded_at is not None
    assert record.confidence == pytest.approx(first.suggestion_confidence)

    other = db.session.scalars(coding.uncoded(survey.id)).first()
    coding.set_codes(user, other, [coding.code_by_key("GES").id, coding.code_by_key("SER").id], "question")
    assert [c.from_suggestion for c in other.codings] == [False, False]
    progress = coding.progress(survey.id)
    assert progress.accepted == 1 and progress.coded == len([c for c in comments if c.codings])

    similar_to = db.session.scalars(coding.uncoded(survey.id)).first()
    count = coding.accept_similar(user, similar_to, similar_to.suggested_code_id, ctx.instance_path)
    assert count >= 1
    similar = db.session.scalars(db.select(CommentCoding).where(CommentCoding.source == "similar")).all()
    assert len(similar) == count and all(c.code_id == similar_to.suggested_code_id for c in similar)
    with pytest.raises(DomainError):
        coding.accept_suggestion(factories.user(role="facilitator"), similar_to)


def test_crosstab_lift_p_value_and_suppressed_cells(ctx):
    user = _lead()
    survey, truth = coding_survey(600)
    coding.seed_codebook(user)
    comments = _comments(survey)
    _confirm(user, comments, truth, 1.0)
    district = survey.questions[0]
    table = coding.crosstab(survey, district)
    assert table.base == sum(1 for c in comments if c.codings)
    mob = next(r for r in table.rows if r.code.key == "MOB")
    first = mob.cells[table.groups.index("Stadtbezirk I")]
    assert not first.suppressed and first.lift > 2  # the generator sends half of MOB to district I
    assert mob.p_value is not None and mob.p_value < 0.001
    small = [cell for row in table.rows for cell in row.cells if cell.count < coding.MIN_CELL]
    assert small and all(cell.suppressed and cell.lift is None for cell in small)

    coding.refresh_suggestions(survey, ctx.instance_path)
    quotes = coding.representatives(survey.id, coding.code_by_key("BIL"), ctx.instance_path)
    assert len(quotes) == 3 and all(truth[q.text] == "BIL" for q in quotes)


def test_need_from_a_selection_keeps_each_comment_as_source(ctx):
    user = _lead()
    survey, _truth = coding_survey(20)
    fields = coding_survey.__globals__["seven_fields"]()
    picked = _comments(survey)[:3]
    need = coding.create_need_from_comments(user, survey, [c.id for c in picked], fields["MOB"].id,
                                            "Parksuchverkehr verringern")
    assert need.kind == FindingKind.NEED and all(c.need_id == need.id for c in picked)
    with force_locale("en"), pytest.raises(DomainError, match="already"):
        coding.create_need_from_comments(user, survey, [picked[0].id], fields["MOB"].id, "Noch einmal")
    with force_locale("en"), pytest.raises(DomainError, match="select at least one"):
        coding.create_need_from_comments(user, survey, [], fields["MOB"].id, "Leer")


def test_suggest_codes_and_apply_codes_cli(app, runner, tmp_path):
    with app.app_context():
        survey, truth = coding_survey(150, extra_texts=["Больше парковок"])
        coding.seed_codebook(_lead())
        coding.create_code(_lead(), coding.code_by_key("MOB").field_id, "parken", "Parken")
        db.session.commit()
        survey_id = survey.id
        ids = [c.id for c in _comments(survey)]
        texts = {c.id: c.text for c in _comments(survey)}

    out = tmp_path / "vorschlaege.csv"
    result = runner.invoke(args=["suggest-codes", "--survey", str(survey_id), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["comment_id", "text", "suggested_code", "confidence"]
    assert [int(r["comment_id"]) for r in rows] == ids
    assert all(r["text"] == texts[int(r["comment_id"])] for r in rows)
    cyrillic = next(r for r in rows if r["text"] == "Больше парковок")
    assert cyrillic["suggested_code"] == "" and cyrillic["confidence"] == ""
    assert all(r["suggested_code"] in {"MOB", "UMW", "BIL", "SER", "GES", "WOH", "WWF", "MOB.parken"}
               for r in rows if r["suggested_code"])
    assert all(0 < float(r["confidence"]) <= 1 for r in rows if r["confidence"])

    bad = tmp_path / "codes.csv"
    bad.write_text(f"comment_id;code\n{ids[0]};MOB\n999999;MOB\n{ids[1]};XYZ\n{ids[2]};MOB.parken\n",
                   encoding="utf-8")
    result = runner.invoke(args=["apply-codes", "--survey", str(survey_id), str(bad)])
    assert result.exit_code != 0
    # The messages are in the installation's language (German by default).
    assert "line 3: unbekannte Kommentar-ID „999999“" in result.output
    assert "line 4: unbekannter Code „XYZ“" in result.output
    assert "2 Fehler in der Datei; kein Code wurde gespeichert." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CommentCoding)) == 0  # all or none

    good = tmp_path / "gut.csv"
    good.write_text(f"comment_id,code\n{ids[0]},MOB\n{ids[0]},MOB.parken\n{ids[1]},UMW\n", encoding="utf-8")
    result = runner.invoke(args=["apply-codes", "--survey", str(survey_id), str(good)])
    assert result.exit_code == 0, result.output
    assert "Confirmed 3 codes" in result.output
    with app.app_context():
        keys = sorted(c.code.key for c in db.session.get(SurveyComment, ids[0]).codings)
        assert keys == ["MOB", "MOB.parken"]
        assert all(c.source == "file" and c.coded_by_id is None for c in db.session.scalars(
            db.select(CommentCoding)))
    result = runner.invoke(args=["apply-codes", "--survey", "424242", str(good)])
    assert result.exit_code != 0 and "No survey with the id 424242" in result.output


def test_coding_page_accept_by_htmx_and_analysis(app, client, auth):
    with app.app_context():
        survey, truth = coding_survey(120, extra_texts=["Please build more bike lanes in the city centre."])
        lead = _lead()
        coding.seed_codebook(lead)
        _confirm(lead, _comments(survey), truth, 0.3)
        db.session.commit()
        survey_id = survey.id
    auth.login("strategy_team")
    page = client.get(f"/surveys/{survey_id}/coding")
    assert page.status_code == 200
    text = text_of(page)
    assert "Vorschlag:" in text and "(Sicherheit " in text
    assert "Kommentare sind in einer anderen Sprache und erhalten keinen Vorschlag." in text
    with app.app_context():
        top = db.session.scalars(coding.uncoded(survey_id)).first()
        top_id, top_code = top.id, top.suggested_code.key
    html = page.get_data(as_text=True)
    assert f"coding-{top_id}" in html
    with app.app_context():
        suggested = db.session.get(SurveyComment, top_id).suggested_code_id
    select_html = html.split(f'id="code-{top_id}"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{suggested}" selected>' in select_html  # the suggestion is preselected

    partial = client.post(f"/surveys/comments/{top_id}/accept", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    body = partial.get_data(as_text=True)
    assert 'id="coding-queue"' in body and "<html" not in body and f"coding-{top_id}\"" not in body
    with app.app_context():
        (record,) = db.session.get(SurveyComment, top_id).codings
        assert record.from_suggestion and record.code.key == top_code

    refused = client.post(f"/surveys/comments/{top_id}/code", data={"code": "999999"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "Unbekannter Code" in text_of(refused)

    analysis = client.get(f"/surveys/{survey_id}/analysis?by=q2")
    assert analysis.status_code == 200
    text = text_of(analysis)
    assert "Codes nach „Altersgruppe“" in text and "< 10" in text
    assert "Repräsentative Kommentare" in text
    codebook = client.get("/surveys/codebook").get_data(as_text=True)
    assert "<code>WWF</code>" in codebook and "<code>MOB.parken</code>" not in codebook

    cache = list((Path(app.instance_path) / "coding").glob(f"survey-{survey_id}-*.pickle"))
    assert len(cache) == 1
    assert client.post(f"/surveys/{survey_id}/delete").status_code == 302
    assert not cache[0].exists()  # the coding cache goes with the survey


def test_the_paper_shows_per_field_comments_topics_and_anonymous_quotes(ctx):
    from planner.strategy.exporters import export
    from planner.strategy.rollup import build_rollup, rollup_from_json, rollup_to_json

    user = _lead()
    survey, truth = coding_survey(200, extra_texts=["Ich wünsche mir mehr Parkplätze in der Innenstadt, weil "
                                                    + "man abends nie einen findet und lange sucht " * 10])
    coding.seed_codebook(user)
    parking = coding.create_code(user, coding.code_by_key("MOB").field_id, "parken", "Parken")
    comments = _comments(survey)
    _confirm(user, comments, truth, 1.0)
    for comment in comments:
        if "Parkpl" in comment.text:
            coding.set_codes(user, comment, [parking.id], keep_others=True)
    coding.refresh_suggestions(survey, ctx.instance_path)

    rollup = build_rollup()
    chapter = next(c for c in rollup.fields if c.code == "MOB")
    data = chapter.citizen_comments
    mob_comments = sum(1 for c in comments if truth.get(c.text) == "MOB" or "Parkpl" in c.text)
    assert data.comments == mob_comments
    assert data.topics[0][0] == "Parken" and data.topics[0][1] >= 1
    assert 2 <= len(data.quotes) <= 3 and all(len(q) <= 222 for q in data.quotes)
    assert rollup_from_json(rollup_to_json(rollup)) == rollup  # stored and read back
    out = io.BytesIO()
    export(rollup, "md", out)
    text = out.getvalue().decode()
    assert "Was Bürgerinnen und Bürger schrieben" in text
    assert (f"{mob_comments} Kommentare der Bürgerbefragung betreffen dieses Handlungsfeld. "
            "Hauptthemen: Parken (") in text
    assert f"„{data.quotes[0]}“" in text
    long_ones = {c.id: survey.id for c in comments if len(c.text) > 300}
    long_quote = coding.quotes_for(long_ones, ctx.instance_path)[0]
    from planner.surveys.facts import shorten

    assert shorten(long_quote).endswith(" …") and len(shorten(long_quote)) <= 222


def test_a_large_survey_renews_its_suggestions_in_a_background_job(app, client, auth, monkeypatch):
    from planner.jobs.models import Job, JobStatus
    from planner.surveys import coding_views
    from planner.surveys.tasks import SUGGEST_TASK

    monkeypatch.setattr(coding_views, "INLINE_LIMIT", 10)
    with app.app_context():
        survey, truth = coding_survey(60)
        lead = _lead()
        coding.seed_codebook(lead)
        _confirm(lead, _comments(survey), truth, 0.5)
        db.session.commit()
        survey_id = survey.id
    auth.login("strategy_team")
    page = client.get(f"/surveys/{survey_id}/coding")
    assert page.status_code == 200
    assert "im Hintergrund erneuert" in text_of(page)
    with app.app_context():
        (job,) = db.session.scalars(db.select(Job).where(Job.task == SUGGEST_TASK)).all()
        assert job.params == {"survey_id": survey_id}
        # Tests run jobs in the request's process at once (HUEY_IMMEDIATE): the suggestions are there.
        assert job.status == JobStatus.DONE, job.message
        assert not coding.never_suggested(survey_id)
    again = client.post(f"/surveys/{survey_id}/coding/refresh", headers={"HX-Request": "true"})
    assert again.status_code == 200 and "Vorschlag:" in text_of(again)


def test_the_trained_model_is_read_once_and_again_when_another_process_retrains(ctx, monkeypatch):
    user = _lead()
    survey, truth = coding_survey(60)
    coding.seed_codebook(user)
    coding.refresh_suggestions(survey, ctx.instance_path)
    path = coding._cache_path(ctx.instance_path, survey.id)
    assert path.exists() and path.name.startswith(f"survey-{survey.id}-{survey.sha256[:12]}")
    reads = []
    original = coding._read
    monkeypatch.setattr(coding, "_read", lambda p: reads.append(p) or original(p))
    coding.MODELS.forget(path)
    first = coding.model_for(survey.id, ctx.instance_path, retrain=False)
    assert coding.model_for(survey.id, ctx.instance_path, retrain=False) is first and len(reads) == 1
    # Another process (the job worker) writes a newer model: its file changed, so it is read again.
    import os
    import pickle

    changed = coding.Model("other", first.suggester, first.comment_ids, first.matrix, first.languages)
    path.write_bytes(pickle.dumps(changed))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert coding.model_for(survey.id, ctx.instance_path, retrain=False).fingerprint == "other" and len(reads) == 2
    # The analysis needs no re-reading per code: one model for all representative comments.
    coding.set_codes(user, _comments(survey)[0], [coding.code_by_key("MOB").id])
    coding.representatives(survey.id, coding.code_by_key("MOB"), ctx.instance_path)
    assert len(reads) == 2
    # Another survey under the same id (all rows removed, ids counted anew) never gets this model: its own file.
    survey.sha256 = "f" * 64
    assert coding.model_for(survey.id, ctx.instance_path, retrain=False) is None
    coding.refresh_suggestions(survey, ctx.instance_path)
    assert not path.exists() and coding._cache_path(ctx.instance_path, survey.id).exists()
