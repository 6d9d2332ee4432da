"""Case and transfer routes in the permission matrix (tests/test_permissions.py).

The matrix world has no cases: each route gets its own case, inserted directly with the models the first
time it is asked for — "in" at 桃花村 (county A), "out" at 西镇 (county B) — and cached per world.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from factories import World
from sqlmodel import Session, select
from test_permissions import Route

from portal import clock
from portal.cases.models import Case, CaseMediator, CaseState, Party, Transfer, TransferState
from portal.orgs.models import Organisation
from portal.people.models import Role

C, M, D = Role.CLERK, Role.MEDIATOR, Role.DIRECTOR
INTAKE, WINDOW, WORKERS, ASSIGN, ANSWER = (C, M, D), (C, D), (M, D), (C, D), (C, D)
VALID_ID = "11010519491231002X"
_SEQ = itertools.count(1)
_CACHE: dict[int, tuple[World, dict]] = {}


def _cached(w: World) -> dict:
    entry = _CACHE.get(id(w))
    if entry is None or entry[0] is not w:  # keep the world alive so its id is not reused by the next test's
        entry = _CACHE[id(w)] = (w, {})
    return entry[1]


def insert_case(
    db: Session,
    w: World,
    org_key: str,
    *,
    state: CaseState = CaseState.REGISTERED,
    mediator: str | None = None,
    transfer: tuple[str, str, TransferState] | None = None,
) -> Case:
    """A case at `org_key` with an applicant, a respondent and a third party; optionally a mediator and a transfer."""
    org = db.get(Organisation, w.org(org_key).id)
    seq = next(_SEQ)
    today = clock.today()
    working = state not in (CaseState.REGISTERED, CaseState.REFUSED)
    case = Case(
        org_id=org.id,
        org_path=org.path,
        number_org_id=org.id,
        number_year=today.year,
        number_prefix=org.short_name,
        number_seq=seq,
        number=f"（{today.year}）{org.short_name}人调字第{seq:03d}号",
        title="矩阵测试宅基地纠纷",
        channel="来访",
        dispute_type="0301",
        summary="两家因宅基地界线发生争执。",
        received_on=today,
        state=state,
        accepted_on=today if working else None,
        mediation_due_on=today + timedelta(days=30) if working else None,
    )
    db.add(case)
    db.flush()
    db.add(
        Party(
            case_id=case.id,
            role="申请人",
            name="张某",
            id_type="resident_id",
            id_number=VALID_ID,
            phone="13912345678",
            sort_order=0,
        )
    )
    db.add(Party(case_id=case.id, role="被申请人", name="李某", phone="13800001111", sort_order=1))
    db.add(Party(case_id=case.id, role="第三人", name="王某", sort_order=2))
    if mediator:
        db.add(CaseMediator(case_id=case.id, person_id=w.person(mediator).id, lead=True))
    if transfer:
        source, target = db.get(Organisation, w.org(transfer[0]).id), db.get(Organisation, w.org(transfer[1]).id)
        transfer_state = transfer[2]
        db.add(
            Transfer(
                case_id=case.id,
                from_org_id=source.id,
                from_path=source.path,
                to_org_id=target.id,
                to_path=target.path,
                kind="移送",
                letter="矩阵测试移送函：请予调解。",
                state=transfer_state,
                created_by=w.person("a.director").id,
                answer_due_on=today + timedelta(days=7) if transfer_state is TransferState.SENT else None,
            )
        )
        case.in_transfer = transfer_state is TransferState.SENT
        if transfer_state is TransferState.ACCEPTED:
            case.org_id, case.org_path = target.id, target.path
        db.add(case)
    db.commit()
    db.refresh(case)
    db.expunge(case)  # stays readable after the caller's next commit
    return case


# key → (in-side spec, out-side spec); a spec is insert_case's org key and keyword arguments
SPECS: dict[str, tuple[tuple[str, dict], tuple[str, dict]]] = {
    "plain": (("a1a", {}), ("b1", {})),
    "accepted": (("a1a", {"state": CaseState.ACCEPTED}), ("b1", {"state": CaseState.ACCEPTED})),
    "staffed": (
        ("a1a", {"state": CaseState.ACCEPTED, "mediator": "a1.mediator"}),
        ("b1", {"state": CaseState.ACCEPTED, "mediator": "b1.mediator"}),
    ),
    "followed_up": (("a1a", {"state": CaseState.FOLLOWED_UP}), ("b1", {"state": CaseState.FOLLOWED_UP})),
    "evaluated": (("a1a", {"state": CaseState.EVALUATED}), ("b1", {"state": CaseState.EVALUATED})),
    "sent_away": (
        ("a1a", {"state": CaseState.ACCEPTED, "transfer": ("a1a", "b1", TransferState.ACCEPTED)}),
        ("b1", {"state": CaseState.ACCEPTED}),
    ),
    "draft": (
        ("a1a", {"transfer": ("a1a", "a1", TransferState.AWAITING_SIGNOFF)}),
        ("b1", {"transfer": ("b1", "b", TransferState.AWAITING_SIGNOFF)}),
    ),
    "sent": (
        ("a1a", {"transfer": ("a1a", "a1", TransferState.SENT)}),
        ("b1", {"transfer": ("b1", "b", TransferState.SENT)}),
    ),
    "incoming": (
        ("b1", {"transfer": ("b1", "a1a", TransferState.SENT)}),
        ("b1", {"transfer": ("b1", "b", TransferState.SENT)}),
    ),
}


def case_of(db: Session, w: World, side: str, key: str, route: str = "") -> Case:
    """The case for (`key`, `route`, `side`), created on first use; each mutating route gets its own."""
    cache = _cached(w)
    if (key, route, side) not in cache:
        org_key, spec = SPECS[key][0 if side == "in" else 1]
        cache[(key, route, side)] = insert_case(db, w, org_key, **spec).id
    return db.get(Case, cache[(key, route, side)])


def party_id(db: Session, w: World, side: str, key: str, route: str, role: str) -> int:
    case = case_of(db, w, side, key, route)
    return db.exec(select(Party.id).where(Party.case_id == case.id, Party.role == role)).first()


def transfer_id(db: Session, w: World, side: str, key: str, route: str) -> int:
    case = case_of(db, w, side, key, route)
    return db.exec(select(Transfer.id).where(Transfer.case_id == case.id)).one()


def assignment_id(db: Session, w: World, side: str, route: str) -> int:
    case = case_of(db, w, side, "staffed", route)
    return db.exec(select(CaseMediator.id).where(CaseMediator.case_id == case.id)).one()


def url(key: str, tail: str = "", route: str = ""):  # noqa: ANN201
    return lambda db, w, s: f"/cases/{case_of(db, w, s, key, route).id}{tail}"


def version(key: str, route: str = "", **extra: str):  # noqa: ANN201
    return lambda db, w, s: {"version": str(case_of(db, w, s, key, route).version), **extra}


def intake_form(db: Session, w: World, side: str) -> dict:
    return {
        "title": f"矩阵登记{side}",
        "channel": "来访",
        "dispute_type": "0301",
        "summary": "邻里通行纠纷",
        "received_on": clock.today().isoformat(),
        "org_id": str(w.org("a1a" if side == "in" else "b1").id),
        "p0_role": "申请人",
        "p0_kind": "natural",
        "p0_name": "赵某",
    }


def case_form(db: Session, w: World, side: str) -> dict:
    case = case_of(db, w, side, "plain", "update")
    return {
        "title": case.title + "（改）",
        "channel": case.channel,
        "dispute_type": case.dispute_type,
        "summary": case.summary,
        "received_on": case.received_on.isoformat(),
        "people_involved": "2",
        "version": str(case.version),
    }


def intake_expect(role: Role, side: str) -> int:
    """Refused before the organisation is looked at for those who may not register; then out of scope is 404."""
    if role not in INTAKE:
        return 403
    return 404 if side == "out" else 303


def read_only_expect(role: Role, side: str) -> int:
    """The sender of an accepted transfer sees the case, and nobody there may act on it."""
    return 404 if side == "out" else 403


TODAY = clock.today().isoformat()
EVALUATION = {"source": "回访评价", "score": "5"}
INVESTIGATION = {
    "kind": "investigation",
    "held_on": TODAY,
    "place": "村委会",
    "investigators": "甲调解员",
    "respondents": "李某",
    "content": "查看现场界线",
}

ROUTES = [
    Route(
        "list_cases",
        "GET",
        None,
        "any",
        lambda w, s: f"/cases?org={w.org('a1a' if s == 'in' else 'b1').id}&state=registered",
    ),
    Route("list_transfers", "GET", None, "any", lambda w, s: "/transfers"),
    Route(
        "new_case_form", "GET", "org", INTAKE, lambda w, s: f"/cases/new?org={w.org('a1a' if s == 'in' else 'b1').id}"
    ),
    Route("show_case", "GET", "case", "any", url("plain")),
    Route(  # those who work with the parties, and the 督导 (audited, read-only otherwise)
        "show_case",
        "GET",
        "case",
        (*INTAKE, Role.SUPERVISOR),
        lambda db, w, s: f"/cases/{case_of(db, w, s, 'plain').id}?reveal={party_id(db, w, s, 'plain', '', '申请人')}",
    ),
    Route("show_case", "GET", "case", "any", url("sent_away")),
    Route("edit_case_form", "GET", "case", INTAKE, url("plain", "/edit")),
    Route("action_form", "GET", "case", WINDOW, url("plain", "/actions/accept")),
    Route("action_form", "GET", "case", WORKERS, url("staffed", "/actions/mediate")),
    Route("new_record_form", "GET", "case", WORKERS, url("accepted", "/records/new?kind=investigation")),
    Route("new_record_form", "GET", "case", INTAKE, url("evaluated", "/records/new?kind=evaluation")),
    Route("create_case", "POST", "org", INTAKE, lambda w, s: "/cases", intake_form, ok=303, expect=intake_expect),
    Route("update_case", "POST", "case", INTAKE, url("plain", "/edit", "update"), case_form, ok=303),
    Route(
        "add_party",
        "POST",
        "case",
        INTAKE,
        url("plain", "/parties", "add_party"),
        lambda db, w, s: {"p0_role": "第三人", "p0_kind": "natural", "p0_name": "钱某"},
        ok=303,
    ),
    Route(
        "remove_party",
        "POST",
        "case",
        INTAKE,
        lambda db, w, s: (
            f"/cases/{case_of(db, w, s, 'plain', 'remove').id}"
            f"/parties/{party_id(db, w, s, 'plain', 'remove', '第三人')}/delete"
        ),
        lambda db, w, s: {},
        ok=303,
    ),
    Route(
        "assign_mediator",
        "POST",
        "case",
        ASSIGN,
        url("accepted", "/mediators", "assign"),
        lambda db, w, s: {"person_id": str(w.person("a1.mediator" if s == "in" else "b1.mediator").id)},
        ok=303,
    ),
    Route(
        "unassign_mediator",
        "POST",
        "case",
        ASSIGN,
        lambda db, w, s: (
            f"/cases/{case_of(db, w, s, 'staffed', 'unassign').id}"
            f"/mediators/{assignment_id(db, w, s, 'unassign')}/delete"
        ),
        lambda db, w, s: {},
        ok=303,
    ),
    Route(
        "take_action",
        "POST",
        "case",
        WINDOW,
        url("plain", "/actions/accept", "accept"),
        version("plain", "accept"),
        ok=303,
    ),
    Route(
        "take_action",
        "POST",
        "case",
        WORKERS,
        url("staffed", "/actions/mediate", "mediate"),
        version("staffed", "mediate"),
        ok=303,
    ),
    Route(
        "take_action",
        "POST",
        "case",
        INTAKE,
        url("followed_up", "/actions/evaluate", "evaluate"),
        version("followed_up", "evaluate", **EVALUATION),
        ok=303,
    ),
    Route(
        "take_action",
        "POST",
        "case",
        INTAKE,
        url("sent_away", "/actions/investigate", "read_only"),
        version("sent_away", "read_only"),
        ok=303,
        expect=read_only_expect,
    ),
    Route(
        "add_record",
        "POST",
        "case",
        WORKERS,
        url("accepted", "/records", "record"),
        lambda db, w, s: dict(INVESTIGATION),
        ok=303,
    ),
    Route(
        "create_transfer",
        "POST",
        "case",
        INTAKE,
        url("plain", "/transfers", "transfer"),
        lambda db, w, s: {
            "to_org_id": str(w.org("a1" if s == "in" else "b").id),
            "kind": "移送",
            "letter": "请贵委会依法调解本纠纷，附申请书一份。",
        },
        ok=303,
    ),
    Route(
        "sign_off_transfer",
        "POST",
        "case",
        (D,),
        lambda db, w, s: f"/transfers/{transfer_id(db, w, s, 'draft', 'sign')}/sign-off",
        lambda db, w, s: {},
        ok=303,
    ),
    Route(
        "withdraw_transfer",
        "POST",
        "case",
        INTAKE,
        lambda db, w, s: f"/transfers/{transfer_id(db, w, s, 'sent', 'withdraw')}/withdraw",
        lambda db, w, s: {},
        ok=303,
    ),
    Route(
        "accept_transfer",
        "POST",
        "case",
        ANSWER,
        lambda db, w, s: f"/transfers/{transfer_id(db, w, s, 'incoming', 'accept')}/accept",
        lambda db, w, s: {},
        ok=303,
    ),
    Route(
        "return_transfer",
        "POST",
        "case",
        ANSWER,
        lambda db, w, s: f"/transfers/{transfer_id(db, w, s, 'incoming', 'return')}/return",
        lambda db, w, s: {"reason": "不属于本委会辖区，请另行移送。"},
        ok=303,
    ),
]
