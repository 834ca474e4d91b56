"""Demo: an anonymous survey modelled on the demo city's online survey (30 June – 31 July 2022), generated as a CSV
and imported through the real importer and mapping, plus expert ratings, a frozen prioritisation run and the
comments coded as a strategy team leaves them after a few sessions (``seed_codings``).

All answers are generated (deterministic, seeded); no personal data. The published headline results are
reproduced approximately: 46 % "sehr wichtig" in daily life, > 86 % important for the city's future,
Mobilität & Infrastruktur, Bürger-Services and Bildung as top priorities, 32 % "as many services online".
"""

import csv
import io
import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from planner.demo.data import TEXTS
from planner.extensions import db

RESPONSES = 2050
DISTRICTS = [f"Stadtbezirk {n}" for n in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")]
AGES = ["unter 18", "18–29", "30–44", "45–59", "60–74", "75 und älter"]
AGE_WEIGHTS = [4, 18, 27, 26, 18, 7]
IMPORTANCE = ["sehr wichtig", "wichtig", "weniger wichtig", "unwichtig"]
DAILY = [46, 31, 16, 7]
FUTURE = [59, 29, 8, 4]
SERVICES_Q = "Wie sollen städtische Services künftig angeboten werden?"
SERVICES = ["Möglichst viele Services online", "Online und vor Ort", "Vor allem vor Ort"]
SERVICE_WEIGHTS = [32, 55, 13]
# Option label in the survey → field code; share naming it as a priority; mean importance (1–5).
PRIORITY_Q = "Welche Bereiche sollen Priorität haben?"
OPTIONS = [
    ("Mobilität & Infrastruktur", "MOB", 0.63, 4.4),
    ("Bürger-Services", "SER", 0.57, 4.3),
    ("Bildung", "BIL", 0.52, 4.2),
    ("Umwelt", "UMW", 0.41, 3.9),
    ("Gesundheit", "GES", 0.35, 3.8),
    ("Wohnen & Quartiere", "WOH", 0.27, 3.5),
    ("Wirtschaft & Wissenschaft", "WWF", 0.21, 3.3),
]
RANKING_Q = "Bitte bringen Sie Ihre drei wichtigsten Bereiche in eine Reihenfolge"
COMMENT_Q = "Was möchten Sie uns noch mitgeben?"

OPENINGS = ["Ich wünsche mir", "Wichtig wäre", "Bitte sorgen Sie für", "Es fehlt", "Gut wäre", "Dringend nötig sind",
            "Als Familie würden wir uns freuen über", "Für ältere Menschen wichtig:"]
TOPICS = {
    "MOB": ["freie Parkplätze in Echtzeit in der Innenstadt", "bessere Ampelschaltungen für Radfahrende",
            "pünktliche Busse mit Live-Anzeige", "sichere Radwege zwischen den Stadtteilen", "WLAN an Haltestellen"],
    "SER": ["Termine im Bürgeramt online buchen", "den Personalausweis online beantragen",
            "weniger Papier bei Anträgen", "eine App für alle städtischen Services", "kürzere Wartezeiten im Amt"],
    "BIL": ["schnelles WLAN in allen Schulen", "digitale Kommunikation zwischen Schule und Eltern",
            "Kurse zur Medienkompetenz", "Tablets für alle Schülerinnen und Schüler",
            "digitale Angebote der Bibliothek"],
    "UMW": ["Sensoren für Stadtbäume bei Trockenheit", "volle Mülleimer früher leeren",
            "Daten zur Luftqualität im Quartier", "mehr Grün statt Beton"],
    "GES": ["Videosprechstunden beim Hausarzt", "Hilfe für Ältere bei digitalen Angeboten",
            "ein Patientenportal für alle Kliniken"],
    "WOH": ["Carsharing im eigenen Viertel", "eine Nachbarschaftsplattform", "Schutz vor Hitze im Quartier"],
    "WWF": ["offene Daten für Start-ups", "Zusammenarbeit mit der Universität", "ein Smart City-Dashboard"],
}
ENDINGS = [".", ", das würde vieles erleichtern.", " – bitte bald!", ", gerade in meinem Stadtteil.",
           ", und zwar barrierefrei.", ". Danke für die Umfrage!"]
# A few comments in other languages (the demo seeds them in every 150th response that left a comment): the coding
# page names their language and suggests no code for them.
OTHER_LANGUAGE_COMMENTS = [
    "Please make the bus app show delays in real time.",
    "Belediye hizmetleri internetten daha kolay olmalı.",
    "More free WiFi in the city centre would be great, thank you.",
    "Okullarda hızlı internet çok önemli.",
    "Please keep paper forms for older people who do not use the internet.",
    "Şehirde daha fazla bisiklet yolu istiyoruz.",
    "Please translate the city's website into more languages.",
]


def _choice(rng: random.Random, options, weights):
    return rng.choices(options, weights=weights, k=1)[0]


def _rating(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.85))))


