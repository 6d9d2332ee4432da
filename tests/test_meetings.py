"""联席会议 on both databases: recording a meeting, cases shown only to those who may see them (page and minutes),
decisions that become 问题清单 items tracked to 销号, bad input refused in Chinese with nothing saved."""

from __future__ import annotations

import io
from datetime import timedelta

from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from matrix_cases import insert_case
from pypdf import PdfReader
from sqlmodel import Session, select

from portal import clock
from portal.meetings.models import Meeting, MeetingDecision
from portal.problems.models import Problem, ProblemState


def _record(client, world, numbers: list[str]):  # noqa: ANN001, ANN201
    return client.post(
        "/meetings",
        data={
            "org_id": str(world.org("a").id),
            "held_on": clock.today().isoformat(),
            "title": "五月联席会议",
            "place": "县矛调中心",
            "chair": "甲调委会主任",
            "attendees": "甲调委会主任\n东镇调解员",
            "minutes": "研究了两件疑难纠纷。",
            "body_ids": [str(world.org("a1").id), str(world.org("a_med").id)],
            "case_numbers": "\n".join(numbers),
            "_csrf_token": csrf(client),
        },
        follow_redirects=False,
    )


def test_a_meeting_is_recorded_its_decision_joins_the_problem_list_and_cases_stay_scoped(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        village = insert_case(db, world, "a1a")
        medical = insert_case(db, world, "a_med")
    assert sign_in(client, "a.director").status_code == 303
    answer = _record(client, world, [village.number, medical.number])
    assert answer.status_code == 303
    meeting_url = answer.headers["location"]
    due = (clock.today() + timedelta(days=14)).isoformat()
    decided = client.post(
        meeting_url + "/decisions",
        data={
            "text": "组织双方再次调解",
            "org_id": str(world.org("a1a").id),
            "owner_id": str(world.person("a1.mediator").id),
            "due_on": due,
            "_csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303
    with Session(engine) as db:
        decision = db.exec(select(MeetingDecision)).one()
        problem = db.get(Problem, decision.problem_id)
        assert problem.source == "联席会议" and problem.responsible_id == world.person("a1.mediator").id
        assert problem.due_on.isoformat() == due and problem.state is ProblemState.REGISTERED
        assert problem.org_path == db.get(type(world.org("a1a")), world.org("a1a").id).path

    # 东镇调解员 reads the meeting through 东镇 (a participating body): the village's case, not the medical one
    client.cookies.clear()
    assert sign_in(client, "a1.mediator").status_code == 303
    page = BeautifulSoup(client.get(meeting_url).text, "html.parser")
    listed = page.select_one("#meeting-cases").get_text()
    assert village.number in listed and medical.number not in listed
    minutes = client.get(meeting_url + "/minutes.pdf")
    assert minutes.status_code == 200 and minutes.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(minutes.content)).pages)
    assert village.number in text and medical.number not in text and "组织双方再次调解" in text
    assert "problems" in str(page.select_one("#decisions"))  # the decision links to its 问题清单 item

    # county B's mediator does not see it at all
    client.cookies.clear()
    assert sign_in(client, "b1.mediator").status_code == 303
    assert client.get(meeting_url).status_code == 404
    assert "五月联席会议" not in client.get("/meetings").text


def test_bad_meeting_input_is_refused_in_chinese_and_nothing_is_saved(client, engine) -> None:
    world = build_world(engine)
    assert sign_in(client, "a.director").status_code == 303
    with Session(engine) as db:
        foreign = insert_case(db, world, "b1")
    answer = client.post(
        "/meetings",
        data={
            "org_id": str(world.org("a").id),
            "held_on": (clock.today() + timedelta(days=3)).isoformat(),
            "title": "",
            "case_numbers": foreign.number,
            "_csrf_token": csrf(client),
        },
    )
    assert answer.status_code == 422
    page = BeautifulSoup(answer.text, "html.parser")
    errors = " ".join(e.get_text() for e in page.select(".field__error"))
    assert "不能晚于今天" in errors and "请填写会议名称" in errors and "无权查看" in errors
    with Session(engine) as db:
        assert db.exec(select(Meeting)).all() == []
