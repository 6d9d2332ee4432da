"""dossier catalogue: 卷名 and 备注 kept on each version (carried into the next after a correction), 档号 unique
per case in their own table, and whose an uploaded ID copy or piece of evidence is (the contents' 责任者)

Revision ID: 0010_dossier_catalogue
Revises: 0009_concurrency
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_dossier_catalogue"
down_revision = "0009_concurrency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("provided_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default="")
        )
    op.create_table(
        "archive_number",
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("series", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("archive_number", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_number_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_archive_number_series"), ["series"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archive_number", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_number_series"))
        batch_op.drop_index(batch_op.f("ix_archive_number_case_id"))
    op.drop_table("archive_number")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("provided_by")
    with op.batch_alter_table("dossier_version", schema=None) as batch_op:
        batch_op.drop_column("notes")
        batch_op.drop_column("title")
