"""The minutes (Protokoll): written by the facilitator, built from the workshop's facts, written by the paper's
writers and read back by independent readers (python-docx, pdftotext); sent by personal link; read by link."""

import re

import pytest
from sqlalchemy import delete, select

from planner.core.errors import DomainError, StaleVersion
from planner.extensions import db
from planner.invitations.models import Invitation
from planner.minutes import services
from planner.minutes.models import WorkshopMinutes
from planner.minutes.outline import MinutesText
from planner.workshops.models import InvitationStatus, Participation, WorkshopStatus
from tests import factories
from tests.conftest import text_of
from tests.invitations.helpers import invitation
from tests.minutes.helpers import docx_text, held_workshop, pdf_text

MINUTES_LINK = re.compile(r"/minutes/r/([A-Za-z0-9_\-]+)")
TEXT = MinutesText(summary="Wir haben den Status quo der Mobilität erhoben.", decisions="- Smart Parking prüfen",
                   open_points="- Datenlage zu Ladesäulen", next_steps="- Steckbriefe bis Mai ergänzen")


def _write(ctx_workshop, code, language, tmp_path):
    path = tmp_path / f"minutes-{language}.{code}"
    with path.open("wb") as handle:
        services.write_minutes(ctx_workshop, code, handle, language)
    return docx_text(path) if code == "docx" else pdf_text(path)


@pytest.mark.parametrize("code", ["docx", "pdf"])
def test_the_minutes_read_back_with_text_attendance_agenda_and_numbered_findings(ctx, tmp_path, code):
    held = held_workshop()
    services.save_minutes(held.facilitator, held.workshop, TEXT)
    db.session.commit()

    german = _write(held.workshop, code, "de", tmp_path)
    for expected in ("Protokoll: Mobilität der Zukunft", "18. März 2022", "Zusammenfassung",
                     "Wir haben den Status quo der Mobilität erhoben.", "Beschlüsse", "Smart Parking prüfen",
                     "Offene Punkte", "Nächste Schritte", "Teilnahme nach Sektoren", "Wissenschaft",
                     "09:15–10:45", "Tagesordnung wie durchgeführt", "MOB-B01 Dichtes ÖPNV-Netz", "Nina Namentlich",
                     "MOB-B03 Parksuchverkehr verringern", "Mara Moderatorin", "Maßnahmensteckbrief MOB-M01",
                     "Amt für Straßen und Verkehr"):
        assert expected in german, expected
    # Names only with consent; the facilitator's own finding is hers, never "unbekannt"; hidden ones never.
    assert "Ungenannt" not in german and "unbekannt" not in german.lower()
    assert "eine teilnehmende Person" in german
    assert "Versteckter Beitrag" not in german and "Anton" not in german

    english = _write(held.workshop, code, "en", tmp_path)
    for expected in ("Minutes: Mobilität der Zukunft", "18 March 2022", "Attendance by sector", "Decisions",
                     "Agenda as held", "MOB-B02 Viel Parksuchverkehr", "a participant", "Fact sheet MOB-M01"):
        assert expected in english, expected
    assert "Zusammenfassung" not in english and "Teilgenommen" not in english


def test_a_save_based_on_an_older_version_is_refused_and_changes_nothing(ctx):
    held = held_workshop()
    minutes = services.save_minutes(held.facilitator, held.workshop, TEXT)
    db.session.commit()
    first = minutes.version
    services.save_minutes(held.facilitator, held.workshop, MinutesText(summary="Zweite Fassung"), version=first)
    db.session.commit()
    with pytest.raises(StaleVersion):
        services.save_minutes(held.facilitator, held.workshop, MinutesText(summary="Veraltet"), version=first)
    db.session.rollback()
    assert db.session.get(WorkshopMinutes, minutes.id).summary == "Zweite Fassung"


def test_only_facilitators_write_and_a_cancelled_workshop_has_no_minutes(ctx):
    held = held_workshop()
    with pytest.raises(DomainError):
        services.save_minutes(factories.user("expert"), held.workshop, TEXT)
    cancelled = factories.workshop(status=WorkshopStatus.CANCELLED)
    with pytest.raises(DomainError):
        services.save_minutes(held.facilitator, cancelled, TEXT)


