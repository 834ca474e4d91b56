from planner.extensions import db
from tests import factories
from tests.conftest import text_of


def test_field_pages_show_workshops_needs_and_measures(app, client, auth):
    with app.app_context():
        mob = factories.field(code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility",
                              description_de="Verkehr und **Parken**.")
        ws = factories.workshop(fields=[mob], title="Mobilitätsworkshop")
        need = factories.finding(workshop=ws, field=mob, text="Parksuchverkehr reduzieren")
        factories.finding(workshop=ws, field=mob, text="Ohne Maßnahme")
        factories.measure(needs=[need], title="Smart Parking")
        db.session.commit()
    auth.login("expert")
    listing = text_of(client.get("/fields/"))
    assert "MOB Smarte Mobilität" in listing and "Verkehr und Parken" in listing
    detail = client.get("/fields/mob")
    text = text_of(detail)
    assert detail.status_code == 200
    assert "Mobilitätsworkshop" in text and "Parksuchverkehr reduzieren" in text and "Smart Parking" in text
    assert "Handlungsbedarfe (2)" in text and "noch keine Maßnahme" in text
    assert client.get("/fields/XYZ").status_code == 404
