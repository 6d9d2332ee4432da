"""subsidies and joint meetings: tariffs, claims (one per case), shares, approval steps, payment batches; meetings
with their bodies, cases and decisions (each decision a 问题清单 item)

Revision ID: 0018_subsidies_meetings
Revises: 0017_assessment_training
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018_subsidies_meetings"
down_revision = "0017_assessment_training"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "joint_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("chair", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("joint_meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_meeting_held_on"), ["held_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_joint_meeting_org_id"), ["org_id"], unique=False)

    op.create_table(
        "subsidy_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "month", name="uq_subsidy_batch_month"),
    )
    with op.batch_alter_table("subsidy_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subsidy_batch_org_id"), ["org_id"], unique=False)

    op.create_table(
        "subsidy_tariff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("oral_ratio", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("failed_ratio", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("yearly_cap", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("require_performed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "effective_from", name="uq_subsidy_tariff_from"),
    )
    with op.batch_alter_table("subsidy_tariff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subsidy_tariff_org_id"), ["org_id"], unique=False)

    op.create_table(
        "joint_meeting_body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "org_id", name="uq_joint_meeting_body"),
    )
    with op.batch_alter_table("joint_meeting_body", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_meeting_body_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_joint_meeting_body_org_id"), ["org_id"], unique=False)

    op.create_table(
        "joint_meeting_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "case_id", name="uq_joint_meeting_case"),
    )
    with op.batch_alter_table("joint_meeting_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_meeting_case_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_joint_meeting_case_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "subsidy_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("proposed_grade", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("base_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("ratio", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "director",
                "office",
                "bureau",
                "approved",
                "batched",
                "paid",
                "refused",
                name="claimstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("needs_office", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["subsidy_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["subsidy_tariff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", name="uq_subsidy_claim_case"),
    )
    with op.batch_alter_table("subsidy_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subsidy_claim_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subsidy_claim_payer_id"), ["payer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subsidy_claim_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_subsidy_claim_tariff_id"), ["tariff_id"], unique=False)

    op.create_table(
        "subsidy_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["subsidy_tariff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tariff_id", "grade", name="uq_subsidy_rate_grade"),
    )
    with op.batch_alter_table("subsidy_rate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subsidy_rate_tariff_id"), ["tariff_id"], unique=False)

    op.create_table(
        "joint_meeting_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problem.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("problem_id"),
    )
    with op.batch_alter_table("joint_meeting_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_meeting_decision_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "subsidy_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["subsidy_claim.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id", "person_id", name="uq_subsidy_share_person"),
    )
    with op.batch_alter_table("subsidy_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subsidy_share_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subsidy_share_person_id"), ["person_id"], unique=False)

    op.create_table(
        "subsidy_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("grade_from", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("grade_to", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["subsidy_claim.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id", "step", name="uq_subsidy_step"),
    )
    with op.batch_alter_table("subsidy_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subsidy_step_claim_id"), ["claim_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subsidy_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_step_claim_id"))

    op.drop_table("subsidy_step")
    with op.batch_alter_table("subsidy_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_share_person_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_share_claim_id"))

    op.drop_table("subsidy_share")
    with op.batch_alter_table("joint_meeting_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_joint_meeting_decision_meeting_id"))

    op.drop_table("joint_meeting_decision")
    with op.batch_alter_table("subsidy_rate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_rate_tariff_id"))

    op.drop_table("subsidy_rate")
    with op.batch_alter_table("subsidy_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_claim_tariff_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_claim_state"))
        batch_op.drop_index(batch_op.f("ix_subsidy_claim_payer_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_claim_batch_id"))

    op.drop_table("subsidy_claim")
    with op.batch_alter_table("joint_meeting_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_joint_meeting_case_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_joint_meeting_case_case_id"))

    op.drop_table("joint_meeting_case")
    with op.batch_alter_table("joint_meeting_body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_joint_meeting_body_org_id"))
        batch_op.drop_index(batch_op.f("ix_joint_meeting_body_meeting_id"))

    op.drop_table("joint_meeting_body")
    with op.batch_alter_table("subsidy_tariff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_tariff_org_id"))

    op.drop_table("subsidy_tariff")
    with op.batch_alter_table("subsidy_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_batch_org_id"))

    op.drop_table("subsidy_batch")
    with op.batch_alter_table("joint_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_joint_meeting_org_id"))
        batch_op.drop_index(batch_op.f("ix_joint_meeting_held_on"))

    op.drop_table("joint_meeting")
