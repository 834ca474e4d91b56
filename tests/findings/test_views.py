"""The pages: capture with and without htmx, bad input, attacks on other workshops and findings, fact sheets."""

import re

from sqlalchemy import event, func, select

from planner.accounts.models import User
from planner.extensions import db
from planner.findings.models import Finding, FindingKind, Measure, MeasureKPI, MeasureStatus
from planner.workshops.models import Workshop
from tests import factories
from tests.conftest import text_of


def _count(app, model=Finding):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def capture_url(scene, workshop_id=None):
    return f"/findings/workshops/{workshop_id or scene.workshop_id}/capture"


def need_form(scene, **kw):
    data = {"block": str(scene.needs_block_id), "field": str(scene.field_id), "kind": "need",
            "text": "Parksuchverkehr reduzieren"}
    data.update(kw)
    return data


# --- capture -----------------------------------------------------------------------------------------------


def test_capture_page_for_a_participant(client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.get(capture_url(scene))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-hx-post="/findings/workshops/' in html and 'name="csrf_token"' in html
    assert "autofocus" in html and "data-enter-submits" in html
    assert "js/findings.js" in html


def test_capture_without_js_redirects_and_keeps_block_field_and_kind(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene))
    assert response.status_code == 302
    assert f"block={scene.needs_block_id}" in response.headers["Location"]
    assert "kind=need" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    text = text_of(page)
    assert "MOB-B01" in text and "Parksuchverkehr reduzieren" in text
    block = scene.needs_block_id
    assert re.search(rf'<option selected value="{block}"|<option value="{block}" selected', page.get_data(as_text=True))


def test_capture_with_htmx_returns_the_region_with_an_empty_form_and_the_new_entry(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="capture-region"' in html
    assert "MOB-B01" in html and "Parksuchverkehr reduzieren" in html
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S)
    assert textarea and textarea.group(1).strip() == ""
    assert re.search(r'<option selected value="need"|<option value="need" selected', html)
    assert _count(app) == 1


def test_capture_errors_with_htmx_are_shown_in_the_region(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene, text=""), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Bitte geben Sie einen Text ein." in text_of(response)
    assert _count(app) == 0


def test_capture_a_measure_proposal_with_needs(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    client.post(capture_url(scene), data=need_form(scene))
    with app.app_context():
        need_id = db.session.scalar(select(Finding.id))
    response = client.post(capture_url(scene), data={
        "block": str(scene.measures_block_id), "field": str(scene.field_id), "kind": "measure",
        "title": "Smart Parking", "text": "Sensoren an Stellplätzen", "needs": [str(need_id)]})
    assert response.status_code == 302
    with app.app_context():
        measure = db.session.scalars(select(Measure)).one()
        assert measure.number == "MOB-M01" and [n.id for n in measure.needs] == [need_id]


def test_facilitator_logs_on_behalf_of_a_participant(app, client, auth, scene):
    auth.login_as(scene.facilitator_email)
    page = client.get(capture_url(scene))
    assert "Kai Kollege" in text_of(page)
    client.post(capture_url(scene), data=need_form(scene, author=str(scene.colleague_person_id)))
    with app.app_context():
        finding = db.session.scalars(select(Finding)).one()
        assert finding.author_id == scene.colleague_person_id
        assert finding.recorded_by_user_id == scene.facilitator_id


# --- bad input ---------------------------------------------------------------------------------------------


def test_empty_text_gives_a_message_and_stores_nothing(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene, text="   "))
    assert response.status_code == 422
    assert "Bitte geben Sie einen Text ein." in text_of(response)
    assert _count(app) == 0


def test_a_100_kb_paste_gives_a_message_not_an_error(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene, text="x" * 100_000))
    assert response.status_code == 422
    assert "zu lang" in text_of(response)
    assert _count(app) == 0


