"""Public consultation of a frozen version: opening it, comments from the public with double opt-in, moderation,
public answers, read-only after the end, and the comments in the next version's paper and change log."""

import dataclasses
import re
from datetime import date, timedelta

import pytest

from planner.core.errors import InvalidTransition, NotAllowed
from planner.core.permissions import Role
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.strategy import changelog, consultation, versions
from planner.strategy.consultation_models import CommentStatus, Consultation, ConsultationComment
from planner.strategy.outline import build_outline
from tests import factories
from tests.conftest import text_of
from tests.strategy import helpers


def _open(version=None, **kw) -> Consultation:
    version = version or helpers.version()
    today = local_today()
    return consultation.save_consultation(version, None, starts_on=kw.get("starts_on", today - timedelta(days=1)),
                                          ends_on=kw.get("ends_on", today + timedelta(days=14)))


def _link(mail) -> str:
    body = mail.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/strategy/consultations/confirm/\S+)", body).group(1)


def test_period_is_checked(ctx):
    version = helpers.version()
    today = local_today()
    with pytest.raises(consultation.ConsultationInvalid):
        consultation.save_consultation(version, None, starts_on=today, ends_on=today - timedelta(days=1))
    with pytest.raises(consultation.ConsultationInvalid):
        consultation.save_consultation(version, None, starts_on=today - timedelta(days=9),
                                       ends_on=today - timedelta(days=2))
    c = _open(version)
    assert c.is_open(today) and c.state(c.ends_on + timedelta(days=1)) == "ended"
    assert c.state(c.starts_on - timedelta(days=1)) == "scheduled"


def test_comment_needs_a_confirmed_address_and_moderation(ctx, outbox):
    c = _open()
    db.session.commit()
    comment = consultation.submit_comment(c, 2, text="Bitte mehr Radwege.", email="Buerger@Example.org",
                                          display_name="Erika")
    db.session.commit()
    assert comment.status == CommentStatus.UNCONFIRMED and comment.email == "buerger@example.org"
    assert consultation.published_comments(c) == {}
    [mail] = outbox()
    assert mail["To"] == "buerger@example.org" and "Bitte mehr Radwege." in mail.get_body(("plain",)).get_content()
    token = _link(mail).rsplit("/", 1)[1]
    consultation.confirm_comment(token)
    assert comment.status == CommentStatus.PENDING
    with pytest.raises(consultation.CommentLinkInvalid):
        consultation.read_comment_link(token)  # used once
    staff = factories.user(role=Role.STRATEGY_TEAM)
    with pytest.raises(consultation.ConsultationInvalid):
        consultation.hide_comment(comment, staff, "  ")
    consultation.answer_comment(comment, staff, "Danke, das nehmen wir auf.")
    assert comment.status == CommentStatus.PUBLISHED and comment.answered_by_id == staff.id
    db.session.commit()
    answered = outbox()[-1]
    assert answered["To"] == "buerger@example.org" and "beantwortet" in answered["Subject"]
    assert f"/strategy/consultations/{c.id}#p-2" in answered.get_body(("plain",)).get_content()
    consultation.answer_comment(comment, staff, "Danke, das nehmen wir auf – ergänzt.")
    db.session.commit()
    assert len(outbox()) == 2  # one mail for the first answer only
    assert consultation.published_comments(c) == {2: [comment]}
    consultation.hide_comment(comment, staff, "Beleidigend")
    assert consultation.published_comments(c) == {}
    with pytest.raises(NotAllowed):
        consultation.answer_comment(comment, staff, "Noch einmal")


def test_bad_comments_are_refused_with_every_problem(ctx):
    c = _open()
    with pytest.raises(consultation.ConsultationInvalid) as error:
        consultation.submit_comment(c, 9999, text="", email="keine-adresse", display_name="x" * 101)
    fields = [f for f, _m in error.value.problems]
    assert fields == ["text", "email", "display_name", None]
    assert db.session.query(ConsultationComment).count() == 0


