"""wall: measures walls (a card is a finding or a measure), anonymity per workshop, every closed vote's results

Revision ID: f70fc738e253
Revises: 2155f901c96a
Create Date: 2026-12-03 23:46:13.814483

Existing per-wall anonymity moves to the workshop: a workshop whose walls were anonymous (any of them) becomes
anonymous as a whole, the careful choice (no name is shown that a participant expected to stay hidden). Existing
closed votes get their results from their dots.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f70fc738e253'
down_revision = '2155f901c96a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wall_vote_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('dots', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['wall_cards.id'], name=op.f('fk_wall_vote_results_card_id_wall_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['wall_dot_votes.id'], name=op.f('fk_wall_vote_results_vote_id_wall_dot_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_vote_results')),
    sa.UniqueConstraint('vote_id', 'card_id', name='uq_wall_vote_results_vote_card')
    )
    with op.batch_alter_table('wall_vote_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wall_vote_results_card_id'), ['card_id'], unique=False)

    with op.batch_alter_table('wall_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('measure_id', sa.Integer(), nullable=True))
        batch_op.alter_column('finding_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_wall_cards_measure_id'), ['measure_id'])
        batch_op.create_foreign_key(batch_op.f('fk_wall_cards_measure_id_measures'), 'measures', ['measure_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_wall_cards_one_item'), '(finding_id IS NULL) <> (measure_id IS NULL)')

    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cards_anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))

    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE workshops SET cards_anonymous = :yes WHERE id IN ("
        " SELECT agenda_blocks.workshop_id FROM walls JOIN agenda_blocks ON agenda_blocks.id = walls.agenda_block_id"
        " WHERE walls.is_anonymous = :yes)"), {"yes": True})

    # The closed votes' results, ranked (the same dots share a rank), from their dots.
    rows = bind.execute(sa.text(
        "SELECT wall_dots.vote_id, wall_dots.card_id, count(*) FROM wall_dots"
        " JOIN wall_dot_votes ON wall_dot_votes.id = wall_dots.vote_id"
        " WHERE wall_dot_votes.closed_at IS NOT NULL GROUP BY wall_dots.vote_id, wall_dots.card_id")).all()
    by_vote = {}
    for vote_id, card_id, dots in rows:
        by_vote.setdefault(vote_id, []).append((card_id, dots))
    results = []
    for vote_id, tallies in by_vote.items():
        for card_id, dots in tallies:
            rank = 1 + sum(1 for _other, more in tallies if more > dots)
            results.append({"vote_id": vote_id, "card_id": card_id, "dots": dots, "rank": rank})
    if results:
        table = sa.table('wall_vote_results', sa.column('vote_id', sa.Integer), sa.column('card_id', sa.Integer),
                         sa.column('dots', sa.Integer), sa.column('rank', sa.Integer))
        op.bulk_insert(table, results)

    with op.batch_alter_table('walls', schema=None) as batch_op:
        batch_op.drop_column('is_anonymous')


def downgrade():
    with op.batch_alter_table('walls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.get_bind().execute(sa.text(
        "UPDATE walls SET is_anonymous = :yes WHERE agenda_block_id IN ("
        " SELECT agenda_blocks.id FROM agenda_blocks JOIN workshops ON workshops.id = agenda_blocks.workshop_id"
        " WHERE workshops.cards_anonymous = :yes)"), {"yes": True})

    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_column('cards_anonymous')

    # A measure card has no place in the old schema.
    op.get_bind().execute(sa.text("DELETE FROM wall_cards WHERE measure_id IS NOT NULL"))
    with op.batch_alter_table('wall_cards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_wall_cards_one_item'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_wall_cards_measure_id_measures'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_wall_cards_measure_id'), type_='unique')
        batch_op.alter_column('finding_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('measure_id')

    with op.batch_alter_table('wall_vote_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wall_vote_results_card_id'))

    op.drop_table('wall_vote_results')
