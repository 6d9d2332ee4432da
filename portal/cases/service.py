"""Cases: who may see them, numbering, intake, editing and the scoped, filtered list."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlalchemy import exists, func, or_, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from portal import clock, freshness, inputs
from portal.audit import service as audit
from portal.cases import numbers
from portal.cases import parties as party_service
from portal.cases.access import get_case, log_event, require_act, touch, transferred_ids, visible_condition
from portal.cases.models import (
    CHANNELS,
    MEDIATION_STATES,
    OPEN_STATES,
    Case,
    CaseMediator,
    CaseSequence,
    CaseState,
    DisputeType,
)
from portal.cases.numbers import CaseNumber
from portal.db import stored_id
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import moves
from portal.orgs.models import Organisation, Tier
from portal.paging import Page
from portal.people.models import Membership, Person, Role
from portal.scope import Principal, prefix_pattern
from portal.stats import drilldown

INTAKE_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)
EDIT_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)


def next_number(db: Session, org: Organisation, year: int) -> CaseNumber:
    """The next number of `org` in `year`, safely under concurrency, in the organisation's format (prefix, 字号)."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CaseSequence).values(org_id=org.id, year=year, last=1)
    statement = statement.on_conflict_do_update(index_elements=["org_id", "year"], set_={"last": CaseSequence.last + 1})
    seq = db.execute(statement.returning(CaseSequence.last)).scalar_one()
    return CaseNumber(year, numbers.prefix_of(org), numbers.word_of(org), seq)


@dataclass
class CaseForm:
    title: str = ""
    channel: str = ""
    dispute_type: str = ""
    summary: str = ""
    requests: str = ""
    amount: str = ""
    people_involved: str = "1"
    group_dispute: str = ""
    risk_flag: str = ""
    received_on: str = ""
    org_id: str = ""
    version: str = ""

    @classmethod
    def of(cls, case: Case) -> CaseForm:
        return cls(
            title=case.title,
            channel=case.channel,
            dispute_type=case.dispute_type,
            summary=case.summary,
            requests=case.requests,
            amount=str(case.amount or ""),
            people_involved=str(case.people_involved),
            group_dispute="1" if case.group_dispute else "",
            risk_flag="1" if case.risk_flag else "",
            received_on=case.received_on.isoformat(),
            org_id=str(case.org_id),
            version=str(case.version),
        )


@dataclass(frozen=True)
class _DisputeTypes:
    choices: list[tuple[str, str]]  # active types as (code, "type · sub-type")
    children: dict[str, tuple[str, ...]]  # every type's sub-types, retired ones included (old cases keep them)


_DISPUTE_TYPES: dict[str, tuple[float, _DisputeTypes]] = {}
DISPUTE_CHOICES_SECONDS = 60.0


def _dispute_types(db: Session) -> _DisputeTypes:
    """The dispute types are reference data that only a migration changes, so each process keeps them for a
    minute per database instead of reading them on every page."""
    key = freshness.database_of(db)
    cached = _DISPUTE_TYPES.get(key)
    if cached and time.monotonic() - cached[0] < DISPUTE_CHOICES_SECONDS:
        return cached[1]
    types = db.exec(
        select(DisputeType.code, DisputeType.name, DisputeType.parent_code, DisputeType.active).order_by(
            DisputeType.code
        )
    ).all()
    names = {code: name for code, name, _, _ in types}
    children: dict[str, tuple[str, ...]] = {}
    for code, _, parent, _ in types:
        if parent:
            children[parent] = (*children.get(parent, ()), code)
    kept = _DisputeTypes(
        choices=[
            (code, f"{names[parent]} · {name}" if parent else name) for code, name, parent, active in types if active
        ],
        children=children,
    )
    _DISPUTE_TYPES[key] = (time.monotonic(), kept)
    return kept


def dispute_choices(db: Session) -> list[tuple[str, str]]:
    """Active dispute types as (code, "type · sub-type")."""
    return _dispute_types(db).choices


