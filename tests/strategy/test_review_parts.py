"""Review of every part of a frozen version, comments on a paragraph, sign-off, the publishing guard and outside
reviewers invited by a personal link."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from planner.core.audit import AuditEntry
from planner.core.errors import DomainError, InvalidTransition, NotAllowed
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from planner.strategy import review, versions
from planner.strategy.models import PaperVersion, ReviewComment, ReviewGuest, SectionVerdict
from planner.strategy.outline import build_outline
from tests import factories
from tests.conftest import text_of
from tests.strategy import helpers
from tests.strategy.rollups import rollup as make_rollup


def _approve_all(round_, *reviewers):
    for reviewer in reviewers:
        for part in review.parts_of(versions.version_rollup(round_.version)):
            review.set_verdict(round_, reviewer, part=part.key, verdict="approved", reason="")
    db.session.expire_all()


# --- the parts ------------------------------------------------------------------------------------------------

def test_a_round_covers_every_section_field_chapter_measure_and_the_roadmap(ctx):
    rollup = make_rollup()
    keys = [p.key for p in review.parts_of(rollup)]
    assert [k for k in keys if k.startswith("section:")] == [f"section:{s.key}" for s in rollup.sections]
    assert [k for k in keys if k.startswith("field:")] == [f"field:{c.code}" for c in rollup.fields]
    assert [k for k in keys if k.startswith("measure:")] == [f"measure:{m.number}" for m in rollup.measures()]
    assert keys[-1] == "roadmap"


def test_agreed_only_when_every_member_approved_every_part(ctx):
    alice, bob = helpers.reviewer(), helpers.reviewer()
    round_ = helpers.review_round(members=[alice, bob])
    # Approving the sections alone (what was enough before) does not agree the version.
    for s in versions.version_rollup(round_.version).sections:
        for user in (alice, bob):
            review.set_verdict(round_, user, part=f"section:{s.key}", verdict="approved", reason="")
    db.session.expire_all()
    assert not review.round_state(round_).is_agreed
    _approve_all(round_, alice)
    assert not review.round_state(round_).is_agreed  # bob has not approved the fields, measures and roadmap
    review.set_verdict(round_, bob, part="measure:MOB-M02", verdict="changes_requested", reason="Kosten fehlen.")
    _approve_all(round_, bob)
    state = review.round_state(round_)
    assert state.is_agreed and review.is_version_agreed(round_.version)
    measure = next(p for p in state.parts if p.part.key == "measure:MOB-M02")
    assert measure.is_approved and len(measure.verdicts) == 2


def test_verdicts_on_unknown_parts_and_without_reason_are_refused(ctx):
    alice = helpers.reviewer()
    round_ = helpers.review_round(members=[alice])
    with pytest.raises(DomainError, match="Teil dieser Version"):
        review.set_verdict(round_, alice, part="measure:XX-99", verdict="approved", reason="")
    with pytest.raises(DomainError, match="Teil dieser Version"):
        review.set_verdict(round_, alice, part="foreword", verdict="approved", reason="")
    with pytest.raises(DomainError, match="begründen"):
        review.set_verdict(round_, alice, part="roadmap", verdict="changes_requested", reason=" ")
    assert db.session.scalar(select(db.func.count(SectionVerdict.id))) == 0


def test_a_comment_on_a_field_chapter_and_the_roadmap(ctx):
    alice = helpers.reviewer()
    round_ = helpers.review_round(members=[alice])
    on_field = review.add_comment(round_, alice, target="field:MOB", text="Zielbild fehlt.")
    on_roadmap = review.add_comment(round_, alice, target="roadmap", text="Bis 2040 bitte.")
    assert (on_field.target_kind, on_field.target_key, on_field.target) == ("field", "MOB", "field:MOB")
    assert on_roadmap.target == "roadmap"
    db.session.expire_all()
    state = review.round_state(round_)
    by_key = {p.part.key: p for p in state.parts}
    assert len(by_key["field:MOB"].open_comments) == 1 and len(by_key["roadmap"].open_comments) == 1
    assert [kind for kind, _parts in state.groups(open_only=True)] == ["section", "field", "measure", "roadmap"]


# --- paragraphs ---------------------------------------------------------------------------------------------------

def test_paragraphs_of_the_frozen_version_are_numbered_per_part(ctx):
    sections = tuple(s if s.key != "vision" else s.__class__(s.key, s.title, "Erster Absatz.\n\nZweiter **Absatz**.\n\n"
                                                             "- Punkt eins\n- Punkt zwei", s.position)
                     for s in make_rollup().sections)
    outline = build_outline(make_rollup(sections=sections, version=1))
    vision = [p for ps in review.paragraphs_by_block(outline).values() for p in ps if p.part == "section:vision"]
    assert [(p.number, p.text) for p in vision] == [
        (1, "Erster Absatz."), (2, "Zweiter **Absatz**."), (3, "- Punkt eins\n- Punkt zwei")]
    assert review.find_paragraph(outline, "section:vision", 2).text == "Zweiter **Absatz**."
    assert review.find_paragraph(outline, "section:vision", 4) is None
    # The empty monitoring section shows a gap, not a paragraph to comment on.
    assert review.find_paragraph(outline, "section:monitoring", 1) is None


def test_a_measure_s_description_is_commented_paragraph_by_paragraph(ctx):
    outline = build_outline(make_rollup(version=1))
    number = make_rollup().measures()[0].number
    paragraph = review.find_paragraph(outline, f"measure:{number}", 1)
    assert paragraph.text == "Eine **wichtige** Maßnahme." and paragraph.markdown
    alice = helpers.reviewer()
    round_ = helpers.review_round(members=[alice])
    comment = review.add_comment(round_, alice, target=f"measure:{number}", text="Wer zahlt?", paragraph=1)
    assert comment.quote == "Eine **wichtige** Maßnahme."


def test_a_comment_on_a_paragraph_keeps_its_quote(ctx):
    alice = helpers.reviewer()
    round_ = helpers.review_round(members=[alice])
    comment = review.add_comment(round_, alice, target="section:vision", text="Schöner.", paragraph=1)
    assert comment.paragraph == 1 and comment.quote == "Essen 2040 ist **lebenswert**."
    with pytest.raises(DomainError, match="Absatz gehört nicht"):
        review.add_comment(round_, alice, target="section:vision", text="Hm.", paragraph=7)


def test_the_round_page_offers_a_link_per_paragraph_and_filters_open_parts(app, client, auth):
    with app.app_context():
        round_ = helpers.review_round()
        round_id = round_.id
        db.session.commit()
    uid = auth.login(Role.REVIEWER)
    with app.app_context():
        from planner.strategy.models import ReviewRoundMember

        db.session.add(ReviewRoundMember(round_id=round_id, user_id=uid))
        db.session.commit()
    page = client.get(f"/strategy/rounds/{round_id}")
    html = page.get_data(as_text=True)
    links = re.findall(rf'href="(/strategy/rounds/{round_id}/paragraph\?[^"]+)"', html)
    assert links and "Diesen Absatz kommentieren" in text_of(page)
    vision = next(link for link in links if "section%3Avision" in link or "section:vision" in link)
    form = client.get(vision.replace("&amp;", "&"))
    assert form.status_code == 200 and "Essen 2040 ist lebenswert ." in text_of(form)
    empty = client.post(vision.replace("&amp;", "&"), data={"text": ""})
    assert empty.status_code == 400
    saved = client.post(vision.replace("&amp;", "&"), data={"text": "Bitte konkreter."})
    assert saved.status_code == 302
    page = text_of(client.get(f"/strategy/rounds/{round_id}"))
    assert "Bitte konkreter." in page and "Absatz 1" in page and "Essen 2040 ist **lebenswert**." in page
    assert "Kapitel der Handlungsfelder" in page and "Umsetzungsplan" in page
    # A paragraph that does not exist: a clear 404, nothing saved.
    assert client.get(f"/strategy/rounds/{round_id}/paragraph?target=section:vision&n=99").status_code == 404
    # Open only: an approved part without comments disappears from the list.
    client.post(f"/strategy/rounds/{round_id}/verdicts", data={"part": "section:foreword", "verdict": "approved"})
    everything = text_of(client.get(f"/strategy/rounds/{round_id}"))
    open_only = text_of(client.get(f"/strategy/rounds/{round_id}?open=1"))
    assert "Liebe Essenerinnen" in everything
    parts_all = everything.split("Teile des Papiers")[1].split("Prüfende Personen")[0]
    parts_open = open_only.split("Teile des Papiers")[1].split("Prüfende Personen")[0]
    assert "Vorwort" in parts_all and "Vorwort" not in parts_open and "Leitbild 2040" in parts_open


# --- sign-off and publication ---------------------------------------------------------------------------------------

def test_sign_off_records_who_and_when_after_every_part_is_approved(ctx):
    alice = helpers.reviewer()
    lead = factories.user(role=Role.STRATEGY_TEAM, display_name="Lea Leitung")
    round_ = helpers.review_round(helpers.complete_version(), members=[alice])
    with pytest.raises(InvalidTransition, match="nicht abschließend freigegeben"):
        review.sign_off_version(round_.version, lead)
    _approve_all(round_, alice)
    with pytest.raises(NotAllowed):
        review.sign_off_version(round_.version, alice)
    review.sign_off_version(round_.version, lead)
    assert round_.version.signed_off_by_id == lead.id and round_.version.signed_off_at is not None
    with pytest.raises(InvalidTransition, match="bereits"):
        review.sign_off_version(round_.version, lead)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sign_off")).entity_id == round_.version.id


def test_publishing_is_refused_naming_why_then_allowed(ctx):
    alice = helpers.reviewer()
    lead = factories.user(role=Role.STRATEGY_TEAM)
    round_ = helpers.review_round(helpers.complete_version(), members=[alice])
    comment = review.add_comment(round_, alice, target="section:governance", text="Wer steuert?")
    _approve_all(round_, alice)
    review.sign_off_version(round_.version, lead)
    with pytest.raises(InvalidTransition, match="1 Kommentar der Abstimmung ist noch nicht beantwortet"):
        review.publish_version(round_.version, lead)
    review.answer_comment(comment, lead, answer="accepted", text="")
    review.publish_version(round_.version, lead)
    assert round_.version.is_published and round_.version.publish_override_reason == ""


def test_blocking_gaps_refuse_publication_and_an_administrator_overrides_with_a_reason(ctx):
    alice = helpers.reviewer()
    lead = factories.user(role=Role.STRATEGY_TEAM)
    admin = factories.user(role=Role.ADMIN)
    round_ = helpers.review_round(members=[alice])  # the test roll-up's monitoring section is empty
    _approve_all(round_, alice)
    review.sign_off_version(round_.version, lead)
    with pytest.raises(InvalidTransition, match="blockierende Lücken: Abschnitt noch nicht geschrieben"):
        review.publish_version(round_.version, lead)
    with pytest.raises(NotAllowed):
        review.publish_version(round_.version, lead, override_reason="Eilt.")
    review.publish_version(round_.version, admin, override_reason="Ratssitzung am 15. Juni")
    version = round_.version
    assert version.is_published and version.publish_override_reason == "Ratssitzung am 15. Juni"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "publish_override"))
    assert entry.summary == "Ratssitzung am 15. Juni" and entry.changes["objections"]


def test_the_version_page_names_the_obstacles_and_the_override_needs_a_reason(app, client, auth):
    with app.app_context():
        version = helpers.version()
        number = version.number
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    page = text_of(client.get(f"/strategy/versions/{number}"))
    assert "Diese Version kann noch nicht veröffentlicht werden" in page
    assert "keine Prüfrunde hat jeden Teil freigegeben" in page and "Abschnitt noch nicht geschrieben" in page
    assert "Trotz der Einwände veröffentlichen" not in page  # administrators only
    refused = client.post(f"/strategy/versions/{number}/publish")
    assert refused.status_code == 302
    assert "kann noch nicht veröffentlicht werden" in text_of(client.get(refused.headers["Location"]))
    assert client.post(f"/strategy/versions/{number}/publish", data={"reason": "Eilt"}).status_code == 403
    auth.logout()
    auth.login(Role.ADMIN)
    assert "Trotz der Einwände veröffentlichen" in text_of(client.get(f"/strategy/versions/{number}"))
    missing = client.post(f"/strategy/versions/{number}/publish", data={"reason": "  "})
    assert missing.status_code == 400
    with app.app_context():
        assert not db.session.scalar(select(PaperVersion).where(PaperVersion.number == number)).is_published
    done = client.post(f"/strategy/versions/{number}/publish", data={"reason": "Beschluss des Rates eilt"})
    assert done.status_code == 302
    page = text_of(client.get(f"/strategy/versions/{number}"))
    assert "Trotz Einwänden veröffentlicht" in page and "Beschluss des Rates eilt" in page
    assert "Beschluss des Rates eilt" in text_of(client.get("/strategy/versions"))


def test_the_public_page_never_shows_the_readiness_box(app, client):
    with app.app_context():
        from planner.strategy.rollup import ReadinessIssue

        helpers.version(published=True, readiness=(ReadinessIssue("section_unwritten", "monitoring"),))
        db.session.commit()
    page = text_of(client.get("/strategy/published/1"))
    assert "Noch offen" not in page and "noch nicht vollständig" not in page
    for code in ("md", "html"):
        download = client.get(f"/strategy/published/1/export?format={code}")
        body = download.get_data(as_text=True)
        download.close()
        assert "Noch offen" not in body and "noch nicht vollständig" not in body


# --- outside reviewers ----------------------------------------------------------------------------------------------

def test_an_outside_reviewer_is_invited_by_mail_and_reviews_through_the_link(app, client, auth, outbox):
    with app.app_context():
        round_ = helpers.review_round(helpers.complete_version())
        round_id, number = round_.id, round_.version.number
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    bad = client.post(f"/strategy/rounds/{round_id}/guests", data={"name": "Rita Rat", "email": "kein-at"})
    assert bad.status_code == 400 and "gültige E-Mail-Adresse" in text_of(bad)
    assert outbox() == []
    sent = client.post(f"/strategy/rounds/{round_id}/guests",
                       data={"name": "Rita Rat", "email": "rita.rat@example.org",
                             "organisation": "Ausschuss Digitales"})
    assert sent.status_code == 302
    mails = outbox()
    assert len(mails) == 1 and mails[0]["To"] == "rita.rat@example.org"
    body = mails[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/strategy/review/(\S+)", body)
    token = link.group(1)
    assert f"Version {number}" in body
    auth.logout()
    # Without an account, through the link: the frozen version and the round.
    page = client.get(f"/strategy/review/{token}")
    assert page.status_code == 200
    assert "Sie prüfen als Rita Rat (Ausschuss Digitales)" in text_of(page)
    assert "Essen 2040 ist lebenswert ." in text_of(page)
    assert client.post(f"/strategy/review/{token}/comments",
                       data={"target": "field:MOB", "text": "Bitte Radverkehr."}).status_code == 302
    paragraph = client.post(f"/strategy/review/{token}/paragraph",
                            data={"target": "section:vision", "paragraph": "1", "text": "Warum 2040?"})
    assert paragraph.status_code == 302
    with app.app_context():
        from planner.strategy.models import ReviewRound

        round_ = db.session.get(ReviewRound, round_id)
        parts = [p.key for p in review.parts_of(versions.version_rollup(round_.version))]
    for part in parts:
        answer = client.post(f"/strategy/review/{token}/verdicts", data={"part": part, "verdict": "approved"})
        assert answer.status_code == 302
    with app.app_context():
        comments = db.session.scalars(select(ReviewComment).order_by(ReviewComment.id)).all()
        assert [(c.author_name, c.author_id) for c in comments] == [("Rita Rat", None), ("Rita Rat", None)]
        assert comments[1].quote == "Essen 2040 ist **lebenswert**."
        round_ = db.session.get(ReviewRound, round_id)
        assert review.round_state(round_).is_agreed  # the outside reviewer is the round's only member
    page = text_of(client.get(f"/strategy/review/{token}"))
    assert "Rita Rat: Freigegeben" in page


def test_a_withdrawn_or_expired_link_stops_at_once(app, client, auth):
    with app.app_context():
        guest, token = helpers.guest()
        guest_id, round_id = guest.id, guest.round_id
        db.session.commit()
    assert client.get(f"/strategy/review/{token}").status_code == 200
    assert client.get("/strategy/review/made-up").status_code == 404
    auth.login(Role.STRATEGY_TEAM)
    assert client.post(f"/strategy/guests/{guest_id}/revoke").status_code == 302
    auth.logout()
    gone = client.get(f"/strategy/review/{token}")
    assert gone.status_code == 410 and "zurückgezogen" in text_of(gone)
    refused = client.post(f"/strategy/review/{token}/comments", data={"target": "paper", "text": "Noch da?"})
    assert refused.status_code == 410
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ReviewComment.id))) == 0
        # A withdrawn reviewer no longer counts for "agreed".
        from planner.strategy.models import ReviewRound

        assert review.round_state(db.session.get(ReviewRound, round_id)).reviewers == ()
        other, other_token = helpers.guest(email="otto@example.org", name="Otto Ortsteil")
        other.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    expired = client.get(f"/strategy/review/{other_token}")
    assert expired.status_code == 410 and "abgelaufen" in text_of(expired)


def test_inviting_again_replaces_the_link(ctx):
    round_ = helpers.review_round()
    first, old = helpers.guest(round_)
    second, new = helpers.guest(round_, email="GERDA.GAST@example.org")
    assert first.id == second.id and old != new
    assert review.guest_for_token(old) is None and review.guest_for_token(new) == first
    round_.close()
    with pytest.raises(InvalidTransition):
        helpers.guest(round_, email="neu@example.org")


def test_an_outside_reviewer_is_exported_and_erased_with_the_person(ctx):
    from planner.privacy import registry

    person = factories.person(first_name="Rita", last_name="Ratsfrau", email="rita.ratsfrau@example.org")
    guest, token = helpers.guest(name="Rita Ratsfrau", email="rita.ratsfrau@example.org")
    review.add_comment(guest.round, guest, target="paper", text="Gut so.")
    db.session.commit()
    subject = registry.Subject.of(person)
    exported = registry.get_store("review_guests").export(subject)
    assert exported["review_guests"][0]["full_name"] == "Rita Ratsfrau" and exported["review_comments"]
    assert "token_hash" not in exported["review_guests"][0]
    assert registry.get_store("review_guests").erase(subject) == 1
    db.session.expire_all()
    guest = db.session.get(ReviewGuest, guest.id)
    assert guest.full_name == "[erased]" and "rita" not in guest.email and guest.revoked_at is not None
    assert review.guest_for_token(token).revoked_at is not None
    assert db.session.scalar(select(ReviewComment.text)) == "Gut so."


def test_existing_verdicts_are_migrated_to_part_keys(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.conftest import make_test_app

    app = make_test_app(tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision="b444290ebb94")
        now = utcnow()
        with db.engine.begin() as conn:
            # Written as SQL: the ORM's users table has columns of later revisions.
            user_id = conn.execute(text(
                "INSERT INTO users (email, display_name, password_hash, role, is_active, session_epoch, "
                "failed_logins, created_at, updated_at, version, require_second_factor) VALUES ('r@example.org', "
                "'R', 'x', :role, TRUE, 0, 0, :now, :now, 1, FALSE) RETURNING id"), {"role": Role.REVIEWER.name,
                                                                             "now": now}).scalar_one()
            conn.execute(text("INSERT INTO paper_versions (id, number, frozen_at, note, rollup_json) "
                              "VALUES (1, 1, :now, '', '{}')"), {"now": now})
            conn.execute(text("INSERT INTO review_rounds (id, version_id, title, status, created_at, updated_at) "
                              "VALUES (1, 1, 'R', 'open', :now, :now)"), {"now": now})
            conn.execute(text("INSERT INTO section_verdicts (round_id, user_id, section_key, verdict, reason, "
                              "created_at, updated_at) VALUES (1, :user, 'vision', 'approved', '', :now, :now)"),
                         {"now": now, "user": user_id})
        upgrade()
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT part_key, user_id FROM section_verdicts")).all()
            assert rows == [("section:vision", user_id)]
        db.session.remove()
        downgrade(revision="b444290ebb94")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT section_key FROM section_verdicts")).all() == [("vision",)]
            assert conn.execute(text("SELECT title FROM review_rounds")).all() == [("R",)]
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
