"""The monthly 研判预警专报 on both databases: its numbers are the statistics page's, edits never overwrite, hostile
text stays text, issuing stores an immutable PDF/A (text checked) with its Excel annex, again makes a new version,
and every view, print and download is audited."""

from __future__ import annotations

import io
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session, select
from stats_world import extend_world, generate

from archive import conformance
from portal import clock
from portal.alerts.months import Month
from portal.audit.models import AuditEntry
from portal.bulletins import contents, document, issuing, service
from portal.bulletins.models import Bulletin, BulletinIssue
from portal.cases.models import Case
from portal.db import read_only, transaction
from portal.errors import Conflict, Invalid
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import load_principal
from portal.stats import report as stats_report

LAST = Month.of(clock.today()).shift(-1)


@pytest.fixture
def history(engine):  # noqa: ANN001, ANN201
    world = build_world(engine)
    extend_world(engine, world)
    return generate(engine, world, count=120, today=clock.today())


def who(db: Session, username: str):  # noqa: ANN201
    return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())


def draft(engine, username: str, org_key: str, world) -> int:  # noqa: ANN001
    with transaction(engine) as db:
        org = db.get(Organisation, world.org(org_key).id)
        return service.start(db, who(db, username), org, str(LAST), clock.today()).id


def gather(engine, settings, username: str, org_key: str, world, typical=()):  # noqa: ANN001, ANN201
    with Session(engine) as db:
        org = db.get(Organisation, world.org(org_key).id)
        basis = issuing.basis(settings, clock.today())
        return contents.gather(db, who(db, username), org, LAST, list(typical), basis=basis, settings=settings)


@pytest.mark.parametrize("username", ["a1.director", "a1.supervisor"])
def test_the_numbers_are_the_statistics_pages(engine, settings, history, username: str) -> None:
    """Headline, breakdowns and trend equal what /stats computes for the same place and month; the listed group and
    risk cases are exactly those the headline counts."""
    world = history.world
    got = gather(engine, settings, username, "a1", world)
    with Session(engine) as db:
        params = {"org": str(world.org("a1").id), "kind": "month", "period": str(LAST)}
        page = stats_report.read(
            db, who(db, username), {**params, "by": "type"}, basis=issuing.basis(settings, clock.today())
        )
    shown = {h.indicator.key: (h.current.value, h.previous.value, h.year_ago.value) for h in page.headline}
    assert got.value("received") > 0
    for row in got.headline:
        assert (row.current.value, row.previous.value, row.year_ago.value) == shown[row.indicator.key], (
            row.indicator.key
        )
    assert {r.key: r.cells["received"].value for r in got.by_type.rows} == {
        r.key: r.cells["received"].value for r in page.breakdown.rows if r.cells["received"].value
    }
    assert [r.cells["received"].value for r in got.trend] == [r.cells["received"].value for r in page.trend]
    assert len(got.group_cases) == got.value("group") and len(got.risk_cases) == got.value("risk")
    assert sum(r.cells["received"].value for r in got.by_place.rows) == got.value("received")


def test_a_village_director_cannot_see_or_edit_the_township_bulletin(engine, settings, history) -> None:
    world = history.world
    bid = draft(engine, "a1.director", "a1", world)
    with Session(engine) as db:
        with pytest.raises(Exception) as seen:
            service.get(db, who(db, "a1a.director"), bid)
        assert type(seen.value).__name__ == "OutOfScope"
        bulletin, org = service.get(db, who(db, "a1.mediator"), bid)  # 东镇's mediator reads it …
        assert not service.may_edit(who(db, "a1.mediator"), org)  # … and only reads
        assert service.may_edit(who(db, "a1.supervisor"), org)  # the 司法所's 督导 edits and issues


def test_typical_cases_are_only_cases_the_editor_may_see(engine, settings, history) -> None:
    world = history.world
    bid = draft(engine, "a1.director", "a1", world)
    with Session(engine) as db:
        inside = db.exec(select(Case).where(Case.org_path.like(world.org("a1").path + "%"))).first()
        outside = db.exec(select(Case).where(Case.org_path.like(world.org("a2").path + "%"))).first()
    for picked, numbers, ok in (([inside.id], "", True), ([outside.id], "", False), ([], outside.number, False)):
        with transaction(engine) as db:
            version = str(db.get(Bulletin, bid).version)
            form = service.EditForm("分析", "建议", [str(i) for i in picked], numbers, version)
            if ok:
                service.edit(db, who(db, "a1.director"), bid, form)
            else:
                with pytest.raises(Invalid):
                    service.edit(db, who(db, "a1.director"), bid, form)
    with Session(engine) as db:
        assert db.get(Bulletin, bid).typical == [inside.id]


