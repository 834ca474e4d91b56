"""The demo's coded survey: what a newcomer sees on the coding page, the analysis, the codebook and in the paper."""

import io
import re

from sqlalchemy import func, select

from planner.demo import data, seed_demo
from planner.extensions import db
from planner.surveys import coding
from planner.surveys.models import CommentCoding, Survey, SurveyComment
from tests.conftest import text_of


def test_the_demo_survey_is_coded_and_its_analysis_and_paper_show_it(app, client):
    with app.app_context():
        seed_demo()
        db.session.commit()
        survey_id = db.session.scalar(select(Survey.id))
        progress = coding.progress(survey_id)
        # A realistic share coded, most of it by accepted suggestions, the rest still in the queue.
        assert 0.5 <= progress.share <= 0.75 and progress.accepted >= progress.coded // 2
        assert progress.other_languages >= 3
        rows = db.session.execute(select(CommentCoding.source, CommentCoding.from_suggestion, func.count(),
                                         func.min(CommentCoding.coded_at), func.max(CommentCoding.coded_at),
                                         func.count(CommentCoding.coded_by_id))
                                  .group_by(CommentCoding.source, CommentCoding.from_suggestion)).all()
        by_kind = {(source, accepted): (count, first, last, who) for source, accepted, count, first, last, who in rows}
        assert by_kind[("web", False)][0] >= 100  # by hand
        assert by_kind[("web", True)][0] >= 300  # suggestions accepted as they were
        assert by_kind[("similar", True)][0] >= 5  # a group of similar comments at once
        for count, first, last, who in by_kind.values():
            assert who == count  # who coded it
            assert first.year == last.year == 2022 and 8 <= first.month <= last.month <= 9  # after the survey closed
        assert not coding.suggestions_stale(survey_id, app.instance_path)  # the first visit trains nothing
        accepted = db.session.scalar(select(func.min(CommentCoding.comment_id))
                                     .where(CommentCoding.from_suggestion.is_(True)))
        accepted_page = db.session.scalar(select(func.count()).select_from(SurveyComment)
                                          .where(SurveyComment.id < accepted)) // 25 + 1

    client.post("/login", data={"email": "strategie@example.org", "password": data.DEMO_PASSWORD})
    page = client.get(f"/surveys/{survey_id}/coding")
    assert page.status_code == 200
    text = text_of(page)
    assert re.search(r"\d{3} von 1\.\d{3} Kommentaren codiert", text), text[:600]
    assert "Vorschlag: " in text and "Noch nicht codiert" in text
    assert "in einer anderen Sprache und erhalten keinen Vorschlag" in text

    listed = text_of(client.get(f"/surveys/{survey_id}/comments"))  # each code with who set it and when
    assert re.search(r"Code [A-Z]{3}(\.[a-z-]+)? – .+, gesetzt von Sam Strategie \(fiktiv\) am \d{2}\.0[89]\.2022",
                     listed), listed[:1500]
    assert "(Vorschlag übernommen)" in text_of(client.get(f"/surveys/{survey_id}/comments?page={accepted_page}"))

    codebook = text_of(client.get("/surveys/codebook"))
    assert "MOB.parken" in codebook and "Parken und Parkplatzsuche" in codebook and "SER.termine" in codebook

    for by, group in (("bezirk", "Stadtbezirk IX"), ("alter", "60–74")):
        analysis = client.get(f"/surveys/{survey_id}/analysis?by={by}")
        assert analysis.status_code == 200
        text = text_of(analysis)
        assert group in text and "Repräsentative Kommentare" in text
        assert "MOB.radverkehr" in text and "SER.online-antraege" in text
    assert "Stadtbezirk" in text_of(client.get(f"/surveys/{survey_id}/analysis?by=bezirk"))

    with app.app_context():
        from planner.strategy.exporters import export
        from planner.strategy.models import PaperVersion
        from planner.strategy.rollup import build_rollup, rollup_from_json

        chapter = next(c for c in build_rollup().fields if c.code == "MOB")
        summary = chapter.citizen_comments
        assert summary.comments >= 100 and summary.topics[0][0] == "Radverkehr" and len(summary.quotes) == 3
        assert len(set(summary.quotes)) == 3  # three different comments, not the same sentence thrice
        out = io.BytesIO()
        export(build_rollup(), "md", out)
        paper = out.getvalue().decode()
        assert "Was Bürgerinnen und Bürger schrieben" in paper and f"„{summary.quotes[0]}“" in paper
        frozen = db.session.scalars(select(PaperVersion).order_by(PaperVersion.number)).first()
        stored = rollup_from_json(frozen.rollup_json)
        assert next(c for c in stored.fields if c.code == "SER").citizen_comments.comments >= 100
