"""The quick report (网格员上报, 随手拍): one short form from a phone, registered to the reporter's own unit and sent on
to the committee that handles its area in the same request — the report is its own letter.

Where a unit's reports go is data: by default a 网格/村民小组's go to the committee above it (its village or community)
and a 派出所's to its township's (as 公调对接); an administrator may point a unit elsewhere, or keep its reports at
home (ReportRoute). The letter then follows the signing rule of every letter (cases.signing): a grid has no leader
of its own, so its report reaches the village at once; a 派出所 with a 负责人 waits for that leader's sign-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portal import clock
from portal.audit import service as audit
from portal.cases import files, service, transfers
from portal.cases.models import Case, DisputeType, ReportRoute, Transfer
from portal.cases.parties import PartyForm
from portal.errors import Conflict, Forbidden, Invalid
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.scope import Principal

# The types a grid worker meets most, offered first as one tap each (replaceable data; the rest are in a list).
COMMON_TYPES = ("02", "01", "03", "15", "1001", "06", "99")
MAX_PHOTOS = 3
PHOTO_TYPES = ("image/jpeg", "image/png")
COMMITTEES = (OrgKind.COMMITTEE, OrgKind.CENTRE)
KIND_OF_REPORT = {OrgKind.POLICE: "公调对接"}  # the transfer kind by the reporting unit's kind; otherwise 上报
CHANNEL_OF_REPORT = {OrgKind.GRID: "网格员上报", OrgKind.POLICE: "公安移交"}


@dataclass
class ReportForm:
    what: str = ""
    place: str = ""
    name: str = ""
    phone: str = ""
    other_name: str = ""
    other_phone: str = ""
    dispute_type: str = ""
    dispute_type_more: str = ""
    risk_flag: str = ""
    org_id: str = ""

    @property
    def type_code(self) -> str:
        """The type chosen from the full list (a deliberate second step), else the tapped common one."""
        return self.dispute_type_more or (self.dispute_type if self.dispute_type in COMMON_TYPES else "")


@dataclass(frozen=True)
class Photo:
    filename: str
    data: bytes


def units(principal: Principal) -> list[Organisation]:
    """The organisations the person may register cases in by a role held there, the most local first."""
    seen: dict[int, Organisation] = {}
    for grant in principal.grants:
        if grant.role in service.INTAKE_ROLES:
            seen.setdefault(grant.org.id, grant.org)
    return sorted(seen.values(), key=lambda o: -o.depth)


def default_target(db: Session, unit: Organisation) -> Organisation | None:
    """The committee above a grid, group or 派出所; other units handle their own reports."""
    if unit.kind not in (OrgKind.GRID, OrgKind.POLICE) and unit.tier is not Tier.GROUP:
        return None
    ancestors = [db.get(Organisation, i) for i in reversed(unit.ancestor_ids)]
    return next((o for o in ancestors if o is not None and o.active and o.kind in COMMITTEES), None)


def target_of(db: Session, unit: Organisation) -> Organisation | None:
    """Where the unit's quick reports go: its ReportRoute if an administrator set one, else the default."""
    route = db.get(ReportRoute, unit.id)
    if route is not None and route.keep:
        return None
    target = db.get(Organisation, route.to_org_id) if route is not None and route.to_org_id else None
    return target if target is not None and target.active else default_target(db, unit)