def dispute_children(db: Session, code: str) -> tuple[str, ...]:
    """The sub-types of a dispute type, retired ones included."""
    return _dispute_types(db).children.get(code, ())


def validate_case(db: Session, form: CaseForm, errors: dict[str, str]) -> dict:
    values: dict = {}
    title = form.title.strip()
    if not title:
        errors["title"] = "请填写案件名称，如：张某与李某宅基地纠纷。"
    elif len(title) > 120:
        errors["title"] = "案件名称不能超过 120 个字符。"
    inputs.check_text(errors, "title", title, label="案件名称", name=True)
    values["title"] = title
    if form.channel not in CHANNELS:
        errors["channel"] = "请选择来源渠道。"
    values["channel"] = form.channel
    code = form.dispute_type
    if not (code.isascii() and code.isalnum() and len(code) <= 10) or not db.get(DisputeType, code):
        errors["dispute_type"] = "请选择纠纷类型。"
    values["dispute_type"] = form.dispute_type
    values["summary"], values["requests"] = form.summary.strip(), form.requests.strip()
    if not values["summary"]:
        errors["summary"] = "请填写纠纷简要情况。"
    inputs.check_text(errors, "summary", values["summary"], label="纠纷简要情况")
    inputs.check_text(errors, "requests", values["requests"], label="当事人请求")
    try:
        values["amount"] = inputs.money(form.amount, label="涉及金额") if form.amount.strip() else None
    except inputs.BadInput as exc:
        errors["amount"] = exc.message
    try:
        values["people_involved"] = inputs.integer(form.people_involved or 1, label="涉及人数", low=1, high=1_000_000)
    except inputs.BadInput as exc:
        errors["people_involved"] = exc.message
    values["group_dispute"], values["risk_flag"] = bool(form.group_dispute), bool(form.risk_flag)
    try:
        values["received_on"] = inputs.day(form.received_on, label="收到日期") if form.received_on else clock.today()
        if values["received_on"] > clock.today():
            errors["received_on"] = "收到日期不能晚于今天。"
    except inputs.BadInput as exc:
        errors["received_on"] = exc.message
    return values


def intake(db: Session, principal: Principal, form: CaseForm, *, parties: list, address: str = "") -> Case:
    """Register a case at one window (登记): the case, its parties and its number, in one transaction."""
    if not principal.roots(*INTAKE_ROLES):
        raise Forbidden("只有受理员、调解员和调委会主任可以登记案件。")
    org_id = inputs.id_or_none(form.org_id)
    org = principal.visible_org(db, org_id) if org_id is not None else None
    if org is not None and not principal.has_role_over(org.path, *INTAKE_ROLES):
        raise Forbidden("您不能在该机构登记案件。")
    errors: dict[str, str] = {}
    if org is None:
        errors["org_id"] = "请选择办理机构。"
    values = validate_case(db, form, errors)
    cleaned = party_service.validate_all(parties, errors)
    if errors:
        raise Invalid(errors)
    number = next_number(db, org, values["received_on"].year)
    case = Case(
        **values,
        org_id=org.id,
        org_path=moves.stored_path(db, org),
        number_org_id=org.id,
        number_year=number.year,
        number_prefix=number.prefix,
        number_word=number.word,
        number_seq=number.seq,
        number=number.text,
        created_by=principal.person.id,
    )
    db.add(case)
    db.flush()
    for i, party in enumerate(cleaned):
        party.case_id, party.sort_order = stored_id(case.id), i
        db.add(party)
    log_event(db, case, principal, "register", f"登记案件 {number.text}（{values['channel']}）", org)
    audit.record(
        db,
        "case.create",
        actor=principal.person,
        org=org,
        object_type="case",
        object_id=case.id,
        summary=f"登记案件：{number.text} {case.title}",
        address=address,
    )
    return case


