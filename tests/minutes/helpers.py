"""A held workshop with an agenda, participants of two sectors, findings (one by a consenting expert, one by a
non-consenting one, one typed by the facilitator) and a measure proposal."""

import shutil
import subprocess
from dataclasses import dataclass

from docx import Document
from pypdf import PdfReader

from planner.extensions import db
from planner.findings.models import FindingKind
from planner.people.models import Sector
from planner.workshops.models import AgendaBlock, AgendaBlockKind, InvitationStatus, WorkshopStatus
from tests import factories


@dataclass
class Held:
    workshop: object
    facilitator: object
    named: object  # a participant who consented to being named
    unnamed: object  # one who did not
    absent: object  # accepted, recorded as absent
    blocks: list


def held_workshop(status=WorkshopStatus.DOCUMENTED) -> Held:
    field = factories.field(code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility")
    facilitator = factories.user("facilitator", display_name="Mara Moderatorin")
    workshop = factories.workshop(title="Mobilität der Zukunft", fields=[field], facilitators=[facilitator],
                                  starts_at=factories.aware(2022, 3, 18, 9), ends_at=factories.aware(2022, 3, 18, 16),
                                  status=status)
    blocks = []
    for i, (title, kind, minutes) in enumerate((("Begrüßung", AgendaBlockKind.WELCOME, 15),
                                                ("Status quo", AgendaBlockKind.STATUS_QUO, 90),
                                                ("Handlungsbedarfe", AgendaBlockKind.NEEDS, 60))):
        block = AgendaBlock(workshop=workshop, position=i, title=title, kind=kind, duration_minutes=minutes)
        db.session.add(block)
        blocks.append(block)
    db.session.flush()
    science = factories.organisation(name="Universität", sector=Sector.SCIENCE)
    named = factories.person(first_name="Nina", last_name="Namentlich", has_consent=True, organisation=science)
    unnamed = factories.person(first_name="Ulla", last_name="Ungenannt", has_consent=False)
    absent = factories.person(first_name="Anton", last_name="Abwesend", has_consent=True)
    factories.participation(workshop=workshop, person=named, attended=True)
    factories.participation(workshop=workshop, person=unnamed, attended=True)
    factories.participation(workshop=workshop, person=absent, attended=False)
    factories.participation(workshop=workshop, person=factories.person(), invitation_status=InvitationStatus.DECLINED)
    factories.finding(workshop=workshop, field=field, agenda_block_id=blocks[1].id, kind=FindingKind.STRENGTH,
                      text="Dichtes ÖPNV-Netz", number="MOB-B01", author=named)
    factories.finding(workshop=workshop, field=field, agenda_block_id=blocks[1].id, kind=FindingKind.WEAKNESS,
                      text="Viel Parksuchverkehr", number="MOB-B02", author=unnamed)
    need = factories.finding(workshop=workshop, field=field, agenda_block_id=blocks[2].id, kind=FindingKind.NEED,
                             text="Parksuchverkehr verringern", number="MOB-B03", recorded_by_user_id=facilitator.id)
    factories.finding(workshop=workshop, field=field, agenda_block_id=blocks[2].id, kind=FindingKind.NEED,
                      text="Versteckter Beitrag", number="MOB-B04", is_hidden=True)
    factories.measure(title="Smart Parking in zwei Stadtteilen", field=field, needs=[need], workshop_id=workshop.id,
                      number="MOB-M01", lead_unit="Amt für Straßen und Verkehr", proposed_by_id=named.id,
                      agenda_block_id=blocks[2].id)
    return Held(workshop, facilitator, named, unnamed, absent, blocks)


def docx_text(path) -> str:
    doc = Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])


def pdf_text(path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
