"""Models and services: numbering, capture rules, fact sheet validation, stale versions, evaluation, merge."""

from decimal import Decimal

import pytest

from planner.accounts.models import User
from planner.core import audit
from planner.core.errors import DomainError, InvalidTransition, NotAllowed, StaleVersion
from planner.core.text import render_markdown
from planner.extensions import db
from planner.findings import services
from planner.findings.models import Comment, Finding, FindingKind, Measure, MeasureStatus
from planner.people.models import Person
from planner.workshops.models import Workshop
from tests import factories


def _capture(scene, user_id, **kw):
    data = {"kind": "need", "text": "Parksuchverkehr reduzieren", "field_id": scene.field_id,
            "block_id": scene.needs_block_id}
    data.update(kw)
    return services.capture(db.session.get(User, user_id), db.session.get(Workshop, scene.workshop_id),
                            services.Capture(**data))


# --- numbering ---------------------------------------------------------------------------------------------


def test_numbers_are_given_per_field_and_kind_with_two_digits(ctx):
    mob = factories.field(code="MOB")
    umw = factories.field(code="UMW")
    needs = [factories.finding(field=mob, kind=FindingKind.NEED) for _ in range(3)]
    swot = factories.finding(field=mob, kind=FindingKind.STRENGTH)
    other = factories.finding(field=umw, kind=FindingKind.NEED)
    measures = [factories.measure(field=mob), factories.measure(field=mob)]
    assert [n.number for n in needs] == ["MOB-B01", "MOB-B02", "MOB-B03"]
    assert swot.number == "MOB-S01"
    assert other.number == "UMW-B01"
    assert [m.number for m in measures] == ["MOB-M01", "MOB-M02"]


def test_numbers_never_change_nor_come_back_after_a_delete(ctx):
    mob, umw = factories.field(code="MOB"), factories.field(code="UMW")
    first, second = factories.measure(field=mob), factories.measure(field=mob)
    first.field = umw  # a measure moving field keeps its number
    db.session.delete(second)
    db.session.flush()
    third = factories.measure(field=mob)
    assert first.number == "MOB-M01"
    assert third.number == "MOB-M03"


def test_numbering_continues_after_rows_numbered_before_the_counter_existed(ctx):
    mob = factories.field(code="MOB")
    factories.finding(field=mob, kind=FindingKind.NEED, number="MOB-B41", number_key="MOB-B000041")
    assert factories.finding(field=mob, kind=FindingKind.NEED).number == "MOB-B42"


def test_numbers_go_beyond_99_and_sort_correctly(ctx):
    mob = factories.field(code="MOB")
    for _ in range(100):
        db.session.add(Measure(field=mob, title="x"))
    db.session.flush()
    numbers = db.session.scalars(services.measures_query(sort="number")).all()
    assert numbers[-1].number == "MOB-M100"
    assert numbers[98].number == "MOB-M99"


# --- capture -----------------------------------------------------------------------------------------------


def test_a_participant_captures_a_need_with_block_author_and_number(ctx, scene):
    finding = _capture(scene, scene.expert_id)
    assert finding.number == "MOB-B01"
    assert finding.author_id == scene.expert_person_id
    assert finding.recorded_by_user_id == scene.expert_id
    assert finding.agenda_block_id == scene.needs_block_id


def test_a_measure_proposal_links_needs_of_the_workshop(ctx, scene):
    need = _capture(scene, scene.expert_id)
    measure = _capture(scene, scene.expert_id, kind="measure", block_id=scene.measures_block_id,
                       title="Smart Parking", text="Sensoren an Stellplätzen", need_ids=(need.id,))
    assert measure.number == "MOB-M01"
    assert measure.needs == [need]
    assert measure.proposed_by_id == scene.expert_person_id
    assert any(e.action == "link" for e in audit.history(measure))


def test_kind_must_match_the_block(ctx, scene):
    with pytest.raises(DomainError) as error:
        _capture(scene, scene.expert_id, kind="strength", block_id=scene.needs_block_id)
    assert error.value.field == "kind"


def test_a_block_of_another_workshop_is_refused(ctx, scene):
    with pytest.raises(DomainError) as error:
        _capture(scene, scene.expert_id, block_id=scene.other_block_id)
    assert error.value.field == "block"
    assert db.session.scalar(db.select(db.func.count()).select_from(Finding)) == 0