def update_case(db: Session, principal: Principal, case_id: int, form: CaseForm, *, address: str = "") -> Case:
    case = get_case(db, principal, case_id)
    require_act(principal, case, EDIT_ROLES, "修改案件")
    if case.state not in OPEN_STATES:
        raise Forbidden(f"案件{case.state.label}，不能再修改基本信息。")
    if str(case.version) != form.version.strip():
        raise Conflict("该案件已被他人修改。请查看最新内容后重新填写您的修改。")
    errors: dict[str, str] = {}
    values = validate_case(db, form, errors)
    if errors:
        raise Invalid(errors)
    before = {k: getattr(case, k) for k in values}
    for key, value in values.items():
        setattr(case, key, value)
    touch(case)
    db.add(case)
    changes = audit.diff(before, values)
    if changes:
        log_event(db, case, principal, "edit", "修改案件信息：" + "、".join(changes))
        audit.record(
            db,
            "case.update",
            actor=principal.person,
            org=db.get(Organisation, case.org_id),
            object_type="case",
            object_id=case.id,
            summary=f"修改案件：{case.number}",
            changes=changes,
            address=address,
        )
    return case


@dataclass
class CaseFilter:
    q: str = ""
    state: str = ""
    dispute_type: str = ""
    channel: str = ""
    tier: str = ""
    org_id: int | None = None
    mediator_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    sort: str = "received"
    ids: tuple[int, ...] = ()  # exactly these cases (an early-warning alert's)
    flag: str = ""  # a key of FLAGS
    # A statistic's drill-down (portal.stats.drilldown): the cases an indicator counts in a period.
    indicator: str = ""
    ind_from: date | None = None
    ind_to: date | None = None
    org_only: bool = False  # the organisation itself, not its subordinates (a statistic's 本级 row)
    type_exact: bool = False  # the dispute type itself, not its sub-types
    recent_days: int = 180  # PORTAL_RECENT_CASE_DAYS, for the 重复访 indicator


# Named conditions an early-warning alert links to (portal.alerts.rules): (label, condition as of `today`).
FLAGS = {
    "group": ("群体性纠纷", lambda today: Case.group_dispute),
    "risk": ("防激化风险（群体性纠纷除外）", lambda today: Case.risk_flag & ~Case.group_dispute),
    "followup": ("回访逾期", lambda today: (Case.state == CaseState.CLOSED) & (Case.followup_due_on < today)),
}
MAX_IDS = 200


# What a list row shows: the case's own columns and its organisation's name, read as plain rows
# (no ORM objects, no long texts) so a page of 50 costs what its query costs.
LIST_COLUMNS = (
    Case.id,
    Case.number,
    Case.title,
    Case.org_id,
    Case.org_path,
    Case.dispute_type,
    Case.channel,
    Case.state,
    Case.outcome,
    Case.received_on,
    Case.closed_on,
    Case.mediation_due_on,
    Case.followup_due_on,
    Case.in_transfer,
    Case.risk_flag,
    Case.group_dispute,
    Case.archived_at,
    Organisation.name.label("org_name"),
)


@dataclass
class CasePage(Page):
    """Rows with the attributes named in LIST_COLUMNS, and the counts per state of the whole filtered scope."""

    counts: dict[str, int] = field(default_factory=dict)
    generation: freshness.Generation | None = None  # what the rows were read at (see freshness.confirmed_by)


DENSE_SCOPE = 2000  # above this many matches, walk the date index instead of sorting the matches


_COUNTS = freshness.Remembered()  # counts per state of a scope and filter, while no case has changed
_VIA = freshness.Remembered()  # the cases a scope reaches through transfers (every transfer touches its case)