def test_a_workshop_not_held_yet_has_provisional_minutes_and_sends_none(ctx):
    facilitator = factories.user("facilitator")
    planned = factories.workshop(status=WorkshopStatus.SCHEDULED)
    factories.participation(workshop=planned)
    services.save_minutes(facilitator, planned, TEXT)
    outline = services.build_outline(planned, "en")
    assert "Provisional" in outline.version_label
    with pytest.raises(DomainError, match="sobald der Workshop stattgefunden hat"):
        services.send_minutes(facilitator, planned)


# --- the pages ------------------------------------------------------------------------------------------------

def _login_facilitator(auth, held):
    auth.login_as(held.facilitator.email)


def test_the_facilitator_writes_the_minutes_and_sees_them_with_history(app, client, auth):
    with app.app_context():
        held = held_workshop()
        db.session.commit()
        workshop_id, email = held.workshop.id, held.facilitator.email
    auth.login_as(email)
    page = client.get(f"/workshops/{workshop_id}")
    assert f"/minutes/workshop/{workshop_id}" in page.get_data(as_text=True)
    assert client.get(f"/minutes/workshop/{workshop_id}/edit").status_code == 200
    saved = client.post(f"/minutes/workshop/{workshop_id}/edit", data={
        "summary": TEXT.summary, "decisions": TEXT.decisions, "open_points": "", "next_steps": "", "version": ""})
    assert saved.status_code == 302
    text = text_of(client.get(f"/minutes/workshop/{workshop_id}", headers={"Accept-Language": "de"}))
    assert TEXT.summary in text and "MOB-B01 Dichtes ÖPNV-Netz" in text and "Nina Namentlich" in text
    english = text_of(client.get(f"/minutes/workshop/{workshop_id}?lang=en"))
    assert "Agenda as held" in english and "18 March 2022" in english and "Tagesordnung wie" not in english
    history = text_of(client.get(f"/minutes/workshop/{workshop_id}/history"))
    assert TEXT.summary in history
    pdf = client.get(f"/minutes/workshop/{workshop_id}/download/pdf?lang=de")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "Protokoll-2022-03-18-Mobilitaet-der-Zukunft.pdf" in pdf.headers["Content-Disposition"]
    assert client.get(f"/minutes/workshop/{workshop_id}/download/exe").status_code == 404


def test_too_long_a_text_is_refused_with_a_message_and_nothing_is_saved(app, client, auth):
    with app.app_context():
        held = held_workshop()
        db.session.commit()
        workshop_id, email = held.workshop.id, held.facilitator.email
    auth.login_as(email)
    response = client.post(f"/minutes/workshop/{workshop_id}/edit",
                           data={"summary": "x" * (services.MAX_TEXT + 1), "version": ""})
    assert response.status_code == 200
    assert "20000" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(WorkshopMinutes)) is None


def test_a_participant_reads_the_minutes_in_the_app_others_do_not(app, client, auth):
    with app.app_context():
        held = held_workshop()
        expert = factories.user("expert", person_id=held.named.id)
        outsider = factories.user("expert")
        db.session.commit()
        workshop_id, expert_email, outsider_email = held.workshop.id, expert.email, outsider.email
    auth.login_as(expert_email)
    assert client.get(f"/minutes/workshop/{workshop_id}").status_code == 200
    assert client.get(f"/minutes/workshop/{workshop_id}/edit").status_code == 403
    auth.logout()
    auth.login_as(outsider_email)
    assert client.get(f"/minutes/workshop/{workshop_id}").status_code == 403


# --- sending and the personal link ----------------------------------------------------------------------------

