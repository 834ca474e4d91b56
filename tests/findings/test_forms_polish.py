"""Issue 16, the forms' polish and the need ↔ SWOT links, as a user notices them."""

from sqlalchemy import select

from planner.extensions import db
from planner.findings.models import Measure
from tests import factories
from tests.conftest import text_of


def test_nobody_supports_their_own_measure(app, client, auth, scene):
    with app.app_context():
        own = factories.measure(title="Eigene Idee", proposed_by_id=scene.expert_person_id)
        other = factories.measure(title="Fremde Idee", proposed_by_id=scene.colleague_person_id)
        db.session.commit()
        own_id, other_id = own.id, other.id
    auth.login_as(scene.expert_email)
    assert "Ich unterstütze das" not in text_of(client.get(f"/findings/measures/{own_id}"))
    response = client.post(f"/findings/measures/{own_id}/support")
    assert response.status_code == 400
    assert "Sie haben diese Maßnahme selbst vorgeschlagen" in text_of(response)
    with app.app_context():
        assert db.session.get(Measure, own_id).supporters == []
    assert "Ich unterstütze das" in text_of(client.get(f"/findings/measures/{other_id}"))
    assert client.post(f"/findings/measures/{other_id}/support").status_code == 302
    with app.app_context():
        assert [p.id for p in db.session.get(Measure, other_id).supporters] == [scene.expert_person_id]
        assert db.session.scalar(select(Measure).where(Measure.id == own_id)).proposed_by_id == scene.expert_person_id


# --- need ↔ SWOT ---------------------------------------------------------------------------------------------


def _swot_and_need(scene, other_field_swot=False):
    from planner.findings.models import FindingKind
    from planner.workshops.models import Workshop

    workshop = db.session.get(Workshop, scene.workshop_id)
    weakness = factories.finding(workshop=workshop, field_id=scene.field_id, kind=FindingKind.WEAKNESS,
                                 text="Zu viel Parksuchverkehr in der Innenstadt")
    strength = factories.finding(workshop=workshop, field_id=scene.field_id, kind=FindingKind.STRENGTH,
                                 text="Gute Parkdaten der Stadtwerke")
    elsewhere = factories.finding(field_id=scene.other_field_id, kind=FindingKind.RISK, text="Fremdes Risiko")
    need = factories.finding(workshop=workshop, field_id=scene.field_id, kind=FindingKind.NEED,
                             text="Parksuchverkehr reduzieren", author_id=scene.expert_person_id)
    db.session.commit()
    return weakness, strength, elsewhere, need


def test_a_need_links_the_swot_findings_it_answers_in_its_form_and_shows_them(app, client, auth, scene):
    with app.app_context():
        weakness, strength, elsewhere, need = _swot_and_need(scene)
        ids = weakness.id, strength.id, elsewhere.id, need.id
        numbers = weakness.number, strength.number
    weakness_id, strength_id, elsewhere_id, need_id = ids
    auth.login_as(scene.expert_email)
    response = client.get(f"/findings/{need_id}/edit")
    form = response.get_data(as_text=True)
    assert "Status-quo-Befunde, auf die dieser Handlungsbedarf antwortet" in text_of(response)
    assert f'value="{weakness_id}"' in form and f'value="{strength_id}"' in form
    assert f'value="{elsewhere_id}"' not in form  # another workshop and field
    version = 1
    response = client.post(f"/findings/{need_id}/edit", data={"text": "Parksuchverkehr reduzieren",
                                                              "version": version, "answers": [weakness_id]})
    assert response.status_code == 302
    page = text_of(client.get(f"/findings/{need_id}"))
    assert numbers[0] in page and "Zu viel Parksuchverkehr" in page and numbers[1] not in page
    # The weakness names the need that answers it.
    assert "Parksuchverkehr reduzieren" in text_of(client.get(f"/findings/{weakness_id}"))
    # A finding of another workshop and field is refused with a message; nothing changes.
    with app.app_context():
        from planner.findings.models import Finding

        version = db.session.get(Finding, need_id).version
    response = client.post(f"/findings/{need_id}/edit", data={"text": "Parksuchverkehr reduzieren",
                                                              "version": version, "answers": [elsewhere_id]})
    assert response.status_code == 422
    with app.app_context():
        assert [f.id for f in db.session.get(Finding, need_id).answers] == [weakness_id]
    # Editing again can unlink.
    client.post(f"/findings/{need_id}/edit", data={"text": "Parksuchverkehr reduzieren", "version": version})
    with app.app_context():
        assert db.session.get(Finding, need_id).answers == []


