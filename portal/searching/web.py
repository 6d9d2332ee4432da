"""Search pages: the GET form (works without JavaScript), suggestions, similar cases, saved searches; the JSON API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import select

from portal.cases.models import OUTCOMES, STATE_LABELS, DisputeType
from portal.errors import Invalid
from portal.orgs.models import TIER_LABELS, Organisation
from portal.searching import service
from portal.searching.schemas import FacetOut, SearchHitOut, SearchOut
from portal.web.render import Db, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _labels(db, results) -> dict[str, dict[str, str]]:  # noqa: ANN001
    """Readable names for the facet values and hits on this page."""
    org_ids = {int(v.value) for v in results.facets.get("org", []) if v.value.isdigit()} | {
        h.org_id for h in results.hits
    }
    orgs = (
        dict(db.exec(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all())
        if org_ids
        else {}
    )
    types = dict(db.exec(select(DisputeType.code, DisputeType.name)).all())
    return {
        "dtype": types,
        "status": {s.value: label for s, label in STATE_LABELS.items()},
        "tier": {t.value: label for t, label in TIER_LABELS.items()},
        "org": {str(k): v for k, v in orgs.items()},
        "outcome": OUTCOMES,
    }


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if isinstance(v, str)}


class SearchController(Controller):
    path = "/search"

    @get("/", name="search_cases", sync_to_thread=True)
    def search_cases(self, request: Request, db: Db) -> Template:
        principal = principal_of(request)
        assert principal is not None
        settings = settings_of(request)
        params = _params(request)
        outcome = (
            service.run(db, principal, settings.index_dir, params)
            if (params.get("q") or any(params.get(f) for f in service.search.FACETS))
            else None
        )
        base = {k: v for k, v in params.items() if k != "page"}
        return page(
            request,
            "search/index.html",
            partial="search/_results.html",
            title="全文检索",
            nav="search",
            crumbs=[("全文检索", None)],
            params=params,
            outcome=outcome,
            labels=_labels(db, outcome.results) if outcome else {},
            dossier_readers=service.dossier_readers(db, principal, outcome.results.hits) if outcome else set(),
            facet_labels=service.FACET_LABELS,
            base=base,
            urlencode=urlencode,
            saved_query=service.clean_params(params),
        )

    @get("/suggest", name="search_suggest", sync_to_thread=True)
    def search_suggest(
        self, request: Request, db: Db, q: Annotated[str, QueryParameter(required=False)] = ""
    ) -> Template:
        principal = principal_of(request)
        assert principal is not None
        items = service.suggest(db, principal, settings_of(request).index_dir, q) if q.strip() else []
        return page(
            request,
            "search/suggest.html",
            partial="search/_suggest.html",
            title="搜索建议",
            nav="search",
            items=items,
            q=q,
        )

    @get("/saved", name="saved_searches", sync_to_thread=True)
    def saved_searches(self, request: Request, db: Db) -> Template:
        principal = principal_of(request)
        assert principal is not None
        settings = settings_of(request)
        status = service.status(settings.index_dir, request.app.state.engine) if principal.can_admin else None
        return page(
            request,
            "search/saved.html",
            partial="search/_saved_list.html",
            title="保存的搜索",
            nav="search",
            crumbs=[("全文检索", request.app.route_reverse("search_cases")), ("保存的搜索", None)],
            saved=service.saved_with_counts(db, principal, settings.index_dir),
            index_status=status,
        )

    @post("/saved", name="save_search", sync_to_thread=True)
    def save_search(self, request: Request, db: Db, data: Form) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        params = {k: str(v) for k, v in data.items() if k != "name"}
        back = request.app.route_reverse("search_cases") + "?" + service.clean_params(params)
        try:
            service.save(db, principal, str(data.get("name", "")), params)
        except Invalid as exc:
            db.rollback()
            return redirect(request, back, message=exc.message, level="error")
        return redirect(request, back, message="已保存该搜索，可在工作台查看。")

    @post("/saved/{saved_id:int}/delete", name="delete_saved_search", sync_to_thread=True)
    def delete_saved_search(self, request: Request, db: Db, saved_id: FromPath[int]) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        service.delete_saved(db, principal, saved_id)
        return redirect(request, request.app.route_reverse("saved_searches"), message="已删除保存的搜索。")


class SimilarCasesController(Controller):
    path = "/cases/{case_id:int}/similar"

    @get("/", name="similar_cases", sync_to_thread=True)
    def similar_cases(self, request: Request, db: Db, case_id: FromPath[int]) -> Template:
        principal = principal_of(request)
        assert principal is not None
        hits = service.similar(db, principal, settings_of(request).index_dir, case_id)
        return page(
            request,
            "search/similar.html",
            partial="search/_similar_list.html",
            title="类似案件",
            nav="cases",
            crumbs=[("案件", request.app.route_reverse("list_cases")), ("类似案件", None)],
            hits=hits,
            case_id=case_id,
        )


class SearchApiController(Controller):
    path = "/api"
    include_in_schema = True
    tags = ["检索"]

    @get(
        "/search",
        name="api_search",
        sync_to_thread=True,
        summary="全文检索",
        description=(
            "与检索页相同的查询语法和相同的可见范围（本机构及下级、移送相关案件）；"
            "索引不可用时 fallback 为 true（数据库检索）。"
        ),
    )
    def api_search(
        self,
        request: Request,
        db: Db,
        q: Annotated[
            str, QueryParameter(description='查询，如 宅基地、"调解协议"、当事人:张三、案号:017', required=False)
        ] = "",
        sort: Annotated[str, QueryParameter(description="relevance 或 date", required=False)] = "relevance",
        page_number: Annotated[
            int, QueryParameter(name="page", ge=1, description="页码，从 1 开始", required=False)
        ] = 1,
        dtype: Annotated[str, QueryParameter(description="纠纷类型代码", required=False)] = "",
        status: Annotated[str, QueryParameter(description="状态，如 mediating", required=False)] = "",
        year: Annotated[str, QueryParameter(description="收到年份", required=False)] = "",
    ) -> SearchOut:
        principal = principal_of(request)
        assert principal is not None
        params = {"q": q, "sort": sort, "page": str(page_number), "dtype": dtype, "status": status, "year": year}
        outcome = service.run(db, principal, settings_of(request).index_dir, params)
        r = outcome.results
        return SearchOut(
            total=r.total,
            page=r.page,
            pages=r.pages,
            fallback=outcome.fallback,
            notes=r.notes,
            items=[
                SearchHitOut(
                    id=h.case_id,
                    number=h.number,
                    title=h.title,
                    state=h.status,
                    dispute_type=h.dispute_type,
                    org_id=h.org_id,
                    received_on=h.received_on,
                    score=h.score,
                    snippets=[s.html for s in h.snippets],
                )
                for h in r.hits
            ],
            facets={
                name: [FacetOut(value=v.value, count=v.count) for v in values] for name, values in r.facets.items()
            },
        )
