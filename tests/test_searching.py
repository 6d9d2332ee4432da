"""Search in the portal, on SQLite and PostgreSQL:
outbox in the same transaction, the indexer, scope, fallback, rebuild."""

from __future__ import annotations

import threading
import time

import pytest
from bs4 import BeautifulSoup
from factories import build_world, sign_in
from matrix_cases import insert_case
from sqlmodel import Session, func, select

import search
from portal.cases.models import Case, CaseState, Party, TransferState
from portal.searching import service
from portal.searching.indexer import Indexer
from portal.searching.models import SearchOutbox


def outbox_count(engine) -> int:  # noqa: ANN001
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(SearchOutbox)).one()


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - these tests drive the indexer themselves (one writer, as in production)
    settings.indexer_in_server = False
    return settings


@pytest.fixture
def world_cases(engine, settings):  # noqa: ANN001, ANN201
    w = build_world(engine)
    with Session(engine) as db:
        a = insert_case(db, w, "a1a")  # 矩阵测试宅基地纠纷 at county A's village
        b = insert_case(db, w, "b1")  # the same title in county B
        sent = insert_case(db, w, "b1", transfer=("b1", "a1", TransferState.SENT))  # county B → county A's township
    Indexer(settings, engine).ensure_index()
    Indexer(settings, engine).drain()
    return w, a, b, sent


def test_every_case_change_writes_the_outbox_in_the_same_transaction(engine, settings) -> None:
    w = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, w, "a1a")
    assert outbox_count(engine) >= 1
    with Session(engine) as db:
        before = outbox_count(engine)
        db.add(Party(case_id=case.id, role="第三人", name="回滚的当事人"))
        db.flush()
        db.rollback()
    assert outbox_count(engine) == before  # rolled back with the change
    with Session(engine) as db:
        row = db.get(Case, case.id)
        row.title = "改过的标题"
        db.add(row)
        db.commit()
    assert outbox_count(engine) == before + 1


def test_a_saved_case_is_searchable_and_scoped(client, engine, settings, world_cases) -> None:
    w, a, b, sent = world_cases
    assert outbox_count(engine) == 0
    idx = search.SearchIndex(settings.index_dir)
    assert idx.status()["documents"] == 3
    sign_in(client, "a1.mediator")  # township A1 (+ clerk at village A1a), and the case sent to A1
    page = BeautifulSoup(client.get("/search?q=宅基地").text, "html.parser")
    hits = {li["id"] for li in page.select("li.search-hit")}
    assert hits == {f"hit-{a.id}", f"hit-{sent.id}"}
    assert page.select_one("#search-total strong").text == "2"
    assert "<mark>宅基地</mark>" in str(page.select_one(f"#hit-{a.id}"))
    counts = sum(int(x.text) for x in page.select("#facet-status .badge"))
    assert counts == 2  # facets count only what the person may see
    api = client.get("/api/search", params={"q": "宅基地"}).json()
    assert {i["id"] for i in api["items"]} == {a.id, sent.id} and api["total"] == 2 and not api["fallback"]
    assert sum(v["count"] for v in api["facets"]["org"]) == 2
    suggestions = client.get("/search/suggest", params={"q": "人调字"}, headers={"HX-Request": "true"}).text
    assert b.number not in suggestions and a.number in suggestions
    similar = client.get(f"/cases/{a.id}/similar", headers={"HX-Request": "true"}).text
    assert f"/cases/{b.id}" not in similar and f"/cases/{sent.id}" in similar
    assert client.get(f"/cases/{b.id}/similar").status_code == 404


