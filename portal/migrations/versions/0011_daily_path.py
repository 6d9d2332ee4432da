"""daily path: who signs a transfer, returns queued until the sender acts, where quick reports go

- transfer.signer_org_id: the body whose leader signs the letter (portal.cases.signing); NULL for letters sent without
  a sign-off and for drafts made before this revision (those keep the old rule: a director over the sender).
- transfer.answered_version: the case's version right after a return; the return stays in the sender's 被退回 queue
  while the case is still at that version.
- ix_transfer_state_due: the workspace's queues count transfers by state and answer deadline.
- report_route: per organisation, where its quick reports (随手拍) go instead of the committee above it.

Revision ID: 0011_daily_path
Revises: 0010_dossier_catalogue
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_daily_path"
down_revision = "0010_dossier_catalogue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signer_org_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answered_version", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_transfer_signer_org_id_organisation", "organisation", ["signer_org_id"], ["id"])
        batch_op.create_index("ix_transfer_state_due", ["state", "answer_due_on"], unique=False)
    op.create_table(
        "report_route",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("to_org_id", sa.Integer(), nullable=True),
        sa.Column("keep", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["to_org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )


def downgrade() -> None:
    op.drop_table("report_route")
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.drop_index("ix_transfer_state_due")
        batch_op.drop_constraint("fk_transfer_signer_org_id_organisation", type_="foreignkey")
        batch_op.drop_column("answered_version")
        batch_op.drop_column("signer_org_id")