def generate_csv(rng: random.Random, responses: int = RESPONSES, options=None, extra_email: bool = False,
                 other_languages: bool = False) -> bytes:
    """The survey export as LimeSurvey writes it with full headings (one column per option).

    `options` overrides the share and mean importance per field (a later wave); `extra_email` adds an
    e-mail column as prize-draw exports have it (the importer must flag and drop it); `other_languages` puts an
    English or Turkish comment into every 150th response (without drawing from `rng`: the rest stays the same)."""
    options = options or OPTIONS
    header = ["id", "Stadtbezirk", "Altersgruppe", "Wie wichtig ist Digitalisierung in Ihrem Alltag?",
              "Wie wichtig ist Digitalisierung für die Zukunft der Stadt?", SERVICES_Q]
    header += [f"Bedeutung: {label}" for label, *_ in OPTIONS]
    header += [f"{PRIORITY_Q} [{label}]" for label, *_ in OPTIONS]
    header += [f"{RANKING_Q}[{rank}]" for rank in (1, 2, 3)]
    header += [COMMENT_Q]
    if extra_email:
        header.append("E-Mail")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for number in range(1, responses + 1):
        row = [str(number), rng.choice(DISTRICTS) if rng.random() > 0.03 else "",
               _choice(rng, AGES, AGE_WEIGHTS) if rng.random() > 0.05 else "",
               _choice(rng, IMPORTANCE, DAILY), _choice(rng, IMPORTANCE, FUTURE),
               _choice(rng, SERVICES, SERVICE_WEIGHTS) if rng.random() > 0.04 else ""]
        row += [str(_rating(rng, mean)) if rng.random() > 0.06 else "" for *_x, mean in options]
        chosen = [label for label, _code, share, _mean in options if rng.random() < share]
        row += ["Y" if label in chosen else "" for label, *_ in options]
        weights = [share ** 2 for _l, _c, share, _m in options]
        ranked: list[str] = []
        while len(ranked) < 3:
            label = _choice(rng, [o[0] for o in options], weights)
            if label not in ranked:
                ranked.append(label)
        row += ranked if rng.random() > 0.1 else ["", "", ""]
        comment = _comment(rng) if rng.random() < 0.5 else ""
        if other_languages and comment and number % 150 == 0:
            comment = OTHER_LANGUAGE_COMMENTS[(number // 150) % len(OTHER_LANGUAGE_COMMENTS)]
        row.append(comment)
        if extra_email:
            row.append(f"teilnahme{number}@example.org" if rng.random() < 0.4 else "")
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def _comment(rng: random.Random) -> str:
    code = _choice(rng, [o[1] for o in OPTIONS], [o[2] for o in OPTIONS])
    text = f"{rng.choice(OPENINGS)} {rng.choice(TOPICS[code])}{rng.choice(ENDINGS)}"
    if rng.random() < 0.3:
        other = rng.choice(list(TOPICS))
        text += f" Außerdem: {rng.choice(TOPICS[other])}."
    return text


def demo_mapping() -> dict:
    questions = [
        {"key": "bezirk", "text": "Stadtbezirk", "kind": "demographic", "columns": ["Stadtbezirk"],
         "options": DISTRICTS},
        {"key": "alter", "text": "Altersgruppe", "kind": "demographic", "columns": ["Altersgruppe"], "options": AGES},
        {"key": "alltag", "text": "Wie wichtig ist Digitalisierung in Ihrem Alltag?", "kind": "single",
         "columns": ["Wie wichtig ist Digitalisierung in Ihrem Alltag?"], "options": IMPORTANCE,
         "headline": {"label": "Digitalisierung im Alltag sehr wichtig", "options": ["sehr wichtig"]}},
        {"key": "zukunft", "text": "Wie wichtig ist Digitalisierung für die Zukunft der Stadt?", "kind": "single",
         "columns": ["Wie wichtig ist Digitalisierung für die Zukunft der Stadt?"], "options": IMPORTANCE,
         "headline": {"label": "Digitalisierung für die Zukunft der Stadt wichtig oder sehr wichtig",
                      "options": ["sehr wichtig", "wichtig"]}},
        {"key": "services", "text": SERVICES_Q, "kind": "single", "columns": [SERVICES_Q], "options": SERVICES,
         "option_fields": {"Möglichst viele Services online": "SER"},
         "headline": {"label": "Möglichst viele Services online", "options": ["Möglichst viele Services online"]}},
    ]
    for index, (label, code, _share, _mean) in enumerate(OPTIONS, start=1):
        questions.append({"key": f"bedeutung{index}", "text": f"Bedeutung: {label}", "kind": "rating", "scale": 5,
                          "columns": [f"Bedeutung: {label}"], "field": code})
    labels = [o[0] for o in OPTIONS]
    fields = {o[0]: o[1] for o in OPTIONS}
    questions.append({"key": "prioritaet", "text": PRIORITY_Q, "kind": "multiple",
                      "columns": [f"{PRIORITY_Q} [{label}]" for label in labels], "options": labels,
                      "option_fields": fields})
    questions.append({"key": "rangfolge", "text": RANKING_Q, "kind": "ranking", "layout": "by_rank",
                      "columns": [f"{RANKING_Q}[{rank}]" for rank in (1, 2, 3)], "options": labels,
                      "option_fields": fields})
    questions.append({"key": "anmerkung", "text": COMMENT_Q, "kind": "text", "columns": [COMMENT_Q]})
    return {"version": 1, "questions": questions}


FIELD_RATINGS = {  # impact, feasibility, cost, urgency
    "MOB": (5, 3, 3, 5), "SER": (4, 4, 2, 5), "BIL": (5, 4, 3, 4), "UMW": (4, 4, 3, 3),
    "GES": (4, 3, 4, 3), "WOH": (3, 3, 3, 3), "WWF": (3, 4, 2, 2),
}


def seed(ctx) -> None:
    from planner.findings.models import MeasureStatus
    from planner.surveys import services

    rng = random.Random(2022)
    user = ctx.users.get("strategy_team") or next(iter(ctx.users.values()))
    data = generate_csv(rng, other_languages=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "buergerbefragung-2022.csv"
        path.write_bytes(data)
        survey = services.import_file(
            user, path, path.name, demo_mapping(),
            services.UploadMeta(TEXTS["survey_title"], "1. Welle 2022",
                                date(2022, 6, 30), date(2022, 7, 31)),
        )
    services.save_mapping(user, "Bürgerbefragung Smart City (LimeSurvey)", demo_mapping())
    for code, (impact, feasibility, cost, urgency) in FIELD_RATINGS.items():
        if code in ctx.fields:
            services.rate(user, field_id=ctx.fields[code].id,
                          values={"impact": impact, "feasibility": feasibility, "cost": cost, "urgency": urgency})
    measures = [m for m in ctx.measures if m.status == MeasureStatus.ACCEPTED] or list(ctx.measures)
    for measure in measures:
        services.rate(user, measure_id=measure.id, values={
            "impact": rng.randint(2, 5), "feasibility": rng.randint(2, 5),
            "cost": rng.randint(1, 5), "urgency": rng.randint(2, 5)})
    services.weights_row()
    db.session.flush()
    services.freeze_run(user, "Priorisierung Herbst 2022",
                        frozen_at=datetime(2022, 10, 14, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    seed_codings(user, survey)


# --- comment coding ---------------------------------------------------------------------------------------------

# Sub-codes the team defined (field, short name, name, description, example words) and the demo topics each covers;
# a topic without a sub-code is coded with its field's code.
SUB_CODES = [
    ("MOB", "parken", "Parken und Parkplatzsuche", "Freie Parkplätze finden, Parkleitsysteme, Parkgebühren.",
     "Parkplatz, Parkhaus, Parkplatzsuche, Echtzeit", ["freie Parkplätze in Echtzeit in der Innenstadt"]),
    ("MOB", "radverkehr", "Radverkehr", "Radwege, Ampeln und Abstellanlagen für Radfahrende.",
     "Radweg, Fahrrad, Radfahrende, Ampel",
     ["bessere Ampelschaltungen für Radfahrende", "sichere Radwege zwischen den Stadtteilen"]),
    ("MOB", "oepnv", "Busse und Bahnen", "Pünktlichkeit, Echtzeitanzeigen und Haltestellen des ÖPNV.",
     "Bus, Bahn, Haltestelle, Live-Anzeige",
     ["pünktliche Busse mit Live-Anzeige", "WLAN an Haltestellen"]),
    ("SER", "termine", "Termine und Wartezeiten", "Online-Termine im Bürgeramt, Wartezeiten vor Ort.",
     "Termin, Bürgeramt, Wartezeit, buchen",
     ["Termine im Bürgeramt online buchen", "kürzere Wartezeiten im Amt"]),
    ("SER", "online-antraege", "Anträge online", "Verwaltungsleistungen digital beantragen, ohne Papier.",
     "Antrag, online, Papier, Personalausweis",
     ["den Personalausweis online beantragen", "weniger Papier bei Anträgen"]),
    ("BIL", "schul-it", "IT in Schulen", "WLAN, Endgeräte und Technik in den Schulen.",
     "WLAN, Tablet, Schule, Endgeräte",
     ["schnelles WLAN in allen Schulen", "Tablets für alle Schülerinnen und Schüler"]),
    ("BIL", "schule-eltern", "Schule und Eltern", "Digitale Kommunikation zwischen Schulen und Eltern.",
     "Eltern, Schule, Kommunikation, Elternbrief", ["digitale Kommunikation zwischen Schule und Eltern"]),
    ("UMW", "stadtbaeume", "Stadtbäume und Trockenheit", "Sensoren und Bewässerung für Straßenbäume.",
     "Baum, Trockenheit, Sensor, Bewässerung", ["Sensoren für Stadtbäume bei Trockenheit"]),
    ("GES", "telemedizin", "Telemedizin", "Videosprechstunden und digitale Patientenangebote.",
     "Videosprechstunde, Arzt, Patientenportal, Klinik",
     ["Videosprechstunden beim Hausarzt", "ein Patientenportal für alle Kliniken"]),
]
COMMENT_TYPES = {"Es fehlt": "criticism", "Dringend nötig sind": "criticism", "Ich wünsche mir": "suggestion",
                 "Bitte sorgen Sie für": "suggestion", "Gut wäre": "suggestion"}
CODED_BY_HAND = 160  # the first comments, coded by hand before any suggestion existed
CODED_FROM_QUEUE = 480  # then worked through the queue: most accepted as suggested, the others corrected by hand


def _true_codes(text: str, keys: dict[str, int]) -> list[int]:
    """The codes the team gives a demo comment: a sub-code where its topic has one, else the field's code; the
    topic after "Außerdem:" gives a second code."""
    found = []
    for part in text.split(" Außerdem: "):
        for code, topics in TOPICS.items():
            topic = next((t for t in topics if t in part), None)
            if topic is not None:
                slug = next((sub[1] for sub in SUB_CODES if topic in sub[5]), None)
                found.append(keys[f"{code}.{slug}" if slug else code])
                break
    return list(dict.fromkeys(found))


def _when(day: date, index: int) -> datetime:
    """A working-day moment on ``day`` (UTC), different for each comment."""
    local = datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")) + timedelta(
        minutes=2 * (index % 240))
    return local.astimezone(ZoneInfo("UTC"))


def _stamp(comment, before: set[int], moment: datetime) -> None:
    for item in comment.codings:
        if item.id not in before:
            item.coded_at = moment


def seed_codings(user, survey) -> None:
    """A coded survey as the strategy team left it in September 2022: the codebook from the action fields plus
    sub-codes, about 160 comments coded by hand, then the suggestions trained and the queue worked through (most
    suggestions accepted, the wrong ones corrected, one group of similar comments coded at once), the rest still in
    the queue with fresh suggestions."""
    from flask import current_app

    from planner.surveys import coding
    from planner.surveys.models import CommentCoding, SurveyComment

    instance = current_app.instance_path
    coding.seed_codebook(user)
    for code, slug, label, description, examples, _topics in SUB_CODES:
        field_code = coding.code_by_key(code)
        if field_code is not None:
            coding.create_code(user, field_code.field_id, slug, label, description, examples)
    keys = {c.key: c.id for c in coding.codebook(include_retired=False)}
    comments = db.session.scalars(db.select(SurveyComment).where(SurveyComment.survey_id == survey.id)
                                  .order_by(SurveyComment.id)).all()
    truth = {c.id: _true_codes(c.text, keys) for c in comments}
    first_day = date(2022, 8, 8)
    for index, comment in enumerate(comments[:CODED_BY_HAND]):
        if not truth[comment.id]:
            continue  # another language: left for later
        before = {i.id for i in comment.codings}
        kind = next((t for opening, t in COMMENT_TYPES.items() if comment.text.startswith(opening)), None)
        coding.set_codes(user, comment, truth[comment.id], kind, flush=False)
        db.session.flush()
        _stamp(comment, before, _when(first_day + timedelta(days=index // 40), index))
    db.session.flush()

    coding.refresh_suggestions(survey, instance)
    queue = db.session.scalars(coding.uncoded(survey.id).limit(CODED_FROM_QUEUE)).all()
    similar_done = False
    for index, comment in enumerate(queue):
        moment = _when(date(2022, 8, 22) + timedelta(days=(index // 60) + 2 * (index // 300)), index)
        if comment.survey_id != survey.id or comment.codings:
            continue  # coded meanwhile with a group of similar comments
        wanted = truth[comment.id]
        if not wanted:
            continue
        before = {i.id for i in comment.codings}
        suggested = comment.suggested_code_id
        if not similar_done and suggested == keys["SER.termine"] and wanted == [suggested]:
            coding.accept_similar(user, comment, suggested, instance)
            db.session.execute(db.update(CommentCoding).where(CommentCoding.source == "similar")
                               .values(coded_at=moment))
            _stamp(comment, before, moment)
            similar_done = True
            continue
        if suggested is not None and suggested == wanted[0]:
            coding.accept_suggestion(user, comment)
            if len(wanted) > 1:  # the second topic by hand
                coding.set_codes(user, comment, wanted[1:], comment.comment_type, keep_others=True, flush=False)
        else:
            coding.set_codes(user, comment, wanted, None, flush=False)
        db.session.flush()
        _stamp(comment, before, moment)
    db.session.flush()
    # The team renewed the suggestions at the end of its last session: the queue's order is the trained model's.
    coding.refresh_suggestions(survey, instance)
