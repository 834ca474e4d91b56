from planner.core.audit import acting_as, history
from planner.core.text import plain_text, render_markdown
from planner.extensions import db
from tests import factories


def test_audited_models_record_create_update_delete_with_actor(ctx):
    user = factories.user(role="facilitator")
    with acting_as(user.id, user.email):
        finding = factories.finding(text="vorher")
        db.session.commit()
        finding.text = "nachher"
        db.session.commit()
        entries = history(finding)
        db.session.delete(finding)
        db.session.commit()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"text": ["vorher", "nachher"]}
    assert entries[1].actor_id == user.id and entries[1].actor_label == user.email


def test_markdown_is_sanitised():
    html = str(render_markdown("# Titel\n\n**fett** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.example)"))
    assert "<script" not in html and 'href="javascript:' not in html
    assert "<strong>fett</strong>" in html and 'href="https://a.example"' in html
    assert "<h1>" not in html and "<h3>Titel</h3>" in html
    assert plain_text("**a** & _b_") == "a & b"