def test_consultation_is_read_only_outside_its_period(ctx):
    c = _open()
    after = c.ends_on + timedelta(days=1)
    with pytest.raises(NotAllowed):
        consultation.submit_comment(c, 1, text="Zu spät", email="a@example.org", today=after)
    comment = consultation.submit_comment(c, 1, text="Rechtzeitig", email="a@example.org")
    with pytest.raises(InvalidTransition):
        comment.publish(None)  # not confirmed yet


def test_unconfirmed_comments_expire(ctx, app):
    c = _open()
    old = consultation.submit_comment(c, 1, text="Alt", email="a@example.org")
    old.created_at = old.created_at - timedelta(hours=49)
    db.session.flush()
    consultation.submit_comment(c, 1, text="Neu", email="b@example.org")
    assert [x.text for x in db.session.query(ConsultationComment)] == ["Neu"]


def test_answered_comments_reach_the_next_version(ctx):
    """The participation report of the next version and its change log carry the answered comments."""
    version = helpers.version()
    c = _open(version)
    comment = consultation.submit_comment(c, 3, text="Mehr Bäume im Quartier!", email="a@example.org")
    comment.confirm()
    consultation.answer_comment(comment, None, "Ist in Maßnahme UMW-M01 aufgenommen.")
    report = consultation.participation_facts()
    assert report.consultations[0].received == 1 and report.consultations[0].answered == 1
    assert report.comments[0].text == "Mehr Bäume im Quartier!"

    old = versions.version_rollup(version)
    new = dataclasses.replace(old, version=version.number + 1, participation=report)
    stored = versions.rollup_from_json(versions.rollup_to_json(new))
    assert stored.participation == report  # round trip through the stored form
    changes = changelog.compare(old, new)
    assert [x.text for x in changes.consultation] == ["Mehr Bäume im Quartier!"]
    text = " ".join(str(getattr(b, "text", "")) + " ".join(getattr(b, "items", ()))
                    for b in changelog.build_changelog(changes, old, new, "de").blocks)
    assert "Öffentliche Konsultation" in text and "Ist in Maßnahme UMW-M01 aufgenommen." in text

    outline = build_outline(new, "de", "long")
    tables = [b for b in outline.blocks if getattr(b, "caption", "") == "Kommentare aus der Öffentlichkeit und "
              "die Antworten"]
    assert tables and tables[0].rows[0][1:] == ("Mehr Bäume im Quartier!", "Ist in Maßnahme UMW-M01 aufgenommen.")
    assert any("Eingegangene Kommentare: 1; veröffentlicht: 1; beantwortet: 1." in getattr(b, "text", "")
               for b in outline.blocks)


def test_old_versions_without_participation_still_open(ctx):
    version = helpers.version()
    assert versions.version_rollup(version).participation is None


# --- pages ----------------------------------------------------------------------------------------------------

@pytest.fixture
def opened(app):
    with app.app_context():
        c = _open()
        db.session.commit()
        return c.id, c.version.number


