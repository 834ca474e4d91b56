"""Version columns for optimistic locking of edited entities

Workshops, series, agenda blocks, people, organisations and user accounts carry a version (planner.core.locking);
existing rows start at 1.

Revision ID: 032edfc16803
Revises: 01b452b1bb8c
Create Date: 2026-12-03 16:36:48.368309

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '032edfc16803'
down_revision = '01b452b1bb8c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_blocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('workshop_series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('workshop_series', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('agenda_blocks', schema=None) as batch_op:
        batch_op.drop_column('version')
