"""The issue's bad input through every format: an image at an outside address is never fetched but named by its alt
text; a failing export job says clearly why and leaves no half-written file."""

import dataclasses
import io
from pathlib import Path

from docx import Document
from flask_babel import force_locale
from pypdf import PdfReader

from planner.core.permissions import Role
from planner.extensions import db
from planner.jobs.models import Job, JobStatus
from planner.jobs.services import enqueue
from planner.strategy import exports
from planner.strategy.exporters import export
from planner.strategy.outline import without_images
from planner.strategy.tasks import EXPORT
from tests import factories
from tests.strategy.rollups import rollup

IMAGE = "Vor dem Bild. ![Karte der Stadtbezirke](https://example.org/karte.png) Nach dem Bild. ![](http://x.test/a.png)"


def _export(code, r) -> bytes:
    out = io.BytesIO()
    export(r, code, out)
    return out.getvalue()


def test_an_outside_image_is_never_fetched_but_named_by_its_alt_text(ctx, monkeypatch):
    with force_locale("de"):
        assert without_images(IMAGE) == ("Vor dem Bild. *[Bild nicht eingebunden: Karte der Stadtbezirke]* Nach dem "
                                         "Bild. *[Bild nicht eingebunden]*")
    base = rollup()
    r = dataclasses.replace(base, sections=tuple(dataclasses.replace(s, body=IMAGE) if s.key == "governance" else s
                                                 for s in base.sections))
    fetched = []
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: fetched.append(a) or (_ for _ in ()).throw(
        OSError("no network")))
    texts = {
        "md": _export("md", r).decode(),
        "html": _export("html", r).decode(),
        "docx": "\n".join(p.text for p in Document(io.BytesIO(_export("docx", r))).paragraphs),
        "pdf": "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(_export("pdf", r))).pages),
        "en": _export("md", dataclasses.replace(r, locale="en")).decode(),
    }
    for code, text in texts.items():
        assert "example.org" not in text and "x.test" not in text, code
        note = "Image not included: Karte der Stadtbezirke" if code == "en" else \
            "Bild nicht eingebunden: Karte der Stadtbezirke"
        assert note in " ".join(text.split()), code
    assert fetched == []


def test_a_failing_export_job_fails_with_a_clear_message_and_no_file(app, monkeypatch):
    with app.app_context():
        staff_id = factories.user(role=Role.STRATEGY_TEAM).id
        job = enqueue("paper_export", EXPORT, actor_id=staff_id, fmt="md", locale="de", short=False, version=99)
        unknown_id = job.id
        db.session.commit()

    def broken(rollup, code, output):
        output.write(b"half")
        raise MemoryError("too large")

    monkeypatch.setattr(exports, "export", broken)
    with app.app_context():
        job = enqueue("paper_export", EXPORT, actor_id=staff_id, fmt="pdf", locale="de", short=False)
        broken_id = job.id
        db.session.commit()
    with app.app_context():
        unknown = db.session.get(Job, unknown_id)
        assert unknown.status == JobStatus.FAILED
        assert "99" in unknown.error and "Error" not in unknown.error
        failed = db.session.get(Job, broken_id)
        assert failed.status == JobStatus.FAILED
        assert failed.error.startswith("Die PDF-Datei konnte nicht geschrieben werden (MemoryError)"), failed.error
        folder = Path(app.instance_path) / "jobs" / str(broken_id)
        assert not folder.exists() or not any(folder.iterdir()), "nothing is half-written"
