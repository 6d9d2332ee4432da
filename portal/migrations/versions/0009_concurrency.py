"""what may exist only once is unique in the database: one open transfer per case, one binding job at a time per
case, one problem item per screening finding

The services check these before they write, under the row lock of what they change (portal.db.lock); the indexes
are the database's own guard. A database that already holds duplicates (made by simultaneous requests before this
revision, on PostgreSQL) is refused with the rows to resolve, rather than changed behind the operator's back.

Revision ID: 0009_concurrency
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_concurrency"
down_revision = "0008"
branch_labels = None
depends_on = None

OPEN_TRANSFER = "state IN ('awaiting_signoff', 'sent')"
ACTIVE_JOB = "status IN ('queued', 'running')"
DUPLICATES = [
    (
        "open transfers of one case",
        f"SELECT case_id FROM transfer WHERE {OPEN_TRANSFER} GROUP BY case_id HAVING count(*) > 1",
    ),
    (
        "active binding jobs of one case",
        f"SELECT case_id FROM dossier_job WHERE {ACTIVE_JOB} GROUP BY case_id HAVING count(*) > 1",
    ),
    (
        "problem items of one screening finding",
        "SELECT screening_id FROM problem WHERE screening_finding IS NOT NULL "
        "GROUP BY screening_id, screening_finding HAVING count(*) > 1",
    ),
]


def upgrade() -> None:
    conn = op.get_bind()
    found = []
    for what, query in DUPLICATES:
        ids = [row[0] for row in conn.execute(sa.text(query))]
        if ids:
            found.append(f"{what}: {ids[:20]}")
    if found:
        raise RuntimeError(
            "resolve these duplicates before migrating (withdraw or fail the extra rows): " + "; ".join(found)
        )
    op.create_index(
        "uq_transfer_open",
        "transfer",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_TRANSFER),
        postgresql_where=sa.text(OPEN_TRANSFER),
    )
    op.create_index(
        "uq_dossier_job_active",
        "dossier_job",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_JOB),
        postgresql_where=sa.text(ACTIVE_JOB),
    )
    op.create_index("uq_problem_finding", "problem", ["screening_id", "screening_finding"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_problem_finding", table_name="problem")
    op.drop_index("uq_dossier_job_active", table_name="dossier_job")
    op.drop_index("uq_transfer_open", table_name="transfer")
