"""A citizen's long comment is not cut silently: kept whole through the import, suggest-codes and the coding page;
one beyond the limit is shortened, marked, and the preview says where."""

import csv
import html
import io

from sqlalchemy import select

from planner.extensions import db
from planner.surveys import coding, services
from planner.surveys.mapping import MAX_TEXT
from planner.surveys.models import SurveyComment, SurveyUpload
from tests.conftest import text_of
from tests.surveys.coding_helpers import HEADER, mapping, seven_fields
from tests.surveys.helpers import csv_bytes

# 20,000 characters: German with umlauts, emoji, quotes and line breaks, as a citizen pastes a letter.
LONG = ("Sehr geehrte Damen und Herren,\n" + "die Parkplatzsuche in der Innenstadt kostet täglich Zeit 🚗 – "
        "„Smart Parking“ würde helfen & die Luft verbessern. " * 400)[:19_989] + "\nMit Grüßen"
TOO_LONG = "Radwege " * 5000  # 40,000 characters


def test_a_long_comment_survives_import_suggest_codes_and_the_coding_page(app, client, auth, runner, tmp_path):
    assert len(LONG) == 20_000
    with app.app_context():
        seven_fields()
        db.session.commit()
    user_id = auth.login("strategy_team")
    rows = [["1", "Stadtbezirk I", "unter 30", LONG], ["2", "Stadtbezirk II", "30 bis 59", TOO_LONG],
            ["3", "Stadtbezirk III", "60 und älter", "Mehr Bänke im Park 🙂"]]
    response = client.post("/surveys/import", data={"file": (io.BytesIO(csv_bytes(HEADER, rows)), "lang.csv"),
                                                    "title": "Lange Kommentare"}, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)
    with app.app_context():
        from planner.accounts.models import User

        upload = db.session.scalar(select(SurveyUpload))
        assert services.set_upload_mapping(db.session.get(User, user_id), upload, mapping()) == []
        db.session.commit()
        upload_id = upload.id

    preview = text_of(client.get(f"/surveys/uploads/{upload_id}/preview"))
    assert "1 Kommentar ist zu lang, um ganz erhalten zu bleiben" in preview
    # The file's line where the record starts: the header is line 1, the long comment's two line breaks take 2 to 4.
    assert "bis zu 32.767 Zeichen" in preview and "„[…]“: Zeile 5 (Anmerkungen)." in preview
    assert client.post(f"/surveys/uploads/{upload_id}/import").status_code == 302

    with app.app_context():
        comments = db.session.scalars(select(SurveyComment).order_by(SurveyComment.id)).all()
        assert [c.line_no for c in comments] == [2, 5, 6]
        assert comments[0].text == LONG  # whole, character for character
        assert comments[1].text == TOO_LONG[:MAX_TEXT].rstrip() + " […]"
        assert comments[2].text == "Mehr Bänke im Park 🙂"
        survey_id, long_id = comments[0].survey_id, comments[0].id
        from planner.accounts.models import User

        coding.seed_codebook(db.session.get(User, user_id))
        db.session.commit()

    out = tmp_path / "vorschlaege.csv"
    result = runner.invoke(args=["suggest-codes", "--survey", str(survey_id), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = {int(r["comment_id"]): r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"),
                                                                       newline=""))}
    assert rows[long_id]["text"] == LONG  # the imported text, unchanged

    page = client.get(f"/surveys/{survey_id}/coding").get_data(as_text=True)
    assert html.escape(LONG, quote=False) in page or html.escape(LONG) in page  # shown whole
    assert 'role="region"' in page and "20.000 Zeichen" in page  # in a box that scrolls, reachable by keyboard