def test_html_and_script_are_stored_as_typed_and_rendered_harmless(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    typed = '<script>alert("x")</script> <b>fett</b> [link](javascript:alert(1))'
    client.post(capture_url(scene), data=need_form(scene, text=typed))
    with app.app_context():
        finding = db.session.scalars(select(Finding)).one()
        assert finding.text == typed
        finding_id = finding.id
    for url in (capture_url(scene), f"/findings/{finding_id}",
                f"/findings/workshops/{scene.workshop_id}/documentation"):
        html = client.get(url).get_data(as_text=True)
        assert '<script>alert("x")' not in html and "&lt;script&gt;" in html
        assert 'href="javascript:' not in html


def _measure(app, scene, **kw):
    with app.app_context():
        kw.setdefault("field_id", scene.field_id)
        kw.setdefault("title", "Smart Parking")
        measure = factories.measure(**kw)
        db.session.commit()
        return measure.id, measure.version


def sheet(scene, version, **kw):
    data = {"field": str(scene.field_id), "title": "Smart Parking", "start_year": "2024", "end_year": "2026",
            "lead_unit": "Amt für Straßen und Verkehr", "version": str(version)}
    data.update(kw)
    return data


def test_end_year_before_start_or_after_the_target_year_is_refused(app, client, auth, scene):
    measure_id, version = _measure(app, scene)
    auth.login_as(scene.strategy_email)
    response = client.post(f"/findings/measures/{measure_id}/edit",
                           data=sheet(scene, version, start_year="2030", end_year="2025"))
    assert response.status_code == 422
    assert "Das Endjahr darf nicht vor dem Startjahr liegen." in text_of(response)
    response = client.post(f"/findings/measures/{measure_id}/edit", data=sheet(scene, version, end_year="2041"))
    assert response.status_code == 422
    assert "2040" in text_of(response)
    with app.app_context():
        measure = db.session.get(Measure, measure_id)
        assert measure.end_year is None and measure.lead_unit == ""


def test_a_kpi_target_without_unit_is_refused(app, client, auth, scene):
    measure_id, _ = _measure(app, scene)
    auth.login_as(scene.strategy_email)
    response = client.post(f"/findings/measures/{measure_id}/kpis",
                           data={"indicator": "Parksuchzeit", "unit": "", "target_value": "5", "target_year": "2026"},
                           follow_redirects=True)
    assert "Einheit" in text_of(response)
    assert _count(app, MeasureKPI) == 0
    client.post(f"/findings/measures/{measure_id}/kpis",
                data={"indicator": "Parksuchzeit", "unit": "Minuten", "baseline": "11", "target_value": "5",
                      "target_year": "2026"})
    page = text_of(client.get(f"/findings/measures/{measure_id}"))
    assert "Parksuchzeit" in page and "Minuten" in page


def test_a_stale_save_is_refused_and_shows_both_versions(app, client, auth, scene):
    measure_id, version = _measure(app, scene)
    auth.login_as(scene.strategy_email)
    assert client.post(f"/findings/measures/{measure_id}/edit",
                       data=sheet(scene, version, lead_unit="Stadtwerke")).status_code == 302
    response = client.post(f"/findings/measures/{measure_id}/edit",
                           data=sheet(scene, version, lead_unit="Mein Amt"))
    assert response.status_code == 409
    text = text_of(response)
    assert "Jemand anderes hat" in text
    assert "Stadtwerke" in text  # the other person's version
    assert 'value="Mein Amt"' in response.get_data(as_text=True)  # what I typed is kept
    with app.app_context():
        assert db.session.get(Measure, measure_id).lead_unit == "Stadtwerke"


# --- attacks -----------------------------------------------------------------------------------------------


def test_an_expert_outside_the_workshop_gets_403(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    assert client.get(capture_url(scene, scene.other_workshop_id)).status_code == 403
    response = client.post(capture_url(scene, scene.other_workshop_id),
                           data=need_form(scene, block=str(scene.other_block_id)))
    assert response.status_code == 403
    assert client.get(f"/findings/workshops/{scene.other_workshop_id}/documentation").status_code == 403
    assert _count(app) == 0


def test_a_block_of_another_workshop_in_the_form_is_rejected(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene, block=str(scene.other_block_id)))
    assert response.status_code == 422
    assert _count(app) == 0


def test_a_workshop_id_of_another_workshop_in_the_form_is_rejected(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene, workshop_id=str(scene.other_workshop_id)))
    assert response.status_code == 400
    assert _count(app) == 0