def test_identity_numbers_are_searchable_only_by_roles_that_may_see_them(client, engine, settings, world_cases) -> None:
    w, a, b, sent = world_cases
    number = "110101199003074514"
    with Session(engine) as db:
        found = db.exec(select(Party.id_number).where(Party.case_id == a.id, Party.id_number != "")).first()
    number = found or number
    sign_in(client, "a.clerk")
    assert client.get("/api/search", params={"q": number}).json()["total"] >= 1
    page = client.get("/search", params={"q": number}).text
    assert number not in page.replace(f"q={number}", "").replace(f'value="{number}"', "")  # never in a snippet
    client.cookies.clear()
    sign_in(client, "a.supervisor")
    assert client.get("/api/search", params={"q": number}).json()["total"] == 0
    assert client.get("/api/search", params={"q": f"证件:{number}"}).json()["notes"]


def test_malformed_queries_never_fail(client, world_cases) -> None:
    sign_in(client, "a.admin")
    for q in [
        '"宅基地',
        "OR",
        "-",
        "宅基地 OR",
        "当事人:",
        "日期:2024-99",
        "宅" * 1_500,  # the search reads the first 200 characters
        "((()))",
        "案号:",
    ]:
        response = client.get("/search", params={"q": q})
        assert response.status_code == 200, q
    for q in ["\x00\x07宅基地", "宅" * 3_000]:  # control characters, or longer than any page writes: every route's 400
        response = client.get("/search", params={"q": q})
        assert response.status_code == 400 and "请求" in response.text, q
    notes = BeautifulSoup(client.get("/search", params={"q": '"宅基地'}).text, "html.parser").select(".search-note")
    assert notes and "引号" in notes[0].text


def test_the_start_up_warm_up_fills_the_index_sets_and_tolerates_a_missing_index(
    settings, world_cases, tmp_path
) -> None:  # noqa: ANN001, ARG001
    service.warm(tmp_path / "not-built")  # no index yet: nothing to warm, nothing raised
    service.warm(settings.index_dir)
    index = service.index_for(settings.index_dir)
    with index._lock:  # noqa: SLF001
        segments = index._segments(index._current())  # noqa: SLF001
    assert segments and all(
        set(data.facets) == set(search.FACETS) and data.newest is not None for _sub, _offset, data in segments
    )


def test_an_index_that_cannot_be_opened_falls_back_to_the_database_and_says_so(
    client, engine, settings, world_cases
) -> None:
    w, a, b, sent = world_cases
    current = (settings.index_dir / "CURRENT").read_text()
    (settings.index_dir / current / "SCHEMA").write_text("garbage")
    sign_in(client, "a1.mediator")
    page = BeautifulSoup(client.get("/search?q=宅基地").text, "html.parser")
    assert page.select_one("#search-fallback") is not None
    assert {li["id"] for li in page.select("li.search-hit")} == {f"hit-{a.id}", f"hit-{sent.id}"}
    assert client.get("/healthz").json() == {"status": "degraded"}  # the details only with the health token
    settings.health_token = "monitor-token"
    health = client.get("/healthz", headers={"Authorization": "Bearer monitor-token"}).json()
    assert health["status"] == "degraded" and health["search"]["fallback"]
    assert client.get("/api/search", params={"q": "宅基地"}).json()["fallback"] is True
    # the indexer reports the damage and does not replace it with an empty index
    assert Indexer(settings, engine).ensure_index() is False
    assert (settings.index_dir / current / "SCHEMA").read_text() == "garbage"


def test_the_database_fallback_finds_a_phone_number_only_for_roles_that_may_search_numbers(
    client, engine, settings, world_cases
) -> None:
    w, a, b, sent = world_cases
    with Session(engine) as db:
        row = db.get(Case, a.id)
        row.summary = "申请人联系电话13955554444。"
        db.add(row)
        db.commit()
    current = (settings.index_dir / "CURRENT").read_text()
    (settings.index_dir / current / "SCHEMA").write_text("garbage")
    sign_in(client, "a.admin")  # sees the case, may not search numbers
    found = client.get("/api/search", params={"q": "13955554444"}).json()
    assert found["fallback"] and found["total"] == 0 and any("证件号码或电话" in n for n in found["notes"])
    assert client.get("/api/search", params={"q": "5555444"}).json()["total"] == 0  # nor a part of one
    client.cookies.clear()
    sign_in(client, "a1.mediator")  # a mediator over the handling body: may
    assert [i["id"] for i in client.get("/api/search", params={"q": "13955554444"}).json()["items"]] == [a.id]


