"""supervision and statistics: who supervises which subtrees; the day mediation ended; the period dates' indexes

`supervision` pairs a supervising body with an organisation whose subtree its 督导 read (DOMAIN §8).
`case.concluded_on` is the day a case's mediation ended in success or failure, the date the statistics
count 调解成功 and 调解不成 by; existing cases take the local day of their succeed/fail timeline event, or
their closing day when they have none (imported ledgers). The statistics find a period's cases through
the indexes on each date they count by.

Revision ID: 0014_supervision_stats
Revises: 0013_alert_reviews
"""

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_supervision_stats"
down_revision = "0013_alert_reviews"
branch_labels = None
depends_on = None

DATE_INDEXES = {
    "ix_case_accepted": "accepted_on",
    "ix_case_concluded": "concluded_on",
    "ix_case_closed": "closed_on",
    "ix_case_mediation_due": "mediation_due_on",
    "ix_case_followup_due": "followup_due_on",
}


def upgrade() -> None:
    op.create_table(
        "supervision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("supervised_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["supervised_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "supervised_id", name="uq_supervision_pair"),
    )
    op.create_index(op.f("ix_supervision_org_id"), "supervision", ["org_id"], unique=False)
    op.create_index(op.f("ix_supervision_supervised_id"), "supervision", ["supervised_id"], unique=False)
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("concluded_on", sa.Date(), nullable=True))
    _backfill_concluded_on()
    for name, column in DATE_INDEXES.items():
        op.create_index(name, "case", [column], unique=False)
    op.create_index("ix_case_record_kind_held", "case_record", ["kind", "held_on"], unique=False)
    op.create_index("ix_transfer_sent", "transfer", ["sent_at"], unique=False)
    op.create_index("ix_transfer_answer_due", "transfer", ["answer_due_on"], unique=False)


def _backfill_concluded_on() -> None:
    conn = op.get_bind()
    zone = ZoneInfo(os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai"))
    ended = conn.execute(
        sa.text("SELECT case_id, MAX(at) FROM case_event WHERE kind IN ('succeed', 'fail') GROUP BY case_id")
    ).all()
    rows = []
    for case_id, at in ended:
        if isinstance(at, str):  # SQLite returns MAX() of its UTC text as text
            at = datetime.fromisoformat(at)
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        rows.append({"id": case_id, "day": at.astimezone(zone).date()})
    if rows:
        conn.execute(sa.text('UPDATE "case" SET concluded_on = :day WHERE id = :id AND outcome IS NOT NULL'), rows)
    conn.execute(
        sa.text('UPDATE "case" SET concluded_on = closed_on WHERE concluded_on IS NULL AND outcome IS NOT NULL')
    )


def downgrade() -> None:
    op.drop_index("ix_transfer_answer_due", table_name="transfer")
    op.drop_index("ix_transfer_sent", table_name="transfer")
    op.drop_index("ix_case_record_kind_held", table_name="case_record")
    for name in DATE_INDEXES:
        op.drop_index(name, table_name="case")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("concluded_on")
    op.drop_index(op.f("ix_supervision_supervised_id"), table_name="supervision")
    op.drop_index(op.f("ix_supervision_org_id"), table_name="supervision")
    op.drop_table("supervision")