def test_sending_previews_the_recipients_and_mails_each_a_personal_link(app, client, auth, outbox):
    with app.app_context():
        held = held_workshop()
        services.save_minutes(held.facilitator, held.workshop, TEXT)
        # A link-only participant (answered by e-mail link, no account) and one whose link was withdrawn.
        link_only, _old_token = invitation(workshop=held.workshop, invitation_status=InvitationStatus.ACCEPTED,
                                           person=factories.person(first_name="Lena", last_name="Linkonly"))
        withdrawn, _token = invitation(workshop=held.workshop, invitation_status=InvitationStatus.ACCEPTED,
                                       person=factories.person(first_name="Willi", last_name="Widerrufen"))
        withdrawn.revoked_at = withdrawn.created_at
        db.session.commit()
        workshop_id, email = held.workshop.id, held.facilitator.email
    auth.login_as(email)
    preview = text_of(client.get(f"/minutes/workshop/{workshop_id}/send"))
    assert "3 Empfängerinnen und Empfänger" in preview  # the withdrawn link gets nothing
    for name in ("Nina Namentlich", "Ulla Ungenannt", "Lena Linkonly", "Willi Widerrufen"):
        assert name in preview
    assert "Anton Abwesend" not in preview  # recorded as absent
    assert "/minutes/r/" in preview  # the mail's preview

    refused = client.post(f"/minutes/workshop/{workshop_id}/send", data={})
    assert refused.status_code == 422 and outbox() == []
    sent = client.post(f"/minutes/workshop/{workshop_id}/send", data={"confirm": "y"})
    assert sent.status_code == 302
    mails = outbox()
    assert sorted(m["To"] for m in mails) == sorted(
        [held_email for held_email in _emails(app, ("Namentlich", "Ungenannt", "Linkonly"))])
    for mail in mails:
        assert not list(mail.iter_attachments())
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "Protokoll" in mail["Subject"] and MINUTES_LINK.search(body)
    lena = next(m for m in mails if "Lena" in m.get_body(preferencelist=("plain",)).get_content())
    token = MINUTES_LINK.search(lena.get_body(preferencelist=("plain",)).get_content()).group(1)
    auth.logout()

    page = client.get(f"/minutes/r/{token}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Minutes for Lena Linkonly" in text or "Protokoll für Lena Linkonly" in text
    assert TEXT.summary in text and "MOB-B01" in text
    assert client.get(f"/minutes/r/{token}/download/docx").data[:2] == b"PK"
    # Her invitation page is read-only after the workshop, and links to the minutes.
    respond = client.get(f"/invitations/r/{token}")
    assert respond.status_code == 200
    assert "Absagen" not in text_of(respond) and "Decline" not in text_of(respond)
    assert f"/minutes/r/{token}" in respond.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(WorkshopMinutes)).sent_count == 3


def _emails(app, last_names):
    from planner.people.models import Person

    with app.app_context():
        return [db.session.scalar(select(Person.email).where(Person.last_name == n)) for n in last_names]


def test_the_personal_page_shows_own_findings_and_the_network_only_with_consent(app, client):
    with app.app_context():
        held = held_workshop()
        services.save_minutes(held.facilitator, held.workshop, TEXT)
        participation = db.session.scalar(select(Participation).where(Participation.person_id == held.named.id))
        _inv, token = invitation(participation=participation)
        other = db.session.scalar(select(Participation).where(Participation.person_id == held.unnamed.id))
        other.shares_contact = True
        db.session.commit()
        participation_id = participation.id
    text = text_of(client.get(f"/minutes/r/{token}"))
    assert "MOB-B01 Dichtes ÖPNV-Netz" in text and "MOB-M01 Smart Parking" in text
    assert "Ulla Ungenannt" not in text  # she shares her details, but Nina has not agreed to share hers
    with app.app_context():
        db.session.get(Participation, participation_id).shares_contact = True
        db.session.commit()
    assert "Ulla Ungenannt" in text_of(client.get(f"/minutes/r/{token}"))


def test_the_link_gives_no_minutes_before_the_workshop_to_non_participants_or_after_retention(app, client):
    with app.app_context():
        planned = factories.workshop(status=WorkshopStatus.SCHEDULED)
        _i, early = invitation(workshop=planned, invitation_status=InvitationStatus.ACCEPTED)
        held = held_workshop()
        _i, unanswered = invitation(workshop=held.workshop, invitation_status=InvitationStatus.DECLINED)
        kept, retained = invitation(workshop=held.workshop, invitation_status=InvitationStatus.ACCEPTED)
        db.session.commit()
        kept_id = kept.id
    assert client.get(f"/minutes/r/{early}").status_code == 403
    assert client.get(f"/minutes/r/{unanswered}").status_code == 403
    assert client.get(f"/minutes/r/{retained}").status_code == 200
    with app.app_context():  # the retention period deletes the link
        db.session.execute(delete(Invitation).where(Invitation.id == kept_id))
        db.session.commit()
    gone = client.get(f"/minutes/r/{retained}")
    assert gone.status_code == 410 and "Aufbewahrungsfrist" in text_of(gone)
    assert client.get("/minutes/r/nonsense").status_code == 410


def test_sending_needs_a_summary(ctx):
    held = held_workshop()
    services.save_minutes(held.facilitator, held.workshop, MinutesText(decisions="- nur Beschlüsse"))
    with pytest.raises(DomainError, match="Zusammenfassung"):
        services.send_minutes(held.facilitator, held.workshop)


