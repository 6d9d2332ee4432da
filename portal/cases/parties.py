"""Parties (当事人): validation of identity numbers, masking, audited reveals, repeat-petition flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import bindparam, exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from portal import clock, inputs
from portal.audit import service as audit
from portal.cases import ids, visits
from portal.cases.access import record_change, require_act, visible_condition
from portal.cases.models import ID_TYPES, OPEN_STATES, PARTY_ROLES, Case, Party
from portal.db import one_of, stored_id
from portal.errors import Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal

PARTY_FIELDS = (
    "role",
    "kind",
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "age",
    "occupation",
    "id_type",
    "id_number",
    "phone",
    "address",
)
PARTY_LABELS = {
    "name": "姓名或名称",
    "ethnicity": "民族",
    "occupation": "职业",
    "id_number": "证件号码",
    "address": "住址",
}
# Who needs a party's full identity and phone numbers: the window and the mediators of the handling body.
PERSONAL_DATA_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)


@dataclass
class PartyForm:
    role: str = ""
    kind: str = "natural"
    name: str = ""
    sex: str = ""
    ethnicity: str = ""
    birth_date: str = ""
    age: str = ""
    occupation: str = ""
    id_type: str = ""
    id_number: str = ""
    phone: str = ""
    address: str = ""

    def is_blank(self) -> bool:
        return not any(getattr(self, f).strip() for f in PARTY_FIELDS if f not in ("kind", "role"))


def parties_from_form(data: dict, count: int = 6) -> list[PartyForm]:
    """Party blocks posted as p0_name, p0_role, …; empty blocks are left out."""
    forms = []
    for i in range(count):
        values = {f: str(data.get(f"p{i}_{f}", "")) for f in PARTY_FIELDS}
        form = PartyForm(**{k: v for k, v in values.items() if v or k != "kind"})
        forms.append(form)
    return forms


def validate(form: PartyForm, errors: dict[str, str], prefix: str = "") -> Party | None:
    """A Party from the form, or None with reasons added to `errors` (keys prefixed per block)."""

    def err(name: str, message: str) -> None:
        errors[f"{prefix}{name}"] = message

    if form.role not in PARTY_ROLES:
        err("role", "请选择当事人身份。")
    kind = "legal" if form.kind == "legal" else "natural"
    name = form.name.strip()
    if not name:
        err("name", "请填写当事人姓名或名称。")
    id_type, number = form.id_type, ids.normalise(form.id_number)
    if number and id_type not in ID_TYPES:
        err("id_type", "请选择证件类型。")
    elif (
        id_type == "resident_id"
        and number
        and (problem := ids.resident_id_problem(number))
        or id_type == "uscc"
        and number
        and (problem := ids.uscc_problem(number))
    ):
        err("id_number", problem)
    if kind == "legal" and id_type == "resident_id":
        err("id_type", "单位当事人请填写统一社会信用代码。")
    elif number and len(number) > 30:
        err("id_number", "证件号码不能超过 30 个字符。")
    birth = None
    if form.birth_date.strip():
        try:
            birth = inputs.day(form.birth_date, label="出生日期")
            if birth > clock.today():
                err("birth_date", "出生日期不能晚于今天。")
        except inputs.BadInput as exc:
            err("birth_date", exc.message)
    elif id_type == "resident_id" and number and not ids.resident_id_problem(number):
        birth = ids.birth_date_of(number)
    age = None
    if form.age.strip():
        try:
            age = inputs.integer(form.age, label="年龄", low=1, high=129)
        except inputs.BadInput:
            err("age", "年龄应为 1 到 129 之间的整数。")
    phone = form.phone.strip().replace(" ", "").replace("-", "")
    if phone and not (phone.isascii() and phone.isdigit() and 7 <= len(phone) <= 12):
        err("phone", "联系电话应为 7–12 位数字。")
    for key, label in PARTY_LABELS.items():
        reason = inputs.refusal(getattr(form, key), name=key == "name")
        if reason and f"{prefix}{key}" not in errors:
            err(key, label + reason)
    if any(k.startswith(prefix) for k in errors):
        return None
    return Party(  # type: ignore[call-arg]  # case_id: set when the party is added to its case
        role=form.role,
        kind=kind,
        name=name[:100],
        sex=form.sex if form.sex in ("男", "女") else "",
        ethnicity=form.ethnicity.strip()[:20],
        birth_date=birth,
        age=age,
        occupation=form.occupation.strip()[:50],
        id_type=id_type if number else "",
        id_number=number,
        phone=phone,
        address=form.address.strip()[:200],
    )


def validate_all(forms: list[PartyForm], errors: dict[str, str]) -> list[Party]:
    parties = []
    for i, form in enumerate(forms):
        if form.is_blank():
            continue
        party = validate(form, errors, prefix=f"p{i}_")
        if party is not None:
            parties.append(party)
    if not any(f.role == "申请人" and not f.is_blank() for f in forms):
        errors.setdefault("p0_name", "至少需要一名申请人。")
    return parties


def add_party(db: Session, principal: Principal, case: Case, form: PartyForm, *, address: str = "") -> Party:
    require_act(principal, case, PERSONAL_DATA_ROLES, "登记当事人")
    if case.state not in OPEN_STATES:
        raise Forbidden(f"案件{case.state.label}，不能再增加当事人。")
    errors: dict[str, str] = {}
    party = validate(form, errors)
    if party is None:
        raise Invalid(errors)
    party.case_id = stored_id(case.id)
    party.sort_order = len(parties_of(db, case))
    db.add(party)
    record_change(
        db,
        principal,
        case,
        kind="party",
        event=f"增加当事人：{party.name}（{party.role}）",
        action="case.update",
        summary=f"增加当事人：{party.name}",
        address=address,
    )
    return party


def remove_party(db: Session, principal: Principal, case: Case, party_id: int, *, address: str = "") -> None:
    require_act(principal, case, PERSONAL_DATA_ROLES, "删除当事人")
    party = db.get(Party, party_id)
    if party is None or party.case_id != case.id:
        raise OutOfScope("当事人不存在。", object_type="party", object_id=party_id)
    if case.state not in OPEN_STATES:
        raise Forbidden(f"案件{case.state.label}，不能再删除当事人。")
    if party.role == "申请人" and sum(1 for p in parties_of(db, case) if p.role == "申请人") == 1:
        raise Forbidden("这是唯一的申请人，不能删除。")
    db.delete(party)
    record_change(
        db,
        principal,
        case,
        kind="party",
        event=f"删除当事人：{party.name}（{party.role}）",
        action="case.update",
        summary=f"删除当事人：{party.name}",
        address=address,
    )


# Prepared once (bound per call): the case page runs it on every view,
# and SQLAlchemy then neither rebuilds nor re-keys it.
_PARTIES = select(Party).where(Party.case_id == bindparam("case_id")).order_by(Party.sort_order, Party.id)


def parties_of(db: Session, case: Case) -> list[Party]:
    return list(db.exec(_PARTIES, params={"case_id": case.id}).all())


def _open_or_recent(case):  # noqa: ANN001, ANN202
    """What a repeat visit is checked against: `case` (Case or an alias of it) still open, or received since `since`."""
    return or_(one_of(case.state, OPEN_STATES), case.received_on >= bindparam("since"))


def recent_since(recent_days: int) -> date:
    """The `since` of a repeat-visit check: cases received this many days ago or later count as recent."""
    return clock.today() - timedelta(days=recent_days)


_ELSEWHERE, _OTHER_CASE = aliased(Party), aliased(Case)


def seen_elsewhere():  # noqa: ANN201
    """SQL, per Party row: whether its ID number appears in another open or recent case (bound: `since`). The case page
    reads it with the parties, so the repeat-visit lookup (repeat_flags) runs only when one does. The other case is an
    alias, so a statement that also selects the viewed case cannot correlate the two."""
    return exists(
        select(_ELSEWHERE.id)
        .join(_OTHER_CASE, _OTHER_CASE.id == _ELSEWHERE.case_id)
        .where(
            Party.id_number != "",
            _ELSEWHERE.id_number == Party.id_number,
            _ELSEWHERE.case_id != Party.case_id,
            _open_or_recent(_OTHER_CASE),
        )
    )


def can_reveal(principal: Principal, case: Case) -> bool:
    """Whether the person works with the parties' full numbers (documents they print show them)."""
    return principal.has_role_over(case.org_path, *PERSONAL_DATA_ROLES)


