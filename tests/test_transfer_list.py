"""/transfers: filtered by queue, kind, state and text before it is counted and paginated, scoped like the case list."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from daily import build_daily_world, register, who
from factories import sign_in
from sqlmodel import Session

from portal.cases import transfers

LETTER = "请贵委会依法调解本纠纷，附登记表一份。"


@pytest.fixture
def small_pages(settings):  # noqa: ANN001, ANN201
    settings.page_size = 2
    return settings


def numbers(response) -> list[str]:  # noqa: ANN001
    page = BeautifulSoup(response.text, "html.parser")
    return [row.select_one("td a").get_text() for row in page.select("#transfers-list tbody tr")]


def test_the_list_is_filtered_then_paginated_and_the_queues_count_what_they_list(small_pages, request, engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        sent = []
        for org, by, kind in (
            ("pcs2", "pcs2.police", "公调对接"),
            ("pcs2", "pcs2.police", "公调对接"),
            ("a1a_g", "a1a.grid", "上报"),
        ):
            case = register(db, world, org, by)
            to = "a1" if org == "pcs2" else "a1a"
            transfers.create(db, who(db, world, by), case, to_org_id=str(world.org(to).id), kind=kind, letter=LETTER)
            sent.append(case.number)
        db.commit()
    client = request.getfixturevalue("client")
    sign_in(client, "a1.director")
    first = client.get("/transfers")
    assert len(numbers(first)) == 2 and "第 1 页 · 共 3 条" in first.text
    second = client.get("/transfers?page=2")
    assert set(numbers(first) + numbers(second)) == set(sent)
    assert sorted(numbers(client.get("/transfers?kind=公调对接"))) == sorted(sent[:2])
    assert numbers(client.get("/transfers?kind=上报")) == [sent[2]]
    inbox = client.get("/transfers?queue=inbox")  # the township's own desk: not the village's report
    assert sorted(numbers(inbox)) == sorted(sent[:2]) and "待接收 2" in inbox.text
    assert numbers(client.get("/transfers?q=桃一")) == [sent[2]]
    fragment = client.get("/transfers?kind=公调对接", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "transfers-list" in fragment.text
    odd = client.get("/transfers?kind=<script>&state=nonsense&queue=all")
    assert odd.status_code == 200 and len(numbers(odd)) == 2  # nonsense filters are dropped
    sign_in(client, "b.admin")
    assert numbers(client.get("/transfers")) == []  # another county's