def test_needs_of_another_workshop_cannot_be_linked(ctx, scene):
    foreign = factories.finding(workshop=db.session.get(Workshop, scene.other_workshop_id))
    with pytest.raises(DomainError):
        _capture(scene, scene.expert_id, kind="measure", block_id=scene.measures_block_id, title="X", text="Y",
                 need_ids=(foreign.id,))


def test_an_expert_outside_the_workshop_may_not_capture(ctx, scene):
    outsider = factories.user("expert", person=factories.person())
    with pytest.raises(NotAllowed):
        _capture(scene, outsider.id)


def test_a_declined_invitation_is_not_taking_part(ctx, scene):
    person = factories.person()
    factories.participation(workshop=db.session.get(Workshop, scene.workshop_id), person=person,
                            invitation_status="declined")
    user = factories.user("expert", person=person)
    assert not services.may_capture(user, db.session.get(Workshop, scene.workshop_id))


def test_the_facilitator_logs_on_behalf_of_a_participant(ctx, scene):
    finding = _capture(scene, scene.facilitator_id, author_id=scene.colleague_person_id)
    assert finding.author_id == scene.colleague_person_id
    assert finding.recorded_by_user_id == scene.facilitator_id


def test_an_expert_may_not_log_on_someone_elses_behalf(ctx, scene):
    with pytest.raises(NotAllowed):
        _capture(scene, scene.expert_id, author_id=scene.colleague_person_id)


def test_the_facilitator_chooses_only_participants_as_authors(ctx, scene):
    with pytest.raises(DomainError) as error:
        _capture(scene, scene.facilitator_id, author_id=factories.person().id)
    assert error.value.field == "author"


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001])
def test_empty_or_too_long_text_is_refused(ctx, scene, text):
    with pytest.raises(DomainError):
        _capture(scene, scene.expert_id, text=text)


def test_without_an_agenda_the_workshop_captures_without_block(ctx, scene):
    workshop = factories.workshop(fields=[factories.field()])
    person = factories.person()
    factories.participation(workshop=workshop, person=person)
    user = factories.user("expert", person=person)
    finding = services.capture(user, workshop, services.Capture(kind="risk", text="Datenschutz",
                                                                field_id=workshop.fields[0].id))
    assert finding.agenda_block_id is None and finding.kind == FindingKind.RISK


# --- markdown ----------------------------------------------------------------------------------------------


def test_markdown_is_sanitised_script_and_javascript_links_never_get_through(ctx):
    html = str(render_markdown('**fett** <script>alert(1)</script> [klick](javascript:alert(1)) '
                               '<img src=x onerror=alert(1)>'))
    assert "<strong>fett</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as typed, harmless
    assert 'href="javascript:' not in html and "<img" not in html


# --- findings: edit, moderation ----------------------------------------------------------------------------


def test_experts_edit_their_own_findings_only(ctx, scene):
    finding = _capture(scene, scene.expert_id)
    colleague = db.session.get(User, scene.colleague_id)
    with pytest.raises(NotAllowed):
        services.update_finding(colleague, finding, "geändert", finding.version)
    services.update_finding(db.session.get(User, scene.expert_id), finding, "geändert", finding.version)
    assert finding.text == "geändert"


def test_a_stale_finding_edit_is_refused(ctx, scene):
    finding = _capture(scene, scene.expert_id)
    old = finding.version
    services.update_finding(db.session.get(User, scene.expert_id), finding, "eins", old)
    with pytest.raises(StaleVersion):
        services.update_finding(db.session.get(User, scene.expert_id), finding, "zwei", old)
    assert finding.text == "eins"


def test_hiding_keeps_the_finding_and_records_the_reason(ctx, scene):
    finding = _capture(scene, scene.expert_id)
    services.hide_finding(db.session.get(User, scene.facilitator_id), finding, "Doppelt")
    assert finding.is_hidden and finding.hidden_reason == "Doppelt"
    with pytest.raises(NotAllowed):
        services.hide_finding(db.session.get(User, scene.expert_id), finding, "x")
    visible = services.workshop_findings(db.session.get(Workshop, scene.workshop_id),
                                         db.session.get(User, scene.colleague_id))
    assert finding not in visible


# --- measures: fact sheet ----------------------------------------------------------------------------------

SHEET = {"title": "Smart Parking", "start_year": 2024, "end_year": 2026}


