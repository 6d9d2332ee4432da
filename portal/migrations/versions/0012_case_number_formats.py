"""case-number formats per organisation: a prefix and a 字号 as data (DOMAIN §3 [local])

Organisations get `number_prefix` (empty: the short name, as before) and `number_word` (the 字号: 人调字, 医调字,
交调字, 诉调字 …); a case keeps the 字号 it was numbered with beside its year, prefix and sequence.

Revision ID: 0012_case_number_formats
Revises: 0011_daily_path
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_case_number_formats"
down_revision = "0011_daily_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("number_prefix", sa.String(length=20), nullable=False, server_default=""))
        batch.add_column(sa.Column("number_word", sa.String(length=10), nullable=False, server_default="人调字"))
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("number_word", sa.String(length=10), nullable=False, server_default="人调字"))


def downgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.drop_column("number_word")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("number_word")
        batch.drop_column("number_prefix")
