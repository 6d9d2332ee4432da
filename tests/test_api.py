"""The read-only JSON API: session cookie, the same scope as the pages, masked parties, JSON errors, the schema."""

from __future__ import annotations

from factories import build_world, sign_in
from sqlmodel import Session
from test_ledger import VALID_ID, build_cases


def test_a_signed_out_request_gets_401_json_not_a_redirect(client, engine) -> None:
    build_world(engine)
    for path in ("/api/cases", "/api/cases/1", "/api/schema/openapi.json"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 401 and response.json() == {"status_code": 401, "detail": "请先登录。"}
    assert client.get("/ledger/export", follow_redirects=False).status_code == 303  # the pages still redirect


def test_the_list_has_only_visible_cases_filtered_before_paging(client, engine) -> None:
    world, worked_id, other_id = build_cases(engine)
    sign_in(client, "a.clerk")
    body = client.get("/api/cases").json()
    assert body["total"] == 2 and body["page"] == 1 and {i["id"] for i in body["items"]} == {worked_id, worked_id + 1}
    assert other_id not in {i["id"] for i in body["items"]}
    mediating = client.get("/api/cases", params={"state": "mediating"}).json()
    assert [i["id"] for i in mediating["items"]] == [worked_id] and mediating["items"][0]["state_label"] == "调解中"
    assert client.get("/api/cases", params={"q": "相邻通行"}).json()["total"] == 1
    assert client.get("/api/cases", params={"dispute_type": "03"}).json()["total"] == 2
    assert client.get("/api/cases", params={"org": world.org("a1").id}).json()["total"] == 2
    out = client.get("/api/cases", params={"org": world.org("b1").id})
    assert out.status_code == 404 and out.json()["status_code"] == 404 and world.org("b1").name not in out.text


def test_the_detail_masks_parties_and_lists_mediators_records_transfers_and_the_timeline(client, engine) -> None:
    world, worked_id, _ = build_cases(engine)
    sign_in(client, "a.director")
    body = client.get(f"/api/cases/{worked_id}").json()
    applicant = body["parties"][0]
    assert (
        applicant["id_number"] == "110105********002X"
        and applicant["phone"] == "139****5678"
        and VALID_ID not in str(body)
    )
    assert body["mediators"] == [{"name": "东镇调解员", "lead": True}]
    assert body["records"][0]["kind"] == "mediation" and body["records"][0]["fields"]["place"] == "村调解室"
    assert [e["kind"] for e in body["timeline"]][:2] == ["register", "accept"] and body["state"] == "mediating"
    routed = client.get(f"/api/cases/{worked_id + 1}").json()
    assert (
        routed["transfers"][0]["to_org"] == "甲县医疗纠纷人民调解委员会"
        and routed["transfers"][0]["state"] == "sent"  # the county would sign it and answers for the committee
    )


def test_a_case_outside_the_scope_is_404_json_and_audited(client, engine) -> None:
    from sqlmodel import select

    from portal.audit.models import AuditEntry

    _, _, other_id = build_cases(engine)
    sign_in(client, "a.clerk")
    response = client.get(f"/api/cases/{other_id}")
    assert response.status_code == 404 and response.json() == {"status_code": 404, "detail": "案件不存在或您无权查看。"}
    assert "乙县的纠纷" not in response.text
    assert client.get("/api/cases/999999").status_code == 404
    with Session(engine) as db:
        assert db.exec(
            select(AuditEntry).where(
                AuditEntry.action == "security.out_of_scope", AuditEntry.object_id == str(other_id)
            )
        ).first()


def test_the_openapi_schema_documents_the_api_and_not_the_pages(client, engine) -> None:
    build_world(engine)
    sign_in(client, "a.archivist")
    schema = client.get("/api/schema/openapi.json").json()
    assert schema["info"]["title"] == "调解卷宗门户 API"
    assert {"/api/cases", "/api/cases/{case_id}"} <= set(schema["paths"])
    assert not any(path.startswith(("/people", "/orgs", "/ledger", "/cases", "/login")) for path in schema["paths"])
    detail = schema["paths"]["/api/cases/{case_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert detail["$ref"].endswith("CaseDetail")
    assert "parties" in schema["components"]["schemas"]["CaseDetail"]["properties"]
    assert {p["name"] for p in schema["paths"]["/api/cases"]["get"]["parameters"]} >= {
        "state",
        "dispute_type",
        "org",
        "q",
        "page",
    }
