"""The comment coding bench (issue 15): 10,000 generated labelled comments on SQLite.

Reports the time to suggest codes for all of them (language, normalisation, training on the 10 % confirmed, the
suggestions stored), the peak memory of that step (the process's maximum resident set, measured in a child process
of its own), the top-1 accuracy of the suggested field codes on the other 90 %, and the coding page's latency
(p50/p95 of GET /surveys/<id>/coding through the app, signed in as the strategy team).

    python -m bench.coding [--comments 10000] [--output docs/benchmarks.md]

The section "## Comment coding" of the output file is replaced (or appended)."""

import argparse
import json
import math
import multiprocessing
import random
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.coding_data import AGE_GROUPS, DISTRICTS, labelled_comments

HEADER = ["id", "Stadtbezirk", "Altersgruppe", "Anmerkungen"]
MAPPING = {"version": 1, "questions": [
    {"key": "q1", "text": "Stadtbezirk", "kind": "demographic", "columns": ["Stadtbezirk"], "options": DISTRICTS},
    {"key": "q2", "text": "Altersgruppe", "kind": "demographic", "columns": ["Altersgruppe"], "options": AGE_GROUPS},
    {"key": "q3", "text": "Anmerkungen", "kind": "text", "columns": ["Anmerkungen"]},
]}
FIELDS = ["MOB", "UMW", "BIL", "SER", "GES", "WOH", "WWF"]


def _app(tmp: Path):
    from planner import create_app

    return create_app({"SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'coding.sqlite3'}",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TESTING": False,
                       "REQUEST_LOG": False}, instance_path=tmp / "instance")


