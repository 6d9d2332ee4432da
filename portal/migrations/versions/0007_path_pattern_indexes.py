"""prefix-LIKE indexes on every materialised path: pattern ops on PostgreSQL

Scope filters match paths by prefix (LIKE '/1/2/%'). Under a non-C collation PostgreSQL can use a
btree index for that only with varchar_pattern_ops; the case indexes had them (0004), the paths of
organisations, transfers, experts, problems, screening rounds and the audit trail now do too.
SQLite indexes are unchanged (its LIKE prefix optimisation needs case_sensitive_like, set per
connection).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (index, table, columns, the path column)
INDEXES = [
    ("ix_organisation_path", "organisation", ["path"], "path"),
    ("ix_audit_entry_org_path", "audit_entry", ["org_path"], "org_path"),
    ("ix_expert_org_path", "expert", ["org_path"], "org_path"),
    ("ix_transfer_from_path", "transfer", ["from_path"], "from_path"),
    ("ix_transfer_to_path", "transfer", ["to_path"], "to_path"),
    ("ix_problem_scope_list", "problem", ["org_path", "found_on", "id"], "org_path"),
    ("ix_screening_round_scope", "screening_round", ["org_path", "held_on", "id"], "org_path"),
]


def _rebuild(pattern_ops: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, columns, path in INDEXES:
        op.drop_index(name, table_name=table)
        ops = {"postgresql_ops": {path: "varchar_pattern_ops"}} if pattern_ops else {}
        op.create_index(name, table, columns, unique=False, **ops)


def upgrade() -> None:
    _rebuild(pattern_ops=True)


def downgrade() -> None:
    _rebuild(pattern_ops=False)
