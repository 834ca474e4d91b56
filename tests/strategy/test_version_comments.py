"""Comment links on the read-only page of a frozen version (for members of an open review round, and while the
version's public consultation is open), and per-measure comments in the short edition (Kurzfassung): on the
version page and on the round page. Paragraph numbers are the long edition's whichever edition is shown."""

import re
from datetime import timedelta
from html import unescape

from planner.core.permissions import Role
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.strategy import comment_links, consultation, versions
from planner.strategy.models import ReviewComment, ReviewRoundMember
from planner.strategy.outline import build_outline
from planner.strategy.rollup import shorten
from tests.conftest import text_of
from tests.strategy import helpers


def _round_with(app, uid=None, **kw):
    with app.app_context():
        round_ = helpers.review_round(**kw)
        if uid is not None:
            db.session.add(ReviewRoundMember(round_id=round_.id, user_id=uid))
        db.session.commit()
        return round_.id, round_.version.number


def _links(html: str, pattern: str) -> list[str]:
    return [unescape(link) for link in re.findall(rf'href="({pattern}[^"]*)"', html)]


def test_the_version_page_offers_paragraph_links_to_a_member_of_an_open_round(app, client, auth):
    uid = auth.login(Role.REVIEWER)
    round_id, number = _round_with(app, uid)
    page = client.get(f"/strategy/versions/{number}/view")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    links = _links(html, f"/strategy/rounds/{round_id}/paragraph")
    assert links and "Diesen Absatz kommentieren" in text_of(page)
    assert "Prüfrunde „Abstimmung Ausschuss“ läuft" in text_of(page)
    # Keyboard and screen readers: a real link whose name says which paragraph of which part.
    assert re.search(r'<a class="kern-link" href="/strategy/rounds/\d+/paragraph[^"]*">Diesen Absatz kommentieren'
                     r'<span class="kern-sr-only">: Absatz 1 von „[^"<]+“</span></a>', html)
    vision = next(link for link in links if "section%3Avision" in link or "section:vision" in link)
    saved = client.post(vision, data={"text": "Aus der Leseansicht."})
    assert saved.status_code == 302
    with app.app_context():
        comment = db.session.query(ReviewComment).one()
        assert comment.target == "section:vision" and comment.paragraph == 1 and comment.text == "Aus der Leseansicht."
    assert "(1 Kommentar)" in text_of(client.get(f"/strategy/versions/{number}/view"))


def test_no_links_without_an_open_round_and_no_page_for_outsiders(app, client, auth):
    uid = auth.login(Role.REVIEWER)
    _round_id, number = _round_with(app, uid)
    with app.app_context():
        round_ = helpers.review_round(title="Geschlossen")
        round_.status = "closed"
        db.session.add(ReviewRoundMember(round_id=round_.id, user_id=uid))
        db.session.commit()
        closed_number = round_.version.number
    page = client.get(f"/strategy/versions/{closed_number}/view")
    assert page.status_code == 200 and "kommentieren" not in text_of(page)
    with app.app_context():
        other = helpers.version().number
        db.session.commit()
    assert client.get(f"/strategy/versions/{other}/view").status_code == 403, "not a round of this reviewer"
    auth.login(Role.STRATEGY_TEAM)
    staff = client.get(f"/strategy/versions/{number}/view")
    assert staff.status_code == 200 and "Diesen Absatz kommentieren" not in text_of(staff), "not a member"


def test_the_version_page_links_to_the_open_public_consultation(app, client, auth):
    with app.app_context():
        version = helpers.version()
        today = local_today()
        found = consultation.save_consultation(version, None, starts_on=today - timedelta(days=1),
                                               ends_on=today + timedelta(days=7))
        db.session.commit()
        number, consultation_id = version.number, found.id
        passages = consultation.passages(version, "de")
    auth.login(Role.STRATEGY_TEAM)
    page = client.get(f"/strategy/versions/{number}/view")
    html = page.get_data(as_text=True)
    links = _links(html, f"/strategy/consultations/{consultation_id}/paragraphs/")
    assert links and "In der öffentlichen Konsultation kommentieren" in text_of(page)
    # Each link names the paragraph the consultation page numbers the same way.
    first = links[0]
    paragraph = int(re.search(r"/paragraphs/(\d+)/comment", first).group(1))
    target = client.get(first)
    assert target.status_code == 200
    shown = " ".join(text_of(target).replace("\xa0", " ").split())
    expected = " ".join(passages[paragraph - 1].excerpt.replace("*", "").split())[:25]
    assert expected in shown, (expected, shown[:500])

    short = client.get(f"/strategy/versions/{number}/view?short=1")
    measure_links = re.findall(r'href="(/strategy/consultations/\d+/paragraphs/\d+/comment)">Diese Maßnahme '
                               r'kommentieren<span class="kern-sr-only">: ([^<]+)</span>',
                               short.get_data(as_text=True))
    assert measure_links, "the short edition's measures link to their fact sheet's paragraph"
    with app.app_context():
        sheets = {p.blocks[-1].number: p.number for p in passages if p.blocks[-1].block == "factsheet"}
    for href, label in measure_links:
        assert f"/paragraphs/{sheets[label.split()[0]]}/comment" in href


def test_each_measure_of_the_short_edition_is_commentable_on_the_round_page(app, client, auth):
    uid = auth.login(Role.REVIEWER)
    round_id, number = _round_with(app, uid)
    with app.app_context():
        rollup = versions.version_rollup(versions.get_version(number))
        top = [m.number for c in shorten(rollup).fields for m in c.measures]
    page = client.get(f"/strategy/rounds/{round_id}?short=1")
    html = page.get_data(as_text=True)
    assert "Langfassung zeigen" in text_of(page)
    controls = re.findall(r'href="([^"]+)">Diese Maßnahme kommentieren<span class="kern-sr-only">: ([^<]+)</span>',
                          html)
    assert sorted(label.split()[0] for _href, label in controls) == sorted(top), "one link per measure"
    href, label = controls[0]
    href = unescape(href)
    assert "n=0" in href
    form = client.get(href)
    assert form.status_code == 200 and "Kommentar zu einer Maßnahme" in text_of(form)
    assert "Ihr Kommentar zu dieser Maßnahme" in text_of(form)
    assert label in text_of(form)
    assert client.post(href, data={"text": "Zu teuer."}).status_code == 302
    with app.app_context():
        comment = db.session.query(ReviewComment).one()
        assert comment.target == f"measure:{label.split()[0]}" and comment.paragraph is None
    again = client.get(f"/strategy/rounds/{round_id}?short=1").get_data(as_text=True)
    assert "(1 Kommentar)" in again
    # The long edition keeps its links per paragraph of the fact sheets.
    assert "Kurzfassung zeigen" in text_of(client.get(f"/strategy/rounds/{round_id}"))


def test_short_edition_paragraphs_carry_the_long_edition_s_numbers(ctx):
    version = helpers.version()
    rollup = versions.version_rollup(version)
    long_outline = build_outline(rollup, "de", "long")
    short_outline = build_outline(shorten(rollup), "de", "short")
    long_numbers = {(p.part, p.text): p.number for ps in comment_links.review_paragraphs(long_outline, rollup).values()
                    for p in ps}
    short = [p for ps in comment_links.review_paragraphs(short_outline, rollup).values() for p in ps]
    assert short, "the short edition has paragraphs to comment on"
    for p in short:
        assert long_numbers[(p.part, p.text)] == p.number
