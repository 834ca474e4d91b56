"""What reaches the paper, read from factory data: the rules of each package, the language of a frozen paper,
and a version frozen with an earlier schema."""

import dataclasses
import io
import json
from pathlib import Path

from docx import Document
from flask_babel import force_locale
from sqlalchemy import select

from planner.extensions import db
from planner.findings.models import FindingKind, MeasureKPI, MeasureStatus, Priority
from planner.people.models import Person
from planner.privacy import services as privacy
from planner.strategy import versions
from planner.strategy.exporters import FORMATS, export
from planner.strategy.models import PaperVersion
from planner.strategy.outline import build_outline
from planner.strategy.rollup import SCHEMA, build_rollup, rollup_from_json, rollup_to_json
from planner.workshops.models import InvitationStatus, WorkshopStatus
from tests import factories
from tests.conftest import text_of
from tests.surveys import factories as sf

FIXTURE = Path(__file__).parent / "fixtures" / "version-schema1.json"


def _paper_data():
    """A held workshop and, beside it, a draft, a planned and a cancelled one; visible and hidden findings."""
    factories.process(city_name="Essen", milestone_years=[2025, 2030, 2035, 2040])
    field = factories.field(code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility")
    held = factories.workshop(fields=[field], title="Mobilität im Mai", status=WorkshopStatus.DOCUMENTED,
                              starts_at=factories.aware(2022, 5, 4))
    planned = factories.workshop(fields=[field], title="Geplanter Workshop 2027", status=WorkshopStatus.SCHEDULED,
                                 starts_at=factories.aware(2027, 3, 1))
    draft = factories.workshop(fields=[field], title="Entwurf eines Workshops", status=WorkshopStatus.DRAFT,
                               starts_at=factories.aware(2027, 4, 1))
    cancelled = factories.workshop(fields=[field], title="Abgesagter Workshop", status=WorkshopStatus.CANCELLED,
                                   starts_at=factories.aware(2022, 4, 1))
    for n in range(3):
        factories.participation(workshop=held, invitation_status=InvitationStatus.ACCEPTED, attended=True,
                                person=factories.person(has_consent=True, last_name=f"Dabei{n}"))
    # Check-in data of a future workshop and the participants of a cancelled one count nowhere.
    factories.participation(workshop=planned, invitation_status=InvitationStatus.ACCEPTED, attended=True,
                            person=factories.person(has_consent=True, last_name="Zukunft"))
    factories.participation(workshop=draft, invitation_status=InvitationStatus.ACCEPTED)
    for n in range(4):
        factories.participation(workshop=cancelled, invitation_status=InvitationStatus.ACCEPTED,
                                person=factories.person(has_consent=True, last_name=f"Abgesagt{n}"))
    need = factories.finding(workshop=held, field=field, kind=FindingKind.NEED, text="Parksuchverkehr verringern")
    hidden_need = factories.finding(workshop=held, field=field, kind=FindingKind.NEED, is_hidden=True,
                                    text="Beleidigender Bedarf VERSTECKT")
    factories.finding(workshop=held, field=field, kind=FindingKind.WEAKNESS, is_hidden=True,
                      text="Versteckte Schwäche VERSTECKT")
    factories.finding(workshop=held, field=field, kind=FindingKind.STRENGTH, text="Gute Busanbindung")
    planned_need = factories.finding(workshop=planned, field=field, kind=FindingKind.NEED, text="Bedarf aus Planung")
    measure = factories.measure(needs=[need, hidden_need], field=field, title="Smart Parking",
                                status=MeasureStatus.ACCEPTED, lead_unit="Amt für Straßen", priority=Priority.HIGH,
                                start_year=2023, end_year=2027, cost_estimate=650000, index_area="energy_environment",
                                funding_type="grant")
    db.session.add(MeasureKPI(
        measure=measure, indicator="Parkplätze mit Sensor", unit="Anzahl", baseline=11, target_value=5,
        target_year=2030))
    db.session.commit()
    return {"need": need, "planned_need": planned_need, "field": field}


def _texts(rollup) -> dict[str, str]:
    """Every format's text as a reader sees it."""
    out = {}
    for code in ("md", "html", "json", "docx"):
        buffer = io.BytesIO()
        export(rollup, code, buffer)
        if code == "docx":
            doc = Document(io.BytesIO(buffer.getvalue()))
            out[code] = "\n".join([p.text for p in doc.paragraphs]
                                  + [c.text for t in doc.tables for row in t.rows for c in row.cells])
        else:
            out[code] = buffer.getvalue().decode()
    return out


def test_hidden_findings_and_workshops_not_held_never_reach_the_paper(ctx):
    data = _paper_data()
    r = build_rollup()
    sp = r.starting_point
    assert [w.title for w in sp.workshops] == ["Mobilität im Mai"]
    assert (sp.participants_total, sp.attended_total) == (3, 3), "no future check-ins, no cancelled participants"
    assert [c.accepted for c in sp.by_field] == [3]
    named = [p for o in r.annex.organisations for p in o.people]
    assert len(named) == 3 and not any("Zukunft" in p or "Abgesagt" in p for p in named)
    chapter = r.fields[0]
    assert [n.text for n in chapter.needs] == ["Parksuchverkehr verringern", "Bedarf aus Planung"]
    assert chapter.needs[1].source.kind == "none", "a planned workshop is no source"
    assert chapter.measures[0].need_numbers == (data["need"].number,), "a hidden need is not what a measure answers"
    assert [w.title for w in r.annex.workshops] == ["Mobilität im Mai"]
    assert chapter.workshops_held == ("Mobilität im Mai",)
    for code, text in _texts(r).items():
        for secret in ("VERSTECKT", "Geplanter Workshop 2027", "Entwurf eines Workshops", "Abgesagter Workshop"):
            assert secret not in text, (code, secret)


def test_public_page_never_shows_hidden_findings_or_unfinished_box(app, client):
    with app.app_context():
        _paper_data()
        version = versions.freeze_version(None)
        version.published_at = version.frozen_at
        db.session.commit()
    page = client.get("/strategy/published/1")
    assert page.status_code == 200
    text = text_of(page)
    assert "Parksuchverkehr verringern" in text and "VERSTECKT" not in text
    assert "Noch offen" not in text and "Geplanter Workshop 2027" not in text
    short = client.get("/strategy/published/1?short=1").get_data(as_text=True)
    assert "Smart Parking" in short and "/findings/measures/" not in short, "no links into staff pages"
    download = client.get("/strategy/published/1/export?format=md")
    assert "VERSTECKT" not in download.get_data(as_text=True)
    download.close()


def test_no_raw_values_and_formatting_in_the_papers_language(ctx):
    _paper_data()
    r = build_rollup()
    german = _texts(dataclasses.replace(r, locale="de"))["md"]
    english = _texts(dataclasses.replace(r, locale="en"))["md"]
    assert "650.000\xa0€" in german and "€650,000" in english
    assert "11 → 5" in german and "Energie und Umwelt" in german and "Energy and environment" in english
    assert "4. Mai 2022" in german and "4 May 2022" in english
    for text in (german, english):
        assert "650000" not in text and "11.00" not in text
        for code in ("energy_environment", "documented", "grant", "| high", "virtual |", "civil_society"):
            assert code not in text
    for label in ("Handlungsfelder", "Federführung", "Handlungsbedarfe", "Priorität", "Maßnahmensteckbrief",
                  "Zusagen", "Meilenstein", "Kostenschätzung", "Anhang", "Zusammenfassung", "Vorwort"):
        assert label not in english, label


def test_language_of_a_frozen_paper_does_not_depend_on_who_froze_it(ctx):
    _paper_data()
    sf.survey()
    db.session.commit()
    with force_locale("en"):
        english_ui = versions.freeze_version(None).rollup_json
    with force_locale("de"):
        german_ui = versions.freeze_version(None).rollup_json
    assert json.loads(english_ui) | {"version": 0} == json.loads(german_ui) | {"version": 0}
    frozen = rollup_from_json(english_ui)
    assert frozen.starting_point.surveys and frozen.starting_point.surveys[0].key_figures
    with force_locale("en"):  # whoever exports: the German paper is German
        german = build_outline(frozen, "de")
    headings = [b.text for b in german.blocks if b.block == "heading"]
    assert "Handlungsfelder" in headings and "Action fields" not in headings
    figures = [b for b in german.blocks if b.block == "keyfigures"]
    assert any("Basis:" in label for f in figures for _v, label in f.items), "survey results with their base"
    assert "Priority score" not in " ".join(b.text for b in german.blocks if b.block == "paragraph")
    with force_locale("de"):
        english = build_outline(frozen, "en")
    assert "Action fields" in [b.text for b in english.blocks if b.block == "heading"]


def test_a_version_stored_with_schema_1_opens_exports_and_is_redacted(ctx, tmp_path):
    stored = FIXTURE.read_text(encoding="utf-8")
    assert json.loads(stored)["schema"] == 1
    db.session.add(PaperVersion(number=1, frozen_at=factories.aware(2026, 11, 1), rollup_json=stored))
    db.session.commit()
    version = versions.get_version(1)
    r = versions.version_rollup(version)
    assert r.schema == SCHEMA
    measure = r.fields[0].measures[0]
    assert measure.cost_estimate == 250000.0, "“250.000 €” as typed became a number"
    assert measure.kpis[0].baseline == 0.0 and measure.kpis[0].target_value == 500.0
    figure = r.starting_point.surveys[0].key_figures[0]
    assert (figure.kind, figure.text) == ("text", "46 %"), "a figure formatted in schema 1 is kept as stored"
    assert r.priority_run.formula == "0,5 × Bürger + 0,5 × Fachleute"
    for code in FORMATS:
        for short in (False, True):
            path = tmp_path / f"v1-{short}.{code}"
            rollup = versions.version_rollup(version, locale="en", short=short)
            with path.open("wb") as output:
                export(rollup, code, output)
            assert path.stat().st_size > 1000
    md = (tmp_path / "v1-False.md").read_text()
    assert "€250,000" in md and "Dr. Erika Expertin" in md
    # Erasure (Art. 17) works on the stored form of an older schema too.
    org = factories.organisation(name="Universität")
    person = factories.person(first_name="Dr. Erika", last_name="Expertin", organisation=org, has_consent=True)
    db.session.commit()
    assert person.full_name == "Dr. Erika Expertin"
    privacy.erase_person(None, db.session.get(Person, person.id))
    db.session.commit()
    after = db.session.scalar(select(PaperVersion.rollup_json).where(PaperVersion.number == 1))
    assert "Erika" not in after
    assert rollup_from_json(after).annex.organisations[0].people == ()
    assert rollup_to_json(rollup_from_json(after)) == after


def test_a_version_stored_with_schema_2_opens_exports_and_is_redacted(ctx):
    """Today's form, kept as it is stored: whatever changes later must still open, export and redact it."""
    stored = (FIXTURE.parent / "version-schema2.json").read_text(encoding="utf-8")
    db.session.add(PaperVersion(number=2, frozen_at=factories.aware(2026, 12, 3), rollup_json=stored))
    db.session.commit()
    version = versions.get_version(2)
    for language in ("de", "en"):
        buffer = io.BytesIO()
        export(versions.version_rollup(version, locale=language), "md", buffer)
        assert "Dr. Erika Expertin" in buffer.getvalue().decode()
    assert versions.redact_person("Dr. Erika Expertin", "Universität") == [2]
    db.session.commit()
    assert "Erika" not in db.session.scalar(select(PaperVersion.rollup_json).where(PaperVersion.number == 2))