def test_a_need_captured_with_its_swot_findings(app, client, auth, scene):
    with app.app_context():
        weakness, _strength, _elsewhere, _need = _swot_and_need(scene)
        weakness_id = weakness.id
    auth.login_as(scene.expert_email)
    page = client.get(f"/findings/workshops/{scene.workshop_id}/capture").get_data(as_text=True)
    assert "die Status-quo-Befunde, auf die er antwortet" in page and f'value="{weakness_id}"' in page
    response = client.post(f"/findings/workshops/{scene.workshop_id}/capture", data={
        "block": str(scene.needs_block_id), "field": str(scene.field_id), "kind": "need",
        "text": "Parkleitsystem ausbauen", "answers": [str(weakness_id)]})
    assert response.status_code == 302
    with app.app_context():
        from planner.findings.models import Finding

        need = db.session.scalar(select(Finding).where(Finding.text == "Parkleitsystem ausbauen"))
        assert [f.id for f in need.answers] == [weakness_id]


def test_the_paper_says_which_findings_a_need_answers(ctx):
    import dataclasses

    from planner.strategy.outline import build_outline
    from tests.strategy.rollups import rollup

    paper = rollup()
    chapter = paper.fields[0]
    need = dataclasses.replace(chapter.needs[0], answers=("MOB-S03", "MOB-W07"))
    paper = dataclasses.replace(paper, fields=(dataclasses.replace(chapter, needs=(need,)), *paper.fields[1:]))
    words = []
    for block in build_outline(paper, "de").blocks:
        words.append(repr(dataclasses.astuple(block)))
    assert any("antwortet auf MOB-S03, MOB-W07" in w for w in words)
    english = " ".join(repr(dataclasses.astuple(b)) for b in build_outline(paper, "en").blocks)
    assert "answers MOB-S03, MOB-W07" in english


def test_the_facts_carry_the_visible_findings_a_need_answers(app, scene):
    from planner.findings import services
    from planner.findings.facts import finding_facts
    from planner.findings.models import Finding

    with app.app_context():
        weakness, strength, _elsewhere, need = _swot_and_need(scene)
        need = db.session.get(Finding, need.id)
        services._set_swot(need, [weakness.id, strength.id])
        strength.is_hidden = True
        db.session.flush()
        facts = {f.id: f for f in finding_facts().findings}
        assert facts[need.id].answers == (weakness.id,)  # a hidden finding never leaves the package
        assert facts[weakness.id].answers == ()


def test_partners_typed_on_several_lines_keep_their_lines(app, client, auth, scene):
    with app.app_context():
        measure = factories.measure(title="Sensoren", partners="Stadtwerke\nUniversität <Campus>\n\nIHK")
        db.session.commit()
        measure_id = measure.id
    auth.login_as(scene.strategy_email)
    html = client.get(f"/findings/measures/{measure_id}").get_data(as_text=True)
    assert "Stadtwerke<br>Universität &lt;Campus&gt;<br>IHK" in html


def test_all_errors_of_the_measure_form_show_at_once(app, client, auth, scene):
    auth.login_as(scene.strategy_email)
    response = client.post("/findings/measures/new", data={"title": "", "field": "", "start_year": "1999",
                                                           "end_year": "1990", "lead_unit": "x" * 300})
    assert response.status_code == 422
    text = text_of(response)
    summary = text[text.index("Bitte korrigieren"):]
    for message in ("Titel: Bitte geben Sie einen Text ein", "Handlungsfeld:", "Federführung: Der Text ist zu lang",
                    "Startjahr:", "Endjahr:"):
        assert message in summary, message
    with app.app_context():
        assert db.session.scalar(select(Measure).where(Measure.lead_unit.startswith("xxx"))) is None


def test_capture_form_names_every_error_once_and_only_true_optionals(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    url = f"/findings/workshops/{scene.workshop_id}/capture"
    page = text_of(client.get(url))
    assert "Tagesordnungspunkt (optional)" not in page and "Titel der Maßnahme (optional)" not in page
    assert "Text (optional)" not in page
    # A measure proposal without a title: that error now, not after a second round; its description is optional.
    response = client.post(url, data={"block": "", "field": "", "kind": "measure", "title": "", "text": ""})
    summary = text_of(response)[text_of(response).index("Bitte korrigieren"):]
    for message in ("Tagesordnungspunkt: Bitte wählen Sie den Tagesordnungspunkt", "Handlungsfeld:",
                    "Titel der Maßnahme: Bitte geben Sie den Titel der Maßnahme ein"):
        assert message in summary, message
    assert "Text: Bitte geben Sie einen Text ein" not in summary
    assert "Keine gültige Auswahl" not in summary


def test_a_link_to_a_finding_hidden_since_is_neither_offered_nor_dropped(app, scene):
    from planner.accounts.models import User
    from planner.findings import services
    from planner.findings.models import Finding

    with app.app_context():
        weakness, strength, _elsewhere, need = _swot_and_need(scene)
        need = db.session.get(Finding, need.id)
        services._set_swot(need, [weakness.id, strength.id])
        strength.is_hidden = True
        db.session.flush()
        assert strength not in services.swot_candidates(need)
        expert = db.session.get(User, scene.expert_id)
        services.update_finding(expert, need, need.text, need.version, swot_ids=[])
        assert [f.id for f in need.answers] == [strength.id]
