"""Append to, verify and query the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, or_, select

from portal.audit.models import AuditEntry, AuditHead
from portal.db import utcnow
from portal.errors import Forbidden
from portal.orgs.models import Organisation
from portal.people.models import Person, Role
from portal.scope import Principal

GENESIS = "0" * 64

ACTION_LABELS = {
    "auth.sign_in": "登录成功",
    "auth.sign_in_failed": "登录失败",
    "auth.locked": "登录被锁定",
    "auth.sign_out": "退出登录",
    "auth.session_expired": "会话超时",
    "auth.password_changed": "修改密码",
    "auth.password_reset": "重置密码",
    "security.csrf_rejected": "请求校验失败",
    "security.out_of_scope": "越权访问",
    "org.create": "新建组织",
    "org.update": "修改组织",
    "org.deactivate": "停用组织",
    "org.activate": "启用组织",
    "person.create": "新建人员",
    "person.update": "修改人员",
    "person.deactivate": "停用人员",
    "person.activate": "启用人员",
    "person.view_personal_data": "查看个人信息",
    "membership.create": "授予角色",
    "membership.delete": "撤销角色",
    "export.roster": "导出名册",
    "export.cases": "导出案件台账",
    "import.cases": "导入案件台账",
    "demo.build": "生成演示数据",
    "case.create": "登记案件",
    "case.update": "修改案件",
    "case.view_personal_data": "查看当事人信息",
    "case.record": "添加案件记录",
    "case.assign": "指派或撤回调解员",
    "case.accept": "受理案件",
    "case.refuse": "不予受理",
    "case.investigate": "开始调查",
    "case.mediate": "开始调解",
    "case.succeed": "调解成功",
    "case.fail": "调解不成",
    "case.apply_confirmation": "申请司法确认",
    "case.record_ruling": "登记司法确认裁定",
    "case.perform": "协议进入履行",
    "case.close": "结案",
    "case.follow_up": "回访",
    "case.evaluate": "登记评价",
    "transfer.create": "拟移送",
    "transfer.sign_off": "审签移送",
    "transfer.withdraw": "撤回移送",
    "transfer.accept": "接收移送",
    "transfer.return": "退回移送",
    "problem.create": "登记问题",
    "problem.update": "修改问题",
    "problem.start": "问题开始化解",
    "problem.resolve": "问题已化解",
    "problem.reopen": "问题重新化解",
    "problem.strike_off": "问题销号",
    "screening.create": "记录排查",
    "screening.update": "修改排查记录",
    "expert.create": "新增专家",
    "expert.update": "修改专家",
    "expert.deactivate": "停用专家",
    "expert.activate": "启用专家",
    "alert.review": "研判预警",
}


ACTION_FILTERS = [
    ("auth.", "登录与会话"),
    ("auth.sign_in_failed", "登录失败"),
    ("security.", "安全事件"),
    ("org.", "组织机构变更"),
    ("person.", "人员变更"),
    ("membership.", "角色变更"),
    ("person.view_personal_data", "查看个人信息"),
    ("export.", "导出与打印"),
    ("import.", "导入"),
    ("case.", "案件办理"),
    ("transfer.", "移送"),
    ("problem.", "问题清单"),
    ("screening.", "矛盾纠纷排查"),
    ("expert.", "专家库"),
    ("alert.", "预警研判"),
]
ACTION_PREFIXES = {value for value, _ in ACTION_FILTERS}
AUDIT_ROLES = (Role.ADMIN, Role.SUPERVISOR)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
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
        actor_name=actor.name if actor else actor_name,
        org_id=org.id if org else None,
        org_path=org.path if org else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        summary=summary[:400],
        changes=json.dumps(changes, ensure_ascii=False, sort_keys=True) if changes else "",
        address=address[:64],
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
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    tz: tzinfo = UTC


def scope_condition(principal: Principal):  # noqa: ANN201
    """Entries about organisations inside the person's admin/supervisor subtrees.

    Entries with no organisation (sign-in failures for unknown names) belong to the top: only
    those who administer or supervise a root organisation see them.
    """
    condition = principal.path_filter(AuditEntry.org_path, *AUDIT_ROLES)
    if any(root.count("/") == 2 for root in principal.roots(*AUDIT_ROLES)):
        condition = or_(condition, AuditEntry.org_path == "")
    return condition


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
        query = query.where(AuditEntry.org_path.startswith(org.path, autoescape=True))
    if flt.action:
        query = query.where(AuditEntry.action.startswith(flt.action, autoescape=True))
    if flt.date_from:
        query = query.where(AuditEntry.at >= datetime.combine(flt.date_from, datetime.min.time(), flt.tz))
    if flt.date_to:
        query = query.where(
            AuditEntry.at < datetime.combine(flt.date_to + timedelta(days=1), datetime.min.time(), flt.tz)
        )
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return list(db.exec(query.order_by(AuditEntry.seq.desc()).limit(limit)).all())