def test_a_field_outside_the_workshop_is_rejected(app, client, auth, scene):
    with app.app_context():
        field_id = factories.field().id
        db.session.commit()
    auth.login_as(scene.expert_email)
    response = client.post(capture_url(scene), data=need_form(scene, field=str(field_id)))
    assert response.status_code == 422
    assert _count(app) == 0


def test_an_expert_cannot_edit_or_delete_another_experts_finding(app, client, auth, scene):
    auth.login_as(scene.colleague_email)
    client.post(capture_url(scene), data=need_form(scene, text="Von Kai"))
    auth.logout()
    with app.app_context():
        finding = db.session.scalars(select(Finding)).one()
        finding_id, version = finding.id, finding.version
    auth.login_as(scene.expert_email)
    assert client.get(f"/findings/{finding_id}/edit").status_code == 403
    assert client.post(f"/findings/{finding_id}/edit", data={"text": "gehackt", "version": version}).status_code == 403
    assert client.post(f"/findings/{finding_id}/delete").status_code == 403
    assert client.post(f"/findings/{finding_id}/moderate", data={"reason": "x"}).status_code == 403
    with app.app_context():
        assert db.session.get(Finding, finding_id).text == "Von Kai"


def test_an_expert_edits_her_own_finding(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    client.post(capture_url(scene), data=need_form(scene))
    with app.app_context():
        finding = db.session.scalars(select(Finding)).one()
        finding_id, version = finding.id, finding.version
    response = client.post(f"/findings/{finding_id}/edit", data={"text": "Neu formuliert", "version": version})
    assert response.status_code == 302
    stale = client.post(f"/findings/{finding_id}/edit", data={"text": "Alt", "version": version})
    assert stale.status_code == 409 and "Neu formuliert" in text_of(stale)


def test_swot_findings_of_another_workshop_stay_hidden_from_outsiders(app, client, auth, scene):
    with app.app_context():
        finding = factories.finding(workshop=db.session.get(Workshop, scene.other_workshop_id),
                                    kind=FindingKind.WEAKNESS, text="Intern")
        db.session.commit()
        finding_id = finding.id
    auth.login_as(scene.expert_email)
    assert client.get(f"/findings/{finding_id}").status_code == 403


def test_facilitators_hide_findings_with_a_reason(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    client.post(capture_url(scene), data=need_form(scene, text="Werbung für Firma X"))
    auth.logout()
    with app.app_context():
        finding_id = db.session.scalar(select(Finding.id))
    auth.login_as(scene.facilitator_email)
    client.post(f"/findings/{finding_id}/moderate", data={"reason": "Werbung"})
    auth.logout()
    auth.login_as(scene.colleague_email)
    assert "Werbung für Firma X" not in text_of(client.get(capture_url(scene)))


# --- evaluation, merge, trace ------------------------------------------------------------------------------


def test_the_proposer_sees_the_official_answer(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    client.post(capture_url(scene), data={"block": str(scene.measures_block_id), "field": str(scene.field_id),
                                          "kind": "measure", "title": "Smart Parking", "text": "Sensoren"})
    auth.logout()
    with app.app_context():
        measure_id = db.session.scalar(select(Measure.id))
    auth.login_as(scene.strategy_email)
    client.post(f"/findings/measures/{measure_id}/evaluate", data={"status": "under_evaluation", "answer": ""})
    client.post(f"/findings/measures/{measure_id}/evaluate",
                data={"status": "accepted", "answer": "Wird 2024 in zwei Stadtteilen umgesetzt."})
    auth.logout()
    auth.login_as(scene.expert_email)
    page = text_of(client.get(f"/findings/measures/{measure_id}"))
    assert "Wird 2024 in zwei Stadtteilen umgesetzt." in page and "Angenommen" in page


def test_merge_shows_the_trail_on_both_pages(app, client, auth, scene):
    kept_id, _ = _measure(app, scene, title="Smart Parking")
    dup_id, _ = _measure(app, scene, title="Parkleitsystem")
    auth.login_as(scene.strategy_email)
    response = client.post(f"/findings/measures/{dup_id}/merge", data={"kept": str(kept_id)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/measures/{kept_id}")
    kept_page = text_of(client.get(f"/findings/measures/{kept_id}"))
    dup_page = text_of(client.get(f"/findings/measures/{dup_id}"))
    assert "Zusammengeführt aus" in kept_page and "MOB-M02 Parkleitsystem" in kept_page
    assert "Zusammengeführt in" in dup_page and "MOB-M01 Smart Parking" in dup_page
    history = text_of(client.get(f"/findings/measures/{kept_id}/history"))
    assert "MOB-M02 → MOB-M01" in history
    with app.app_context():
        assert db.session.get(Measure, dup_id).status == MeasureStatus.MERGED


def test_gaps_page_links_to_the_full_filtered_lists(app, client, auth, scene, monkeypatch):
    from planner.findings import services

    monkeypatch.setattr(services, "GAP_LIST_LIMIT", 1)
    for title in ("Ohne Kennzahl A", "Ohne Kennzahl B", "Ohne Kennzahl C"):
        _measure(app, scene, title=title)
    auth.login_as(scene.strategy_email)
    html = client.get("/findings/gaps").get_data(as_text=True)
    assert "Alle anzeigen (2 weitere)" in html
    assert f"/findings/measures?field={scene.field_id}&amp;gap=no_kpi" in html
    listed = text_of(client.get(f"/findings/measures?field={scene.field_id}&gap=no_kpi"))
    assert all(t in listed for t in ("Ohne Kennzahl A", "Ohne Kennzahl B", "Ohne Kennzahl C"))
    assert client.get("/findings/measures?gap=%3Cscript%3E").status_code == 200


def test_many_needs_are_linked_by_number(app, client, auth, scene, monkeypatch):
    """Above the need limit the measure form takes the needs' numbers; unknown numbers change nothing."""
    from planner.findings import services

    monkeypatch.setattr(services, "NEED_CHOICE_LIMIT", 1)
    with app.app_context():
        first = factories.finding(field_id=scene.field_id, kind=FindingKind.NEED, text="Parksuchverkehr")
        second = factories.finding(field_id=scene.field_id, kind=FindingKind.NEED, text="Ladesäulen fehlen")
        db.session.commit()
        first_id, first_number, second_number = first.id, first.number, second.number
    measure_id, version = _measure(app, scene, needs=[])
    auth.login_as(scene.strategy_email)
    html = client.get(f"/findings/measures/{measure_id}/edit").get_data(as_text=True)
    assert 'type="checkbox"' not in html and 'name="needs"' in html and "z. B. MOB-B03" in html

    response = client.post(f"/findings/measures/{measure_id}/edit",
                           data=sheet(scene, version, needs=f"{first_number}, MOB-B999"))
    assert response.status_code == 422
    assert "Es gibt keinen Handlungsbedarf mit der Nummer MOB-B999." in text_of(response)
    assert f'value="{first_number}, MOB-B999"' in response.get_data(as_text=True), "what was typed stays"
    with app.app_context():
        assert db.session.get(Measure, measure_id).needs == []

    response = client.post(f"/findings/measures/{measure_id}/edit",
                           data=sheet(scene, version, needs=f"{first_number.lower()} {second_number};{first_number}"))
    assert response.status_code == 302
    with app.app_context():
        assert sorted(n.number for n in db.session.get(Measure, measure_id).needs) == sorted(
            [first_number, second_number])
        version = db.session.get(Measure, measure_id).version
    html = client.get(f"/findings/measures/{measure_id}/edit").get_data(as_text=True)
    assert first_number in html.split('name="needs"')[1].split(">")[0], "the linked needs are shown by number"

    response = client.post("/findings/measures/new", data={"field": str(scene.field_id), "title": "Neu",
                                                          "needs": first_number})
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(Measure).where(Measure.title == "Neu"))
        assert [n.id for n in created.needs] == [first_id]


def test_many_measures_are_picked_by_number(app, client, auth, scene, monkeypatch):
    """Above the choice limit the detail page asks for a number instead of listing every measure."""
    from planner.findings import services

    monkeypatch.setattr(services, "MEASURE_CHOICE_LIMIT", 1)
    kept_id, _ = _measure(app, scene, title="Smart Parking")
    dup_id, _ = _measure(app, scene, title="Parkleitsystem")
    third_id, _ = _measure(app, scene, title="Ladesäulen")
    auth.login_as(scene.strategy_email)
    html = client.get(f"/findings/measures/{dup_id}").get_data(as_text=True)
    assert 'id="kept"' in html and "<option" not in html.split('id="kept"')[1].split("</form>")[0]
    assert "Smart Parking</option>" not in html, "no list of every measure"
    assert "z. B. MOB-M02" in html

    # An unknown number is a clear message and changes nothing.
    response = client.post(f"/findings/measures/{dup_id}/dependencies", data={"depends_on": "MOB-M99"},
                           follow_redirects=True)
    assert "Bitte wählen Sie eine Maßnahme oder geben Sie die Nummer einer vorhandenen ein." in text_of(response)
    response = client.post(f"/findings/measures/{dup_id}/dependencies", data={"depends_on": " mob-m03 "})
    assert response.status_code == 302
    response = client.post(f"/findings/measures/{dup_id}/merge", data={"kept": "XYZ"}, follow_redirects=True)
    assert "geben Sie die Nummer einer vorhandenen ein" in text_of(response)
    with app.app_context():
        dup = db.session.get(Measure, dup_id)
        assert [m.id for m in dup.dependencies] == [third_id]
        assert dup.status != MeasureStatus.MERGED
    response = client.post(f"/findings/measures/{dup_id}/merge", data={"kept": "MOB-M01"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/measures/{kept_id}")
    with app.app_context():
        assert db.session.get(Measure, dup_id).merged_into_id == kept_id


def test_lists_filter_sort_and_stay_free_of_n_plus_1(app, client, auth, scene):
    with app.app_context():
        need = factories.finding(field_id=scene.field_id, kind=FindingKind.NEED, text="Parksuchverkehr")
        for i in range(30):
            factories.measure(field_id=scene.field_id, title=f"Maßnahme {i:02d}", needs=[need])
        db.session.commit()
    auth.login_as(scene.strategy_email)
    statements = []

    def count(*args):
        statements.append(args[2])

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get("/findings/measures?sort=title&order=desc")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert len(statements) < 15, statements
    text = text_of(response)
    assert text.index("Maßnahme 29") < text.index("Maßnahme 00")
    assert "MOB-B01" in text_of(client.get("/findings/needs?q=parksuch"))
    assert "Parksuchverkehr" not in text_of(client.get("/findings/needs?without_measure=y"))


def test_documentation_page_is_printable(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    client.post(capture_url(scene), data=need_form(scene))
    page = client.get(f"/findings/workshops/{scene.workshop_id}/documentation")
    assert page.status_code == 200
    assert "css/findings.css" in page.get_data(as_text=True)
    assert "MOB-B01" in text_of(page) and "Erika Expertin" in text_of(page)


def test_history_page_lists_before_and_after(app, client, auth, scene):
    measure_id, version = _measure(app, scene)
    auth.login_as(scene.strategy_email)
    client.post(f"/findings/measures/{measure_id}/edit", data=sheet(scene, version, lead_unit="Stadtwerke"))
    text = text_of(client.get(f"/findings/measures/{measure_id}/history"))
    with app.app_context():
        name = db.session.get(User, scene.strategy_id).display_name
    # The column as the form labels it, the value, the person who changed it; never the column's name.
    assert "Federführung: – → Stadtwerke" in text and name in text and "lead_unit" not in text


def test_workshop_page_offers_capture_and_documentation(app, client, auth, scene):
    auth.login_as(scene.expert_email)
    html = client.get(f"/workshops/{scene.workshop_id}").get_data(as_text=True)
    assert f"/findings/workshops/{scene.workshop_id}/capture" in html
    assert f"/findings/workshops/{scene.workshop_id}/documentation" in html
