"""Erasure of a public consultation's commenters (Art. 17 GDPR): a commenter has no account and often no person
record. Their own link (in the confirmation and answer mails) erases their comments; an administrator erases what
is held under an address, or a person with that address; each is recorded in the audit log without the address.
Published comments stay anonymous with the team's answer; the others are deleted."""

import re
from datetime import timedelta

from sqlalchemy import select

from planner.core.audit import AuditEntry
from planner.core.permissions import Role
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.privacy import services
from planner.strategy import consultation
from planner.strategy.consultation_models import CommentStatus, Consultation, ConsultationComment
from tests import factories
from tests.conftest import text_of
from tests.strategy import helpers

ADDRESS = "erika.buerger@example.org"


def _open() -> Consultation:
    today = local_today()
    return consultation.save_consultation(helpers.version(), None, starts_on=today - timedelta(days=1),
                                          ends_on=today + timedelta(days=14))


def _comment(c, email=ADDRESS, status=CommentStatus.PUBLISHED, text="Bitte mehr Radwege.", name="Erika B."):
    comment = ConsultationComment(consultation=c, paragraph=2, text=text, email=email, display_name=name,
                                  status=status, answer="Danke." if status == CommentStatus.PUBLISHED else "")
    db.session.add(comment)
    db.session.flush()
    return comment


def _erase_path(mail) -> str:
    body = mail.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/strategy/consultations/erase/\S+)", body).group(1)


def _remaining() -> list[str]:
    return list(db.session.scalars(select(ConsultationComment.email).order_by(ConsultationComment.id)))


def _erasure_entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy_erasure")))


def test_the_commenter_deletes_their_comments_by_the_link_in_the_mail(app, client, outbox):
    with app.app_context():
        c = _open()
        db.session.commit()
        first = consultation.submit_comment(c, 2, text="Bitte mehr Radwege.", email="Erika.Buerger@Example.org",
                                            display_name="Erika B.")
        db.session.commit()
        _comment(c, text="Und mehr Bänke.")  # a second comment with the same address
        _comment(c, email="someone.else@example.org", text="Anderes Thema.")
        db.session.commit()
        first_id = first.id
    [mail] = outbox()
    body = mail.get_body(("plain",)).get_content()
    assert "Art. 17" in body and ADDRESS not in _erase_path(mail), "the link does not carry the address"
    path = _erase_path(mail)

    page = client.get(path)
    assert page.status_code == 200
    text = text_of(page)
    assert "Bitte mehr Radwege." in text and "Und mehr Bänke." in text and "Anderes Thema." not in text
    with app.app_context():
        assert len(_remaining()) == 3, "opening the link changes nothing"

    done = client.post(path, data={}, follow_redirects=True)
    assert "Ihre 2 Kommentare wurden gelöscht: Ihr Name und Ihre E-Mail-Adresse sind entfernt" in text_of(done)
    with app.app_context():
        assert _remaining() == ["", "someone.else@example.org"]
        assert db.session.get(ConsultationComment, first_id) is None, "not published: deleted"
        kept = db.session.scalars(select(ConsultationComment).where(ConsultationComment.email == "")).one()
        assert kept.text == "Und mehr Bänke." and kept.display_name == "" and kept.answer == "Danke."
        [entry] = _erasure_entries()
        assert entry.entity == "consultation_comments" and entry.changes == {"deleted": 1, "anonymised": 1}
        assert ADDRESS not in entry.summary

    again = client.get(path)
    assert again.status_code == 400 and "nicht (mehr) gültig" in text_of(again)
    forged = client.get(path[:-3] + "abc")
    assert forged.status_code == 400


def test_the_answer_mail_carries_the_link_too(ctx, outbox):
    c = _open()
    comment = _comment(c, status=CommentStatus.PENDING)
    consultation.answer_comment(comment, factories.user(role=Role.STRATEGY_TEAM), "Danke, wir prüfen das.")
    db.session.commit()
    [answered] = outbox()
    token = _erase_path(answered).rsplit("/", 1)[1]
    assert consultation.comment_for_erase_link(token) == comment


def test_an_administrator_erases_what_is_held_under_an_address(app, client, auth):
    with app.app_context():
        c = _open()
        _comment(c)
        _comment(c, status=CommentStatus.HIDDEN, text="Zweiter Kommentar.")
        _comment(c, email="someone.else@example.org")
        db.session.commit()
    auth.login(Role.ADMIN)
    assert "Anfrage zu einer E-Mail-Adresse" in text_of(client.get("/privacy-requests/"))
    page = client.get("/privacy-requests/address?email=Erika.Buerger@example.org")
    assert page.status_code == 200
    text = text_of(page)
    assert "Kommentare öffentlicher Konsultationen" in text and "2" in text

    refused = client.post("/privacy-requests/address", data={"email": ADDRESS})
    assert refused.status_code == 400 and "Bitte bestätigen Sie die Löschung" in text_of(refused)
    with app.app_context():
        assert len(_remaining()) == 3

    done = client.post("/privacy-requests/address", data={"email": ADDRESS, "confirm": "y"}, follow_redirects=True)
    assert "Alles, was unter der Adresse gespeichert war, wurde gelöscht" in text_of(done)
    with app.app_context():
        assert _remaining() == ["", "someone.else@example.org"], "the hidden one deleted, the published one anonymous"
        [entry] = _erasure_entries()
        assert entry.changes.get("consultation_comments") == 2 and ADDRESS not in entry.summary
    nothing = text_of(client.get(f"/privacy-requests/address?email={ADDRESS}"))
    assert "Unter dieser Adresse ist nichts gespeichert" in nothing

    bad = client.get("/privacy-requests/address?email=kein-adresse")
    assert bad.status_code == 400 and "Bitte geben Sie eine gültige E-Mail-Adresse ein" in text_of(bad)


def test_an_address_of_a_person_is_erased_with_the_person(ctx):
    person = factories.person(first_name="Erika", last_name="Buerger", email=ADDRESS)
    c = _open()
    _comment(c, email=ADDRESS, text="Erika Buerger schlägt vor: mehr Radwege.", name="E. B.")
    db.session.commit()
    try:
        services.erase_address(None, ADDRESS)
    except Exception as error:  # noqa: BLE001 - the message is what matters
        assert "löschen Sie die Person" in str(error)
    else:
        raise AssertionError("an address of a person must be erased as the person")
    exported = services.export_person(None, person)
    assert exported["consultation_comments"]["consultation_comments"][0]["display_name"] == "E. B."
    services.erase_person(None, person)
    db.session.commit()
    comment = db.session.scalars(select(ConsultationComment)).one()
    assert (comment.email, comment.display_name) == ("", "")
    assert "Erika Buerger" not in comment.text and "mehr Radwege" in comment.text
    [entry] = _erasure_entries()
    assert entry.changes.get("consultation_comments") == 1
