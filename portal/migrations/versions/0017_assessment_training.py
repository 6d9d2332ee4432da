"""assessment and training: 考核 rubrics, items, monthly assessments with frozen scores; training sessions and attendees

A rubric (`assessment_rubric`, its items) is a supervising body's 考核细则 for the bodies under one organisation;
each month's `assessment` is computed, adjusted and published in revisions, its `assessment_score` rows and their
items frozen at publication. `training_session` and `training_attendee` are the training records (DOMAIN §8).

Revision ID: 0017_assessment_training
Revises: 0016_stats_facts
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017_assessment_training"
down_revision = "0016_stats_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_rubric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("assessed_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("grades", sa.Text(), nullable=False),
        sa.Column("below", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_id"],
            ["organisation.id"],
        ),
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
    with op.batch_alter_table("assessment_rubric", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_rubric_assessed_id"), ["assessed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_rubric_org_id"), ["org_id"], unique=False)

    op.create_table(
        "training_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("pre_job", "business", "demo", name="trainingkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
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
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_session_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "ix_training_session_scope",
            ["org_path", "held_on"],
            unique=False,
            postgresql_ops={"org_path": "varchar_pattern_ops"},
        )

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "published", "superseded", name="runstate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rubric_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("org_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("assessed_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("computed_by", sa.Integer(), nullable=True),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["computed_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["assessment_rubric.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rubric_id", "month", "revision", name="uq_assessment_revision"),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_rubric_id"), ["rubric_id"], unique=False)

    op.create_table(
        "assessment_rubric_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "mode", sa.Enum("target", "deduct", "manual", name="itemmode", native_enum=False, length=24), nullable=False
        ),
        sa.Column("indicator", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("baseline", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("weight", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("target", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("per_unit", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["assessment_rubric.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assessment_rubric_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_rubric_item_rubric_id"), ["rubric_id"], unique=False)

    op.create_table(
        "training_attendee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "person_id", name="uq_training_attendee"),
    )
    with op.batch_alter_table("training_attendee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_attendee_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_attendee_session_id"), ["session_id"], unique=False)

    op.create_table(
        "assessment_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("org_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("total", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assessment_id", "org_id", name="uq_assessment_score_org"),
    )
    with op.batch_alter_table("assessment_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_score_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index("ix_assessment_score_org", ["org_id", "assessment_id"], unique=False)

    op.create_table(
        "assessment_score_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "mode", sa.Enum("target", "deduct", "manual", name="itemmode", native_enum=False, length=24), nullable=False
        ),
        sa.Column("weight", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("computed", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("points", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("adjusted_by", sa.Integer(), nullable=True),
        sa.Column("adjusted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["adjusted_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["assessment_rubric_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["assessment_score.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("score_id", "item_id", name="uq_assessment_score_item"),
    )
    with op.batch_alter_table("assessment_score_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_score_item_score_id"), ["score_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment_score_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_score_item_score_id"))

    op.drop_table("assessment_score_item")
    with op.batch_alter_table("assessment_score", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_score_org")
        batch_op.drop_index(batch_op.f("ix_assessment_score_assessment_id"))

    op.drop_table("assessment_score")
    with op.batch_alter_table("training_attendee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_attendee_session_id"))
        batch_op.drop_index(batch_op.f("ix_training_attendee_person_id"))

    op.drop_table("training_attendee")
    with op.batch_alter_table("assessment_rubric_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_rubric_item_rubric_id"))

    op.drop_table("assessment_rubric_item")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_rubric_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_month"))

    op.drop_table("assessment")
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.drop_index("ix_training_session_scope", postgresql_ops={"org_path": "varchar_pattern_ops"})
        batch_op.drop_index(batch_op.f("ix_training_session_org_id"))

    op.drop_table("training_session")
    with op.batch_alter_table("assessment_rubric", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_rubric_org_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_rubric_assessed_id"))

    op.drop_table("assessment_rubric")
