"""Statistics (统计分析) on SQLite and PostgreSQL, over generated case histories: every number equals the list behind
it, numbers differ exactly by the viewer's scope, a few indicators against an independent count in Python, and the
page, its Excel, its JSON and its charts."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from factories import build_world, sign_in
from openpyxl import load_workbook
from sqlmodel import Session, select
from stats_world import extend_world, generate

from portal import clock
from portal.cases import service as cases
from portal.cases.models import Case, Transfer, TransferState
from portal.orgs.models import Organisation, Tier
from portal.people.models import Person
from portal.scope import load_principal
from portal.stats import drilldown, indicators, periods, service
from portal.stats.dimensions import DIMENSIONS, Place
from portal.stats.periods import Period

COUNT = 160
VIEWERS = ("a.admin", "a1.director", "a1.supervisor")  # a county, a township, the 督导 who supervises the township


@pytest.fixture
def history(engine):  # noqa: ANN001, ANN201
    world = build_world(engine)
    extend_world(engine, world)
    return generate(engine, world, count=COUNT, today=clock.today())


def principal(db: Session, username: str):  # noqa: ANN201
    return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())


def basis() -> service.Basis:
    return service.Basis(today=clock.today(), zone=clock.zone_name(), recent_days=180)


def list_total(db: Session, viewer, link: service.Link) -> int:  # noqa: ANN001
    """What the case list shows for a cell's link (its filters read as the list reads them)."""
    params = dict(link.params)
    flt = cases.CaseFilter(
        dispute_type=params.get("dispute_type", ""),
        channel=params.get("channel", ""),
        tier=params.get("tier", ""),
        org_id=int(params["org"]) if "org" in params else None,
        mediator_id=int(params["mediator"]) if "mediator" in params else None,
    )
    notes: list[str] = []
    drilldown.read_params(flt, params, notes)
    assert not notes and flt.indicator == params["ind"]
    return cases.list_cases(db, viewer, flt, page=1, size=5).total


def the_periods(today: date) -> list[Period]:
    quarter = periods.containing("quarter", today - timedelta(days=100))
    return [quarter, Period("custom", today - timedelta(days=400), today)]


def test_periods_compare_with_the_right_neighbours() -> None:
    march = periods.containing("month", date(2024, 3, 15))
    assert (march.start, march.end, march.value, march.label) == (
        date(2024, 3, 1),
        date(2024, 3, 31),
        "2024-03",
        "2024年3月",
    )
    assert march.previous() == periods.containing("month", date(2024, 2, 1)) and march.previous().end == date(
        2024, 2, 29
    )
    assert march.year_ago().start == date(2023, 3, 1)
    q1 = periods.parse("quarter", "2024-Q1", date(2024, 5, 1))[0]
    assert (q1.start, q1.end, q1.previous().start) == (date(2024, 1, 1), date(2024, 3, 31), date(2023, 10, 1))
    custom = periods.parse("custom", "2024-02-29~2024-03-09", date(2024, 5, 1))[0]
    assert (
        custom.days == 10
        and custom.previous().end == date(2024, 2, 28)
        and custom.year_ago().start == date(2023, 2, 28)
    )
    assert [p.value for p in march.trend(3)] == ["2024-01", "2024-02", "2024-03"]
    assert periods.parse("month", "2024-13", date(2024, 5, 1)) == (
        periods.containing("month", date(2024, 5, 1)),
        "统计期间无效，已改为本月。",
    )
    for kind in ("month", "quarter", "year"):  # a period's value reads back as itself, around every year's turn
        for day in (date(2023, 12, 31), date(2024, 1, 1), date(2024, 2, 29)):
            p = periods.containing(kind, day)
            assert periods.parse(kind, p.value, day)[0] == p and p.start <= day <= p.end


