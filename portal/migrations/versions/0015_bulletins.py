"""bulletins: the monthly 研判预警专报 (one draft per organisation and month, versioned) and its issued versions

Revision ID: 0015_bulletins
Revises: 0014_supervision_stats
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_bulletins"
down_revision = "0014_supervision_stats"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
Moment = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("month", String(length=7), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("typical", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issues", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("created_at", Moment(), nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("updated_by_name", String(length=64), nullable=False),
        sa.Column("updated_at", Moment(), nullable=False),
        sa.UniqueConstraint("org_id", "month", name="uq_bulletin_month"),
    )
    op.create_index("ix_bulletin_org_id", "bulletin", ["org_id"])
    op.create_index("ix_bulletin_month", "bulletin", ["month"])
    op.create_table(
        "bulletin_issue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bulletin_id", sa.Integer(), sa.ForeignKey("bulletin.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", String(length=40), nullable=False),
        sa.Column("title", String(length=200), nullable=False),
        sa.Column("text_version", sa.Integer(), nullable=False),
        sa.Column("variant", String(length=12), nullable=False),
        sa.Column("sha256", String(length=64), nullable=False),
        sa.Column("storage_key", String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("annex_sha256", String(length=64), nullable=False),
        sa.Column("annex_key", String(length=120), nullable=False),
        sa.Column("annex_size", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("issued_by_name", String(length=64), nullable=False),
        sa.Column("issued_at", Moment(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("bulletin_id", "version", name="uq_bulletin_issue"),
    )
    op.create_index("ix_bulletin_issue_bulletin_id", "bulletin_issue", ["bulletin_id"])


def downgrade() -> None:
    op.drop_index("ix_bulletin_issue_bulletin_id", table_name="bulletin_issue")
    op.drop_table("bulletin_issue")
    op.drop_index("ix_bulletin_month", table_name="bulletin")
    op.drop_index("ix_bulletin_org_id", table_name="bulletin")
    op.drop_table("bulletin")
