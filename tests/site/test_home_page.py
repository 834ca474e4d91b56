"""The public home page: drafts and cancelled workshops never appear, and only held workshops count as held."""

from datetime import timedelta

from planner.core.models import utcnow
from planner.extensions import db
from planner.workshops.models import WorkshopStatus
from tests import factories
from tests.conftest import text_of


def test_home_page_shows_no_draft_nor_cancelled_workshop_and_counts_only_held_ones(app, client):
    with app.app_context():
        series = factories.series(title="Strategie-Workshops 2030")
        soon = utcnow() + timedelta(days=20)
        for title, status in (("Entwurf Smart Health", WorkshopStatus.DRAFT),
                              ("Abgesagt Smarte Umwelt", WorkshopStatus.CANCELLED),
                              ("Geplant Smarte Mobilität", WorkshopStatus.SCHEDULED)):
            factories.workshop(series_id=series.id, title=title, status=status, starts_at=soon,
                               ends_at=soon + timedelta(hours=7))
        past = utcnow() - timedelta(days=30)
        for title, status in (("Durchgeführt Bildung", WorkshopStatus.HELD),
                              ("Dokumentiert Energie", WorkshopStatus.DOCUMENTED)):
            factories.workshop(series_id=series.id, title=title, status=status, starts_at=past,
                               ends_at=past + timedelta(hours=7))
        db.session.commit()
    page = text_of(client.get("/"))
    assert "Geplant Smarte Mobilität" in page and "Durchgeführt Bildung" in page and "Dokumentiert Energie" in page
    assert "Entwurf Smart Health" not in page and "Abgesagt Smarte Umwelt" not in page
    assert "Durchgeführte Workshops 2 " in page


def test_the_public_registration_page_of_a_draft_dialogue_does_not_exist(app, client):
    from planner.workshops.models import WorkshopKind

    with app.app_context():
        draft = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, status=WorkshopStatus.DRAFT,
                                   title="Bürgerdialog im Entwurf")
        db.session.commit()
        wid = draft.id
    response = client.get(f"/workshops/{wid}/register")
    assert response.status_code == 404 and "Bürgerdialog im Entwurf" not in text_of(response)
