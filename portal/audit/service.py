"""Append to, verify and query the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from portal import inputs
from portal.audit import actions
from portal.audit.models import AuditEntry, AuditHead
from portal.db import utcnow
from portal.errors import Forbidden
from portal.orgs.models import Organisation
from portal.people.models import Person, Role
from portal.scope import Principal

GENESIS = "0" * 64

AUDIT_ROLES = (Role.ADMIN, Role.SUPERVISOR)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):  # 涉及金额: as typed in the form, e.g. "3500.00" (JSON has no decimal type)
        return str(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}."""
    return {k: [_jsonable(before.get(k)), _jsonable(v)] for k, v in after.items() if before.get(k) != v}


def _entry_hash(entry: AuditEntry) -> str:
    at = entry.at.astimezone(UTC) if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    payload = [
        entry.seq,
        at.isoformat(),
        entry.actor_id,
        entry.actor_name,
        entry.org_id,
        entry.org_path,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.summary,
        entry.changes,
        entry.address,
        entry.prev_hash,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def record(
    db: Session,
    action: str,
    *,
    actor: Person | None = None,
    actor_name: str = "",
    org: Organisation | None = None,
    object_type: str = "",
    object_id: object = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
    address: str = "",
) -> AuditEntry:
    """Append one entry in the caller's transaction; the head row update serialises writers."""
    db.flush()
    db.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = db.exec(select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)).one()
    entry = AuditEntry(
        seq=head.seq,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=inputs.printable(actor.name if actor else actor_name)[:64],
        org_id=org.id if org else None,
        org_path=org.path if org else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        summary=inputs.printable(summary[:400]),  # may quote a refused request's path
        changes=inputs.printable(json.dumps(changes, ensure_ascii=False, sort_keys=True)) if changes else "",
        address=inputs.printable(address[:64]),
        prev_hash=head.hash,
        hash="",
    )
    entry.hash = _entry_hash(entry)
    head.hash = entry.hash
    db.add(entry)
    db.add(head)
    db.flush()
    return entry


@dataclass
class Verification:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify(db: Session, batch: int = 1000) -> Verification:
    """Walk the chain in order and report the first entry that was edited, removed or reordered."""
    prev_hash, expected_seq, checked, last_id = GENESIS, 1, 0, 0
    while True:
        rows = db.exec(select(AuditEntry).where(AuditEntry.seq > last_id).order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return Verification(checked, expected_seq, f"第 {expected_seq} 条记录缺失")
            if entry.prev_hash != prev_hash:
                return Verification(checked, entry.seq, "与上一条记录的链接不符")
            if _entry_hash(entry) != entry.hash:
                return Verification(checked, entry.seq, "记录内容已被改动")
            prev_hash, expected_seq, checked, last_id = entry.hash, expected_seq + 1, checked + 1, entry.seq
    head = db.get(AuditHead, 1)
    if head is None or head.seq != checked or head.hash != prev_hash:
        return Verification(checked, checked + 1, "末尾记录缺失或链头不符")
    return Verification(checked)


@dataclass
class AuditFilter:
    person: str = ""
    org_id: int | None = None
    action: str = ""  # a group of portal.audit.actions, or one action
    date_from: date | None = None
    date_to: date | None = None
    tz: tzinfo = UTC


def _orgs_under(condition):  # noqa: ANN001, ANN202
    return select(Organisation.id).where(condition).scalar_subquery()


def scope_condition(principal: Principal):  # noqa: ANN201
    """Entries about organisations inside the person's admin/supervisor subtrees, as the tree stands now.

    An entry keeps the path its organisation had when it was written (the path is part of its hash), so the scope is
    decided by its organisation id: after a move, an organisation's history goes with it to its new parent.
    Entries with no organisation (sign-in failures for unknown names) belong to the top: only
    those who administer or supervise a root organisation see them.
    """

    def build():  # noqa: ANN202
        condition = AuditEntry.org_id.in_(_orgs_under(principal.path_filter(Organisation.path, *AUDIT_ROLES)))
        if any(root.count("/") == 2 for root in principal.roots(*AUDIT_ROLES)):
            condition = or_(condition, AuditEntry.org_id.is_(None))
        return condition

    return principal.condition("audit_scope", build)


def search(
    db: Session, principal: Principal, flt: AuditFilter, *, before_seq: int | None, limit: int
) -> list[AuditEntry]:
    """Newest first, keyset-paginated by `seq`, scoped before anything else."""
    query = select(AuditEntry).where(scope_condition(principal))
    if flt.person:
        query = query.where(AuditEntry.actor_name.contains(flt.person, autoescape=True))
    if flt.org_id is not None:
        org = principal.visible_org(db, flt.org_id)
        if not principal.has_role_over(org.path, *AUDIT_ROLES):
            raise Forbidden("您不能查看该机构的操作日志。")
        query = query.where(
            AuditEntry.org_id.in_(_orgs_under(col(Organisation.path).startswith(org.path, autoescape=True)))
        )
    if flt.action:
        query = query.where(AuditEntry.action.in_(actions.codes_of(flt.action)))
    if flt.date_from:
        query = query.where(AuditEntry.at >= datetime.combine(flt.date_from, datetime.min.time(), flt.tz))
    if flt.date_to:
        query = query.where(
            AuditEntry.at < datetime.combine(flt.date_to + timedelta(days=1), datetime.min.time(), flt.tz)
        )
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return list(db.exec(query.order_by(AuditEntry.seq.desc()).limit(limit)).all())