def test_years_must_be_ordered_and_within_the_target_year(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    with pytest.raises(DomainError) as error:
        services.create_measure(strategy, scene.field_id, {**SHEET, "start_year": 2030, "end_year": 2025})
    assert error.value.field == "end_year"
    with pytest.raises(DomainError) as error:
        services.create_measure(strategy, scene.field_id, {**SHEET, "end_year": 2041})
    assert error.value.field == "end_year"
    measure = services.create_measure(strategy, scene.field_id, {**SHEET, "end_year": 2040})
    assert measure.end_year == 2040


def test_a_kpi_target_needs_a_unit(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    measure = services.create_measure(strategy, scene.field_id, SHEET)
    with pytest.raises(DomainError) as error:
        services.add_kpi(strategy, measure, "Parksuchzeit", "", target_value=Decimal("5"), target_year=2026)
    assert error.value.field == "unit"
    with pytest.raises(DomainError):
        services.add_kpi(strategy, measure, "Parksuchzeit", "min", target_value=Decimal("5"), target_year=2045)
    kpi = services.add_kpi(strategy, measure, "Parksuchzeit", "min", Decimal("11"), Decimal("5"), 2026)
    assert measure.kpis == [kpi]


def test_a_stale_measure_save_is_refused_and_nothing_changes(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    facilitator = db.session.get(User, scene.facilitator_id)
    measure = services.create_measure(strategy, scene.field_id, SHEET)
    seen = measure.version
    services.update_measure(strategy, measure, scene.field_id, {**SHEET, "lead_unit": "Amt 66"}, [], seen)
    with pytest.raises(StaleVersion):
        services.update_measure(facilitator, measure, scene.field_id, {**SHEET, "lead_unit": "Stadtwerke"}, [], seen)
    assert measure.lead_unit == "Amt 66"


def test_the_proposer_edits_only_while_proposed(ctx, scene):
    measure = _capture(scene, scene.expert_id, kind="measure", block_id=scene.measures_block_id, title="X",
                       text="Y")
    expert = db.session.get(User, scene.expert_id)
    assert services.may_edit_measure(expert, measure)
    assert not services.may_edit_measure(db.session.get(User, scene.colleague_id), measure)
    measure.change_status(MeasureStatus.UNDER_EVALUATION)
    assert not services.may_edit_measure(expert, measure)


def test_need_links_are_recorded_in_the_history(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    need = _capture(scene, scene.expert_id)
    measure = services.create_measure(strategy, scene.field_id, SHEET, [need.id])
    services.update_measure(strategy, measure, scene.field_id, SHEET, [], measure.version)
    actions = [e.action for e in audit.history(measure)]
    assert "create" in actions and "link" in actions and "unlink" in actions


# --- dependencies ------------------------------------------------------------------------------------------


def test_dependencies_across_fields_without_self_or_cycles(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    a = services.create_measure(strategy, scene.field_id, {"title": "Smart Parking"})
    b = services.create_measure(strategy, scene.other_field_id, {"title": "5G an Laternen"})
    c = services.create_measure(strategy, scene.field_id, {"title": "Dashboard"})
    services.add_dependency(strategy, a, b)
    services.add_dependency(strategy, b, c)
    assert a.dependencies == [b] and b.required_by == [a]
    with pytest.raises(DomainError):
        services.add_dependency(strategy, a, a)
    with pytest.raises(DomainError, match="cycle|Zyklus|Kreis"):
        services.add_dependency(strategy, c, a)
    assert c.dependencies == []


# --- evaluation and merge ----------------------------------------------------------------------------------


def test_evaluation_needs_the_strategy_team_and_an_answer(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    measure = services.create_measure(strategy, scene.field_id, SHEET)
    with pytest.raises(NotAllowed):
        services.evaluate_measure(db.session.get(User, scene.facilitator_id), measure,
                                  MeasureStatus.UNDER_EVALUATION, "")
    with pytest.raises(InvalidTransition):
        services.evaluate_measure(strategy, measure, MeasureStatus.ACCEPTED, "Ja")  # not evaluated yet
    services.evaluate_measure(strategy, measure, MeasureStatus.UNDER_EVALUATION, "")
    with pytest.raises(DomainError):
        services.evaluate_measure(strategy, measure, MeasureStatus.ACCEPTED, "")
    services.evaluate_measure(strategy, measure, MeasureStatus.ACCEPTED, "Wird umgesetzt.")
    assert measure.status == MeasureStatus.ACCEPTED
    assert measure.official_answer == "Wird umgesetzt." and measure.evaluated_by_id == strategy.id


def test_merge_moves_needs_comments_and_supporters_and_keeps_numbers(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    need = _capture(scene, scene.expert_id)
    kept = services.create_measure(strategy, scene.field_id, {"title": "Smart Parking"})
    dup = _capture(scene, scene.expert_id, kind="measure", block_id=scene.measures_block_id,
                   title="Parkleitsystem", text="Doppelt", need_ids=(need.id,))
    services.add_comment(strategy, dup, "Das ist doppelt.")
    services.toggle_support(db.session.get(User, scene.colleague_id), dup)
    numbers = (kept.number, dup.number)
    services.merge_measures(strategy, dup, kept)
    assert dup.status == MeasureStatus.MERGED and dup.merged_into == kept
    assert dup.merged_by_id == strategy.id and dup.merged_at is not None
    assert kept.needs == [need] and dup.needs == []
    assert [c.text for c in kept.comments] == ["Das ist doppelt."]
    assert [p.id for p in kept.supporters] == [scene.colleague_person_id]
    assert kept.merged_from == [dup]
    assert (kept.number, dup.number) == numbers
    assert any(e.action == "merge" for e in audit.history(kept))
    with pytest.raises(DomainError):
        services.merge_measures(strategy, kept, dup)  # into a merged measure


def test_comments_and_support(ctx, scene):
    expert = db.session.get(User, scene.expert_id)
    need = _capture(scene, scene.expert_id)
    comment = services.add_comment(expert, need, "**Wichtig**")
    assert comment.finding_id == need.id and comment.measure_id is None
    with pytest.raises(DomainError):
        services.add_comment(expert, need, " ")
    measure = services.create_measure(db.session.get(User, scene.strategy_id), scene.field_id, SHEET)
    assert services.toggle_support(expert, measure) is True
    assert services.toggle_support(expert, measure) is False
    with pytest.raises(NotAllowed):
        services.toggle_support(db.session.get(User, scene.strategy_id), measure)  # no person


def test_audit_entries_record_before_and_after(ctx, scene):
    finding = _capture(scene, scene.expert_id)
    with audit.acting_as(scene.expert_id, "expertin@example.org"):
        services.update_finding(db.session.get(User, scene.expert_id), finding, "neu", finding.version)
        db.session.flush()
    update = [e for e in audit.history(finding) if e.action == "update"][-1]
    assert update.changes["text"] == ["Parksuchverkehr reduzieren", "neu"]
    assert update.actor_label == "expertin@example.org"


# --- gaps, lists, documentation ----------------------------------------------------------------------------


def test_gaps_per_field(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    lonely_need = _capture(scene, scene.expert_id)
    measure = services.create_measure(strategy, scene.field_id, {"title": "Ohne alles"})
    mob = next(g for g in services.gaps() if g.field.id == scene.field_id)
    ids = lambda gap_list: [item.id for item in gap_list.items]  # noqa: E731
    assert lonely_need.id in ids(mob.needs_without_measure)
    assert measure.id in ids(mob.measures_without_needs)
    assert measure.id in ids(mob.measures_without_lead) and measure.id in ids(mob.measures_without_kpi)
    assert mob.measures_without_kpi.items[0].number == measure.number
    # The measure list filters by the same gaps.
    numbers = lambda gap: [m.number for m in db.session.scalars(services.measures_query(gap=gap))]  # noqa: E731
    assert measure.number in numbers("no_kpi") and measure.number in numbers("no_lead")
    assert numbers("bogus") == numbers(None)


def test_gaps_list_the_first_few_and_count_all(ctx, scene, monkeypatch):
    monkeypatch.setattr(services, "GAP_LIST_LIMIT", 2)
    strategy = db.session.get(User, scene.strategy_id)
    made = [services.create_measure(strategy, scene.field_id, {"title": f"Ohne alles {i}"}) for i in range(5)]
    services.create_measure(strategy, scene.other_field_id, {"title": "Anderswo"})
    mob = services.gaps(scene.field_id)
    assert [g.field.id for g in mob] == [scene.field_id]
    kpi = mob[0].measures_without_kpi
    assert [item.id for item in kpi.items] == [m.id for m in made[:2]] and kpi.total == 5 and kpi.more == 3


def test_measure_filters_and_search(ctx, scene):
    strategy = db.session.get(User, scene.strategy_id)
    services.create_measure(strategy, scene.field_id, {"title": "Smart Parking", "priority": "high",
                                                       "index_area": "mobility"})
    services.create_measure(strategy, scene.other_field_id, {"title": "Baumsensoren", "priority": "low"})
    titles = lambda **kw: [m.title for m in db.session.scalars(services.measures_query(**kw))]  # noqa: E731
    assert titles(q="park") == ["Smart Parking"]
    assert titles(priority="low") == ["Baumsensoren"]
    assert titles(area="mobility") == ["Smart Parking"]
    assert titles(field_id=scene.other_field_id) == ["Baumsensoren"]
    assert titles(sort="priority") == ["Smart Parking", "Baumsensoren"]
    assert titles(q="100%_") == []


def test_documentation_groups_by_block_field_and_kind_and_respects_consent(ctx, scene):
    _capture(scene, scene.expert_id, kind="strength", block_id=scene.status_block_id, text="ÖPNV-Netz")
    need = _capture(scene, scene.expert_id)
    _capture(scene, scene.expert_id, kind="measure", block_id=scene.measures_block_id, title="Smart Parking",
             text="Sensoren", need_ids=(need.id,))
    db.session.get(Person, scene.expert_person_id).has_consent = False
    hidden = _capture(scene, scene.expert_id, text="Unsinn")
    services.hide_finding(db.session.get(User, scene.facilitator_id), hidden, "Spam")
    doc = services.documentation(scene.workshop_id)
    assert [b["kind"] for b in doc["blocks"]] == ["status_quo", "needs", "measures"]
    needs_block = doc["blocks"][1]
    entries = needs_block["fields"][0]["kinds"][0]["entries"]
    assert [e["number"] for e in entries] == [need.number]  # the hidden one is left out
    assert entries[0]["author"] is None  # no consent, no name
    measures = doc["blocks"][2]["fields"][0]["kinds"][0]
    assert measures["kind"] == "measure" and measures["entries"][0]["needs"] == [need.number]
    assert doc["counts"] == {"findings": 2, "needs": 1, "measures": 1}
    assert services.documentation(99999) is None


def test_comment_has_exactly_one_target(ctx, scene):
    from sqlalchemy.exc import IntegrityError

    db.session.add(Comment(text="x", author_id=scene.expert_id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- a documented workshop ---------------------------------------------------------------------------------------


def test_experts_cannot_change_findings_of_a_documented_workshop_until_a_facilitator_reopens_it(ctx, scene):
    from planner.workshops.models import WorkshopStatus
    from planner.workshops.services import change_workshop_status

    need = _capture(scene, scene.expert_id)
    measure = _capture(scene, scene.expert_id, kind="measure", title="Parkleitsystem", text="",
                       block_id=scene.measures_block_id)
    workshop = db.session.get(Workshop, scene.workshop_id)
    workshop.status = WorkshopStatus.DOCUMENTED
    db.session.flush()
    expert = db.session.get(User, scene.expert_id)
    for attempt in (lambda: _capture(scene, scene.expert_id, text="Noch ein Bedarf"),
                    lambda: services.update_finding(expert, need, "Geändert", need.version),
                    lambda: services.delete_finding(expert, need)):
        with pytest.raises(NotAllowed) as error:
            attempt()
        assert "dokumentiert" in str(error.value.message) or "documented" in str(error.value.message)
    assert need.text == "Parksuchverkehr reduzieren" and db.session.get(Finding, need.id) is not None
    assert not services.may_edit_finding(expert, need) and not services.may_edit_measure(expert, measure)
    # The facilitator may still correct, and reopen the workshop for its participants.
    facilitator = db.session.get(User, scene.facilitator_id)
    services.update_finding(facilitator, need, "Parksuchverkehr deutlich reduzieren", need.version)
    change_workshop_status(workshop, WorkshopStatus.HELD, facilitator)
    services.update_finding(expert, need, "Parksuchverkehr halbieren", need.version)
    assert need.text == "Parksuchverkehr halbieren"
    assert _capture(scene, scene.expert_id, text="Noch ein Bedarf").text == "Noch ein Bedarf"