def test_every_cell_of_every_breakdown_equals_its_case_list(engine, history) -> None:
    today, checked = clock.today(), 0
    with Session(engine) as db:
        for username in VIEWERS:
            viewer = principal(db, username)
            for period in the_periods(today):
                dimensions = [None, *DIMENSIONS] if period.kind == "custom" else [None, "org"]
                for by in dimensions:
                    table = service.table(db, viewer, Place(), period, indicators.INDICATORS, by, basis=basis())
                    for row in [*table.rows, table.total]:
                        for key, cell in row.cells.items():
                            if cell.link is None or cell.link.route != "list_cases":
                                continue
                            got = list_total(db, viewer, cell.link)
                            assert got == cell.items, (username, period.value, by, row.label, key, cell.value, got)
                            checked += 1
                    if by in ("org", "tier", "type", "subtype", "channel"):  # these partition the total
                        for key in ("received", "succeeded", "mediation_overdue"):
                            assert sum(r.cells[key].value for r in table.rows) == table.total.cells[key].value
    assert checked > 2000


def test_the_page_links_each_number_to_a_list_with_that_total(client, engine, history) -> None:
    sign_in(client, "a1.director")
    page = BeautifulSoup(client.get("/stats", params={"kind": "year", "by": "type"}).text, "html.parser")
    links = page.select("#headline-table a[data-count], #breakdown-table a[data-count]")
    assert len(links) > 40
    for link in links:
        listed = client.get(link["href"])
        assert listed.status_code == 200
        soup = BeautifulSoup(listed.text, "html.parser")
        if "/cases" in link["href"]:
            assert soup.select_one("#drill-note") is not None
            shown = soup.select_one("#state-chips a").text
            assert shown == f"全部 {link['data-count']}", link["href"]
        elif "/screening" in link["href"]:
            assert soup.select_one("[data-total]").text == link["data-count"], link["href"]
        elif "/training" in link["href"]:
            assert soup.select_one("#training-total [data-total]").text == link["data-count"], link["href"]
        else:
            assert soup.select_one("#problems-total [data-total]").text == link["data-count"], link["href"]


def test_statistics_differ_exactly_by_scope(engine, history) -> None:
    """A village director, the township's director and the 督导 who supervises the township see the same numbers for
    the same place, and each sees nothing beyond their own scope."""
    period = the_periods(clock.today())[1]
    keys = [k for k, i in indicators.INDICATORS.items() if not i.is_rate]
    with Session(engine) as db:
        village, township = principal(db, "a1a.director"), principal(db, "a1.director")
        supervisor, county = principal(db, "a1.supervisor"), principal(db, "a.admin")
        orgs = {k: db.get(Organisation, history.world.org(k).id) for k in ("a1", "a1a", "a1b", "a")}

        def values(viewer, place: Place) -> dict:  # noqa: ANN001
            return {
                k: c.value for k, c in service.table(db, viewer, place, period, keys, basis=basis()).total.cells.items()
            }

        own = values(village, Place())
        assert own == values(township, Place(orgs["a1a"])) == values(supervisor, Place(orgs["a1a"]))
        assert own == values(county, Place(orgs["a1a"]))
        whole = values(township, Place())
        assert whole == values(supervisor, Place(orgs["a1"])) == values(county, Place(orgs["a1"]))
        by_org = service.table(db, township, Place(orgs["a1"]), period, keys, "org", basis=basis())
        assert {r.key for r in by_org.rows} >= {"self", str(orgs["a1a"].id), str(orgs["a1b"].id)}
        assert {
            k: c.value for k, c in next(r for r in by_org.rows if r.key == str(orgs["a1a"].id)).cells.items()
        } == own
        beyond = values(village, Place(orgs["a1"]))  # the township lies outside the village director's scope
        assert not any(beyond.values())
        assert whole["received"] > own["received"] > 0


def _level(tier: Tier) -> int:
    return {Tier.GROUP: 1, Tier.VILLAGE: 1, Tier.TOWNSHIP: 2, Tier.COUNTY: 3}.get(tier, 4)


