"""What search shows and finds for each role (issues 14 and 15): identity, credit-code and phone numbers never in a
snippet for anyone — in the case's own fields, its records, an uploaded PDF or its filed dossier's pages — and found
exactly only by the roles that may see them; states, channels and kinds of body typed as words; dossier-page links
only for those who may open the dossier."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from factories import build_world, sign_in
from matrix_cases import VALID_ID, insert_case
from sqlmodel import Session
from weasyprint import HTML

from archive import storage
from portal.cases import files
from portal.cases.models import Case, CaseFile, CaseState, Party, TransferState
from portal.db import utcnow
from portal.demo_cases.people import uscc
from portal.dossiers.models import DossierVersion
from portal.searching.indexer import Indexer

CREDIT_CODE = uscc(random.Random(7))
PHONE, UPLOAD_PHONE, DOSSIER_ID = "13912345678", "13755556666", "110105194912310021"
MAY_SEE = ("a.clerk", "a.mediator", "a.director", "a1.mediator")  # 受理员/调解员/主任 over the handling body
MAY_NOT = ("city.admin", "a.admin", "a.supervisor", "a.archivist")  # no such role anywhere
ELSEWHERE = "b1.mediator"  # such a role, but in county B: the case reached it by a transfer
FULL = (CREDIT_CODE, VALID_ID, PHONE, UPLOAD_PHONE, DOSSIER_ID)
AROUND = ("统一社会信用代码", "信用代码", "联系电话", "身份证号码", "手机", "当事人身份证明", "证件")


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the tests drive the indexer themselves
    settings.indexer_in_server = False
    return settings


def _pdf(text: str) -> bytes:
    return HTML(string=f"<html><body style='font-family: Noto Sans CJK SC'><p>{text}</p></body></html>").write_pdf()


@pytest.fixture
def case_with_numbers(engine, settings):  # noqa: ANN001, ANN201
    """A case at 桃花村 sent to 西镇 (county B), holding identity and phone numbers in every kind of indexed text."""
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a", transfer=("a1a", "b1", TransferState.SENT))
        case = db.get(Case, case.id)
        case.summary = f"申请人联系电话{PHONE}；被申请人统一社会信用代码{CREDIT_CODE}，法定代表人身份证号码{VALID_ID}。"
        db.add(case)
        db.add(
            Party(
                case_id=case.id,
                role="被申请人",
                kind="legal",
                name="鑫达建筑劳务有限公司",
                id_type="uscc",
                id_number=CREDIT_CODE,
                sort_order=3,
            )
        )
        upload = _pdf(f"证据材料：公司统一社会信用代码 {CREDIT_CODE}，联系人手机 {UPLOAD_PHONE}。")
        digest, key = files.store(settings.uploads_dir, upload)
        db.add(
            CaseFile(
                case_id=case.id,
                doc_type="证据材料",
                filename="营业执照.pdf",
                media_type="application/pdf",
                size=len(upload),
                sha256=digest,
                storage_key=key,
                uploaded_by=world.person("a.clerk").id,
            )
        )
        dossier = _pdf(f"当事人身份证明：身份证号码 {DOSSIER_ID}，统一社会信用代码 {CREDIT_CODE}，联系电话 {PHONE}。")
        stored = storage.put(settings.archive_dir, dossier)
        db.add(
            DossierVersion(
                case_id=case.id,
                version=1,
                status="filed",
                variant="pdf/a-2b",
                sha256=stored.sha256,
                storage_key=stored.key,
                size=stored.size,
                page_count=1,
                total_pages=1,
                manifest_sha256=stored.sha256,
                manifest_key=stored.key,
                filed_at=utcnow() - timedelta(days=1),
                created_by=world.person("a.archivist").id,
            )
        )
        db.commit()
        case_id = case.id
    Indexer(settings, engine).ensure_index()
    Indexer(settings, engine).drain()
    return world, case_id


def _as(client, username: str):  # noqa: ANN001, ANN202
    client.cookies.clear()
    assert sign_in(client, username).status_code == 303
    return client


def test_no_snippet_shows_a_full_identity_credit_code_or_phone_number_to_any_role(client, case_with_numbers) -> None:
    _world, case_id = case_with_numbers
    for username in (*MAY_SEE, *MAY_NOT, ELSEWHERE):
        _as(client, username)
        for q in AROUND:
            page = client.get("/search", params={"q": q})
            api = client.get("/api/search", params={"q": q})
            assert page.status_code == 200 and api.status_code == 200
            for number in FULL:
                assert number not in page.text and number not in api.text, (username, q, number)
        # the case is found by those words, with its numbers masked as the pages mask them
        page = BeautifulSoup(client.get("/search", params={"q": "统一社会信用代码"}).text, "html.parser")
        hit = page.select_one(f"#hit-{case_id}")
        assert hit is not None, username
        assert CREDIT_CODE[:6] + "********" + CREDIT_CODE[-4:] in hit.get_text(), username


def test_identity_and_phone_numbers_are_found_exactly_only_by_the_roles_that_may_see_them(
    client, case_with_numbers
) -> None:
    _world, case_id = case_with_numbers
    queries = (
        f"证件:{CREDIT_CODE}",
        f"证件:{VALID_ID}",
        f"电话:{PHONE}",
        f"手机:{UPLOAD_PHONE}",
        PHONE,
        CREDIT_CODE.lower(),
        f"电话:{DOSSIER_ID}",
    )
    for username in MAY_SEE:
        _as(client, username)
        for q in queries:
            found = client.get("/api/search", params={"q": q}).json()
            assert [item["id"] for item in found["items"]] == [case_id], (username, q)
    for username in (*MAY_NOT, ELSEWHERE):
        _as(client, username)
        for q in queries:
            found = client.get("/api/search", params={"q": q}).json()
            assert found["total"] == 0 and found["items"] == [], (username, q)
            if username != ELSEWHERE:
                assert any("不能按证件号码或电话搜索" in note for note in found["notes"]), (username, q)
        widened = client.get("/api/search", params={"q": f"证件:{VALID_ID} 宅基地"}).json()
        assert widened["total"] == 0, username  # never every 宅基地 case instead


def test_states_channels_tiers_and_kinds_of_body_typed_as_words_find_their_cases(client, engine, settings) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        failed = insert_case(db, world, "a1a", state=CaseState.FAILED)
        petition = insert_case(db, world, "a1")
        professional = insert_case(db, world, "a_med")
        row = db.get(Case, petition.id)
        row.channel = "信访移交"
        db.add(row)
        db.commit()
        ids = {"failed": failed.id, "petition": petition.id, "professional": professional.id}
    Indexer(settings, engine).ensure_index()
    Indexer(settings, engine).drain()
    _as(client, "a.admin")

    def found(q: str) -> set[int]:
        return {item["id"] for item in client.get("/api/search", params={"q": q}).json()["items"]}

    assert found("调解不成") == {ids["failed"]}
    assert found("信访移交") == {ids["petition"]}
    assert found("行业") == {ids["professional"]} == found("专业性")
    assert found("村(社区)") == {ids["failed"]} and found("乡镇") == {ids["petition"]}


def test_dossier_page_links_only_for_those_who_may_open_the_dossier(client, case_with_numbers) -> None:
    _world, case_id = case_with_numbers
    for username, link in (("a.archivist", True), ("a.clerk", True), ("b1.mediator", False)):
        _as(client, username)
        page = BeautifulSoup(client.get("/search", params={"q": "当事人身份证明"}).text, "html.parser")
        hit = page.select_one(f"#hit-{case_id}")
        assert hit is not None and "卷宗第 1 页" in hit.get_text(), username
        anchor = hit.select_one('a[href*="/dossier/filed"]')
        assert (anchor is not None) is link, username
        if link:
            assert client.get(anchor["href"].split("#")[0]).status_code == 200
        else:
            assert client.get(f"/cases/{case_id}/dossier/filed").status_code == 403  # what the link would have led to
