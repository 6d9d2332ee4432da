"""supervision and statistics: who supervises which subtrees; the day mediation ended; the period dates' indexes

`supervision` pairs a supervising body with an organisation whose subtree its 督导 read (DOMAIN §8).
`case.concluded_on` is the day a case's mediation ended in success or failure, the date the statistics
count 调解成功 and 调解不成 by; existing cases take the local day of their succeed/fail timeline event, or
their closing day when they have none (imported ledgers). The facts of portal.stats.facts — the first
follow-up's day, evaluated, satisfied (columns of the case) and the 重复访 gap (`case_repeat`) — are
worked out for existing cases. The statistics count a period's cases from an index on each date they
count by that holds every column their conditions read.

Revision ID: 0014_supervision_stats
Revises: 0013_alert_reviews
"""

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_supervision_stats"
down_revision = "0013_alert_reviews"
branch_labels = None
depends_on = None

_DIMS = ("org_path", "org_id", "dispute_type", "channel")
STAT_INDEXES = {
    "ix_case_stat_received": (
        "received_on",
        *_DIMS,
        "state",
        "group_dispute",
        "risk_flag",
        "people_involved",
        "amount",
    ),
    "ix_case_stat_accepted": ("accepted_on", *_DIMS),
    "ix_case_stat_concluded": ("concluded_on", *_DIMS, "outcome", "number_org_id"),
    "ix_case_stat_closed": ("closed_on", *_DIMS, "followup_due_on", "followed_up_on", "evaluated", "satisfied"),
    "ix_case_stat_mediation_due": ("mediation_due_on", *_DIMS, "state", "concluded_on"),
    "ix_case_stat_followup_due": ("followup_due_on", *_DIMS, "followed_up_on"),
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
        batch.add_column(sa.Column("followed_up_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("evaluated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("satisfied", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "case_repeat",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("gap_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    _backfill_concluded_on()
    _backfill_facts()
    for name, columns in STAT_INDEXES.items():
        op.create_index(name, "case", list(columns), unique=False)
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


def _backfill_facts() -> None:
    """The facts portal.stats.facts keeps, for the cases there are (the same definitions, written out here)."""
    conn = op.get_bind()
    score = (
        "r.fields ->> 'score'"
        if conn.dialect.name == "postgresql"
        else "CAST(json_extract(r.fields, '$.score') AS TEXT)"
    )
    evaluation = "SELECT 1 FROM case_record r WHERE r.case_id = \"case\".id AND r.kind = 'evaluation'"
    conn.execute(
        sa.text(
            'UPDATE "case" SET '
            "followed_up_on = (SELECT min(r.held_on) FROM case_record r "
            "WHERE r.case_id = \"case\".id AND r.kind = 'followup'), "
            f"evaluated = EXISTS ({evaluation}), "
            f"satisfied = (EXISTS ({evaluation}) AND NOT EXISTS ({evaluation} AND {score} IN ('1', '2', '3')))"
        )
    )
    pairs = conn.execute(
        sa.text(
            'SELECT own.case_id, c.received_on, o.received_on FROM party own JOIN "case" c ON c.id = own.case_id '
            "JOIN party other ON other.id_number = own.id_number AND other.case_id <> own.case_id "
            'JOIN "case" o ON o.id = other.case_id '
            "WHERE own.id_number <> '' AND o.received_on <= c.received_on"
        )
    ).all()
    gaps: dict[int, int] = {}
    for case_id, day, before in pairs:
        gap = (_date(day) - _date(before)).days
        gaps[case_id] = min(gap, gaps.get(case_id, gap))
    if gaps:
        conn.execute(
            sa.text("INSERT INTO case_repeat (case_id, gap_days) VALUES (:case_id, :gap)"),
            [{"case_id": k, "gap": v} for k, v in sorted(gaps.items())],
        )


def _date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def downgrade() -> None:
    op.drop_index("ix_transfer_answer_due", table_name="transfer")
    op.drop_index("ix_transfer_sent", table_name="transfer")
    op.drop_index("ix_case_record_kind_held", table_name="case_record")
    for name in STAT_INDEXES:
        op.drop_index(name, table_name="case")
    op.drop_table("case_repeat")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("satisfied")
        batch.drop_column("evaluated")
        batch.drop_column("followed_up_on")
        batch.drop_column("concluded_on")
    op.drop_index(op.f("ix_supervision_supervised_id"), table_name="supervision")
    op.drop_index(op.f("ix_supervision_org_id"), table_name="supervision")
    op.drop_table("supervision")
