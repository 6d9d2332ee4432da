"""cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:57:41.404800
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

# The dispute classification as first seeded (later changes go in new migrations).
DISPUTE_TYPES = [
    ("01", "婚姻家庭", None),
    ("0101", "婚姻纠纷", "01"),
    ("0102", "赡养抚养纠纷", "01"),
    ("0103", "继承纠纷", "01"),
    ("02", "邻里", None),
    ("0201", "相邻通行纠纷", "02"),
    ("0202", "噪音滴水纠纷", "02"),
    ("03", "房屋宅基地", None),
    ("0301", "宅基地纠纷", "03"),
    ("0302", "房屋买卖租赁纠纷", "03"),
    ("04", "合同", None),
    ("05", "生产经营", None),
    ("06", "损害赔偿", None),
    ("07", "山林土地", None),
    ("0701", "土地承包纠纷", "07"),
    ("0702", "林权纠纷", "07"),
    ("08", "征地拆迁", None),
    ("09", "环境污染", None),
    ("10", "劳动争议", None),
    ("1001", "拖欠农民工工资", "10"),
    ("1002", "其他劳动争议", "10"),
    ("11", "旅游", None),
    ("12", "消费", None),
    ("13", "医疗", None),
    ("14", "道路交通事故", None),
    ("15", "物业", None),
    ("16", "知识产权", None),
    ("17", "互联网", None),
    ("99", "其他", None),
]


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispute_type",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("parent_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    dispute_type = sa.table(
        "dispute_type", sa.column("code"), sa.column("name"), sa.column("parent_code"), sa.column("active")
    )
    op.bulk_insert(
        dispute_type, [{"code": c, "name": n, "parent_code": p, "active": True} for c, n, p in DISPUTE_TYPES]
    )
    op.create_table(
        "case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("number_org_id", sa.Integer(), nullable=False),
        sa.Column("number_year", sa.Integer(), nullable=False),
        sa.Column("number_prefix", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("number_seq", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("dispute_type", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("requests", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("people_involved", sa.Integer(), nullable=False),
        sa.Column("group_dispute", sa.Boolean(), nullable=False),
        sa.Column("risk_flag", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "registered",
                "refused",
                "accepted",
                "investigating",
                "mediating",
                "agreed",
                "failed",
                "confirming",
                "performing",
                "closed",
                "followed_up",
                "evaluated",
                name="casestate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("mediation_due_on", sa.Date(), nullable=True),
        sa.Column("followup_due_on", sa.Date(), nullable=True),
        sa.Column("in_transfer", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dispute_type"],
            ["dispute_type.code"],
        ),
        sa.ForeignKeyConstraint(
            ["number_org_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number_org_id", "number_year", "number_seq", name="uq_case_number"),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "ix_case_scope_list",
            ["org_path", "received_on", "id"],
            unique=False,
            postgresql_ops={"org_path": "varchar_pattern_ops"},
        )
        batch_op.create_index("ix_case_state", ["state", "id"], unique=False)

    op.create_table(
        "case_sequence",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "year"),
    )
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("org_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_mediator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "person_id", name="uq_case_mediator"),
    )
    with op.batch_alter_table("case_mediator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_mediator_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_mediator_person_id"), ["person_id"], unique=False)

    op.create_table(
        "case_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_record_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_record_kind"), ["kind"], unique=False)

    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("ethnicity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("occupation", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("id_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("id_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_party_id_number"), ["id_number"], unique=False)

    op.create_table(
        "transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_org_id", sa.Integer(), nullable=False),
        sa.Column("from_path", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("to_org_id", sa.Integer(), nullable=False),
        sa.Column("to_path", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "awaiting_signoff",
                "sent",
                "accepted",
                "returned",
                "withdrawn",
                name="transferstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("answer_due_on", sa.Date(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("answer_reason", sa.Text(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("fed_back_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["person.id"],
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
            ["from_org_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["to_org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_from_org_id"), ["from_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_from_path"), ["from_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_to_org_id"), ["to_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_to_path"), ["to_path"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_to_path"))
        batch_op.drop_index(batch_op.f("ix_transfer_to_org_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_from_path"))
        batch_op.drop_index(batch_op.f("ix_transfer_from_org_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_case_id"))

    op.drop_table("transfer")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_id_number"))
        batch_op.drop_index(batch_op.f("ix_party_case_id"))

    op.drop_table("party")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_record_kind"))
        batch_op.drop_index(batch_op.f("ix_case_record_case_id"))

    op.drop_table("case_record")
    with op.batch_alter_table("case_mediator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_mediator_person_id"))
        batch_op.drop_index(batch_op.f("ix_case_mediator_case_id"))

    op.drop_table("case_mediator")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_event_case_id"))

    op.drop_table("case_event")
    op.drop_table("case_sequence")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_state")
        batch_op.drop_index("ix_case_scope_list")
        batch_op.drop_index(batch_op.f("ix_case_org_id"))
        batch_op.drop_index(batch_op.f("ix_case_number"))

    op.drop_table("case")
    op.drop_table("dispute_type")
