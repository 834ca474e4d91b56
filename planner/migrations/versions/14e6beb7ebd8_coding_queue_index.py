"""coding queue index: the queue's order and its counts per language from one index of survey_comments

Revision ID: 14e6beb7ebd8
Revises: f70fc738e253
Create Date: 2026-12-04 00:02:10.849685

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '14e6beb7ebd8'
down_revision = 'f70fc738e253'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_comments', schema=None) as batch_op:
        batch_op.create_index('ix_survey_comments_queue', ['survey_id', 'suggestion_confidence', 'id', 'language'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_comments_queue')
