"""When an organisation moves, every stored copy of its subtree's paths moves with it, in the same transaction.

Cases, transfers, problem items, screening rounds and experts store their organisation's materialised path
(`/1/5/23/`) so that every scoped list is one indexed prefix match (docs/org-moves.md says why this beats deriving
the path at read time). So a move rewrites, besides the organisations themselves (portal.orgs.service), every
stored path that starts with the old one — one UPDATE per column — and queues the moved subtree's cases for the
search index (whose scope and facets hold the organisation chain) through the outbox, which the indexer drains in
bounded batches. Audit entries keep the path they were written with (it is part of their hash); the audit trail's
scope is decided by the entry's organisation id instead (portal.audit.service.scope_condition).

A row that copies an organisation's path must read it with `stored_path`, which holds the organisation row (FOR
SHARE on PostgreSQL; SQLite's writers hold the whole database from BEGIN): a concurrent move then either waits for
that row's transaction, and rewrites the row it committed, or makes it wait and hands it the new path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, insert, literal, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from portal.cases.models import Case, Transfer
from portal.db import utcnow
from portal.experts.models import Expert
from portal.orgs.models import Organisation
from portal.problems.models import Problem
from portal.screening.models import ScreeningRound
from portal.searching.models import SearchOutbox
from portal.training.models import TrainingSession

# Every column that stores an organisation's materialised path. A new one joins here (tests/test_org_moves.py walks
# the models and fails on a path column missing from this list).
STORED_PATHS = (
    Case.org_path,
    Transfer.from_path,
    Transfer.to_path,
    Problem.org_path,
    ScreeningRound.org_path,
    Expert.org_path,
    TrainingSession.org_path,
)


def stored_path(db: Session, org: Organisation) -> str:
    """The organisation's path as it stands now, to copy into a row this transaction writes (see the module)."""
    query = select(Organisation.path).where(Organisation.id == org.id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    path = db.execute(query).scalar_one()
    # The loaded organisation learns the path as read, not as a change of its own: assigning it would make the flush
    # write the organisation back, at the version loaded before the move — a stale row (409) for a mere reader.
    set_committed_value(org, "path", path)
    return path


def follow(db: Session, old_path: str, new_path: str) -> dict[str, int]:
    """Rewrite every stored path under `old_path` to lie under `new_path`; queue the moved cases for the index.

    Returns the rows changed per column (for the audit entry of the move)."""
    db.flush()  # the organisation's own changes first: what is loaded is expired at the end
    changed: dict[str, int] = {}
    now = utcnow()
    for column in STORED_PATHS:
        model = column.class_
        values: dict[str, Any] = {
            column.key: literal(new_path, String) + func.substr(column, len(old_path) + 1, type_=String)
        }
        if model is Case:
            values["updated_at"] = now  # the lists' kept counts are keyed by the newest change (portal.freshness)
        result = db.execute(
            update(model)
            .where(col(column).startswith(old_path, autoescape=True))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed[f"{model.__tablename__}.{column.key}"] = result.rowcount
    # The index's scope and facets hold each case's organisation chain: rewrite the moved ones (the indexer takes the
    # outbox in batches of PORTAL_INDEXER_BATCH_SIZE, so a large subtree is indexed in bounded steps).
    db.execute(
        insert(SearchOutbox).from_select(
            ["case_id", "created_at"],
            select(Case.id, literal(now)).where(col(Case.org_path).startswith(new_path, autoescape=True)),
        )
    )
    db.expire_all()  # loaded rows still hold their old paths
    return changed


def summary(changed: dict[str, int]) -> str:
    """What moved with the organisation, for the audit entry: e.g. "（随迁：案件 14、移送 3、问题 2）"."""
    labels = {
        "case": "案件",
        "transfer": "移送记录",
        "problem": "问题",
        "screening_round": "排查",
        "expert": "专家",
        "training_session": "培训",
    }
    counts: dict[str, int] = {}
    for key, count in changed.items():
        table = key.split(".")[0]
        counts[table] = max(counts.get(table, 0), count)
    parts = [f"{labels[t]} {n}" for t, n in counts.items() if n and t in labels]
    return f"（随迁：{'、'.join(parts)}）" if parts else ""