def test_numbers_agree_with_an_independent_count(engine, history) -> None:
    """Some indicators recounted in Python from the generated rows, for the county and for 东镇's subtree."""
    period = the_periods(clock.today())[1]
    inside = period.start.__le__
    with Session(engine) as db:
        orgs = {o.id: o for o in db.exec(select(Organisation))}
        rows = list(db.exec(select(Case)))
        moves = list(db.exec(select(Transfer)))
        for username, root in (("a.admin", "a"), ("a1.supervisor", "a1")):
            viewer = principal(db, username)
            path = orgs[history.world.org(root).id].path
            mine = [c for c in rows if c.org_path.startswith(path)]

            def within(day: date | None) -> bool:
                return day is not None and inside(day) and day <= period.end

            expected = {
                "received": sum(within(c.received_on) for c in mine),
                "accepted": sum(within(c.accepted_on) for c in mine),
                "succeeded": sum(within(c.concluded_on) and c.outcome in ("written", "oral") for c in mine),
                "local": sum(
                    within(c.concluded_on)
                    and c.outcome in ("written", "oral")
                    and _level(orgs[c.org_id].tier) <= _level(orgs[c.number_org_id].tier)
                    for c in mine
                ),
                "closed": sum(within(c.closed_on) for c in mine),
                "group": sum(within(c.received_on) and c.group_dispute for c in mine),
                "people": sum(c.people_involved for c in mine if within(c.received_on)),
                "sent_up": len(
                    {
                        t.case_id
                        for t in moves
                        if t.kind == "上报"
                        and t.from_path.startswith(path)
                        and t.state in (TransferState.SENT, TransferState.ACCEPTED, TransferState.RETURNED)
                        and within(clock.local_date(t.sent_at) if t.sent_at else None)
                    }
                ),
            }
            got = service.table(db, viewer, Place(), period, list(expected), basis=basis()).total.cells
            assert {k: got[k].value for k in expected} == expected, username


def test_the_headline_compares_with_the_period_before_and_the_year_before(engine, history) -> None:
    today = clock.today()
    month = periods.containing("month", today - timedelta(days=40))
    with Session(engine) as db:
        viewer = principal(db, "a.admin")
        rows = {
            h.indicator.key: h
            for h in service.headline(db, viewer, Place(), month, indicators.INDICATORS, basis=basis())
        }
        alone = {
            p.value: service.table(db, viewer, Place(), p, ["received", "success_rate"], basis=basis()).total.cells
            for p in (month, month.previous(), month.year_ago())
        }
    received = rows["received"]
    assert (received.current.value, received.previous.value, received.year_ago.value) == tuple(
        alone[p.value]["received"].value for p in (month, month.previous(), month.year_ago())
    )
    if received.previous.value:
        assert received.month_on_month == pytest.approx(received.current.value / received.previous.value - 1)
    rate = rows["success_rate"]
    assert rate.current.value == alone[month.value]["success_rate"].value
    top, bottom = rate.current.parts
    assert rate.current.value == (top / bottom if bottom else None)
    assert rows["rounds_due"].current.link is None and rows["success_rate"].current.link is None