def test_searches_keep_working_during_a_rebuild_and_see_the_new_index_after_the_swap(
    engine, settings, world_cases, monkeypatch
) -> None:
    w, a, b, sent = world_cases
    import portal.searching.indexer as indexing

    monkeypatch.setattr(indexing, "REBUILD_CHUNK", 1)
    idx = search.SearchIndex(settings.index_dir)
    everything = search.Scope(everything=True)
    seen = []

    def during(done: int, total: int) -> None:
        seen.append(idx.search(search.SearchRequest(q="宅基地"), everything).total)
        with Session(engine) as db:  # a change while the rebuild runs reaches both indexes
            case = db.get(Case, a.id)
            case.title = f"重建期间改名的鱼塘纠纷{done}"
            case.version += 1
            db.add(case)
            db.commit()

    before = (settings.index_dir / "CURRENT").read_text()
    Indexer(settings, engine).rebuild(progress=during)
    assert seen == [3, 3, 3]
    assert (settings.index_dir / "CURRENT").read_text() != before
    assert idx.search(search.SearchRequest(q="重建期间改名的鱼塘纠纷3"), everything).total == 1
    with Session(engine) as db:
        expected = dict(db.exec(select(Case.id, Case.version)).all())
    assert idx.check(expected).ok


def test_check_finds_and_queues_what_the_index_misses(engine, settings, world_cases) -> None:
    w, a, b, sent = world_cases
    search.apply(settings.index_dir, [], [b.id])
    with Session(engine) as db:
        expected = dict(db.exec(select(Case.id, Case.version)).all())
    report = search.SearchIndex(settings.index_dir).check(expected)
    assert report.missing == [b.id] and not report.stale and not report.extra


def test_saved_searches_show_live_counts(client, engine, settings, world_cases) -> None:
    from factories import csrf

    sign_in(client, "a1.mediator")
    response = client.post(
        "/search/saved", data={"name": "宅基地案件", "q": "宅基地", "_csrf_token": csrf(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    listing = BeautifulSoup(client.get("/search/saved", headers={"HX-Request": "true"}).text, "html.parser")
    assert "2 件" in listing.select_one("#saved-list").text
    assert client.get("/workspace").text.count('id="saved-searches"') == 1


def test_the_server_indexer_makes_a_save_searchable_within_two_seconds(client, engine, settings) -> None:
    from portal.searching.indexer import IndexerThread

    w = build_world(engine)
    sign_in(client, "a.admin")
    settings.indexer_in_server = True
    server_indexer = IndexerThread(settings, engine)
    server_indexer.start()
    deadline = time.monotonic() + 10
    while not search.SearchIndex(settings.index_dir).status()["ok"] and time.monotonic() < deadline:
        time.sleep(0.1)
    with Session(engine) as db:
        case = insert_case(db, w, "a1a")
        row = db.get(Case, case.id)
        row.title = "光伏板遮光纠纷"
        db.add(row)
        db.commit()
    saved = time.monotonic()
    try:
        while client.get("/api/search", params={"q": "光伏板"}).json()["total"] == 0:
            assert time.monotonic() - saved < 2.0
            time.sleep(0.05)
    finally:
        server_indexer.stop()


def test_an_empty_query_lists_nothing_and_the_page_works(client, world_cases) -> None:
    sign_in(client, "a.admin")
    page = BeautifulSoup(client.get("/search").text, "html.parser")
    assert page.select_one("form#search-form input[name=q]") is not None and not page.select("li.search-hit")
    assert threading.active_count() >= 1
    _ = CaseState
