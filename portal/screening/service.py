"""Screening rounds: scoped reads, recording a round, missed rounds, and findings turned into problem items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import inputs
from portal.audit import service as audit
from portal.db import lock, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs import moves
from portal.orgs import service as orgs_service
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.problems import service as problems
from portal.problems.models import SCREENING_SOURCE, Problem
from portal.scope import OutOfScope, Principal
from portal.screening.cadence import DEFAULT_CADENCE, SCREENING_KINDS, cadence_days
from portal.screening.models import ScreeningRound

CREATE_ROLES = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)
AUDITED_FIELDS = ("held_on", "participants", "area", "findings", "findings_count", "notes")


def visible_round(db: Session, principal: Principal, round_id: int) -> ScreeningRound:
    found = db.get(ScreeningRound, round_id)
    if found is None or not principal.sees(found.org_path):
        raise OutOfScope("排查记录不存在或您无权查看。", object_type="screening_round", object_id=round_id)
    return found


def can_record(principal: Principal, path: str) -> bool:
    return principal.has_role_over(path, *CREATE_ROLES)


def _round_conditions(
    db: Session,
    principal: Principal,
    org_id: int | None,
    only: bool = False,
    held_from: date | None = None,
    held_to: date | None = None,
) -> list:
    conditions = [principal.path_filter(ScreeningRound.org_path)]
    if org_id is not None:
        org = principal.visible_org(db, org_id)
        conditions.append(
            ScreeningRound.org_id == org.id
            if only
            else col(ScreeningRound.org_path).startswith(org.path, autoescape=True)
        )
    if held_from is not None:
        conditions.append(ScreeningRound.held_on >= held_from)
    if held_to is not None:
        conditions.append(ScreeningRound.held_on <= held_to)
    return conditions


def list_rounds(
    db: Session,
    principal: Principal,
    *,
    org_id: int | None = None,
    limit: int = 100,
    only: bool = False,
    held_from: date | None = None,
    held_to: date | None = None,
) -> list[tuple[ScreeningRound, Organisation]]:
    """The latest rounds in scope (or in one organisation's subtree, or the organisation alone), newest first."""
    query = (
        select(ScreeningRound, Organisation)
        .join(Organisation, Organisation.id == ScreeningRound.org_id)
        .where(*_round_conditions(db, principal, org_id, only, held_from, held_to))
    )
    return [
        (held, org)
        for held, org in db.exec(
            query.order_by(ScreeningRound.held_on.desc(), ScreeningRound.id.desc()).limit(limit)
        ).all()
    ]


def round_totals(
    db: Session,
    principal: Principal,
    *,
    org_id: int | None = None,
    only: bool = False,
    held_from: date | None = None,
    held_to: date | None = None,
) -> tuple[int, int]:
    """How many rounds the filter matches, and the disputes they found (what a statistic links here counts)."""
    count, found = db.exec(
        select(func.count(), func.coalesce(func.sum(ScreeningRound.findings_count), 0)).where(
            *_round_conditions(db, principal, org_id, only, held_from, held_to)
        )
    ).one()
    return count, found


@dataclass
class MissedRound:
    org: Organisation
    last_held_on: date | None
    cadence: int
    days_since: int | None


def missed_rounds(db: Session, principal: Principal, *, today: date, org_id: int | None = None) -> list[MissedRound]:
    """Active screening bodies in scope whose last round is older than their tier's cadence, or that have none."""
    tiers = [tier for tier, days in DEFAULT_CADENCE.items() if days]
    query = select(Organisation).where(
        principal.path_filter(Organisation.path),
        Organisation.active == True,  # noqa: E712
        Organisation.tier.in_(tiers),
        Organisation.kind.in_(SCREENING_KINDS),
    )
    if org_id is not None:
        query = query.where(col(Organisation.path).startswith(principal.visible_org(db, org_id).path, autoescape=True))
    orgs = list(db.exec(query.order_by(Organisation.path)).all())
    if not orgs:
        return []
    last = dict(
        db.exec(
            select(ScreeningRound.org_id, func.max(ScreeningRound.held_on))
            .where(ScreeningRound.org_id.in_([o.id for o in orgs]))
            .group_by(ScreeningRound.org_id)
        ).all()
    )
    missed = []
    for org in orgs:
        cadence = cadence_days(org.tier)
        held = last.get(org.id)
        since = (today - held).days if held else None
        if cadence and (since is None or since > cadence):
            missed.append(MissedRound(org, held, cadence, since))
    return missed


def recording_orgs(db: Session, principal: Principal) -> list[Organisation]:
    return orgs_service.acting_orgs(db, principal, *CREATE_ROLES)


@dataclass
class RoundForm:
    org_id: str = ""
    held_on: str = ""
    participants: str = ""
    area: str = ""
    findings: str = ""
    findings_count: str = ""
    notes: str = ""
    version: str = ""

    @classmethod
    def of(cls, r: ScreeningRound) -> RoundForm:
        return cls(
            org_id=str(r.org_id),
            held_on=r.held_on.isoformat(),
            participants=r.participants,
            area=r.area,
            findings=r.findings,
            findings_count=str(r.findings_count),
            notes=r.notes,
            version=str(r.version),
        )


def require_recorder_org(db: Session, principal: Principal, org_id: str) -> Organisation | None:
    """Permission before validation, as for problem items."""
    if (chosen := inputs.id_or_none(org_id)) is not None:
        org = principal.visible_org(db, chosen)
        if not can_record(principal, org.path):
            raise Forbidden("只有本级或上级的受理员、调解员和调委会主任可以记录排查。")
        return org
    if not principal.roots(*CREATE_ROLES):
        raise Forbidden("只有受理员、调解员和调委会主任可以记录排查。")
    return None


def _validate(form: RoundForm, org: Organisation | None, *, today: date) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    if org is None:
        errors["org_id"] = "请选择机构。"
    elif not org.active:
        errors["org_id"] = "该机构已停用。"
    try:
        values["held_on"] = problems.parse_date(form.held_on, label="排查日期")
        if values["held_on"] is None:
            errors["held_on"] = "请填写排查日期。"
        elif values["held_on"] > today:
            errors["held_on"] = "排查日期不能晚于今天。"
    except inputs.BadInput as exc:
        errors["held_on"] = exc.message
    for name, label in (("participants", "参加人员"), ("area", "排查范围")):
        values[name] = getattr(form, name).strip()
        if not values[name]:
            errors[name] = f"请填写{label}。"
        elif len(values[name]) > 200:
            errors[name] = f"{label}不能超过 200 个字符。"
    lines = [line.strip()[:120] for line in form.findings.splitlines() if line.strip()]
    values["findings"] = "\n".join(lines)
    count = form.findings_count.strip()
    if not count:
        values["findings_count"] = len(lines)
    else:
        try:
            values["findings_count"] = inputs.integer(count, label="发现问题数", high=100_000)
        except inputs.BadInput as exc:
            errors["findings_count"] = exc.message
        else:
            if values["findings_count"] < len(lines):
                errors["findings_count"] = f"发现问题数不能少于列出的 {len(lines)} 条。"
    values["notes"] = form.notes.strip()[:4000]
    inputs.check_fields(
        errors, form, {"participants": "参加人员", "area": "排查范围", "findings": "发现的问题", "notes": "备注"}
    )
    if errors:
        raise Invalid(errors)
    return values


def create_round(
    db: Session, principal: Principal, form: RoundForm, *, today: date, address: str = ""
) -> ScreeningRound:
    org = require_recorder_org(db, principal, form.org_id)
    values = _validate(form, org, today=today)
    assert org is not None
    found = ScreeningRound(**values, org_id=org.id, org_path=moves.stored_path(db, org), created_by=principal.person.id)
    db.add(found)
    db.flush()
    audit.record(
        db,
        "screening.create",
        actor=principal.person,
        org=org,
        object_type="screening_round",
        object_id=found.id,
        summary=f"记录排查：{org.name} {found.held_on}（发现 {found.findings_count} 个问题）",
        changes=audit.diff({}, {k: getattr(found, k) for k in AUDITED_FIELDS}),
        address=address,
    )
    return found


def update_round(
    db: Session, principal: Principal, round_id: int, form: RoundForm, *, today: date, address: str = ""
) -> ScreeningRound:
    found = visible_round(db, principal, round_id)
    if not can_record(principal, found.org_path):
        raise Forbidden("只有本级或上级的受理员、调解员和调委会主任可以修改排查记录。")
    if str(found.version) != form.version.strip():
        raise Conflict("该排查记录已被他人修改。请查看最新内容后重新填写您的修改。")
    org = db.get(Organisation, found.org_id)
    values = _validate(form, org, today=today)
    linked = finding_items(db, found)
    if linked and max(linked) > len(values["findings"].splitlines()):
        raise Invalid({"findings": "已登记为问题的发现不能删除。"})
    before = {k: getattr(found, k) for k in AUDITED_FIELDS}
    for key, value in values.items():
        setattr(found, key, value)
    found.version += 1
    found.updated_at = utcnow()
    db.add(found)
    changes = audit.diff(before, {k: getattr(found, k) for k in AUDITED_FIELDS})
    if changes:
        audit.record(
            db,
            "screening.update",
            actor=principal.person,
            org=org,
            object_type="screening_round",
            object_id=found.id,
            summary=f"修改排查记录：{org.name} {found.held_on}",
            changes=changes,
            address=address,
        )
    return found


def finding_items(db: Session, found: ScreeningRound, principal: Principal | None = None) -> dict[int, Problem | None]:
    """Problem items made from the round's findings, by finding number (1-based). With `principal`, an item that has
    since moved to an organisation outside their scope is None: the finding is registered, but where it went and
    how it stands are not theirs to see."""
    rows = db.exec(select(Problem).where(Problem.screening_id == found.id, Problem.screening_finding != None)).all()  # noqa: E711
    return {
        p.screening_finding: p if principal is None or principal.sees(p.org_path) else None
        for p in rows
        if p.screening_finding is not None  # as the query asks
    }


def problem_from_finding(
    db: Session,
    principal: Principal,
    round_id: int,
    finding: int,
    form: problems.ProblemForm,
    *,
    today: date,
    address: str = "",
) -> Problem:
    """Register one finding of the round as a problem item (source 排查) of the round's organisation."""
    lock(db, ScreeningRound, round_id)  # two registrations of one finding at once: the second sees the first
    found = visible_round(db, principal, round_id)
    if not principal.has_role_over(found.org_path, *problems.EDIT_ROLES):
        raise Forbidden("只有本级或上级的受理员、调解员和调委会主任可以登记问题。")
    lines = found.finding_lines
    if not 1 <= finding <= len(lines):
        raise OutOfScope("该发现不存在。", object_type="screening_finding", object_id=f"{round_id}/{finding}")
    if finding in finding_items(db, found):
        raise Conflict("该发现已登记为问题。")
    form.org_id, form.source, form.found_on = str(found.org_id), SCREENING_SOURCE, found.held_on.isoformat()
    form.title = form.title.strip() or lines[finding - 1]
    return problems.create(db, principal, form, today=today, address=address, screening_id=found.id, finding=finding)