def list_cases(
    db: Session,
    principal: Principal,
    flt: CaseFilter,
    *,
    page: int,
    size: int,
    today: date | None = None,
    generation: freshness.Generation | None = None,
) -> CasePage:
    """Scoped and filtered first, then counted per state and paginated.

    The counts and the cases reached through transfers are kept per process while no case changes (see
    portal.freshness); pass the request's `generation` when the caller has read or assumed it already. The page
    says which generation its rows were read at: if that is not the one passed in, the caller computes again under it.
    """
    today = today or clock.today()
    generation = generation or freshness.current(db)
    database = freshness.database_of(db)
    codes = (
        (flt.dispute_type, *(() if flt.type_exact else dispute_children(db, flt.dispute_type)))
        if flt.dispute_type
        else ()
    )
    tier = Tier(flt.tier) if flt.tier in Tier._value2member_map_ else None
    state = CaseState(flt.state) if flt.state in CaseState._value2member_map_ else None
    # With a dispute type the type index is the narrow way in (the path is then checked from that index);
    # without one, the path index is.
    by_type = bool(flt.dispute_type)
    roots = tuple(principal.roots())
    via = _VIA.get((database, roots), generation.cases, lambda: transferred_ids(db, principal))
    sqlite = db.get_bind().dialect.name == "sqlite"

    def conditions(
        *, types: bool = True
    ) -> list:  # the filter's conditions but the state: built only when a statement is
        filters = []
        org = principal.visible_org(db, flt.org_id) if flt.org_id is not None else None
        drill = drilldown.of_filter(db, principal, flt, org=org, tier=tier, today=today)
        placed = drill is not None and drill.places  # the drill-down places the transfer, not the case
        if drill is not None:
            filters.append(drill.condition)
        if flt.q:
            filters.append(
                or_(Case.number.contains(flt.q, autoescape=True), Case.title.contains(flt.q, autoescape=True))
            )
        if codes and types:
            filters.append(
                Case.dispute_type.in_(codes)
            )  # a type and its sub-types, as an IN list the type index can answer
        if flt.channel:
            filters.append(Case.channel == flt.channel)
        if org is not None and not placed:
            filters.append(Case.org_id == org.id if flt.org_only else Case.org_path.like(prefix_pattern(org.path)))
        if flt.ids:
            filters.append(Case.id.in_(flt.ids))
        if flt.flag in FLAGS:
            filters.append(FLAGS[flt.flag][1](today))
        if tier is not None and not placed:
            filters.append(Organisation.tier == tier)
        if flt.mediator_id is not None:
            filters.append(
                exists(
                    select(CaseMediator.id).where(
                        CaseMediator.case_id == Case.id, CaseMediator.person_id == flt.mediator_id
                    )
                )
            )
        if flt.date_from:
            filters.append(Case.received_on >= flt.date_from)
        if flt.date_to:
            filters.append(Case.received_on <= flt.date_to)
        if flt.overdue:
            filters.append(overdue_condition(today))
        return filters

    def count() -> Mapping[str, int]:
        scope = visible_condition(
            principal, via=via, path_column=(Case.org_path + "") if by_type and sqlite else Case.org_path
        )
        count_query: SelectOfScalar[Any] | Select[Any, Any]
        if by_type:  # a GROUP BY would tempt SQLite onto the state index over every case; these rows are few
            count_query = select(Case.state).where(scope, *conditions())
        else:
            count_query = select(Case.state, func.count()).where(scope, *conditions()).group_by(Case.state)
        if tier is not None:  # only the tier filter needs the organisation in the count
            count_query = count_query.join(Organisation, Organisation.id == Case.org_id)
        rows_or_counts = db.exec(count_query).all()
        tally = Counter(rows_or_counts) if by_type else dict(rows_or_counts)
        return MappingProxyType({getattr(k, "value", k): v for k, v in tally.items()})

    state_counts = _COUNTS.get((database, roots, via, dataclasses.astuple(flt), today), generation.cases, count)
    total = state_counts.get(state.value, 0) if state is not None else sum(state_counts.values())
    # Many matches: walking the date index in order and filtering beats sorting them all, so the scope is
    # then tested on an expression of the path, which keeps the planner off the path index.
    # The expression trick steers SQLite's planner; PostgreSQL plans this well from its statistics.
    dense = sqlite and (by_type or (total > DENSE_SCOPE and flt.sort != "number"))

    def statement():  # noqa: ANN202
        state_filter = [Case.state == state] if state is not None else []
        filters = conditions() + state_filter
        scope = visible_condition(principal, via=via, path_column=(Case.org_path + "") if dense else Case.org_path)
        order = (
            (Case.received_on.desc(), Case.id.desc())
            if flt.sort != "number"
            else (Case.number_year.desc(), Case.number.desc(), Case.id.desc())
        )

        # The page's ids first, from the case table alone (joined to organisations only for the tier filter): so
        # SQLite can take each dispute type's entries of ix_case_type_state in date order and stop at the page,
        # which it does not do inside a join. Then the rows of those ids, with their organisation's name.
        def page_ids(*conditions):  # noqa: ANN202
            query = select(Case.id, Case.received_on).where(scope, *conditions)
            if tier is not None:
                query = query.join(Organisation, Organisation.id == Case.org_id)
            return query

        if not sqlite and len(codes) > 1 and state is not None and flt.sort != "number":
            # A type with sub-types, in one state, by date, on PostgreSQL: ix_case_type_state holds each code's cases of
            # a state in date order, but PostgreSQL does not merge an IN list's ranges in order — it read and sorted all
            # ~1,100 closed 婚姻家庭 cases of the county for every page. So each code gives its first pages in order,
            # and only those few rows are merged. (SQLite sorts the IN list's covering entries in ~0.2 ms; the larger
            # statement would cost it more in SQLAlchemy than it saves.)
            others = conditions(types=False) + state_filter
            per_code = [
                select(page_ids(*others, Case.dispute_type == code).order_by(*order).limit(page * size).subquery())
                for code in codes
            ]
            merged = union_all(*per_code).subquery()
            ids = select(merged.c.id).order_by(merged.c.received_on.desc(), merged.c.id.desc())
        else:
            ids = page_ids(*filters).with_only_columns(Case.id).order_by(*order)
        ids = ids.offset((page - 1) * size).limit(size)
        return (
            select(*LIST_COLUMNS, *freshness.COLUMNS)
            .join(Organisation, Organisation.id == Case.org_id)
            .where(Case.id.in_(ids.scalar_subquery()))
            .order_by(*order)
        )

    # Built once per scope and filter (Principal.condition):
    # SQLAlchemy keys a statement it has seen without walking it again.
    key = ("case_list", database, dataclasses.astuple(flt), codes, via, dense, today, page, size)
    rows = db.exec(principal.condition(key, statement)).all()
    return CasePage(list(rows), total, page, size, state_counts, generation=freshness.confirmed_by(db, rows))


def overdue_condition(today: date):  # noqa: ANN201
    """Open cases past their mediation deadline, or closed ones whose follow-up is late."""
    return or_(
        Case.state.in_(MEDIATION_STATES) & (col(Case.mediation_due_on) < today),
        (col(Case.state) == CaseState.CLOSED) & (col(Case.followup_due_on) < today),
    )


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def mediator_choices(db: Session, case: Case) -> list[tuple[int, str]]:
    """People who mediate in the handling organisation, above it or below it."""
    rows = db.exec(
        select(Person.id, Person.name, Organisation.name)
        .join(Membership, Membership.person_id == Person.id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(
            Membership.role.in_([Role.MEDIATOR, Role.DIRECTOR]),
            Person.active == True,  # noqa: E712
            Organisation.active == True,  # noqa: E712
            or_(
                col(Organisation.path).startswith(case.org_path, autoescape=True),
                Organisation.id.in_(_path_ids(case.org_path)),
            ),
        )
        .order_by(Organisation.depth, Person.name)
    ).all()
    seen: dict[int, str] = {}
    for pid, name, org_name in rows:
        seen.setdefault(pid, f"{name}（{org_name}）")
    return list(seen.items())
