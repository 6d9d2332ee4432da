"""专报 rules: who reads, drafts, edits and issues; a draft per organisation and month; edits that never overwrite.

Reading follows the one scope mechanism: whoever sees the organisation (`Principal.sees`) reads its 专报 — its draft,
its issued versions, their PDF and Excel — and nobody else learns that it exists (404). Drafting, editing and issuing
(签发) belong to a 调委会主任 or 督导 over the organisation (a 督导 of a supervising body included, through the
supervision relation); everyone else reads only (403). Issuing is in `portal.bulletins.issuing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from portal.alerts.months import Month
from portal.audit import service as audit
from portal.bulletins import contents
from portal.bulletins.models import Bulletin, BulletinIssue
from portal.db import flush_once, lock, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.inputs import refusal
from portal.orgs.models import Organisation
from portal.people.models import Role
from portal.scope import OutOfScope, Principal

EDITORS = (Role.DIRECTOR, Role.SUPERVISOR)
TEXT_MAX = 20000
TYPICAL_MAX = 10
REFUSED = "只有本机构或上级的调委会主任、督导（含督导机构的督导）可以起草、修改和签发专报。"


def may_edit(principal: Principal, org: Organisation) -> bool:
    return principal.has_role_over(org.path, *EDITORS)


def require_editor(principal: Principal, org: Organisation) -> None:
    if not may_edit(principal, org):
        raise Forbidden(REFUSED)


def number_of(month: Month) -> str:
    """The 文号 of a month's 专报: its year and, the 专报 being monthly, the month as the 期."""
    return f"〔{month.year}〕第{month.month}期"


def title_of(org: Organisation, month: Month) -> str:
    return f"{org.name}{month.label}人民调解研判预警专报"


def area_of(db: Session, principal: Principal, org_id: int | None) -> Organisation:
    """The organisation asked for (404 outside the scope), else the first one the person edits for, else sees."""
    if org_id is not None:
        return principal.visible_org(db, org_id)
    paths = principal.roots(*EDITORS) or principal.roots()
    grant = next((g for g in principal.grants if paths and g.path == paths[0]), None)
    if grant is None:
        raise Forbidden("您没有可查看专报的机构。")
    return grant.org


def get(db: Session, principal: Principal, bulletin_id: int) -> tuple[Bulletin, Organisation]:
    """The 专报 and its organisation; 404 when missing or outside the scope."""
    bulletin = db.get(Bulletin, bulletin_id)
    org = db.get(Organisation, bulletin.org_id) if bulletin else None
    if bulletin is None or org is None or not principal.sees(org.path):
        raise OutOfScope("专报不存在或您无权查看。", object_type="bulletin", object_id=bulletin_id)
    return bulletin, org


def issues_of(db: Session, bulletin: Bulletin) -> list[BulletinIssue]:
    """Its issued versions, newest first."""
    return list(
        db.exec(
            select(BulletinIssue).where(BulletinIssue.bulletin_id == bulletin.id).order_by(BulletinIssue.version.desc())
        ).all()
    )


def get_issue(db: Session, bulletin: Bulletin, version: int) -> BulletinIssue:
    found = db.exec(
        select(BulletinIssue).where(BulletinIssue.bulletin_id == bulletin.id, BulletinIssue.version == version)
    ).first()
    if found is None:
        raise OutOfScope("该版本不存在。", object_type="bulletin_issue", object_id=f"{bulletin.id}:{version}")
    return found


@dataclass
class Listed:
    bulletin: Bulletin
    month: Month
    issues: list[BulletinIssue]


def listing(db: Session, org: Organisation) -> list[Listed]:
    """The organisation's 专报, newest month first, each with its issued versions."""
    bulletins = db.exec(select(Bulletin).where(Bulletin.org_id == org.id).order_by(Bulletin.month.desc())).all()
    issued: dict[int, list[BulletinIssue]] = {}
    if bulletins:
        rows = db.exec(
            select(BulletinIssue)
            .where(BulletinIssue.bulletin_id.in_([b.id for b in bulletins]))
            .order_by(BulletinIssue.version.desc())
        ).all()
        for row in rows:
            issued.setdefault(row.bulletin_id, []).append(row)
    return [Listed(b, Month.parse(b.month), issued.get(b.id, [])) for b in bulletins]


def start(
    db: Session, principal: Principal, org: Organisation, month_text: str, today, *, address: str = ""
) -> Bulletin:  # noqa: ANN001
    """The month's draft for the organisation: the one that exists, or a new empty one (audited)."""
    require_editor(principal, org)
    month = Month.parse(month_text)
    if month is None or month > Month.of(today):
        raise Invalid({"month": "请选择本月或以前的月份（如 2026-03）。"})
    found = db.exec(select(Bulletin).where(Bulletin.org_id == org.id, Bulletin.month == str(month))).first()
    if found is not None:
        return found
    bulletin = Bulletin(org_id=org.id, month=str(month), created_by=principal.person.id)
    db.add(bulletin)
    flush_once(db, "该月的专报刚刚已由他人起草，请打开已有的专报。")
    audit.record(
        db,
        "bulletin.create",
        actor=principal.person,
        org=org,
        object_type="bulletin",
        object_id=bulletin.id,
        summary=f"起草专报：{title_of(org, month)}",
        address=address,
    )
    return bulletin


