"""statistics facts: what the statistics count about a case that its row did not say, and indexes that cover them

The first 回访 record's day, whether the case has an evaluation and whether every evaluation scored 4 or 5 become
columns of the case (`followed_up_on`, `evaluated`, `satisfied`), and the days since the nearest earlier case of one
of its parties' ID numbers a row of `case_repeat` (重复访); portal.stats.facts keeps them in every transaction that
changes a case's records or parties, and they are worked out here for the cases there are. The indexes on each date
the statistics count by (0014) become indexes that hold every column the indicators of that date read, so that a
period is counted from its date's index alone.

Revision ID: 0016_stats_facts
Revises: 0015_bulletins
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0016_stats_facts"
down_revision = "0015_bulletins"
branch_labels = None
depends_on = None

DATE_INDEXES = {  # 0014's
    "ix_case_accepted": "accepted_on",
    "ix_case_concluded": "concluded_on",
    "ix_case_closed": "closed_on",
    "ix_case_mediation_due": "mediation_due_on",
    "ix_case_followup_due": "followup_due_on",
}
_DIMS = ("org_path", "org_id", "dispute_type", "channel")
STAT_INDEXES = {  # portal.cases.models STAT_INDEXES as of this revision
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
    # ALTER TABLE … ADD COLUMN on SQLite too: a batch would copy the table, which the rows referring to the cases
    # refuse (foreign keys are on).
    with op.batch_alter_table("case", recreate="never") as batch:
        batch.add_column(sa.Column("followed_up_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("evaluated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("satisfied", sa.Boolean(), nullable=False, server_default=sa.false()))
    # No foreign key to the case (see portal.stats.models.CaseRepeat).
    op.create_table(
        "case_repeat",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("gap_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    _backfill_facts()
    for name in DATE_INDEXES:
        op.drop_index(name, table_name="case")
    for name, columns in STAT_INDEXES.items():
        op.create_index(name, "case", list(columns), unique=False)


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
    for name in STAT_INDEXES:
        op.drop_index(name, table_name="case")
    for name, column in DATE_INDEXES.items():
        op.create_index(name, "case", [column], unique=False)
    op.drop_table("case_repeat")
    # ALTER TABLE … DROP COLUMN on SQLite too (3.35+; see upgrade).
    with op.batch_alter_table("case", recreate="never") as batch:
        batch.drop_column("satisfied")
        batch.drop_column("evaluated")
        batch.drop_column("followed_up_on")