def type_choices(db: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the common types, every other active type), as (code, label)."""
    names = dict(service.dispute_choices(db))
    common = [(code, names[code].split(" · ")[-1]) for code in COMMON_TYPES if code in names]  # one tap: short names
    taken = {code for code, _ in common}
    return common, [(code, label) for code, label in names.items() if code not in taken]


def title_of(db: Session, form: ReportForm) -> str:
    """张三与李四邻里纠纷: the names and the type, as a case is usually named."""
    kind = db.get(DisputeType, form.type_code)
    what = "" if kind is None or kind.code == "99" else kind.name
    what = what if what.endswith("纠纷") else what + "纠纷"
    names = "与".join(n.strip() for n in (form.name, form.other_name) if n.strip())
    return f"{names}{what}"[:120]


# Field names of the case and party validation → the quick report's own.
_FIELDS = {"title": "what", "summary": "what", "dispute_type": "dispute_type", "org_id": "org_id"}
_FIELDS |= {"p0_name": "name", "p0_phone": "phone", "p1_name": "other_name", "p1_phone": "other_phone"}


def check_photos(photos: list[Photo], max_bytes: int, errors: dict[str, str]) -> None:
    """Photos are checked by their content like every upload, and must be pictures."""
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"最多上传 {MAX_PHOTOS} 张照片。"
        return
    for photo in photos:
        if len(photo.data) > max_bytes:
            errors["photos"] = f"照片 {photo.filename} 过大：单张不能超过 {max_bytes // 1048576} MB。"
            return
        kind = files.sniff(photo.data[:16], photo.data)
        if kind is None or kind.media_type not in PHOTO_TYPES:
            errors["photos"] = f"{photo.filename} 不是照片：只接受 JPEG 或 PNG 图片（按文件内容判断）。"
            return


def submit(
    db: Session,
    principal: Principal,
    form: ReportForm,
    photos: list[Photo],
    *,
    root: Path,
    max_bytes: int,
    answer_days: int,
    address: str = "",
) -> tuple[Case, Transfer | None]:
    """Register the report, attach its photos and send it on, in one transaction; Invalid names each field's problem."""
    mine = units(principal)
    if not mine:
        raise Forbidden("只有受理员、调解员（含网格员）和调委会主任可以上报纠纷。")
    chosen = principal.visible_org(db, int(form.org_id)) if form.org_id.strip().isdigit() else None
    if chosen is not None and chosen.id not in {o.id for o in mine}:
        raise Forbidden("您不能以该机构上报纠纷。")
    unit = chosen or (mine[0] if len(mine) == 1 else None)
    errors: dict[str, str] = {}
    if unit is None:
        errors["org_id"] = "请选择上报单位。"
    if len(form.what.strip()) < 5:
        errors["what"] = "请简要写明发生了什么（至少 5 个字）。"
    if not form.name.strip():
        errors["name"] = "请填写一名当事人的姓名。"
    if not db.get(DisputeType, form.type_code or "-"):
        errors["dispute_type"] = "请选择纠纷类型。"
    check_photos(photos, max_bytes, errors)
    if errors:
        raise Invalid(errors)
    summary = form.what.strip() + (f"\n发生地点：{form.place.strip()[:200]}" if form.place.strip() else "")
    blocks = [PartyForm(role="申请人", name=form.name, phone=form.phone, address=form.place.strip()[:200])]
    if form.other_name.strip() or form.other_phone.strip():
        blocks.append(PartyForm(role="被申请人", name=form.other_name, phone=form.other_phone))
    case_form = service.CaseForm(
        title=title_of(db, form),
        channel=CHANNEL_OF_REPORT.get(unit.kind, "网格员上报" if unit.tier is Tier.GROUP else "来访"),
        dispute_type=form.type_code,
        summary=summary,
        people_involved=str(len(blocks)),
        risk_flag=form.risk_flag,
        received_on=clock.today().isoformat(),
        org_id=str(unit.id),
    )
    try:
        case = service.intake(db, principal, case_form, parties=blocks, address=address)
    except Invalid as exc:
        raise Invalid({_FIELDS.get(k, "what"): v for k, v in exc.errors.items()}) from exc
    for photo in photos:
        files.upload(
            db,
            principal,
            case,
            filename=photo.filename,
            data=photo.data,
            doc_type="证据材料",
            root=root,
            max_bytes=max_bytes,
            address=address,
        )
    target = target_of(db, unit)
    if target is None:
        return case, None
    kind = KIND_OF_REPORT.get(unit.kind, "上报")
    letter = (
        f"【矛盾纠纷上报单】{target.name}：\n{unit.name}{principal.person.name}上报：{summary}\n"
        f"当事人：{'、'.join(b.name.strip() for b in blocks)}。"
        + ("有矛盾激化风险，请尽快处理。" if form.risk_flag else "")
        + (f"现场照片 {len(photos)} 张附后。" if photos else "")
    )
    sent = transfers.create(
        db,
        principal,
        case,
        to_org_id=str(target.id),
        kind=kind,
        letter=letter,
        answer_days=answer_days,
        address=address,
    )
    return case, sent


def set_route(
    db: Session, principal: Principal, org_id: int, *, to: str, version: str, address: str = ""
) -> ReportRoute:
    """An administrator over the unit points its quick reports elsewhere: "" the default, "self" the unit itself.

    The row is changed only at the version the form showed (a conditional UPDATE, or an INSERT that a concurrent
    one makes fail), so of two administrators saving at once the second is told and sees the first one's choice."""
    unit = principal.visible_org(db, org_id)
    principal.require_admin_over(unit)
    target = db.get(Organisation, int(to)) if to.isdigit() else None
    if to not in ("", "self") and (
        target is None or not target.active or target.id == unit.id or not _same_tree(unit, target)
    ):
        raise Invalid({"to": "请选择本系统内的接收机构。"})
    before = target_of(db, unit)
    values = {"to_org_id": target.id if target else None, "keep": to == "self"}
    stale = Conflict("上报去向已被他人修改，请查看最新设置后重试。")
    if version.strip() == "0":
        try:
            with db.begin_nested():
                db.add(ReportRoute(org_id=unit.id, **values))
        except IntegrityError as exc:
            raise stale from exc
    else:
        moved = db.execute(
            update(ReportRoute)
            .where(ReportRoute.org_id == unit.id, ReportRoute.version == _int(version))
            .values(**values, version=ReportRoute.version + 1)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            raise stale
    route = db.get(ReportRoute, unit.id)
    if route is None:  # written just above: only a concurrent removal takes it away
        raise stale
    db.refresh(route)
    after = target_of(db, unit)
    audit.record(
        db,
        "org.report_route",
        actor=principal.person,
        org=unit,
        object_type="organisation",
        object_id=unit.id,
        summary=f"随手拍上报去向：{unit.name}",
        changes=audit.diff({"上报至": _name(before)}, {"上报至": _name(after)}),
        address=address,
    )
    return route


def _name(org: Organisation | None) -> str:
    return org.name if org else "本机构办理"


def _int(value: str) -> int:
    return int(value) if value.strip().isdigit() else -1


def _same_tree(a: Organisation, b: Organisation) -> bool:
    return a.path.split("/")[1] == b.path.split("/")[1]
