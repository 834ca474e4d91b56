"""A survey of generated citizen comments (district, age group, free text) for the coding tests."""

import random
import tempfile
from pathlib import Path

from bench.coding_data import AGE_GROUPS, DISTRICTS, labelled_comments
from planner.core.permissions import Role
from planner.extensions import db
from planner.fields.models import ActionField
from planner.surveys import services
from tests import factories
from tests.surveys.helpers import csv_bytes

HEADER = ["id", "Stadtbezirk", "Altersgruppe", "Anmerkungen"]
FIELD_NAMES = {
    "MOB": "Smarte Mobilität und Infrastruktur", "UMW": "Smarte Umwelt", "BIL": "Smarte Bildung",
    "SER": "Smarte Services / Verwaltung", "GES": "Smart Health", "WOH": "Smartes Wohnen und Quartiere",
    "WWF": "Smarte Wirtschaft, Wissenschaft und Forschung",
}


def seven_fields() -> dict[str, ActionField]:
    fields = {}
    for code, name in FIELD_NAMES.items():
        fields[code] = db.session.scalar(db.select(ActionField).where(ActionField.code == code)) or factories.field(
            code=code, name_de=name, name_en=name)
    return fields


def mapping() -> dict:
    return {"version": 1, "questions": [
        {"key": "q1", "text": "Stadtbezirk", "kind": "demographic", "columns": ["Stadtbezirk"],
         "options": DISTRICTS},
        {"key": "q2", "text": "Altersgruppe", "kind": "demographic", "columns": ["Altersgruppe"],
         "options": AGE_GROUPS},
        {"key": "q3", "text": "Anmerkungen", "kind": "text", "columns": ["Anmerkungen"]},
    ]}


def coding_survey(count=300, seed=7, extra_texts=(), user=None):
    """Imports ``count`` generated comments (and ``extra_texts``) through the real import; returns (survey,
    {comment text: true code})."""
    seven_fields()
    user = user or factories.user(role=Role.STRATEGY_TEAM)
    rng = random.Random(seed)
    pairs = labelled_comments(count, seed=seed) + [("", t) for t in extra_texts]
    rows, truth = [], {}
    for n, (code, text) in enumerate(pairs, start=1):
        # Mobility comments come more often from district I and the young (something the cross-tab must show).
        district = "Stadtbezirk I" if code == "MOB" and rng.random() < 0.5 else rng.choice(DISTRICTS)
        age = "unter 30" if code == "MOB" and rng.random() < 0.5 else rng.choice(AGE_GROUPS)
        rows.append([str(n), district, age, text])
        truth[text] = code
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kommentare.csv"
        path.write_bytes(csv_bytes(header=HEADER, rows=rows))
        survey = services.import_file(user, path, path.name, mapping(), services.UploadMeta(f"Kommentare {seed}"),
                                      allow_duplicates=True)
    return survey, truth