# --- the command line ---------------------------------------------------------------------------------------------

def test_export_minutes_command(app, runner, tmp_path):
    with app.app_context():
        held = held_workshop()
        services.save_minutes(held.facilitator, held.workshop, TEXT)
        db.session.commit()
        workshop_id = held.workshop.id
    out = tmp_path / "protokoll.docx"
    result = runner.invoke(args=["export-minutes", str(workshop_id), "--format", "docx", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Tagesordnung wie durchgeführt" in docx_text(out)
    out = tmp_path / "minutes.pdf"
    result = runner.invoke(args=["export-minutes", str(workshop_id), "--format", "pdf", "--locale", "en",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Agenda as held" in pdf_text(out)
    missing = runner.invoke(args=["export-minutes", "999", "--format", "pdf", "--output", str(out)])
    assert missing.exit_code != 0 and "999" in missing.output


def test_the_documentation_page_names_the_facilitator_of_her_own_finding_never_unknown(ctx):
    from planner.findings.services import documentation

    held = held_workshop()
    doc = documentation(held.workshop.id)
    authors = {e["number"]: e["author"] for b in doc["blocks"] for f in b["fields"] for k in f["kinds"]
               for e in k["entries"]}
    assert authors["MOB-B01"] == "Nina Namentlich"
    assert authors["MOB-B02"] is None  # no consent: "a participant"
    assert authors["MOB-B03"] == "Mara Moderatorin"


def test_a_form_opened_before_the_first_save_does_not_overwrite_it(app, client, auth):
    with app.app_context():
        held = held_workshop()
        db.session.commit()
        workshop_id, email = held.workshop.id, held.facilitator.email
    auth.login_as(email)
    first = client.post(f"/minutes/workshop/{workshop_id}/edit", data={"summary": "Erste Fassung", "version": "0"})
    assert first.status_code == 302
    late = client.post(f"/minutes/workshop/{workshop_id}/edit", data={"summary": "Späte Fassung", "version": "0"})
    assert late.status_code == 409
    assert "Erste Fassung" in text_of(late) and "Späte Fassung" in text_of(late)
    with app.app_context():
        assert db.session.scalar(select(WorkshopMinutes.summary)) == "Erste Fassung"


def test_a_double_submit_sends_the_minutes_once(ctx, outbox):
    held = held_workshop()
    services.save_minutes(held.facilitator, held.workshop, TEXT)
    assert services.send_minutes(held.facilitator, held.workshop).count == 2
    db.session.commit()
    with pytest.raises(DomainError, match="nichts wurde doppelt"):
        services.send_minutes(held.facilitator, held.workshop)
    db.session.rollback()
    assert len(outbox()) == 2


def test_someone_checked_in_without_answering_gets_a_working_link(ctx, client, outbox):
    held = held_workshop()
    services.save_minutes(held.facilitator, held.workshop, TEXT)
    walk_in, _token = invitation(workshop=held.workshop, invitation_status=InvitationStatus.INVITED, attended=True,
                                 person=factories.person(first_name="Walter", last_name="Spontan"))
    services.send_minutes(held.facilitator, held.workshop)
    db.session.commit()
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in outbox()]
    token = MINUTES_LINK.search(next(b for b in bodies if "Walter Spontan" in b)).group(1)
    assert client.get(f"/minutes/r/{token}").status_code == 200
    walk_in.revoked_at = walk_in.created_at
    db.session.commit()
    assert client.get(f"/minutes/r/{token}").status_code == 410


def test_above_the_threshold_a_job_sends_the_minutes_with_progress(app, client, auth, outbox):
    app.config["INVITATION_BACKGROUND_THRESHOLD"] = 1
    with app.app_context():
        held = held_workshop()
        services.save_minutes(held.facilitator, held.workshop, TEXT)
        db.session.commit()
        workshop_id, email = held.workshop.id, held.facilitator.email
    auth.login_as(email)
    response = client.post(f"/minutes/workshop/{workshop_id}/send", data={"confirm": "y"})
    assert "/jobs/" in response.headers["Location"]
    page = text_of(client.get(response.headers["Location"]))
    assert "Das Protokoll geht im Hintergrund an 2 Teilnehmende." in page and "2 E-Mails gesendet." in page
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in outbox()]
    assert len(bodies) == 2
    for body in bodies:
        assert client.get(f"/minutes/r/{MINUTES_LINK.search(body).group(1)}").status_code == 200
