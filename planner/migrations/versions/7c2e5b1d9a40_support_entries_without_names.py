"""audit log: support entries name the person by id, not by name (issue 18)

Until now "support"/"unsupport" entries carried the supporter's full name in ``summary``, where it outlived an
erasure and was readable on every measure's history. The name becomes ``changes = {"person_id": ...}`` when it
names exactly one person, and the summary is emptied either way.

Revision ID: 7c2e5b1d9a40
Revises: e20eea840bbb
Create Date: 2026-12-03 16:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7c2e5b1d9a40'
down_revision = 'e20eea840bbb'
branch_labels = None
depends_on = None


audit_log = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("summary", sa.Text),
                     sa.column("changes", sa.JSON))


def upgrade():
    bind = op.get_bind()
    people = {}
    for person_id, title, first, last in bind.execute(
            sa.text("SELECT id, title, first_name, last_name FROM people")):
        name = " ".join(p for p in (title, first, last) if p)
        people.setdefault(name, []).append(person_id)
    rows = bind.execute(sa.text(
        "SELECT id, action, summary FROM audit_log WHERE action IN ('support', 'unsupport') AND summary <> ''"
    )).fetchall()
    for entry_id, action, summary in rows:
        ids = people.get(summary, [])
        changes = {}
        if len(ids) == 1:
            changes = {"person_id": [None, ids[0]] if action == "support" else [ids[0], None]}
        bind.execute(audit_log.update().where(audit_log.c.id == entry_id).values(summary="", changes=changes))


def downgrade():
    # The names are not written back: that was the flaw.
    pass