def test_two_edits_from_one_version_make_one_save_and_one_conflict(engine, settings, history) -> None:
    """Both requests start from version 1 at the same moment: one saves, the other is refused (409), never lost."""
    world = history.world
    bid = draft(engine, "a1.director", "a1", world)
    barrier, results = threading.Barrier(2), {}

    def run(username: str, text: str) -> None:
        form = service.EditForm(text, "", [], "", "1")
        barrier.wait()
        try:
            with transaction(engine) as db:
                service.edit(db, who(db, username), bid, form)
            results[username] = "saved"
        except Conflict as exc:
            results[username] = exc

    threads = [
        threading.Thread(target=run, args=a) for a in (("a1.director", "主任的分析"), ("a1.supervisor", "督导的分析"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = [u for u, r in results.items() if r == "saved"]
    assert len(saved) == 1 and len(results) == 2
    loser = next(r for r in results.values() if r != "saved")
    assert isinstance(loser, service.EditConflict) and loser.current.version == 2
    with Session(engine) as db:
        kept = db.get(Bulletin, bid)
        assert (
            kept.version == 2
            and kept.analysis == {"a1.director": "主任的分析", "a1.supervisor": "督导的分析"}[saved[0]]
        )


def test_a_stale_edit_answers_409_with_the_others_text_and_hostile_text_is_refused_or_escaped(
    client, engine, history
) -> None:
    world = history.world
    bid = draft(engine, "a1.director", "a1", world)
    with transaction(engine) as db:
        service.edit(db, who(db, "a1.supervisor"), bid, service.EditForm("督导先写的分析", "", [], "", "1"))
    sign_in(client, "a1.director")
    url = f"/bulletins/{bid}/edit"
    stale = client.post(url, data={"analysis": "我的分析", "version": "1", "_csrf_token": csrf(client)})
    assert stale.status_code == 409
    soup = BeautifulSoup(stale.text, "html.parser")
    assert "督导先写的分析" in soup.select_one("#latest-text").text
    assert soup.select_one("#edit-form textarea[name=analysis]").text.strip() == "我的分析"  # what was typed stays
    assert soup.select_one("#edit-form input[name=version]")["value"] == "2"
    bell = client.post(url, data={"analysis": "坏\x07字", "version": "2", "_csrf_token": csrf(client)})
    assert bell.status_code == 422 and "控制字符" in bell.text
    assert (
        client.post(url, data={"analysis": "坏\x00字", "version": "2", "_csrf_token": csrf(client)}).status_code == 400
    )
    hostile = "<script>alert(1)</script>&amp;\u202e"
    form = {"analysis": hostile, "advice": "建议", "version": "2", "_csrf_token": csrf(client)}
    ok = client.post(url, data=form, follow_redirects=False)
    assert ok.status_code == 303
    shown = client.get(f"/bulletins/{bid}")
    assert "<script>alert(1)</script>" not in shown.text and "&lt;script&gt;" in shown.text
    with Session(engine) as db:
        assert db.get(Bulletin, bid).analysis == hostile.strip() and db.get(Bulletin, bid).version == 3


def _issue(engine, settings, username: str, bid: int) -> BulletinIssue:  # noqa: ANN001
    with Session(engine) as db:
        b = db.get(Bulletin, bid)
        seen = issuing.Seen(b.version, b.issues)
        principal = who(db, username)
    return issuing.issue(engine, read_only(engine), principal, bid, seen, settings=settings)


def test_issuing_stores_a_pdf_a_with_the_numbers_and_an_annex_and_again_makes_a_new_version(
    client, engine, settings, history
) -> None:
    world = history.world
    bid = draft(engine, "a1.director", "a1", world)
    with transaction(engine) as db:
        form = service.EditForm("今年三月土地纠纷<上升>。\n\n第二段。", "建议加强排查。", [], "", "1")
        service.edit(db, who(db, "a1.director"), bid, form)
    first = _issue(engine, settings, "a1.supervisor", bid)
    got = gather(engine, settings, "a1.supervisor", "a1", world)
    stored = (Path(settings.archive_dir) / first.storage_key).read_bytes()
    assert first.version == 1 and first.number == f"〔{LAST.year}〕第{LAST.month}期"
    assert conformance.check(stored).ok, conformance.check(stored).problems
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(stored)).pages)
    flat = text.replace("\n", "").replace(" ", "")
    assert "人民调解研判预警专报" in flat and first.number in flat and "签发人：东所督导" in flat
    assert f"共登记矛盾纠纷{got.value('received'):,.0f}件" in flat  # the headline numbers …
    for label in ("按纠纷类型：登记数与调解成功数", "按地区：登记数", "按层级：登记数与就地化解数", "走势"):
        assert label in flat, label  # … and the charts' titles
    assert got.top_types[0].label[:6] in flat  # a chart's category label
    assert "今年三月土地纠纷<上升>" in flat and "— 1 —" in text
    assert f"{clock.today().year}年{clock.today().month}月{clock.today().day}日" in flat  # the local day
    book = load_workbook(io.BytesIO((Path(settings.archive_dir) / first.annex_key).read_bytes()))
    assert book["总体情况"]["C4"].value == got.value("received")
    assert {"按纠纷类型", "按地区", "按层级", "走势", "预警", "口径说明"} <= set(book.sheetnames)
    with transaction(engine) as db:
        service.edit(db, who(db, "a1.director"), bid, service.EditForm("改过的分析", "", [], "", "2"))
    second = _issue(engine, settings, "a1.director", bid)
    assert second.version == 2 and second.sha256 != first.sha256
    sign_in(client, "a1.mediator")  # a reader of 东镇: downloads both, edits nothing
    old = client.get(f"/bulletins/{bid}/versions/1/pdf")
    assert old.status_code == 200 and old.content == stored
    assert client.get(f"/bulletins/{bid}/versions/2/pdf?print=1").headers["content-disposition"].startswith("inline")
    assert client.get(f"/bulletins/{bid}/versions/2/annex.xlsx").status_code == 200
    assert client.get(f"/bulletins/{bid}").status_code == 200
    form = {"version": "3", "issues": "2", "_csrf_token": csrf(client)}
    refused = client.post(f"/bulletins/{bid}/issue", data=form, follow_redirects=False)
    assert refused.status_code == 403
    with Session(engine) as db:
        actions = db.exec(select(AuditEntry.action).where(AuditEntry.object_type == "bulletin")).all()
    for action in ("bulletin.create", "bulletin.update", "bulletin.issue", "bulletin.view", "bulletin.print"):
        assert action in actions, action
    assert actions.count("bulletin.download") == 1 and actions.count("bulletin.annex") == 1


def test_two_issues_at_once_make_one_version(engine, settings, history) -> None:
    world = history.world
    bid = draft(engine, "a1.director", "a1", world)
    barrier, results = threading.Barrier(2), []
    with Session(engine) as db:
        seen = issuing.Seen(db.get(Bulletin, bid).version, 0)
        people = [who(db, u) for u in ("a1.director", "a1.supervisor")]

    def run(principal) -> None:  # noqa: ANN001
        barrier.wait()
        try:
            results.append(issuing.issue(engine, read_only(engine), principal, bid, seen, settings=settings))
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [r for r in results if isinstance(r, BulletinIssue)]
    assert len(made) == 1 and len(results) == 2 and "已签发第 1 版" in next(r for r in results if r not in made).message
    with Session(engine) as db:
        assert len(db.exec(select(BulletinIssue).where(BulletinIssue.bulletin_id == bid)).all()) == 1
        assert db.get(Bulletin, bid).issues == 1


@pytest.mark.skipif(
    shutil.which("java") is None or not Path("/usr/share/java/preflight.jar").exists(),
    reason="PDFBox Preflight not installed",
)
def test_the_pdf_a_1b_variant_passes_pdfbox_preflight(engine, settings, history, tmp_path: Path) -> None:
    from test_archive_binding import _preflight

    world = history.world
    got = gather(engine, settings, "a1.director", "a1", world)
    signed = document.Signed("〔2026〕第3期", "东镇专报", "东镇主任", clock.today(), datetime.now(UTC), 1)
    pdf, pages = document.pdf(got, "分析𠮷", "建议", signed, variant="pdf/a-1b")
    path = tmp_path / "bulletin-a1b.pdf"
    path.write_bytes(pdf)
    result = _preflight(path)
    assert "is a valid PDF/A-1b file" in result.stdout, result.stdout[-2000:]
    report = conformance.check(pdf)
    assert report.ok and report.part == 1 and pages >= 2
