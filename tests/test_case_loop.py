"""The closed loop through the services: every transition, allowed and refused, and routing between bodies."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from factories import build_world
from portal.cases import ids, loop, parties, service, transfers
from portal.cases.models import Case, CaseEvent, CaseState, Transfer, TransferState
from portal.cases.states import TRANSITIONS, available
from portal.errors import Conflict, Forbidden, Invalid
from portal.people.models import Person
from portal.scope import OutOfScope, load_principal

TODAY = date.today().isoformat()
DEADLINES = loop.Deadlines()
VALID_ID = "11010519491231002X"


def who(db: Session, world, key: str):  # noqa: ANN001, ANN201
    return load_principal(db, db.get(Person, world.person(key).id))


def intake(db: Session, world, *, by: str = "a.clerk", org: str = "a1", id_number: str = VALID_ID) -> Case:  # noqa: ANN001
    form = service.CaseForm(title="张某与李某宅基地纠纷", channel="来访", dispute_type="0301", summary="两家因宅基地界线发生争执。",
                            requests="确认界线", org_id=str(world.org(org).id), received_on=TODAY)
    party_forms = [parties.PartyForm(role="申请人", name="张某", id_type="resident_id", id_number=id_number, phone="13912345678"),
                   parties.PartyForm(role="被申请人", name="李某")]
    return service.intake(db, who(db, world, by), form, parties=party_forms)


def act(db: Session, world, case: Case, action: str, by: str = "a.director", **fields: str):  # noqa: ANN001, ANN201
    return loop.apply(db, who(db, world, by), case, action, {"version": str(case.version), **fields}, deadlines=DEADLINES)


RECORD = {
    "mediation": {"held_on": TODAY, "place": "村调解室", "mediators": "甲调解员", "parties_present": "张某、李某", "content": "释法明理", "result": "达成一致"},
    "agreement": {"facts": "界线争议", "responsibilities": "双方各让一步", "terms": "以旧墙为界", "performance_method": "当场履行",
                  "performance_deadline": "即日", "copies": "3", "signed_on": TODAY},
    "performance": {"performed_on": TODAY, "status": "全部履行", "details": "已拆除违建"},
}


def test_a_case_travels_the_whole_loop_with_every_step_on_the_timeline(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        assert case.number == f"（{date.today().year}）东人调字第001号" and case.state is CaseState.REGISTERED
        act(db, world, case, "accept", by="a.clerk")
        assert case.accepted_on == date.today() and case.mediation_due_on is not None
        loop.assign_mediator(db, who(db, world, "a.clerk"), case, world.person("a1.mediator").id,
                             choices=service.mediator_choices(db, case))
        act(db, world, case, "mediate", by="a1.mediator")
        loop.add_record(db, who(db, world, "a1.mediator"), case, "mediation", RECORD["mediation"])
        loop.add_record(db, who(db, world, "a1.mediator"), case, "agreement", RECORD["agreement"])
        act(db, world, case, "succeed", by="a1.mediator")
        assert case.outcome == "written"
        act(db, world, case, "apply_confirmation", court="县人民法院", applied_on=TODAY)
        act(db, world, case, "record_ruling", ruled_on=TODAY, ruling_number="（2026）甲民特1号", result="确认协议有效")
        loop.add_record(db, who(db, world, "a1.mediator"), case, "performance", RECORD["performance"])
        act(db, world, case, "close", closed_on=TODAY, summary="协议已履行")
        assert case.closed_on == date.today() and (case.followup_due_on - case.closed_on).days == 7
        act(db, world, case, "follow_up", held_on=TODAY, method="电话", visitor="甲调解员", performance="全部履行", satisfaction="满意", risk="无")
        act(db, world, case, "evaluate", by="a.clerk", source="回访评价", score="5")
        assert case.state is CaseState.EVALUATED
        db.commit()
        kinds = [e.kind for e in db.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()]
    assert kinds[:3] == ["register", "accept", "assign"] and kinds[-1] == "evaluate" and kinds.count("record") == 3


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_is_refused_outside_its_states(engine, action: str) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        wrong = next(s for s in CaseState if s not in TRANSITIONS[action].sources)
        case.state = wrong
        with pytest.raises(Forbidden, match="不能进行"):
            act(db, world, case, action)


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_names_the_roles_it_allows(engine, action: str) -> None:
    world = build_world(engine)
    transition = TRANSITIONS[action]
    with Session(engine) as db:
        case = intake(db, world)
        case.state = transition.sources[0]
        for key in ("a.supervisor", "a.archivist", "a.admin"):
            with pytest.raises(Forbidden, match="只有办理机构"):
                act(db, world, case, action, by=key)
        for role in transition.roles:  # an allowed role gets past the role check (it may still lack records)
            try:
                act(db, world, case, action, by=f"a.{role.value}")
            except (Forbidden, Invalid) as refused:
                assert "只有办理机构" not in str(refused)
            case.state = transition.sources[0]


def test_transitions_demand_their_records(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        act(db, world, case, "accept", by="a.clerk")
        with pytest.raises(Forbidden, match="指派的调解员"):
            act(db, world, case, "mediate")
        loop.assign_mediator(db, who(db, world, "a.clerk"), case, world.person("a1.mediator").id, choices=service.mediator_choices(db, case))
        act(db, world, case, "mediate")
        with pytest.raises(Forbidden, match="人民调解记录.*人民调解协议书或口头协议登记表"):
            act(db, world, case, "succeed")
        with pytest.raises(Forbidden, match="人民调解记录"):
            act(db, world, case, "fail", reason="分歧过大", routes="向人民法院起诉")
        loop.add_record(db, who(db, world, "a1.mediator"), case, "mediation", RECORD["mediation"])
        with pytest.raises(Invalid) as incomplete:
            act(db, world, case, "fail", reason="")
        assert set(incomplete.value.errors) == {"reason", "routes"}
        act(db, world, case, "fail", reason="分歧过大", routes="向人民法院起诉")
        assert case.outcome == "failed" and case.state is CaseState.FAILED
        with pytest.raises(Invalid) as bad_date:
            act(db, world, case, "close", closed_on="2999-01-01", summary="结")
        assert "不能晚于今天" in bad_date.value.errors["closed_on"]
        act(db, world, case, "close", closed_on=TODAY, summary="调解不成，已告知诉讼途径")
        assert case.state is CaseState.CLOSED
