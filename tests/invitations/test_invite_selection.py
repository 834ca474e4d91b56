"""The invite page's selection survives paging and filtering (kept on the server, no JavaScript needed): ticks on
page 1 are still there on page 2 and after a new filter, "N selected" counts them all, the facilitator reviews,
removes one or clears them before the confirmation step, and sending empties the selection."""

import re

from planner.extensions import db
from planner.invitations import selection
from planner.people.models import Sector
from tests import factories
from tests.conftest import text_of


def _roster(app, n=60):
    """n people (two pages of 50), named so their order is known: the first ten in science, the rest in business."""
    with app.app_context():
        uni = factories.organisation(name="Universität", sector=Sector.SCIENCE)
        firm = factories.organisation(name="Firma", sector=Sector.BUSINESS)
        people = [factories.person(first_name="Eva", last_name=f"Person {i:03d}",
                                   organisation=uni if i < 10 else firm) for i in range(n)]
        workshop = factories.workshop(title="Auswahl über Seiten")
        db.session.commit()
        return workshop.id, [p.id for p in people]


def _shown(html: str) -> list[str]:
    return re.findall(r'name="shown_id" value="(\d+)"', html)


def _checked(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'name="person_id" value="(\d+)"[^>]*\bchecked\b', html)}


def test_ticks_survive_paging_and_filtering_and_are_sent_together(app, client, auth, smtp):
    wid, ids = _roster(app)
    auth.login("facilitator")
    url = f"/invitations/workshop/{wid}/invite"
    first = client.get(url).get_data(as_text=True)
    assert len(_shown(first)) == 50 and "Niemand ausgewählt" in text_of(client.get(url))
    # Page 1: tick two, go to page 2 (the page button posts the ticks).
    response = client.post(url, data={"mode": "selection", "page": "1", "shown_id": _shown(first),
                                      "person_id": [ids[0], ids[11]], "goto": "2"})
    assert response.status_code == 302 and "page=2" in response.headers["Location"]
    second = client.get(response.headers["Location"])
    html = second.get_data(as_text=True)
    assert "2 Personen ausgewählt" in text_of(second) and "Wissenschaft 1" in text_of(second)
    assert set(_shown(html)) == {str(i) for i in ids[50:]}
    # Page 2: tick one more and go back: page 1 still shows its two ticks.
    response = client.post(url, data={"mode": "selection", "page": "2", "shown_id": _shown(html),
                                      "person_id": [ids[55]], "goto": "1"})
    back = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _checked(back) == {ids[0], ids[11]}
    assert "3 Personen ausgewählt" in text_of(client.get(response.headers["Location"]))
    # A new filter (science only) keeps the selection made elsewhere.
    response = client.post(url, data={"mode": "selection", "page": "1", "shown_id": _shown(back),
                                      "person_id": [ids[0], ids[11], ids[1]], "apply_filter": "1",
                                      "filter-sector": "science"})
    assert response.status_code == 302 and "sector=science" in response.headers["Location"]
    filtered = client.get(response.headers["Location"])
    html = filtered.get_data(as_text=True)
    assert len(_shown(html)) == 10 and _checked(html) == {ids[0], ids[1]}
    assert "4 Personen ausgewählt" in text_of(filtered)
    # Unticking a shown person takes them out; the others stay.
    response = client.post(url, data={"mode": "selection", "page": "1", "sector": "science",
                                      "shown_id": _shown(html), "person_id": [ids[0]], "goto": "1"})
    assert "sector=science" in response.headers["Location"]
    with client.session_transaction() as session:
        assert sorted(session[selection.SESSION_KEY][str(wid)]) == sorted([ids[0], ids[11], ids[55]])
    # Continue: the confirmation step counts the whole selection, not just this page.
    step = client.post(url, data={"mode": "selection", "sector": "science", "shown_id": _shown(html),
                                  "person_id": [ids[0]]})
    assert step.status_code == 200 and "3 Personen werden per E-Mail eingeladen" in text_of(step)
    assert smtp.messages == []
    hidden = re.findall(r'name="person_id" value="(\d+)"', step.get_data(as_text=True))
    sent = client.post(url, data={"confirmed": "1", "mode": "selection", "person_id": hidden})
    assert sent.status_code == 302 and len(smtp.messages) == 3
    # Sent: the selection is empty again.
    assert "Niemand ausgewählt" in text_of(client.get(url))


def test_the_facilitator_reviews_removes_and_clears_the_selection(app, client, auth):
    wid, ids = _roster(app)
    auth.login("facilitator")
    url = f"/invitations/workshop/{wid}/invite"
    first = client.get(url).get_data(as_text=True)
    client.post(url, data={"mode": "selection", "page": "1", "shown_id": _shown(first),
                           "person_id": [ids[2], ids[3], ids[20]], "goto": "2"})
    page = client.get(url + "?page=2")
    text = text_of(page)
    assert "Auswahl prüfen (3 Personen)" in text
    assert "Person 002, Eva (Universität)" in text and "Person 020, Eva (Firma)" in text
    assert 'aria-label="Eva Person 003 aus der Auswahl entfernen"' in page.get_data(as_text=True)
    response = client.post(url, data={"mode": "selection", "page": "2", "shown_id": _shown(page.get_data(
        as_text=True)), "remove": str(ids[3])})
    assert response.status_code == 302 and "page=2" in response.headers["Location"]
    text = text_of(client.get(response.headers["Location"]))
    assert "2 Personen ausgewählt" in text and "Person 003, Eva (Universität)" not in text
    response = client.post(url, data={"mode": "selection", "page": "2", "clear": "1"}, follow_redirects=True)
    assert "Die Auswahl wurde geleert." in text_of(response) and "Niemand ausgewählt" in text_of(response)
    # English.
    client.post("/language", data={"lang": "en"})
    client.post(url, data={"mode": "selection", "page": "1", "shown_id": _shown(first), "person_id": [ids[2]],
                           "goto": "1"})
    text = text_of(client.get(url))
    assert "1 person ticked" in text and "Review the selection (1 person)" in text
    assert "Your ticks are kept when you change the page or the filter" in text


def test_too_many_ticks_are_refused_with_a_message_and_the_selection_stays(app, client, auth, monkeypatch):
    wid, ids = _roster(app, n=8)
    monkeypatch.setattr(selection, "MAX_SELECTION", 5)
    auth.login("facilitator")
    url = f"/invitations/workshop/{wid}/invite"
    shown = _shown(client.get(url).get_data(as_text=True))
    client.post(url, data={"mode": "selection", "shown_id": shown, "person_id": ids[:2], "goto": "1"})
    response = client.post(url, data={"mode": "selection", "shown_id": shown, "person_id": ids[:7]},
                           follow_redirects=True)
    assert "Höchstens 5 Personen" in text_of(response)
    assert "2 Personen ausgewählt" in text_of(response)
