"""alert reviews: an early-warning alert marked 已研判 with a note, under the alert's stable key

Revision ID: 0013_alert_reviews
Revises: 0012_case_number_formats
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_alert_reviews"
down_revision = "0012_case_number_formats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("reviewer_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_alert_review_key"),
    )
    op.create_index("ix_alert_review_month", "alert_review", ["month"])
    op.create_index("ix_alert_review_org_id", "alert_review", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_review_org_id", table_name="alert_review")
    op.drop_index("ix_alert_review_month", table_name="alert_review")
    op.drop_table("alert_review")