def test_the_excel_export_has_what_the_page_shows(client, engine, history) -> None:
    sign_in(client, "a.admin")
    params = {"kind": "year", "period": str(clock.today().year), "by": "tier"}
    page = BeautifulSoup(client.get("/stats", params=params).text, "html.parser")
    response = client.get("/stats/export.xlsx", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxml")
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["指标总览", "按层级", "走势", "口径说明"]
    overview, tiers, definitions = book["指标总览"], book["按层级"], book["口径说明"]
    assert overview.freeze_panes == "B4" and tiers.freeze_panes == "B4"
    assert any(str(r) == "D2:E2" for r in overview.merged_cells.ranges)  # 上期 over 数值 and 环比
    shown = {
        tr["data-indicator"]: tr.select("td")[0].get_text(strip=True)
        for tr in page.select("#headline-table tr[data-indicator]")
    }
    written = {overview.cell(r, 1).value: overview.cell(r, 3).value for r in range(4, overview.max_row + 1)}
    for key, text in shown.items():
        name = indicators.INDICATORS[key].name
        if text.endswith("%"):
            assert f"{written[name] * 100:.1f}%" == text
        elif text != "—":
            assert f"{written[name]:,.2f}" == text if "." in text else f"{written[name]:,}" == text
    last = tiers.max_row
    assert tiers.cell(last, 1).value == "合计"
    total = page.select_one("#breakdown-table tfoot td").get_text(strip=True)
    assert f"{tiers.cell(last, 2).value:,}" == total
    assert {definitions.cell(r, 1).value for r in range(4, definitions.max_row + 1)} == {
        i.name for i in indicators.INDICATORS.values()
    }


def test_the_api_returns_the_page_numbers_and_is_in_the_schema(client, engine, history) -> None:
    sign_in(client, "a1.supervisor")
    params = {"kind": "quarter", "by": "channel"}
    data = client.get("/api/stats", params=params).json()
    page = BeautifulSoup(client.get("/stats", params=params).text, "html.parser")
    received = next(h for h in data["headline"] if h["key"] == "received")
    assert str(received["current"]["value"]) == page.select_one('tr[data-indicator="received"] td').get_text(
        strip=True
    ).replace(",", "")
    assert received["current"]["href"].startswith("/cases?ind=received")
    assert [r["label"] for r in data["rows"]] == [
        th.get_text(strip=True) for th in page.select("#breakdown-table tbody th")
    ]
    assert "/api/stats" in client.get("/api/schema/openapi.json").json()["paths"]


def test_charts_are_plain_svg_that_a_pdf_embeds_as_text() -> None:
    import xml.etree.ElementTree as ET

    from pypdf import PdfReader
    from weasyprint import HTML

    from portal.stats import charts

    bars = charts.bars(
        "b",
        "按机构：登记数",
        ["城关街道人民调解委员会", "河口镇<调委会>"],
        [("登记数", [12, 3]), ("调解成功数", [7, 0])],
    )
    line = charts.lines("t", "近 3 期走势", ["26.01", "26.02", "26.03"], [("受理数", [1, 5, 2])])
    for svg in (bars, line):
        ET.fromstring(str(svg))  # well-formed, names escaped
    assert "河口镇&lt;调委会&gt;" in bars and "<script" not in bars + line
    pdf = HTML(string=f"<html><body>{bars}{line}</body></html>").write_pdf()
    text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert "登记数" in text and "城关街道" in text and "受理数" in text and "26.02" in text


def test_the_consistency_check_lists_each_kind_of_mismatch(client, engine, history) -> None:
    from portal.dossiers.models import DossierVersion
    from portal.stats import consistency

    with Session(engine) as db:
        viewer = principal(db, "a.admin")
        found = {f.key: f for f in consistency.check(db, viewer, Place(), today=clock.today(), days=30)}
        closed_long_ago = db.exec(
            select(Case).where(
                Case.closed_on < clock.today() - timedelta(days=30),
                Case.org_path.like(history.world.org("a").path + "%"),
            )
        ).all()
        assert found["unfiled"].total == len(closed_long_ago) > 0
        no_agreement = found["no_agreement"].total
        assert no_agreement > 0  # the generator leaves a tenth of the successes without their agreement
        assert found["changed"].total == 0
        filed = closed_long_ago[0].id  # filed, then a correction opened (archived_at back to None)
        db.add(
            DossierVersion(
                case_id=filed,
                version=1,
                status="filed",
                variant="pdfa",
                sha256="0" * 64,
                storage_key="x",
                size=1,
                page_count=1,
                total_pages=1,
                manifest_sha256="0" * 64,
                manifest_key="y",
                filed_at=clock_now(),
                created_by=history.world.person("a.admin").id,
            )
        )
        db.commit()
        again = {f.key: f for f in consistency.check(db, viewer, Place(), today=clock.today(), days=30)}
        assert again["unfiled"].total == found["unfiled"].total - 1 and again["changed"].total == 1
    sign_in(client, "a.admin")
    page = BeautifulSoup(client.get("/stats/consistency").text, "html.parser")
    assert page.select_one("#check-changed [data-total]").text == "1"
    assert page.select_one(f'#check-changed a[href="/cases/{filed}"]') is not None


def clock_now():  # noqa: ANN201
    from portal.db import utcnow

    return utcnow()
