"""The read-only JSON API: the same session cookie and the same scope as the pages; errors as JSON."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromPath, QueryParameter

from portal.api import views
from portal.api.schemas import CaseDetail, CaseList
from portal.cases.service import CaseFilter
from portal.web.render import Db, principal_of


class ApiController(Controller):
    path = "/api"
    include_in_schema = True  # the app leaves its HTML pages out of the schema; the API is what it documents
    tags = ["案件"]

    @get(
        "/cases",
        name="api_list_cases",
        sync_to_thread=True,
        summary="案件列表",
        description="登录用户可见的案件（本机构及下级、移送给本机构的、本机构移送出去的），先筛选后分页。",
    )
    def api_list_cases(
        self,
        request: Request,
        db: Db,
        case_state: Annotated[str, QueryParameter(name="state", description="状态，如 mediating", required=False)] = "",
        dispute_type: Annotated[str, QueryParameter(description="纠纷类型代码，大类含其子类", required=False)] = "",
        org: Annotated[int | None, QueryParameter(description="机构编号（含下级）", required=False)] = None,
        q: Annotated[str, QueryParameter(description="按案号或案件名称查找", required=False)] = "",
        page: Annotated[int, QueryParameter(ge=1, description="页码，从 1 开始", required=False)] = 1,
    ) -> CaseList:
        principal = principal_of(request)
        assert principal is not None
        flt = CaseFilter(q=q.strip()[:50], state=case_state, dispute_type=dispute_type, org_id=org)
        return views.case_list(db, principal, flt, page=page, size=request.app.state.settings.page_size)

    @get(
        "/cases/{case_id:int}",
        name="api_show_case",
        sync_to_thread=True,
        summary="案件详情",
        description="一件可见案件的详情；当事人的证件号码和电话均已打码。范围外或不存在的案件答 404。",
    )
    def api_show_case(self, request: Request, db: Db, case_id: FromPath[int]) -> CaseDetail:
        principal = principal_of(request)
        assert principal is not None
        return views.case_detail(db, principal, case_id)
