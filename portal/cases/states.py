"""The closed loop as one explicit state machine: (state, action) → next state, who may, what it needs."""

from __future__ import annotations

from dataclasses import dataclass

from portal.cases.models import CaseState as S
from portal.people.models import Role

WORKERS = (Role.MEDIATOR, Role.DIRECTOR)
WINDOW = (Role.CLERK, Role.DIRECTOR)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[S, ...]
    target: S
    roles: tuple[Role, ...]
    record: str | None = None  # the record written as part of the action (its form is the action's form)
    needs_records: tuple[tuple[str, ...], ...] = ()  # each inner tuple: at least one record of these kinds
    needs_from: tuple[tuple[S, str], ...] = ()  # (source state, record kind needed when leaving that state)
    needs_mediators: bool = False
    needs_applicant: bool = False
    event: str = ""


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("accept", "受理", (S.REGISTERED,), S.ACCEPTED, WINDOW, needs_applicant=True, event="受理案件"),
        Transition(
            "refuse",
            "不予受理",
            (S.REGISTERED,),
            S.REFUSED,
            WINDOW,
            record="refusal",
            event="不予受理，已出具不予受理告知书",
        ),
        Transition(
            "investigate", "开始调查", (S.ACCEPTED,), S.INVESTIGATING, WORKERS, needs_mediators=True, event="开始调查"
        ),
        Transition(
            "mediate",
            "开始调解",
            (S.ACCEPTED, S.INVESTIGATING),
            S.MEDIATING,
            WORKERS,
            needs_mediators=True,
            event="开始调解",
        ),
        Transition(
            "succeed",
            "调解成功",
            (S.MEDIATING,),
            S.AGREED,
            WORKERS,
            needs_records=(("mediation",), ("agreement", "oral_agreement")),
            event="调解成功，达成协议",
        ),
        Transition(
            "fail",
            "调解不成",
            (S.MEDIATING,),
            S.FAILED,
            WORKERS,
            record="failure",
            needs_records=(("mediation",),),
            event="调解不成，已告知其他途径",
        ),
        Transition(
            "apply_confirmation",
            "申请司法确认",
            (S.AGREED,),
            S.CONFIRMING,
            WORKERS,
            record="confirmation_application",
            needs_records=(("agreement",),),
            event="当事人申请司法确认",
        ),
        Transition(
            "record_ruling",
            "登记司法确认裁定",
            (S.CONFIRMING,),
            S.PERFORMING,
            WORKERS,
            record="confirmation_ruling",
            event="法院作出司法确认裁定",
        ),
        Transition("perform", "进入履行", (S.AGREED,), S.PERFORMING, WORKERS, event="协议进入履行"),
        Transition(
            "close",
            "结案",
            (S.PERFORMING, S.FAILED),
            S.CLOSED,
            WORKERS,
            record="closure",
            needs_from=((S.PERFORMING, "performance"),),
            event="结案",
        ),
        Transition("follow_up", "回访", (S.CLOSED,), S.FOLLOWED_UP, WORKERS, record="followup", event="完成回访"),
        Transition(
            "evaluate",
            "评价",
            (S.FOLLOWED_UP,),
            S.EVALUATED,
            (Role.CLERK, *WORKERS),
            record="evaluation",
            event="登记评价",
        ),
    ]
}


def available(state: S) -> list[Transition]:
    """The actions the machine allows from `state` (who may is checked separately)."""
    return [t for t in TRANSITIONS.values() if state in t.sources]
