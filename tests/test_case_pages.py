"""Case pages through the real forms: intake, the case page, tampered fields, the list, edits, actions and transfers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from factories import add_org, add_person, build_world, csrf, sign_in
from matrix_cases import VALID_ID, insert_case
from sqlalchemy import event
from sqlmodel import Session, func, select

from portal import clock
from portal.audit.models import AuditEntry
from portal.cases.models import Case, CaseEvent, CaseMediator, CaseRecord, CaseState, Party, Transfer, TransferState
from portal.db import transaction
from portal.experts.models import Expert
from portal.orgs.models import Tier
from portal.people.models import Role

TODAY = clock.today().isoformat()


def post(client, url: str, data: dict):  # noqa: ANN001, ANN201
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def soup_of(response) -> BeautifulSoup:  # noqa: ANN001
    return BeautifulSoup(response.text, "html.parser")


def intake_data(org_id: int, **changes: str) -> dict:
    data = {
        "org_id": str(org_id),
        "title": "张某与李某宅基地纠纷",
        "channel": "来访",
        "dispute_type": "0301",
        "summary": "两家因宅基地界线发生争执。",
        "requests": "确认界线",
        "amount": "",
        "people_involved": "2",
        "received_on": TODAY,
        "p0_role": "申请人",
        "p0_kind": "natural",
        "p0_name": "张某",
        "p0_id_type": "resident_id",
        "p0_id_number": VALID_ID,
        "p0_phone": "13912345678",
        "p1_role": "被申请人",
        "p1_kind": "natural",
        "p1_name": "李某",
        "p2_role": "第三人",
        "p2_kind": "natural",
    }
    return {**data, **changes}


def count(engine, model) -> int:  # noqa: ANN001
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(model)).one()


def test_a_clerk_registers_a_case_at_one_window_and_lands_on_its_page(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    form = soup_of(client.get(f"/cases/new?org={world.org('a1a').id}"))
    assert form.select_one("#f-p0_role option[selected]")["value"] == "申请人"
    assert form.select_one("#f-p1_role option[selected]")["value"] == "被申请人"
    assert form.select_one("#f-org_id option[selected]")["value"] == str(world.org("a1a").id)
    response = post(client, "/cases", intake_data(world.org("a1a").id))
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert f"（{clock.today().year}）桃人调字第001号" in page.text and "已登记案件" in page.text
    with Session(engine) as db:
        case = db.exec(select(Case)).one()
        assert [p.name for p in db.exec(select(Party).where(Party.case_id == case.id).order_by(Party.sort_order))] == [
            "张某",
            "李某",
        ]
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "case.create")).one()
        # the history and the audit trail name the case by its number as printed
        assert entry.summary.startswith(f"登记案件：{case.number} ")
        event = db.exec(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "register")).one()
        assert event.summary == f"登记案件 {case.number}（{case.channel}）"


def test_a_repeat_petitioner_is_flagged_when_the_case_is_registered(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        insert_case(db, world, "b1")  # the same 张某 (same ID number) in county B, out of sight
    sign_in(client, "a.clerk")
    response = post(client, "/cases", intake_data(world.org("a1a").id))
    page = soup_of(client.get(response.headers["location"]))
    assert "重复访提示" in page.select_one(".flash--warning").get_text()  # another county's township is not above
    assert "另有 1 件在您无权查看的机构" in page.select_one("#repeat-flags").get_text()
    assert "西镇" not in page.select_one("#repeat-flags").get_text()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"p0_id_number": "110105194912310021"}, "p0_id_number"),  # wrong check digit
        ({"p0_role": "被申请人", "p1_role": "第三人"}, "p0_name"),  # nobody applies
        ({"received_on": (clock.today() + timedelta(days=3)).isoformat()}, "received_on"),
    ],
)
def test_intake_with_bad_input_is_re_rendered_with_what_was_typed_and_creates_nothing(
    client, engine, changes: dict, field: str
) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    data = intake_data(world.org("a1a").id, **changes)
    response = post(client, "/cases", data)
    assert response.status_code == 422
    page = soup_of(response)
    assert page.select_one(f"#f-{field}")["aria-invalid"] == "true" and page.select_one(f"#f-{field}-error").get_text()
    assert page.select_one("#f-title")["value"] == data["title"] and page.select_one("#f-p1_name")["value"] == "李某"
    assert page.select_one("#f-p0_id_number")["value"] == data["p0_id_number"]
    assert count(engine, Case) == 0 and count(engine, Party) == 0


def test_people_without_a_window_role_cannot_open_the_intake_form(client, engine) -> None:
    build_world(engine)
    sign_in(client, "a.supervisor")
    assert client.get("/cases/new").status_code == 403


def test_the_case_page_masks_identity_and_phone_and_a_reveal_is_audited(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
        applicant = db.exec(select(Party).where(Party.case_id == case.id, Party.role == "申请人")).one()
    sign_in(client, "a.archivist")  # reads the case, never the full numbers (a 督导 may reveal: test_supervision)
    page = client.get(f"/cases/{case.id}")
    assert VALID_ID not in page.text and "13912345678" not in page.text
    assert "110105********002X" in page.text and "139****5678" in page.text
    assert (
        not soup_of(page).select("a.reveal")
        and client.get(f"/cases/{case.id}?reveal={applicant.id}").status_code == 403
    )
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a.clerk")
    link = soup_of(client.get(f"/cases/{case.id}")).select_one(f"#party-{applicant.id} a.reveal")["href"]
    shown = client.get(link)
    assert VALID_ID in shown.text and "13912345678" in shown.text
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "case.view_personal_data")).one()
        assert entry.object_id == str(case.id) and "张某" in entry.summary


def test_tampered_fields_naming_another_organisations_case_or_org_change_nothing(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        ours, theirs = insert_case(db, world, "a1a", state=CaseState.ACCEPTED), insert_case(db, world, "b1")
    sign_in(client, "a.clerk")
    before = (count(engine, Case), count(engine, Party))
    assert post(client, "/cases", intake_data(world.org("b1").id)).status_code == 404
    assert post(client, f"/cases/{theirs.id}/parties", {"p0_role": "第三人", "p0_name": "钱某"}).status_code == 404
    assert (
        post(
            client,
            f"/cases/{theirs.id}/transfers",
            {"to_org_id": str(world.org("a1").id), "kind": "移送", "letter": "x" * 20},
        ).status_code
        == 404
    )
    assigned = post(client, f"/cases/{ours.id}/mediators", {"person_id": str(world.person("b1.mediator").id)})
    assert assigned.status_code == 422 and "请从本机构及上下级的调解员中选择" in assigned.text
    assert (count(engine, Case), count(engine, Party)) == before
    assert count(engine, Transfer) == 0 and count(engine, CaseMediator) == 0


def test_the_list_answers_a_fragment_to_htmx_and_a_page_otherwise(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        ours, theirs = insert_case(db, world, "a1a"), insert_case(db, world, "b1")
    sign_in(client, "a.clerk")
    full = client.get("/cases?q=矩阵")
    fragment = client.get("/cases?q=矩阵", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in fragment.text and fragment.headers["vary"] == "HX-Request"
    assert ours.number in fragment.text and theirs.number not in fragment.text
    assert soup_of(fragment).select_one('#state-chips [data-state="registered"]').get_text(strip=True) == "已登记 1"
    odd = client.get(f"/cases?state=bogus&date_from=yesterday&org={world.org('b1').id}")
    assert odd.status_code == 200 and ours.number in odd.text
    assert (
        "“状态”的筛选值无效" in odd.text
        and "“收到日期（起）”不是有效日期" in odd.text
        and "“办理机构”的筛选值无效" in odd.text
    )


def test_the_filter_keeps_what_was_chosen_and_offers_organisations_and_mediators_added_since(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        insert_case(db, world, "a1a")
    sign_in(client, "a.clerk")
    a1a, mediator = world.org("a1a").id, world.person("a1.mediator").id
    chosen = soup_of(client.get(f"/cases?state=registered&dispute_type=03&org={a1a}&mediator={mediator}"))
    for name, value in (
        ("state", "registered"),
        ("dispute_type", "03"),
        ("org", str(a1a)),
        ("mediator", str(mediator)),
    ):
        assert [o["value"] for o in chosen.select(f'select[name="{name}"] option[selected]')] == [value], name
    assert not chosen.select('select[name="channel"] option[selected]')
    offered = {
        o.get_text(strip=True) for o in chosen.select('select[name="org"] option, select[name="mediator"] option')
    }
    assert "新村人民调解委员会" not in "".join(offered) and "新来的调解员" not in offered

    # The list's drop-downs are kept between requests, but never past a change to organisations or roles.
    with transaction(engine) as db:
        village = add_org(db, "新村人民调解委员会", world.org("a1"), Tier.VILLAGE, short="新")
        add_person(db, "new.mediator", "新来的调解员", (village, Role.MEDIATOR))
    again = soup_of(client.get("/cases"))
    assert "新村人民调解委员会" in again.select_one('select[name="org"]').get_text()
    assert "新来的调解员" in [o.get_text(strip=True) for o in again.select('select[name="mediator"] option')]
    out_of_scope = soup_of(client.get(f"/cases?org={world.org('b1').id}"))
    assert "乙县西镇" not in out_of_scope.select_one('select[name="org"]').get_text()


def test_the_list_confirms_what_it_kept_with_its_own_statement_and_sees_changes_made_elsewhere(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        first = insert_case(db, world, "a1a")
    sign_in(client, "a.clerk")
    assert "全部 1" in soup_of(client.get("/cases")).select_one("#state-chips").get_text()

    statements: list[str] = []

    def seen(conn, cursor, statement, *_args) -> None:  # noqa: ANN001
        # The requests' own statements (not the indexer's or other background threads'), without the session check
        # every request makes (portal.auth.sessions.check).
        if threading.current_thread().name.startswith("portal-request") and "web_session" not in statement:
            statements.append(statement)

    event.listen(client.app.state.engine, "before_cursor_execute", seen)
    try:
        again = client.get("/cases")
        # Nothing changed: the counts and the cases reached through transfers kept from the first view are used, and the
        # page's one statement (its rows, with the generation alongside) confirms they still hold.
        assert len(statements) == 1 and "generation_cases" in statements[0]
        assert first.number in again.text

        # What another worker writes meanwhile: a case of the clerk's county, and one of the other county sent to it.
        with Session(engine) as db:
            ours = insert_case(db, world, "a1a")
            sent = insert_case(db, world, "b1", transfer=("b1", "a1", TransferState.SENT))
        statements.clear()
        after = client.get("/cases")
        assert len(statements) > 1  # the generation moved on: counts and transfers worked out again
        chips = soup_of(after).select_one("#state-chips").get_text()
        assert "全部 3" in chips
        assert first.number in after.text and ours.number in after.text and sent.number in after.text
    finally:
        event.remove(client.app.state.engine, "before_cursor_execute", seen)


def test_the_case_pages_kept_mediators_and_transfer_targets_follow_changes_to_people_and_organisations(
    client, engine
) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.ACCEPTED)
    sign_in(client, "a.director")

    def offered(name: str) -> str:
        return soup_of(client.get(f"/cases/{case.id}")).select_one(f'select[name="{name}"]').get_text("|", strip=True)

    assert "东镇调解员" in offered("person_id") and "甲县东镇人民调解委员会" in offered("to_org_id")
    assert "新来的调解员" not in offered("person_id") and "新村人民调解委员会" not in offered("to_org_id")
    # The case page reads the generation with the case itself, and a change to people or organisations moves it on.
    with transaction(engine) as db:
        village = add_org(db, "新村人民调解委员会", world.org("a1"), Tier.VILLAGE, short="新")
        add_person(db, "new.mediator", "新来的调解员", (world.org("a1a"), Role.MEDIATOR))
    assert "新来的调解员" in offered("person_id") and village.name in offered("to_org_id")


def test_a_conflicting_case_edit_is_answered_409_with_the_saved_values(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
    sign_in(client, "a.clerk")
    form = soup_of(client.get(f"/cases/{case.id}/edit"))
    data = {i["name"]: i.get("value", "") for i in form.select("form.form input") if i.get("name")}
    data.update({"summary": case.summary, "channel": "来访", "dispute_type": "0301"})
    assert post(client, f"/cases/{case.id}/edit", {**data, "title": "他人先改的名称"}).status_code == 303
    stale = post(client, f"/cases/{case.id}/edit", {**data, "title": "我的名称"})
    assert stale.status_code == 409
    page = soup_of(stale)
    assert "他人先改的名称" in page.select_one("#current-values").get_text()
    assert (
        page.select_one("#f-title")["value"] == "我的名称" and page.select_one('input[name="version"]')["value"] == "2"
    )


def test_a_case_is_accepted_staffed_and_mediated_through_its_forms(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
    sign_in(client, "a.clerk")
    page = soup_of(client.get(f"/cases/{case.id}"))
    assert page.select_one('#actions [data-action="accept"]') is not None
    version = soup_of(client.get(f"/cases/{case.id}/actions/accept")).select_one('input[name="version"]')["value"]
    assert post(client, f"/cases/{case.id}/actions/accept", {"version": version}).status_code == 303
    assert (
        post(client, f"/cases/{case.id}/actions/accept", {"version": version}).status_code == 409
    )  # a second click on a stale form
    assert (
        soup_of(client.get(f"/cases/{case.id}")).select_one("#actions") is None
    )  # investigating and mediating are for mediators
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a1.mediator")  # 调解员 at 东镇 and 受理员 at 桃花村
    page = soup_of(client.get(f"/cases/{case.id}"))
    assert "指派的调解员" in page.select_one("#actions").get_text()  # 开始调解 is shown, disabled, with what it lacks
    assert (
        post(client, f"/cases/{case.id}/mediators", {"person_id": str(world.person("a1.mediator").id)}).status_code
        == 303
    )
    with Session(engine) as db:
        version = str(db.get(Case, case.id).version)
    assert post(client, f"/cases/{case.id}/actions/mediate", {"version": version}).status_code == 303
    bad = post(client, f"/cases/{case.id}/records", {"kind": "mediation", "held_on": TODAY, "place": "村调解室"})
    assert bad.status_code == 422 and soup_of(bad).select_one("#f-place")["value"] == "村调解室"
    record_form = soup_of(client.get(f"/cases/{case.id}/records/new?kind=mediation"))
    assert (
        record_form.select_one("#f-held_on")["type"] == "date"
        and record_form.select_one("textarea#f-content") is not None
    )
    done = post(
        client,
        f"/cases/{case.id}/records",
        {
            "kind": "mediation",
            "held_on": TODAY,
            "place": "村调解室",
            "mediators": "东镇调解员",
            "parties_present": "张某、李某",
            "content": "释法明理",
            "result": "达成一致",
        },
    )
    assert done.status_code == 303
    page = soup_of(client.get(f"/cases/{case.id}"))
    assert (
        "调解经过" in page.select_one("#records").get_text() and page.select_one('[data-state="mediating"]') is not None
    )
    assert "开始调解" in page.select_one("#timeline").get_text()


def test_a_transfer_is_drafted_signed_off_and_the_receiver_answers(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
        add_person(db, "a1a.director", "桃花村主任", (world.org("a1a"), Role.DIRECTOR))
        db.commit()
    sign_in(client, "a.clerk")
    short = post(
        client,
        f"/cases/{case.id}/transfers",
        {"to_org_id": str(world.org("a_med").id), "kind": "移送", "letter": "太短"},
    )
    assert short.status_code == 422 and soup_of(short).select_one("#f-letter")["aria-invalid"] == "true"
    assert (
        post(
            client,
            f"/cases/{case.id}/transfers",
            {"to_org_id": str(world.org("a_med").id), "kind": "移送", "letter": "本案涉及医疗损害，请专业调委会调解。"},
        ).status_code
        == 303
    )
    with Session(engine) as db:
        transfer = db.exec(select(Transfer)).one()
    assert post(client, f"/transfers/{transfer.id}/sign-off", {}).status_code == 403  # only the 调委会主任 signs off
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a.director")  # a director higher up no longer signs the village's letters (it answers them)
    assert post(client, f"/transfers/{transfer.id}/sign-off", {}).status_code == 403
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a1a.director")
    assert "1" in soup_of(client.get("/workspace")).select_one("#queue-sign").get_text()
    assert post(client, f"/transfers/{transfer.id}/sign-off", {}).status_code == 303
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a.director")
    page = soup_of(client.get(f"/cases/{case.id}"))
    assert page.select_one("#in-transfer") is not None and page.select_one("#actions") is None
    assert "1" in soup_of(client.get("/workspace")).select_one("#queue-inbox").get_text()
    assert case.number in client.get("/transfers").text
    empty = post(client, f"/transfers/{transfer.id}/return", {"reason": ""})
    assert empty.status_code == 422 and "退回须写明理由" in empty.text
    assert post(client, f"/transfers/{transfer.id}/accept", {}).status_code == 303
    with Session(engine) as db:
        assert (
            db.get(Case, case.id).org_id == world.org("a_med").id
            and db.get(Transfer, transfer.id).state is TransferState.ACCEPTED
        )


def test_the_sender_of_an_accepted_transfer_sees_the_case_read_only(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.ACCEPTED, transfer=("a1a", "b1", TransferState.ACCEPTED))
    sign_in(client, "a.clerk")
    page = soup_of(client.get(f"/cases/{case.id}"))
    assert page.select_one("#read-only") is not None and page.select_one("#actions") is None
    assert not page.select("#mediators form") and not page.select("a.reveal")


def test_the_case_page_lists_every_transfer_in_order_from_its_first_statement(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.ACCEPTED, transfer=("a1a", "b1", TransferState.RETURNED))
        source, target = world.org("a1a"), world.org("a1")
        db.add(
            Transfer(
                case_id=case.id,
                from_org_id=source.id,
                from_path=source.path,
                to_org_id=target.id,
                to_path=target.path,
                kind="上报",
                letter="第二次：上报东镇。",
                state=TransferState.AWAITING_SIGNOFF,
                created_by=world.person("a.director").id,
            )
        )
        db.commit()
        ids = [t.id for t in db.exec(select(Transfer).where(Transfer.case_id == case.id).order_by(Transfer.id))]
    sign_in(client, "a.director")
    page = soup_of(client.get(f"/cases/{case.id}"))
    assert [a["id"] for a in page.select("#transfers article.card")] == [f"transfer-{i}" for i in ids]
    assert len(page.select("h1")) == 1 and "第二次：上报东镇。" in page.select_one(f"#transfer-{ids[1]}").get_text()


def test_a_mediation_record_cites_experts_from_the_pool_and_refuses_others(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", state=CaseState.MEDIATING, mediator="a1.mediator")
        ours = Expert(
            org_id=world.org("a").id,
            org_path=world.org("a").path,
            name="钱律师",
            field="法律",
            employer="甲县律师事务所",
        )
        theirs = Expert(org_id=world.org("b1").id, org_path=world.org("b1").path, name="乙县专家", field="医疗")
        db.add_all([ours, theirs])
        db.commit()
        ours_id, theirs_id = ours.id, theirs.id
    sign_in(client, "a1.mediator")
    form = soup_of(client.get(f"/cases/{case.id}/records/new?kind=mediation"))
    offered = {box["value"] for box in form.select('input[name="experts"][type="checkbox"]')}
    assert offered == {str(ours_id)}  # the county's expert serves the village; the other county's is not offered
    record = {
        "kind": "mediation",
        "held_on": TODAY,
        "place": "村调解室",
        "mediators": "东镇调解员",
        "parties_present": "张某、李某",
        "content": "请律师释法",
        "result": "达成一致",
    }
    refused = post(client, f"/cases/{case.id}/records", {**record, "experts": str(theirs_id)})
    assert refused.status_code == 422 and "请从专家库中选择专家" in refused.text
    assert soup_of(refused).select_one("#f-place")["value"] == "村调解室"
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(CaseRecord).where(CaseRecord.case_id == case.id)).one() == 0
    assert post(client, f"/cases/{case.id}/records", {**record, "experts": str(ours_id)}).status_code == 303
    with Session(engine) as db:
        saved = db.exec(select(CaseRecord).where(CaseRecord.case_id == case.id)).one()
    assert saved.fields["experts"] == "钱律师（法律 · 甲县律师事务所）" and saved.fields["experts_ids"] == [ours_id]
    assert "钱律师" in soup_of(client.get(f"/cases/{case.id}")).select_one("#records").get_text()