def test_staff_opens_a_consultation(app, client, auth):
    with app.app_context():
        number = helpers.version().number
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    assert "Öffentliche Konsultation" in text_of(client.get(f"/strategy/versions/{number}/consultation"))
    bad = client.post(f"/strategy/versions/{number}/consultation",
                      data={"starts_on": "2030-05-10", "ends_on": "2030-05-01"})
    assert bad.status_code == 400 and "nicht vor dem ersten Tag" in text_of(bad)
    start, end = local_today(), local_today() + timedelta(days=30)
    response = client.post(f"/strategy/versions/{number}/consultation",
                           data={"starts_on": start.isoformat(), "ends_on": end.isoformat(), "intro": "Ihre Meinung!"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(Consultation).one().ends_on == end


def test_public_comment_journey_through_the_pages(app, client, auth, outbox, opened):
    consultation_id, _number = opened
    page = text_of(client.get(f"/strategy/consultations/{consultation_id}"))
    assert "Absatz 1" in page and "Kommentar zu Absatz 2" in page
    refused = client.post(f"/strategy/consultations/{consultation_id}/paragraphs/2/comment",
                          data={"text": "Gut so", "email": "nicht gültig"})
    assert refused.status_code == 400 and "gültige E-Mail-Adresse" in text_of(refused)
    sent = client.post(f"/strategy/consultations/{consultation_id}/paragraphs/2/comment",
                       data={"text": "Mehr Sitzbänke bitte.", "email": "b@example.org", "display_name": "Ben",
                             "consent": "y"})
    assert sent.status_code == 302
    assert "Mehr Sitzbänke" not in text_of(client.get(f"/strategy/consultations/{consultation_id}"))
    link = _link(outbox()[-1])
    assert "Mehr Sitzbänke bitte." in text_of(client.get(link))  # opening the link changes nothing
    with app.app_context():
        assert db.session.query(ConsultationComment).one().status == CommentStatus.UNCONFIRMED
    assert client.post(link).status_code == 302
    assert client.get(link).status_code == 400  # used
    # the same browser session: a second comment needs no second mail
    mails = len(outbox())
    client.post(f"/strategy/consultations/{consultation_id}/paragraphs/3/comment",
                data={"text": "Und Trinkbrunnen.", "email": "b@example.org", "consent": "y"})
    assert len(outbox()) == mails

    auth.login(Role.STRATEGY_TEAM)
    queue = text_of(client.get(f"/strategy/consultations/{consultation_id}/comments?status=pending"))
    assert "Mehr Sitzbänke bitte." in queue and "Und Trinkbrunnen." in queue and "b@example.org" not in queue
    with app.app_context():
        first, second = db.session.query(ConsultationComment).order_by(ConsultationComment.id).all()
        first_id, second_id = first.id, second.id
    assert client.post(f"/strategy/consultation-comments/{first_id}/answer",
                       data={f"c{first_id}-answer": "Danke, wir prüfen Standorte."}).status_code == 302
    assert client.post(f"/strategy/consultation-comments/{second_id}/hide",
                       data={f"c{second_id}-reason": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(ConsultationComment, second_id).status == CommentStatus.PENDING
    client.post(f"/strategy/consultation-comments/{second_id}/hide", data={f"c{second_id}-reason": "Doppelt"})
    auth.logout()

    public = text_of(client.get(f"/strategy/consultations/{consultation_id}"))
    assert "Ben : Mehr Sitzbänke bitte." in public or "Ben: Mehr Sitzbänke bitte." in public
    assert "Danke, wir prüfen Standorte." in public and "Und Trinkbrunnen." not in public
    assert "b@example.org" not in public


def test_ended_consultation_is_read_only(app, client, opened):
    consultation_id, _number = opened
    with app.app_context():
        c = db.session.get(Consultation, consultation_id)
        c.starts_on, c.ends_on = date(2020, 1, 1), date(2020, 2, 1)
        db.session.commit()
    page = text_of(client.get(f"/strategy/consultations/{consultation_id}"))
    assert "endete am" in page and "Kommentar zu Absatz" not in page
    response = client.post(f"/strategy/consultations/{consultation_id}/paragraphs/1/comment",
                           data={"text": "Spät", "email": "c@example.org", "consent": "y"})
    assert response.status_code == 200 and "beendet" in text_of(response)
    with app.app_context():
        assert db.session.query(ConsultationComment).count() == 0


def test_scheduled_consultation_is_not_public_yet(app, client):
    with app.app_context():
        c = _open(starts_on=local_today() + timedelta(days=3), ends_on=local_today() + timedelta(days=9))
        db.session.commit()
        consultation_id = c.id
    assert client.get(f"/strategy/consultations/{consultation_id}").status_code == 404


def test_commenters_are_in_the_privacy_export_and_erasure(ctx):
    """Art. 15/17: a person's comments are found by the address; the erasure removes the address and the name of a
    published comment (it stays with its answer) and deletes a comment nobody has seen."""
    from planner.privacy.services import erase_person, export_person

    c = _open()
    comment = consultation.submit_comment(c, 1, text="Mein Vorschlag.", email="erika.muster@example.org",
                                          display_name="Erika Muster")
    comment.confirm()
    comment.publish(None)
    waiting = consultation.submit_comment(c, 2, text="Noch einer.", email="erika.muster@example.org")
    waiting.confirm()
    person = factories.person(first_name="Erika", last_name="Muster", email="erika.muster@example.org")
    db.session.flush()
    waiting_id = waiting.id
    exported = str(export_person(None, person))
    assert "consultation_comments" in exported and "Mein Vorschlag." in exported
    erase_person(None, person)
    db.session.flush()
    db.session.refresh(comment)
    assert comment.email == "" and "Erika Muster" not in comment.display_name and comment.text == "Mein Vorschlag."
    assert db.session.get(ConsultationComment, waiting_id) is None


def test_retention_removes_commenters_addresses_and_names(ctx, tmp_path):
    from planner.privacy.retention import apply_retention

    c = _open()
    comment = consultation.submit_comment(c, 1, text="Bleibt anonym.", email="a@example.org", display_name="Anna")
    comment.confirm()
    db.session.flush()
    apply_retention(None, today=c.ends_on + timedelta(days=30), instance_path=tmp_path)
    assert (comment.email, comment.display_name) == ("a@example.org", "Anna")  # within the period
    apply_retention(None, today=c.ends_on + timedelta(days=731), instance_path=tmp_path)
    db.session.refresh(comment)
    assert (comment.email, comment.display_name, comment.text) == ("", "", "Bleibt anonym.")


def test_answered_comments_flow_into_the_next_frozen_version(ctx):
    """Freeze, consult, answer, freeze again: the change log between the two versions lists the comment and its
    answer, and the new version's paper reports the consultation."""
    from planner.findings.models import MeasureStatus
    from planner.strategy import services

    factories.process()
    field = factories.field(code="MOB", name_de="Smarte Mobilität")
    factories.measure(field=field, title="Smart Parking", status=MeasureStatus.ACCEPTED, lead_unit="Amt 66")
    services.save_section("communication", None, title="Kommunikation", body="Wir beteiligen.", version=0)
    staff = factories.user(role=Role.STRATEGY_TEAM)
    first = versions.freeze_version(staff)
    c = _open(first)
    comment = consultation.submit_comment(c, 1, text="Mehr Ladesäulen!", email="a@example.org",
                                          confirmed_email="a@example.org")
    consultation.answer_comment(comment, staff, "Kommt in Maßnahme MOB-M01.")
    second = versions.freeze_version(staff)
    changes, old, new = changelog.compare_versions(first.number, second.number)
    assert [(x.text, x.answer) for x in changes.consultation] == [("Mehr Ladesäulen!", "Kommt in Maßnahme MOB-M01.")]
    assert new.participation.consultations[0].version == first.number
    blocks = build_outline(new, "de", "long").blocks
    assert any(getattr(b, "text", "") == "Öffentliche Konsultation" for b in blocks)


def test_each_paragraph_of_a_section_is_commented_on_its_own(ctx):
    from tests.strategy.rollups import rollup

    sections = tuple(dataclasses.replace(s, body="Erster Absatz.\n\nZweiter Absatz.\n\n- Punkt eins\n- Punkt zwei")
                     if s.key == "foreword" else s for s in rollup().sections)
    version = helpers.version(sections=sections)
    parts = consultation.passages(version)
    texts = [p.excerpt for p in parts[:4]]
    assert texts[0].endswith("Erster Absatz.") and texts[0].startswith("Vorwort")  # the heading joins its text
    assert texts[1] == "Zweiter Absatz." and texts[2] == "- Punkt eins\n- Punkt zwei"
    assert [p.number for p in parts] == list(range(1, len(parts) + 1))
    assert consultation.passage(version, len(parts) + 1) is None


def test_commenting_is_rate_limited(tmp_path):
    from tests.conftest import make_test_app

    limited = make_test_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                            REGISTRATION_LIMIT_PER_ADDRESS="2 per hour")
    with limited.app_context():
        db.create_all()
        consultation_id = _open().id
        db.session.commit()
    client = limited.test_client()
    url = f"/strategy/consultations/{consultation_id}/paragraphs/1/comment"
    statuses = [client.post(url, data={"text": f"Kommentar {i}", "email": f"p{i}@example.org", "consent": "y"})
                .status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    with limited.app_context():
        assert db.session.query(ConsultationComment).count() == 2
