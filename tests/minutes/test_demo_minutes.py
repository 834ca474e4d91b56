"""`flask export-minutes` for every documented demo workshop, in both formats, read back by independent readers:
attendance by sector, the agenda as held and the numbered findings with their authors."""

import re

from sqlalchemy import select

from planner.demo import seed_demo
from planner.extensions import db
from planner.workshops.models import Workshop, WorkshopStatus
from tests.minutes.helpers import docx_text, pdf_text

FINDING_NUMBER = re.compile(r"\b[A-Z]{3}-[BSM]\d{2,}\b")


def _flat(text: str) -> str:
    return re.sub(r"[\s\-\u00ad‐]+", "", text)


def test_every_documented_demo_workshop_exports_its_minutes(app, runner, tmp_path):
    with app.app_context():
        seed_demo()
        db.session.commit()
        documented = db.session.execute(
            select(Workshop.id, Workshop.title).where(Workshop.status == WorkshopStatus.DOCUMENTED)
            .order_by(Workshop.id)).all()
        blocks = {w.id: [b.title for b in w.agenda_blocks]
                  for w in db.session.scalars(select(Workshop).where(Workshop.id.in_([d.id for d in documented])))}
    assert documented
    for workshop_id, title in documented:
        for code, read in (("docx", docx_text), ("pdf", pdf_text)):
            path = tmp_path / f"protokoll-{workshop_id}.{code}"
            result = runner.invoke(args=["export-minutes", str(workshop_id), "--format", code, "--output", str(path)])
            assert result.exit_code == 0, result.output
            text = read(path)
            assert _flat(f"Protokoll: {title}") in _flat(text)
            for heading in ("Teilnahme nach Sektoren", "Tagesordnung wie durchgeführt",
                            "Beiträge nach Tagesordnungspunkt"):
                assert heading in text, (workshop_id, code, heading)
            # PDF table cells wrap and hyphenate long words: compare without spaces and hyphens.
            flat = _flat(text)
            assert all(_flat(block) in flat for block in blocks[workshop_id]), (workshop_id, code)
            assert len(FINDING_NUMBER.findall(text)) >= 3, (workshop_id, code)
            assert "unbekannt" not in text.lower()
            assert "Die Zusammenfassung ist noch nicht geschrieben." not in text  # the demo's facilitators wrote it
