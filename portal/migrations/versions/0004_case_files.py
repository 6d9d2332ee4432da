"""case files, and indexes for the case list's order and its counts per state

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_file_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_file_sha256"), ["sha256"], unique=False)
    op.create_index("ix_case_received", "case", ["received_on", "id"], unique=False)
    op.create_index("ix_case_updated", "case", ["updated_at"], unique=False)
    op.create_index("ix_case_type_state", "case", ["dispute_type", "state", "org_path"], unique=False)
    op.create_index(
        "ix_case_scope_state",
        "case",
        ["org_path", "state"],
        unique=False,
        postgresql_ops={"org_path": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_case_scope_state", table_name="case")
    op.drop_index("ix_case_type_state", table_name="case")
    op.drop_index("ix_case_updated", table_name="case")
    op.drop_index("ix_case_received", table_name="case")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_file_sha256"))
        batch_op.drop_index(batch_op.f("ix_case_file_case_id"))
    op.drop_table("case_file")
