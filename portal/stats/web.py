"""The statistics pages (统计分析): the report, its Excel, the register check, and the report as JSON in the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Response, Template

from portal import clock
from portal.orgs import service as orgs
from portal.scope import Principal
from portal.stats import charts, consistency, export, indicators, periods, report, service
from portal.stats.api import StatsOut, encode
from portal.web.render import Db, page, principal_of, settings_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _me(request: Request) -> Principal:
    principal = principal_of(request)
    assert principal is not None
    return principal


def basis_of(request: Request) -> service.Basis:
    settings = settings_of(request)
    return service.Basis(today=clock.today(), zone=clock.zone_name(), recent_days=settings.recent_case_days)


def linker(request: Request):  # noqa: ANN201
    """A cell's link as a URL: one reverse lookup per route."""
    heads: dict[str, str] = {}

    def href(link: service.Link | None) -> str:
        if link is None:
            return ""
        head = heads.get(link.route) or heads.setdefault(link.route, request.app.route_reverse(link.route))
        return f"{head}?{link.query}"

    return href


def _period_choices(today: date) -> dict[str, list[tuple[str, str]]]:
    quarters = periods.containing("quarter", today).trend(12)[::-1]
    years = [periods.containing("year", date(today.year - n, 1, 1)) for n in range(6)]
    return {
        "kind": list(periods.KINDS.items()),
        "quarter": [(p.value, p.label) for p in quarters],
        "year": [(p.value, p.label) for p in years],
    }


def _charts(result: report.Report) -> dict[str, str]:
    table = result.breakdown
    labels = [row.label for row in table.rows]
    names = {i.key: i.name for i in table.indicators}
    bars = charts.bars(
        "chart-breakdown",
        f"按{report.DIMENSIONS[result.by]}：登记数与调解成功数（{result.period.label}）",
        labels,
        [(names[k], [float(row.cells[k].value or 0) for row in table.rows]) for k in ("received", "succeeded")],
    )
    trend = charts.lines(
        "chart-trend",
        f"近 {len(result.trend)} 期走势",
        [row.label for row in result.trend],
        [(i.name, [float(row.cells[i.key].value or 0) for row in result.trend]) for i in result.trend_indicators],
    )
    return {"breakdown": bars, "trend": trend}


class StatsController(Controller):
    path = "/stats"

    @get("/", name="show_stats", sync_to_thread=True)
    def show_stats(self, request: Request, db: Db) -> Template:
        """The report for the viewer's scope (or one organisation in it), a period and a breakdown."""
        principal = _me(request)
        params = {k: str(v) for k, v in request.query_params.items()}
        result = report.read(db, principal, params, basis=basis_of(request))
        today = clock.today()
        return page(
            request,
            "stats/show.html",
            title="统计分析",
            nav="stats",
            crumbs=[("统计分析", None)],
            report=result,
            href=linker(request),
            charts=_charts(result),
            sections=indicators.SECTIONS,
            dimensions=report.DIMENSIONS,
            org_options=[(str(oid), "　" * depth + name) for oid, name, depth in orgs.org_choices(db, principal)],
            choices=_period_choices(today),
            month_value=result.period.start.strftime("%Y-%m"),
            neighbours=_neighbours(result, today),
            query=urlencode(result.params),
            breakdown_keys=indicators.BREAKDOWN,
            by_links={key: urlencode({**result.params, "by": key}) for key in report.DIMENSIONS},
            drill_links={
                row.key: urlencode({**result.params, "org": str(row.place.org.id)})
                for row in result.breakdown.rows
                if row.place is not None and row.place.org is not None
            },
        )

    @get("/export.xlsx", name="export_stats", sync_to_thread=True)
    def export_stats(self, request: Request, db: Db) -> Response:
        """What the page shows, as a workbook: the headline, the breakdown, the trend and the definitions."""
        principal = _me(request)
        params = {k: str(v) for k, v in request.query_params.items()}
        result = report.read(db, principal, params, basis=basis_of(request))
        name = f"统计分析_{result.place_name}_{result.period.value}.xlsx".replace("~", "至")
        return Response(
            export.workbook(result, site=settings_of(request).site_name),
            media_type=XLSX,
            headers={
                "Content-Disposition": f"attachment; filename=\"stats.xlsx\"; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "no-store",
            },
        )

    @get("/consistency", name="show_consistency", sync_to_thread=True)
    def show_consistency(self, request: Request, db: Db) -> Template:
        """线上线下一致: closed cases without a filed dossier, dossiers whose case changed since, successes without an
        agreement record."""
        principal = _me(request)
        params = {k: str(v) for k, v in request.query_params.items()}
        place = report.place_of(db, principal, params.get("org", ""))
        settings = settings_of(request)
        found = consistency.check(db, principal, place, today=clock.today(), days=settings.dossier_due_days)
        return page(
            request,
            "stats/consistency.html",
            title="线上线下一致性检查",
            nav="stats",
            crumbs=[("统计分析", request.app.route_reverse("show_stats")), ("线上线下一致", None)],
            check=found,
            place=place,
            days=settings.dossier_due_days,
            org_options=[(str(oid), "　" * depth + name) for oid, name, depth in orgs.org_choices(db, principal)],
        )


def _neighbours(result: report.Report, today: date) -> dict[str, str]:
    """The links to the period before and after (not past the current one)."""
    before = result.period.previous()
    after_day = result.period.end.toordinal() + 1
    links = {"prev": urlencode({**result.params, "period": before.value, "kind": before.kind})}
    if after_day <= today.toordinal() and result.period.kind != "custom":
        after = periods.containing(result.period.kind, date.fromordinal(after_day))
        links["next"] = urlencode({**result.params, "period": after.value})
    return links


class StatsApiController(Controller):
    path = "/api"
    include_in_schema = True
    tags = ["统计"]

    @get(
        "/stats",
        name="api_stats",
        sync_to_thread=True,
        summary="统计分析",
        description="与统计分析页相同的数字：全部指标（本期、上期、去年同期）、按维度分组和近 12 期走势；"
        "每个数字附可查看其案件的链接。只统计登录用户可见的范围。",
    )
    def api_stats(
        self,
        request: Request,
        db: Db,
        org: Annotated[str, QueryParameter(description="机构编号（含下级）；缺省为全部可见范围", required=False)] = "",
        kind: Annotated[
            str, QueryParameter(description="期间类型：month、quarter、year、custom", required=False)
        ] = "month",
        period: Annotated[
            str, QueryParameter(description="期间：2026-03、2026-Q1、2026 或 2026-01-01~2026-03-31", required=False)
        ] = "",
        by: Annotated[
            str, QueryParameter(description="分组：org、tier、type、subtype、channel、mediator", required=False)
        ] = "org",
    ) -> StatsOut:
        principal = _me(request)
        params = {"org": org, "kind": kind, "period": period, "by": by}
        result = report.read(db, principal, params, basis=basis_of(request))
        return encode(result, linker(request))