def may_reveal(principal: Principal, case: Case) -> bool:
    """Whether the person may look at one party's full numbers, audited: those who work with them, and the 督导 of
    the case's subtree (who otherwise read everything masked, DOMAIN §8)."""
    return can_reveal(principal, case) or principal.has_role_over(case.org_path, Role.SUPERVISOR)


def reveal(db: Session, principal: Principal, case: Case, party_id: int, *, address: str = "") -> Party:
    """A party's full identity and phone numbers, for the roles that need them; every look is audited."""
    party = db.get(Party, party_id)
    if party is None or party.case_id != case.id:
        raise OutOfScope("当事人不存在。", object_type="party", object_id=party_id)
    if not may_reveal(principal, case):
        raise Forbidden("您的角色不能查看当事人的完整证件号码和电话。")
    audit.record(
        db,
        "case.view_personal_data",
        actor=principal.person,
        org=db.get(Organisation, case.org_id),
        object_type="case",
        object_id=case.id,
        summary=f"查看当事人 {party.name} 的完整证件号码和电话（{case.number}）",
        address=address,
    )
    return party


@dataclass
class RepeatFlag:
    """A party of this case whose ID number appears in other open or recent cases (重复访/越级访, cases.visits)."""

    party: Party
    visible: list[Case]
    hidden: int
    skips: set[int] = field(default_factory=set)  # the visible cases that make it a skip-level visit
    hidden_skips: int = 0

    @property
    def skipped(self) -> bool:
        return bool(self.skips or self.hidden_skips)