@dataclass
class EditForm:
    analysis: str = ""
    advice: str = ""
    typical: list[str] = field(default_factory=list)  # picked case ids (checkboxes)
    numbers: str = ""  # more cases by number, one a line or separated by commas
    version: str = ""

    @classmethod
    def of(cls, data: dict) -> EditForm:
        picked = data.get("typical", [])
        picked = picked if isinstance(picked, list) else [picked]
        return cls(
            analysis=str(data.get("analysis", "")),
            advice=str(data.get("advice", "")),
            typical=[str(p) for p in picked if str(p).strip()],
            numbers=str(data.get("numbers", "")),
            version=str(data.get("version", "")),
        )

    @classmethod
    def of_bulletin(cls, bulletin: Bulletin) -> EditForm:
        return cls(bulletin.analysis, bulletin.advice, [str(i) for i in bulletin.typical], "", str(bulletin.version))


@dataclass(frozen=True)
class Saved:
    """The text as it is saved now (kept apart from the session, which the refusal rolls back)."""

    version: int
    updated_by_name: str
    analysis: str
    advice: str


class EditConflict(Conflict):
    """Someone saved the 专报 since the form was opened: their text, to be shown beside what was typed."""

    def __init__(self, current: Bulletin) -> None:
        who = current.updated_by_name or "他人"
        super().__init__(
            f"这份专报刚刚已被{who}修改（第 {current.version} 稿）。您的内容没有保存，请对照下方的最新内容后重新提交。"
        )
        self.current = Saved(current.version, current.updated_by_name, current.analysis, current.advice)


def _checked(db: Session, principal: Principal, org: Organisation, form: EditForm) -> tuple[list[int], dict[str, str]]:
    """The text checked and the typical cases resolved: ids of cases in the subtree that the editor may see."""
    errors: dict[str, str] = {}
    for name, label in (("analysis", "研判分析"), ("advice", "工作建议")):
        value = getattr(form, name).strip()
        reason = refusal(value)
        if reason:
            errors[name] = label + reason
        elif len(value) > TEXT_MAX:
            errors[name] = f"{label}不能超过 {TEXT_MAX} 个字符（现有 {len(value)} 个）。"
    wanted: list[int] = []
    for raw in form.typical:
        if raw.isascii() and raw.isdigit() and len(raw) < 10 and int(raw) not in wanted:
            wanted.append(int(raw))
        elif "typical" not in errors:
            errors["typical"] = "典型案例的选择无效，请重新勾选。"
    if refusal(form.numbers):
        errors["numbers"] = "案号" + (refusal(form.numbers) or "")
    else:
        for number in [n.strip() for n in form.numbers.replace("，", ",").replace("\n", ",").split(",") if n.strip()]:
            found = contents.find_by_number(db, principal, org, number[:60])
            if found is None:
                errors["numbers"] = f"找不到案号为“{number[:60]}”的案件（只能选本机构及下级、您有权查看的案件）。"
                break
            if found not in wanted:
                wanted.append(found)
    if not errors:
        seen = {c.id for c in contents.typical_cases(db, principal, org, wanted)}
        if any(i not in seen for i in wanted):
            errors["typical"] = "所选案件中有的不存在或不在本机构及下级、或您无权查看，请重新选择。"
        elif len(wanted) > TYPICAL_MAX:
            errors["typical"] = f"典型案例最多选 {TYPICAL_MAX} 件。"
    return wanted, errors


def edit(
    db: Session, principal: Principal, bulletin_id: int, form: EditForm, *, address: str = ""
) -> tuple[Bulletin, Organisation]:
    """Save the editor's text and picks, if nobody saved since the form was opened (else EditConflict, 409)."""
    lock(db, Bulletin, bulletin_id)
    bulletin, org = get(db, principal, bulletin_id)
    db.refresh(bulletin)
    require_editor(principal, org)
    if form.version != str(bulletin.version):
        raise EditConflict(bulletin)
    typical, errors = _checked(db, principal, org, form)
    if errors:
        raise Invalid(errors)
    changed = [
        label
        for label, before, after in (
            ("研判分析", bulletin.analysis, form.analysis.strip()),
            ("工作建议", bulletin.advice, form.advice.strip()),
            ("典型案例", bulletin.typical, typical),
        )
        if before != after
    ]
    bulletin.analysis, bulletin.advice, bulletin.typical = form.analysis.strip(), form.advice.strip(), typical
    bulletin.version += 1
    bulletin.updated_by, bulletin.updated_by_name = principal.person.id, principal.person.name[:64]
    bulletin.updated_at = utcnow()
    db.add(bulletin)
    db.flush()
    audit.record(
        db,
        "bulletin.update",
        actor=principal.person,
        org=org,
        object_type="bulletin",
        object_id=bulletin.id,
        summary=f"修改专报（第 {bulletin.version} 稿）：{title_of(org, Month.parse(bulletin.month))}"
        + (f"；改动：{'、'.join(changed)}" if changed else "；无改动"),
        address=address,
    )
    return bulletin, org