def _prepare(tmp: Path, count: int) -> dict:
    """The survey with ``count`` comments, the codebook, 10 % of the German comments confirmed."""
    import csv
    import io

    from planner.accounts.models import User
    from planner.core.permissions import Role
    from planner.extensions import db
    from planner.fields.models import ActionField
    from planner.surveys import coding, services
    from planner.surveys.models import SurveyComment

    app = _app(tmp)
    rng = random.Random(15)
    pairs = labelled_comments(count, seed=15)
    with app.app_context():
        db.create_all()
        for position, code in enumerate(FIELDS):
            db.session.add(ActionField(code=code, name_de=code, name_en=code, position=position))
        user = User(email="strategie@example.org", display_name="Strategie", role=Role.STRATEGY_TEAM)
        user.set_password("bench-password")
        db.session.add(user)
        db.session.flush()
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for n, (_code, text) in enumerate(pairs, start=1):
            writer.writerow([n, rng.choice(DISTRICTS), rng.choice(AGE_GROUPS), text])
        path = tmp / "comments.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        survey = services.import_file(user, path, path.name, MAPPING, services.UploadMeta("Bench"),
                                      allow_duplicates=True)
        coding.seed_codebook(user)
        codes = {c.key: c.id for c in coding.codebook()}
        comments = db.session.scalars(db.select(SurveyComment).where(SurveyComment.survey_id == survey.id)
                                      .order_by(SurveyComment.id)).all()
        truth = dict(zip([c.id for c in comments], [code for code, _t in pairs], strict=True))
        german = [c for c in comments if truth[c.id]]
        confirmed = set(c.id for c in rng.sample(german, len(german) // 10))
        for comment in german:
            if comment.id in confirmed:
                coding.set_codes(user, comment, [codes[truth[comment.id]]])
        db.session.commit()
        return {"survey_id": survey.id, "truth": {str(k): v for k, v in truth.items()},
                "confirmed": sorted(confirmed)}


def _suggest(tmp: str, survey_id: int, queue) -> None:
    """In a child process: the suggestion step alone, its time and the process's peak memory."""
    from planner.extensions import db
    from planner.surveys import coding
    from planner.surveys.models import Survey

    app = _app(Path(tmp))
    with app.app_context():
        started = time.perf_counter()
        result = coding.refresh_suggestions(db.session.get(Survey, survey_id), app.instance_path)
        db.session.commit()
        seconds = time.perf_counter() - started
    queue.put({"seconds": seconds, "suggested": result.suggested,
               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run(count: int) -> dict:
    import os

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        prepared = _prepare(tmp, count)
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=_suggest, args=(name, prepared["survey_id"], queue))
        child.start()
        measured = queue.get(timeout=600)
        child.join()

        from planner.extensions import db
        from planner.surveys.models import SurveyComment

        app = _app(tmp)
        with app.app_context():
            rows = db.session.execute(db.select(SurveyComment.id, SurveyComment.suggested_code_id,
                                                SurveyComment.language)
                                      .where(SurveyComment.survey_id == prepared["survey_id"])).all()
            from planner.surveys import coding

            key_of = {c.id: c.key for c in coding.codebook()}
        confirmed = set(prepared["confirmed"])
        truth = prepared["truth"]
        rest = [(cid, code) for cid, code, _lang in rows if truth[str(cid)] and cid not in confirmed]
        right = sum(1 for cid, code in rest if key_of.get(code, "").split(".")[0] == truth[str(cid)])
        other = [(cid, lang) for cid, _code, lang in rows if not truth[str(cid)]]
        other_right = sum(1 for _cid, lang in other if lang != "de")

        client = app.test_client()
        client.post("/login", data={"email": "strategie@example.org", "password": "bench-password"})
        url = f"/surveys/{prepared['survey_id']}/coding"
        client.get(url)
        times = []
        for _ in range(60):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        # The step staff repeat: accept the top suggestion (htmx), the queue comes back re-rendered.
        steps = []
        for _ in range(40):
            with app.app_context():
                top = db.session.scalars(coding.uncoded(prepared["survey_id"]).limit(1)).first()
            started = time.perf_counter()
            response = client.post(f"/surveys/comments/{top.id}/accept", headers={"HX-Request": "true"})
            steps.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        analysis = []
        for _ in range(6):
            started = time.perf_counter()
            response = client.get(f"/surveys/{prepared['survey_id']}/analysis")
            analysis.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        return {"load": load, "comments": len(rows), "confirmed": len(confirmed), "rest": len(rest),
                "accuracy": right / len(rest) if rest else 0.0,
                "other_languages": len(other), "other_languages_recognised": other_right,
                "suggest_seconds": measured["seconds"], "peak_mb": measured["peak_mb"],
                "page_p50": _percentile(times, 50), "page_p95": _percentile(times, 95),
                "accept_p50": _percentile(steps, 50), "accept_p95": _percentile(steps, 95),
                "analysis_p50": _percentile(analysis[1:], 50), "analysis_first": analysis[0],
                "load_end": " / ".join(f"{x:.1f}" for x in os.getloadavg())}


def _percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    if share == 50:
        return statistics.median(ordered)
    return ordered[max(0, math.ceil(len(ordered) * share / 100) - 1)]


def section(r: dict) -> str:
    ok = lambda flag: "yes" if flag else "no"  # noqa: E731
    return (
        "## Comment coding\n\n"
        "`python -m bench.coding` (part of `make bench`): generated labelled comments (bench/coding_data.py: varied "
        "wording per action field, ae/ss spellings, lower case, about 2 % in English or Turkish), SQLite, one "
        f"process; load average at the start {r['load']}.\n\n"
        "| measure | value | target | met |\n|---|---:|---:|:-:|\n"
        f"| comments | {r['comments']} | 10000 | |\n"
        f"| codes confirmed (10 % of the German comments) | {r['confirmed']} | | |\n"
        f"| suggestions for all (language, lemmas, training, storing) | {r['suggest_seconds']:.1f} s | ≤ 30 s | "
        f"{ok(r['suggest_seconds'] <= 30)} |\n"
        f"| peak memory of that process (max RSS) | {r['peak_mb']:.0f} MB | ≤ 500 MB | {ok(r['peak_mb'] <= 500)} |\n"
        f"| top-1 accuracy of the suggested field code on the other {r['rest']} | {r['accuracy']:.3f} | ≥ 0.8 | "
        f"{ok(r['accuracy'] >= 0.8)} |\n"
        f"| comments in another language not taken for German | {r['other_languages_recognised']} of "
        f"{r['other_languages']} | all | {ok(r['other_languages_recognised'] == r['other_languages'])} |\n"
        f"| coding page p50 / p95 (test client, 60 requests) | {r['page_p50']:.0f} / {r['page_p95']:.0f} ms | "
        f"p95 ≤ 150 ms | {ok(r['page_p95'] <= 150)} |\n"
        f"| accepting the top suggestion, the queue re-rendered (htmx, 40 steps) p50 / p95 | "
        f"{r['accept_p50']:.0f} / {r['accept_p95']:.0f} ms | | |\n"
        f"| analysis page (counts, cross-tab, representative comments, topics) first / then p50 | "
        f"{r['analysis_first']:.0f} / {r['analysis_p50']:.0f} ms | | |\n"
        f"\nLoad average (1 / 5 / 15 min) at the start {r['load']}, at the end {r['load_end']}.\n\n"
        "How the coding page stays fast: the first ten of the queue come from the index ix_survey_comments_queue "
        "(survey, confidence, id, language) without sorting the survey's comments, and its counts per language from "
        "the same index; the trained model is kept in memory per process (planner.surveys.coding.MODELS, read again "
        "only when its file changed, e.g. after the job worker re-trained), so \"similar comments\" and the analysis "
        "do not read it per request; the topics of the uncoded remainder are kept while the remainder is the same. "
        "The analysis' first request includes loading the model and the German dictionary into a fresh process. "
        "Times through Flask's test client in one process, on a machine shared with other work: pessimistic. The "
        "accuracy is that of this generator (each field's comments draw on their own phrase pools, so 10 % confirmed "
        "codes cover nearly every phrase); with 100 confirmed codes of 400 comments the tests reach about 0.85 "
        "(tests/surveys/test_coding.py). Real citizen comments are harder: the coding page shows the share of "
        "accepted suggestions the team sees.\n"
    )


def write(output: Path, text: str) -> None:
    current = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Comment coding\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        current = pattern.sub(lambda _m: text + "\n", current)
    else:
        current = current.rstrip("\n") + "\n\n" + text
    output.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--output", default="docs/benchmarks.md")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    result = run(args.comments)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    write(Path(args.output), section(result))


if __name__ == "__main__":
    main()