# Prepared once: the case page asks on every view.
_REPEATS = (
    select(
        Party.id_number,
        Case.id,
        Organisation.tier,
        Case.received_on,
        Case.state,
        Case.closed_on,
        Case.org_path,
        Organisation.kind,
    )
    .join(Case, Case.id == Party.case_id)
    .join(Organisation, Organisation.id == Case.org_id)
    .where(
        Party.id_number.in_(bindparam("numbers", expanding=True)),
        Case.id != bindparam("case_id"),
        _open_or_recent(Case),
    )
    .distinct()
)


def repeat_flags(
    db: Session,
    principal: Principal,
    case: Case,
    *,
    parties: list[Party] | None = None,
    numbers: set[str] | None = None,
    recent_days: int = 180,
) -> list[RepeatFlag]:
    """Search the whole county, show only what the viewer may see: other cases are counted, not named.

    `parties` are the case's parties when the caller has them already, and `numbers` those of their ID numbers known
    to appear elsewhere (seen_elsewhere). Three statements at most, however many parties: the other cases of
    all their ID numbers, which of those the viewer may see, and those cases.
    """
    parties = parties_of(db, case) if parties is None else parties
    numbers = {p.id_number for p in parties if p.id_number} if numbers is None else numbers
    if not numbers:
        return []
    hits = db.exec(
        _REPEATS, params={"numbers": sorted(numbers), "case_id": case.id, "since": recent_since(recent_days)}
    ).all()
    if not hits:
        return []
    others: dict[str, set[int]] = {}
    org = db.get(Organisation, case.org_id)
    this = visits.Visit(org.tier, case.received_on, case.state, case.closed_on, case.org_path, org.kind)
    skips = set()
    for number, case_id, *visit in hits:
        others.setdefault(number, set()).add(case_id)
        if visits.kind_of(this, visits.Visit(*visit)) == visits.SKIP:
            skips.add(case_id)
    seen = {
        c.id: c
        for c in db.exec(
            select(Case).where(Case.id.in_({i for _, i, *_ in hits}), visible_condition(principal)).order_by(Case.id)
        ).all()
    }
    flags = []
    for party in parties:
        ids = others.get(party.id_number, set()) if party.id_number else set()
        if ids:
            hidden = ids - seen.keys()
            shown = [seen[i] for i in sorted(ids) if i in seen]
            flags.append(RepeatFlag(party, shown, len(hidden), skips & seen.keys() & ids, len(hidden & skips)))
    return flags
