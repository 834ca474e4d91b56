"""second-factor secrets encrypted at rest

The plain ``users.totp_secret`` becomes ``users.totp_secret_encrypted`` (Fernet, planner/accounts/encryption.py,
with the app's ENCRYPTION_KEY or the key derived from SECRET_KEY): existing secrets are encrypted on the way, so
nobody has to set up the second factor again. Downgrading decrypts them back (with the same key).

Revision ID: cbee3e3f1d45
Revises: b168d771c0bd
Create Date: 2026-12-04 05:34:38.538709

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'cbee3e3f1d45'
down_revision = 'b168d771c0bd'
branch_labels = None
depends_on = None

users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('totp_secret', sa.String),
    sa.column('totp_secret_encrypted', sa.String),
)


def upgrade():
    from planner.accounts import encryption  # needs the app context Flask-Migrate provides (the key)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_encrypted', sa.String(length=255), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))).all()
    for user_id, secret in rows:
        if secret:
            bind.execute(users.update().where(users.c.id == user_id)
                         .values(totp_secret_encrypted=encryption.encrypt(secret)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_secret')


def downgrade():
    from planner.accounts import encryption

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.VARCHAR(length=64), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.totp_secret_encrypted)
                        .where(users.c.totp_secret_encrypted.is_not(None))).all()
    for user_id, token in rows:
        bind.execute(users.update().where(users.c.id == user_id)
                     .values(totp_secret=encryption.decrypt(token)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_secret_encrypted')
