"""Deterministic test data at city or metropolis scale (bulk inserts through the core models).

    python -m bench.generate --scale city --database-url sqlite:///tmp/city.sqlite3 --survey-dir /tmp/survey

Creates the schema (create_all), a process, the fields, workshops, experts (with organisations and
participations), findings (needs and SWOT), measures (some accepted, each linked to needs), the benchmark's
accounts (password ``planner-bench``) and writes the survey as a LimeSurvey-style CSV with a mapping JSON
for ``flask import-survey``. The same seed gives the same data.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

BENCH_PASSWORD = "planner-bench"  # noqa: S105 - the benchmark's throwaway accounts
BENCH_ACCOUNTS = {
    "admin": "bench-admin@example.org",
    "facilitator": "bench-moderation@example.org",
    "strategy_team": "bench-strategie@example.org",
    "expert": "bench-expertin@example.org",
    "reviewer": "bench-pruefung@example.org",
}


@dataclass(frozen=True)
class Scale:
    name: str
    fields: int
    workshops: int
    experts: int
    findings: int
    measures: int
    accepted: int
    responses: int
    survey_columns: int


SCALES = {
    "tiny": Scale("tiny", 3, 4, 40, 200, 40, 10, 200, 40),
    "city": Scale("city", 7, 12, 300, 3_000, 600, 150, 2_500, 40),
    "metropolis": Scale("metropolis", 17, 200, 5_000, 50_000, 10_000, 2_000, 100_000, 40),
}

FIELD_NAMES = [
    ("UMW", "Smarte Umwelt"), ("MOB", "Smarte Mobilität und Infrastruktur"), ("BIL", "Smarte Bildung"),
    ("SER", "Smarte Services / Verwaltung"), ("GES", "Smart Health"), ("WOH", "Smartes Wohnen und Quartiere"),
    ("WWF", "Smarte Wirtschaft, Wissenschaft und Forschung"), ("KUL", "Smarte Kultur"), ("SIC", "Smarte Sicherheit"),
    ("ENE", "Smarte Energie"), ("WAS", "Smartes Wasser"), ("HAN", "Smarter Handel"), ("TOU", "Smarter Tourismus"),
    ("SPO", "Smarter Sport"), ("TEI", "Smarte Teilhabe"), ("HAF", "Smarter Hafen"), ("LOG", "Smarte Logistik"),
]
FIRST = ["Anna", "Jürgen", "Özlem", "Lena", "Matthias", "Sören", "Björn", "Ülkü", "Käthe", "Jonas", "Mia", "Ali"]
LAST = ["Müller", "Schmidt", "Schäfer", "Özdemir", "Weiß", "Groß", "Becker", "Hoffmann", "Krüger", "Öztürk",
        "Zimmermann", "Ärztin-Lange", "Bauer", "Wagner"]
WORDS = ["Sensoren", "Datenplattform", "Quartier", "Bürgerservice", "Ladeinfrastruktur", "Schulen", "Hitze",
         "Telemedizin", "Parksuche", "Open Data", "Beteiligung", "Straßenbäume", "Glasfaser", "Förderung"]
DISTRICTS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]


def _sentence(rng: random.Random, n: int = 8) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(scale: Scale, seed: int = 2040, *, batch: int = 5_000) -> dict[str, int]:
    """Fills the current app's (empty) database. Call inside an app context."""
    from werkzeug.security import generate_password_hash

    from planner.accounts.models import User
    from planner.core.permissions import Role
    from planner.extensions import db
    from planner.fields.models import ActionField, StrategyProcess
    from planner.findings.models import Finding, FindingKind, Measure, MeasureStatus, measure_needs
    from planner.people.models import Organisation, Person, Sector, person_fields
    from planner.workshops.models import (
        InvitationStatus,
        Participation,
        ParticipationRole,
        Workshop,
        WorkshopFormat,
        WorkshopSeries,
        WorkshopStatus,
        workshop_fields,
    )

    rng = random.Random(seed)
    now = datetime(2024, 1, 1, tzinfo=UTC)

    def bulk(model, rows):
        for i in range(0, len(rows), batch):
            db.session.execute(insert(model), rows[i:i + batch])

    db.session.add(StrategyProcess(city_name="Benchstadt", title="Smart City-Strategie 2040",
                                   vision="Eine lebenswerte, digitale Stadt."))
    fields = [{"id": i + 1, "code": code, "name_de": name, "name_en": name, "position": i + 1}
              for i, (code, name) in enumerate(FIELD_NAMES[: scale.fields])]
    bulk(ActionField, fields)

    password_hash = generate_password_hash(BENCH_PASSWORD)
    users = [{"id": i + 1, "email": email, "display_name": role, "password_hash": password_hash, "role": Role(role)}
             for i, (role, email) in enumerate(BENCH_ACCOUNTS.items())]
    bulk(User, users)

    sectors = list(Sector)
    organisations = [{"id": i + 1, "name": f"Organisation {i + 1:05d}", "sector": sectors[i % len(sectors)]}
                     for i in range(max(5, scale.experts // 20))]
    bulk(Organisation, organisations)
    people = []
    links = []
    for i in range(scale.experts):
        people.append({
            "id": i + 1, "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
            "email": f"expert{i + 1:06d}@example.org", "organisation_id": rng.randint(1, len(organisations)),
            "has_consent": True, "is_fictional": True,
        })
        for fid in rng.sample(range(1, scale.fields + 1), k=min(2, scale.fields)):
            links.append({"person_id": i + 1, "field_id": fid})
    bulk(Person, people)
    db.session.execute(person_fields.insert(), links)

    # The bench expert account is linked to expert 1 (so the expert's pages show their workshops).
    db.session.execute(text("UPDATE users SET person_id = 1 WHERE email = :e"), {"e": BENCH_ACCOUNTS["expert"]})

    db.session.add(WorkshopSeries(id=1, title="Workshopreihe 2024", starts_on=date(2024, 1, 1),
                                  ends_on=date(2024, 12, 31)))
    db.session.flush()
    workshops, wf, parts = [], [], []
    start = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    per_workshop = max(10, min(60, scale.experts // max(1, scale.workshops) * 3))
    for i in range(scale.workshops):
        begins = start + timedelta(days=7 * i)
        held = begins < now + timedelta(days=120)
        workshops.append({
            "id": i + 1, "series_id": 1, "title": f"Workshop {i + 1:03d}: {rng.choice(WORDS)}",
            "format": WorkshopFormat.VIRTUAL, "starts_at": begins, "ends_at": begins + timedelta(hours=7),
            "status": WorkshopStatus.DOCUMENTED if held else WorkshopStatus.SCHEDULED,
        })
        for fid in {i % scale.fields + 1, (i + 3) % scale.fields + 1}:
            wf.append({"workshop_id": i + 1, "field_id": fid})
        members = set(rng.sample(range(1, scale.experts + 1), k=min(per_workshop, scale.experts)))
        members.add(1)
        for pid in members:
            parts.append({"workshop_id": i + 1, "person_id": pid, "role": ParticipationRole.EXPERT,
                          "invitation_status": InvitationStatus.ACCEPTED})
    bulk(Workshop, workshops)
    db.session.execute(workshop_fields.insert(), wf)
    bulk(Participation, parts)

    kinds = [FindingKind.NEED] * 4 + [k for k in FindingKind if k != FindingKind.NEED]
    findings, needs_by_field = [], {f["id"]: [] for f in fields}
    codes = {f["id"]: f["code"] for f in fields}
    for i in range(scale.findings):
        kind = rng.choice(kinds)
        fid = rng.randint(1, scale.fields)
        findings.append({
            "id": i + 1, "workshop_id": rng.randint(1, scale.workshops), "field_id": fid, "kind": kind,
            "text": _sentence(rng), "number": f"{codes[fid]}-F{i + 1:06d}", "number_key": f"{codes[fid]}-F",
            "author_id": rng.randint(1, scale.experts),
        })
        if kind == FindingKind.NEED:
            needs_by_field[fid].append(i + 1)
    bulk(Finding, findings)

    measures, mn = [], []
    accepted = set(rng.sample(range(1, scale.measures + 1), k=scale.accepted))
    for i in range(scale.measures):
        fid = rng.randint(1, scale.fields)
        measures.append({
            "id": i + 1, "field_id": fid, "title": f"Maßnahme {i + 1:05d}: {rng.choice(WORDS)}",
            "description": _sentence(rng, 20), "goal": _sentence(rng), "lead_unit": "Amt für Digitalisierung",
            "number": f"{codes[fid]}-M{i + 1:05d}", "number_key": f"{codes[fid]}-M",
            "status": MeasureStatus.ACCEPTED if i + 1 in accepted else MeasureStatus.PROPOSED,
            "start_year": rng.randint(2024, 2030), "end_year": rng.randint(2031, 2040),
        })
        pool = needs_by_field[fid]
        for need in rng.sample(pool, k=min(2, len(pool))):
            mn.append({"measure_id": i + 1, "need_id": need})
    bulk(Measure, measures)
    for i in range(0, len(mn), batch):
        db.session.execute(measure_needs.insert(), mn[i:i + batch])
    db.session.commit()
    _reset_sequences(db)
    return {"fields": len(fields), "workshops": len(workshops), "experts": len(people),
            "findings": len(findings), "measures": len(measures), "accepted": len(accepted),
            "participations": len(parts)}


def _reset_sequences(db) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the data."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - table names
                    f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM \"{table.name}\"), 1))"
                ))


def write_survey(scale: Scale, folder: Path, seed: int = 2040) -> tuple[Path, Path]:
    """A LimeSurvey-style CSV export (``scale.responses`` rows, ``scale.survey_columns`` columns) and a mapping."""
    rng = random.Random(seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
    codes = [code for code, _ in FIELD_NAMES[: scale.fields]]
    options = ["Mobilität", "Bürger-Services", "Bildung", "Umwelt", "Gesundheit"]
    header = ["id", "submitdate", "lastpage", "Stadtbezirk", "Alter"]
    questions = [
        {"key": "bezirk", "text": "Stadtbezirk", "kind": "demographic", "columns": ["Stadtbezirk"]},
        {"key": "alter", "text": "Alter", "kind": "demographic", "columns": ["Alter"]},
    ]
    rating_cols = []
    n_ratings = scale.survey_columns - len(header) - len(options) - 2
    for i in range(n_ratings):
        col = f"R{i + 1:02d}"
        rating_cols.append(col)
        header.append(col)
        questions.append({"key": f"r{i + 1}", "text": f"Wie wichtig ist Thema {i + 1}?", "kind": "rating",
                          "scale": 5, "columns": [col], "field": codes[i % len(codes)]})
    multi = [f"P[SQ{i + 1:03d}]" for i in range(len(options))]
    header += multi
    questions.append({"key": "prio", "text": "Priorität", "kind": "multiple", "columns": multi, "options": options})
    header += ["Online", "Anmerkungen"]
    questions.append({"key": "online", "text": "So viele Dienste wie möglich online?", "kind": "single",
                      "columns": ["Online"]})
    questions.append({"key": "anm", "text": "Anmerkungen", "kind": "text", "columns": ["Anmerkungen"]})
    csv_path = folder / f"survey-{scale.name}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i in range(scale.responses):
            row = [i + 1, f"2022-07-{rng.randint(1, 31):02d} 12:00:00", 5, rng.choice(DISTRICTS),
                   rng.choice(["unter 18", "18-29", "30-49", "50-64", "65+"])]
            row += [rng.randint(1, 5) if rng.random() > 0.05 else "" for _ in rating_cols]
            row += ["Ja" if rng.random() < 0.4 else "" for _ in multi]
            row += [rng.choice(["Ja", "Nein", "Weiß nicht"]),
                    _sentence(rng, 6) if rng.random() < 0.3 else ""]
            writer.writerow(row)
    mapping_path = folder / f"survey-{scale.name}.mapping.json"
    mapping_path.write_text(json.dumps({"version": 1, "questions": questions}, ensure_ascii=False, indent=1),
                            encoding="utf-8")
    return csv_path, mapping_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="city")
    parser.add_argument("--seed", type=int, default=2040)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", default=None)
    parser.add_argument("--survey-dir", default=None)
    args = parser.parse_args()
    from planner import create_app
    from planner.extensions import db

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.database_url},
                     instance_path=args.instance or Path(".bench") / "instance")
    with app.app_context():
        db.create_all()
        print(generate(SCALES[args.scale], args.seed))
    if args.survey_dir:
        print(write_survey(SCALES[args.scale], Path(args.survey_dir), args.seed))


if __name__ == "__main__":
    main()
