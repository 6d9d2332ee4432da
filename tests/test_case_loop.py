"""The closed loop through the services: every transition, allowed and refused, and routing between bodies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import build_world
from matrix_cases import insert_case
from sqlmodel import Session, select

from portal import clock
from portal.cases import ids, loop, parties, service, transfers
from portal.cases.models import Case, CaseEvent, CaseState, Transfer, TransferState
from portal.cases.states import TRANSITIONS, available
from portal.errors import Conflict, Forbidden, Invalid
from portal.people.models import Person
from portal.scope import OutOfScope, load_principal

TODAY = clock.today().isoformat()
DEADLINES = loop.Deadlines()
VALID_ID = "11010519491231002X"


def who(db: Session, world, key: str):  # noqa: ANN001, ANN201
    return load_principal(db, db.get(Person, world.person(key).id))


def intake(db: Session, world, *, by: str = "a.clerk", org: str = "a1", id_number: str = VALID_ID) -> Case:  # noqa: ANN001
    form = service.CaseForm(
        title="张某与李某宅基地纠纷",
        channel="来访",
        dispute_type="0301",
        summary="两家因宅基地界线发生争执。",
        requests="确认界线",
        org_id=str(world.org(org).id),
        received_on=TODAY,
    )
    party_forms = [
        parties.PartyForm(role="申请人", name="张某", id_type="resident_id", id_number=id_number, phone="13912345678"),
        parties.PartyForm(role="被申请人", name="李某"),
    ]
    return service.intake(db, who(db, world, by), form, parties=party_forms)


def act(db: Session, world, case: Case, action: str, by: str = "a.director", **fields: str):  # noqa: ANN001, ANN201
    return loop.apply(
        db, who(db, world, by), case, action, {"version": str(case.version), **fields}, deadlines=DEADLINES
    )


RECORD = {
    "mediation": {
        "held_on": TODAY,
        "place": "村调解室",
        "mediators": "甲调解员",
        "parties_present": "张某、李某",
        "content": "释法明理",
        "result": "达成一致",
    },
    "agreement": {
        "facts": "界线争议",
        "responsibilities": "双方各让一步",
        "terms": "以旧墙为界",
        "performance_method": "当场履行",
        "performance_deadline": "即日",
        "copies": "3",
        "signed_on": TODAY,
    },
    "performance": {"performed_on": TODAY, "status": "全部履行", "details": "已拆除违建"},
}


def test_a_case_travels_the_whole_loop_with_every_step_on_the_timeline(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        assert case.number == f"（{clock.today().year}）东人调字第001号" and case.state is CaseState.REGISTERED
        act(db, world, case, "accept", by="a.clerk")
        assert case.accepted_on == clock.today() and case.mediation_due_on is not None
        loop.assign_mediator(
            db,
            who(db, world, "a.clerk"),
            case,
            world.person("a1.mediator").id,
            choices=service.mediator_choices(db, case),
        )
        act(db, world, case, "mediate", by="a1.mediator")
        loop.add_record(db, who(db, world, "a1.mediator"), case, "mediation", RECORD["mediation"])
        loop.add_record(db, who(db, world, "a1.mediator"), case, "agreement", RECORD["agreement"])
        act(db, world, case, "succeed", by="a1.mediator")
        assert case.outcome == "written"
        act(db, world, case, "apply_confirmation", court="县人民法院", applied_on=TODAY)
        act(db, world, case, "record_ruling", ruled_on=TODAY, ruling_number="（2026）甲民特1号", result="确认协议有效")
        loop.add_record(db, who(db, world, "a1.mediator"), case, "performance", RECORD["performance"])
        act(db, world, case, "close", closed_on=TODAY, summary="协议已履行")
        assert case.closed_on == clock.today() and (case.followup_due_on - case.closed_on).days == 7
        act(
            db,
            world,
            case,
            "follow_up",
            held_on=TODAY,
            method="电话",
            visitor="甲调解员",
            performance="全部履行",
            satisfaction="满意",
            risk="无",
        )
        act(db, world, case, "evaluate", by="a.clerk", source="回访评价", score="5")
        assert case.state is CaseState.EVALUATED
        db.commit()
        kinds = [
            e.kind for e in db.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        ]
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
        loop.assign_mediator(
            db,
            who(db, world, "a.clerk"),
            case,
            world.person("a1.mediator").id,
            choices=service.mediator_choices(db, case),
        )
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


def test_closing_a_performing_case_needs_a_performance_record(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        case.state, case.outcome = CaseState.PERFORMING, "oral"
        with pytest.raises(Forbidden, match="履行情况"):
            act(db, world, case, "close", closed_on=TODAY, summary="x")


def test_an_oral_agreement_cannot_go_to_judicial_confirmation(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        case.state, case.outcome = CaseState.AGREED, "oral"
        with pytest.raises(Forbidden, match="口头协议不能申请司法确认"):
            act(db, world, case, "apply_confirmation", court="法院", applied_on=TODAY)


def test_a_stale_version_is_a_conflict(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        with pytest.raises(Conflict):
            loop.apply(db, who(db, world, "a.clerk"), case, "accept", {"version": "0"}, deadlines=DEADLINES)
        assert case.state is CaseState.REGISTERED


def _b1_clerk(db: Session, world):  # noqa: ANN001, ANN202
    from factories import add_person

    from portal.people.models import Role

    person = db.exec(select(Person).where(Person.username == "b1.clerk")).first() or add_person(
        db, "b1.clerk", "西镇受理员", (world.org("b1"), Role.CLERK)
    )
    return load_principal(db, person)


def send(db: Session, world, case: Case, to: str, kind: str = "移送", by: str = "a.clerk") -> Transfer:  # noqa: ANN001
    transfer = transfers.create(
        db,
        who(db, world, by),
        case,
        to_org_id=str(world.org(to).id),
        kind=kind,
        letter="请接收并调解本纠纷，材料随函附送。",
    )
    if transfer.state is TransferState.AWAITING_SIGNOFF:  # to a body the county answers for, it goes at once
        transfers.sign_off(db, who(db, world, "a.director"), transfer.id, answer_days=7)
    return transfer


def test_refusal_is_in_writing_and_returns_a_transferred_cases_materials(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world, org="a")
        transfer = send(db, world, case, "a1", kind="下派")
        transfers.accept(db, who(db, world, "a.clerk"), transfer.id)
        with pytest.raises(Invalid):
            act(db, world, case, "refuse", reason="", routes="")
        record = act(db, world, case, "refuse", reason="不属于民间纠纷", routes="可向行政机关申请处理", issued_on=TODAY)
        assert record.kind == "refusal" and case.state is CaseState.REFUSED
        assert "材料已退回" in db.get(Transfer, transfer.id).feedback
        kinds = [
            e.kind for e in db.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        ]
        assert kinds[-2:] == ["refuse", "feedback"]  # the refusal first, then the materials going back


def test_numbers_run_per_committee_per_year(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        first, second = intake(db, world), intake(db, world, id_number="")
        other = intake(db, world, org="a1a", id_number="")
        assert (first.number_seq, second.number_seq, other.number_seq) == (1, 2, 1)
        assert second.number.endswith("东人调字第002号") and other.number.endswith("桃人调字第001号")


def test_routing_lets_the_receiver_see_the_case_from_sending_and_the_sender_keep_read_access(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world, org="a1")
        receiver = _b1_clerk(db, world)
        with pytest.raises(OutOfScope):
            service.get_case(db, receiver, case.id)
        transfer = transfers.create(
            db,
            who(db, world, "a1.mediator"),
            case,
            to_org_id=str(world.org("b1").id),
            kind="移送",
            letter="当事人住所在乙县，移送处理。",
        )
        with pytest.raises(OutOfScope):  # a draft awaiting sign-off is not sent yet
            service.get_case(db, receiver, case.id)
        with pytest.raises(Forbidden, match="甲县矛调中心的负责人"):  # a1 has no leader: the county's signs
            transfers.sign_off(db, who(db, world, "a1.mediator"), transfer.id, answer_days=7)
        transfers.sign_off(db, who(db, world, "a.director"), transfer.id, answer_days=7)
        assert service.get_case(db, receiver, case.id).in_transfer
        assert [c.id for c in service.list_cases(db, receiver, service.CaseFilter(), page=1, size=50).rows] == [case.id]
        with pytest.raises(Forbidden, match="移送中"):
            act(db, world, case, "accept", by="a.clerk")
        with pytest.raises(Forbidden, match="接收机构"):
            transfers.accept(db, who(db, world, "a.clerk"), transfer.id)
        transfers.accept(db, receiver, transfer.id)
        assert case.org_id == world.org("b1").id and not case.in_transfer
        assert service.get_case(db, who(db, world, "a.clerk"), case.id).id == case.id  # read access kept …
        with pytest.raises(Forbidden):  # … but it no longer handles the case
            act(db, world, case, "accept", by="a.clerk")


def test_a_returned_transfer_needs_a_reason_and_gives_the_case_back(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world, org="a1")
        transfer = send(db, world, case, "b1")
        clerk = _b1_clerk(db, world)
        with pytest.raises(Invalid):
            transfers.return_(db, clerk, transfer.id, reason="")
        transfers.return_(db, clerk, transfer.id, reason="不属本辖区")
        assert transfer.state is TransferState.RETURNED and case.org_id == world.org("a1").id and not case.in_transfer
        with pytest.raises(OutOfScope):  # the receiver no longer sees what it returned
            service.get_case(db, clerk, case.id)
        with pytest.raises(Conflict, match="已被退回"):  # nor accept it afterwards: told why, not "not found"
            transfers.accept(db, clerk, transfer.id)


def test_closing_a_case_feeds_the_result_back_to_the_body_that_sent_it(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world, org="a")
        transfer = send(db, world, case, "a1", kind="访调对接")
        transfers.accept(db, who(db, world, "a.clerk"), transfer.id)
        case.state, case.outcome = CaseState.FAILED, "failed"
        act(db, world, case, "close", closed_on=TODAY, summary="调解不成")
        assert "已结案" in transfer.feedback and "调解不成" in transfer.feedback and transfer.fed_back_at is not None
        kinds = [
            e.kind for e in db.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        ]
        assert kinds[-2:] == ["close", "feedback"]


def test_repeat_petitions_are_flagged_without_naming_cases_the_viewer_may_not_see(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        form = service.CaseForm(
            title="张某劳动争议",
            channel="电话",
            dispute_type="1001",
            summary="欠薪",
            org_id=str(world.org("b1").id),
            received_on=TODAY,
        )
        service.intake(
            db,
            _b1_clerk(db, world),
            form,
            parties=[parties.PartyForm(role="申请人", name="张某", id_type="resident_id", id_number=VALID_ID)],
        )
        mine = intake(db, world)
        twin = intake(db, world, org="a1a")
        flags = parties.repeat_flags(db, who(db, world, "a1.mediator"), mine)
        assert len(flags) == 1 and [c.id for c in flags[0].visible] == [twin.id] and flags[0].hidden == 1


def test_identity_numbers_are_checked() -> None:
    assert ids.resident_id_problem(VALID_ID) is None
    assert "校验位" in ids.resident_id_problem(VALID_ID[:-1] + "1")
    assert "出生日期" in ids.resident_id_problem("110105194913310021")
    assert ids.uscc_problem("91350100M000100Y43") is None and "校验位" in ids.uscc_problem("91350100M000100Y44")
    assert ids.normalise("１１０１０５１９４９１２３１００２ｘ") == VALID_ID
    assert ids.mask_id(VALID_ID) == "110105********002X"


def test_invalid_parties_and_case_fields_create_nothing(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        form = service.CaseForm(
            title="",
            channel="飞鸽传书",
            dispute_type="x",
            summary="",
            org_id=str(world.org("a1").id),
            received_on="2999-01-01",
        )
        with pytest.raises(Invalid) as refused:
            service.intake(
                db,
                who(db, world, "a.clerk"),
                form,
                parties=[parties.PartyForm(role="被申请人", name="李某", id_type="resident_id", id_number="123")],
            )
        assert {"title", "channel", "dispute_type", "summary", "received_on", "p0_id_number"} <= set(
            refused.value.errors
        )
        db.rollback()
        assert db.exec(select(Case)).all() == []


def test_available_actions_follow_the_table() -> None:
    assert [t.action for t in available(CaseState.REGISTERED)] == ["accept", "refuse"]
    assert [t.action for t in available(CaseState.MEDIATING)] == ["succeed", "fail"]
    assert available(CaseState.EVALUATED) == [] and available(CaseState.REFUSED) == []


def test_a_type_and_state_list_merges_its_sub_types_in_date_order_across_pages(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        viewer = who(db, world, "a.clerk")
        made = []
        for n in range(
            7
        ):  # 03 (婚姻家庭) and its sub-types, interleaved by date; one case of another state, one of another type
            case = insert_case(db, world, "a1a", state=CaseState.MEDIATING)
            case.dispute_type, case.received_on = (
                ("03", "0301", "0302")[n % 3],
                clock.today() - timedelta(days=(n * 5) % 7),
            )
            made.append(case)
        made[0].state, made[1].dispute_type = CaseState.ACCEPTED, "01"
        db.add_all(made)  # insert_case hands them back detached
        db.commit()
        wanted = sorted(
            (c for c in made if c.state is CaseState.MEDIATING and c.dispute_type.startswith("03")),
            key=lambda c: (c.received_on, c.id),
            reverse=True,
        )
        flt = service.CaseFilter(state="mediating", dispute_type="03")
        pages = [service.list_cases(db, viewer, flt, page=n, size=2) for n in (1, 2, 3)]
        assert [r.id for p in pages for r in p.rows] == [c.id for c in wanted] and len(wanted) == 5
        assert pages[0].total == 5 and pages[2].has_next is False


def test_list_counts_follow_every_change_despite_the_cache(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        viewer = who(db, world, "a.clerk")
        first = intake(db, world)
        db.commit()
        assert service.list_cases(db, viewer, service.CaseFilter(), page=1, size=50).counts == {"registered": 1}
        assert service.list_cases(db, viewer, service.CaseFilter(), page=1, size=50).counts == {
            "registered": 1
        }  # cached
        intake(db, world, id_number="")
        db.commit()
        assert service.list_cases(db, viewer, service.CaseFilter(), page=1, size=50).counts == {"registered": 2}
        act(db, world, first, "accept", by="a.clerk")
        db.commit()
        page = service.list_cases(db, viewer, service.CaseFilter(), page=1, size=50)
        assert page.counts == {"registered": 1, "accepted": 1} and page.total == 2
        other = load_principal(db, db.get(Person, world.person("b.admin").id))
        assert (
            service.list_cases(db, other, service.CaseFilter(), page=1, size=50).counts == {}
        )  # never another scope's


def test_record_dates_cannot_come_before_the_case(engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = intake(db, world)
        act(db, world, case, "accept", by="a.clerk")
        case.received_on = case.accepted_on = clock.today() - timedelta(days=3)
        loop.assign_mediator(
            db,
            who(db, world, "a.clerk"),
            case,
            world.person("a1.mediator").id,
            choices=service.mediator_choices(db, case),
        )
        act(db, world, case, "mediate")
        early = {**RECORD["mediation"], "held_on": (clock.today() - timedelta(days=10)).isoformat()}
        with pytest.raises(Invalid) as refused:
            loop.add_record(db, who(db, world, "a1.mediator"), case, "mediation", early)
        assert "不能早于本案的收到日期" in refused.value.errors["held_on"]
        loop.add_record(db, who(db, world, "a1.mediator"), case, "mediation", RECORD["mediation"])
        act(db, world, case, "fail", reason="分歧过大", routes="诉讼")
        with pytest.raises(Invalid) as before_acceptance:
            act(db, world, case, "close", closed_on=(clock.today() - timedelta(days=5)).isoformat(), summary="结")
        assert "不能早于本案的受理日期" in before_acceptance.value.errors["closed_on"]
