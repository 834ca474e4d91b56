"""Survey test data, built through the real import path. Call inside an app context."""

import io
import itertools
import tempfile
from pathlib import Path

from flask import current_app

from planner.core.permissions import Role
from planner.extensions import db
from planner.fields.models import ActionField
from planner.surveys import services
from planner.surveys.models import SurveyComment, SurveyUpload
from tests import factories
from tests.surveys.helpers import ROWS, csv_bytes, mapping

_seq = itertools.count(1)


def mob_field() -> ActionField:
    return db.session.scalar(db.select(ActionField).where(ActionField.code == "MOB")) or factories.field(
        code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility"
    )


def survey(user=None, rows=ROWS, title=None):
    mob_field()
    user = user or factories.user(role=Role.STRATEGY_TEAM)
    n = next(_seq)
    rows = [list(r) for r in rows] + [[f"extra{n}"] + [""] * 11]  # a unique file per call
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "umfrage.csv"
        path.write_bytes(csv_bytes(rows=rows))
        # The same rows every time, on purpose: not a copy of an export by mistake.
        return services.import_file(user, path, path.name, mapping(), services.UploadMeta(title or f"Umfrage {n}"),
                                    allow_duplicates=True)


def comment_id(survey_obj) -> int:
    return db.session.scalar(db.select(SurveyComment.id).where(SurveyComment.survey_id == survey_obj.id).limit(1))


def upload(user=None) -> SurveyUpload:
    mob_field()
    user = user or factories.user(role=Role.STRATEGY_TEAM)
    n = next(_seq)
    rows = [list(r) for r in ROWS] + [[f"upload{n}"] + [""] * 11]
    return services.store_upload(user, io.BytesIO(csv_bytes(rows=rows)), "welle2.csv",
                                 services.UploadMeta(f"Welle {n}"), current_app.instance_path)
