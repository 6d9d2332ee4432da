"""考核 on SQLite and PostgreSQL: a month computed for the demo county from its rubric, every item checked against
the lists behind it; publishing freezes; revisions; the bodies ranked last N months running; who sees which scores."""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from factories import add_org, build_world, sign_in
from openpyxl import load_workbook
from sqlmodel import Session, select

from portal.assessment import rubric as rubrics
from portal.assessment import service, streaks
from portal.assessment.models import Assessment, ItemMode, RubricItem, RunState, Score, ScoreItem
from portal.assessment.scoring import Measure, points, ranks
from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.demo import DEMO_PASSWORD, build_demo
from portal.demo_cases import build_demo_cases
from portal.demo_management import build_demo_management
from portal.errors import Conflict, Invalid
from portal.orgs.models import Organisation, Tier
from portal.people.models import Person
from portal.scope import load_principal
from portal.stats.service import Basis

BASIS = Basis(today=date(2025, 6, 15))


def principal(db: Session, username: str):  # noqa: ANN001, ANN201
    return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())


# --- the demo county: every item against its evidence ---------------------------------------------------------------


@pytest.fixture
def demo(engine):  # noqa: ANN001, ANN201
    build_demo(engine, password=DEMO_PASSWORD)
    build_demo_cases(engine, count=60)
    report = build_demo_management(engine)
    assert report.months == 3 and report.sessions >= 5
    return engine


def _listed(client, href: str) -> int:  # noqa: ANN001
    soup = BeautifulSoup(client.get(href).text, "html.parser")
    if href.startswith("/cases"):
        return int(soup.select_one("#state-chips a").text.removeprefix("全部 "))
    if href.startswith("/training"):
        return int(soup.select_one("#training-total [data-total]").text)
    return int(soup.select_one("[data-total]").text)


def test_a_demo_month_is_computed_from_the_rubric_and_every_item_matches_its_evidence(client, demo) -> None:
    with Session(demo) as db:
        runs = db.exec(select(Assessment).order_by(Assessment.month)).all()
        assert [r.state for r in runs] == [RunState.PUBLISHED] * 3
        items = {i.id: i for i in db.exec(select(RubricItem))}
        for run in runs:
            scores = db.exec(select(Score).where(Score.assessment_id == run.id)).all()
            assert len(scores) == 8  # 4 township committees, 3 county committees, the studio; not 司法局/信访/法院
            for score in scores:
                lines = db.exec(select(ScoreItem).where(ScoreItem.score_id == score.id)).all()
                assert len(lines) == len(items)
                for line in lines:  # the points follow from the evidence by the rubric's rule, exactly
                    rule, evidence = items[line.item_id], line.evidence_list()
                    if rule.mode is ItemMode.MANUAL:
                        measure = Measure()
                    elif rule.indicator.endswith("_rate") or rule.indicator == "trained_share":
                        measure = Measure(top=int(evidence[0]["value"]), bottom=int(evidence[1]["value"]))
                    elif rule.baseline:
                        measure = Measure(
                            count=max(Decimal(0), Decimal(evidence[1]["value"]) - Decimal(evidence[0]["value"]))
                        )
                    else:
                        measure = Measure(count=Decimal(evidence[0]["value"]))
                    assert (
                        points(rule.mode, rule.weight, measure, target=rule.target, per_unit=rule.per_unit)[0]
                        == line.computed
                    )
                    assert line.points == line.computed or line.reason
                assert score.total == sum(line.points for line in lines)
            assert [s.rank for s in scores] == ranks([s.total for s in scores])
    # every number on the published page links to a list with that total (the supervisor's own scope)
    assert sign_in(client, "sfj.supervisor", DEMO_PASSWORD).status_code == 303
    checked = 0
    for run in runs:
        page = BeautifulSoup(client.get(f"/assessment/{run.id}").text, "html.parser")
        assert len(page.select("#ranking-table tbody tr")) == 8
        for link in page.select("a[data-count]"):
            assert _listed(client, link["href"]) == int(link["data-count"]), link["href"]
            checked += 1
    assert checked > 100
    with Session(demo) as db:
        due = streaks.running(db, runs[0].rubric_id, 2)
    listing = BeautifulSoup(client.get("/assessment").text, "html.parser")
    warned = listing.select_one("#last-places")
    assert (warned is not None) == bool(due)
    for streak in due:
        assert streak.org_name in warned.text and streak.action(2) in warned.text


# --- a small world: publishing, revisions, streaks, visibility ------------------------------------------------------


@pytest.fixture
def town(engine):  # noqa: ANN001, ANN201
    """东镇 (a1) with three villages, assessed by county A's rubric of one manual item (10 points)."""
    world = build_world(engine)
    with transaction(engine) as db:
        a1 = db.get(Organisation, world.org("a1").id)
        world.orgs["a1b"] = add_org(db, "东镇杏花村人民调解委员会", a1, Tier.VILLAGE, short="杏")
        world.orgs["a1c"] = add_org(db, "东镇梨花村人民调解委员会", a1, Tier.VILLAGE, short="梨")
        admin = principal(db, "a.admin")
        form = rubrics.RubricForm(name="东镇月度考核", org_id=str(world.org("a").id), assessed_id=str(a1.id))
        rubric = rubrics.save_rubric(db, admin, form)
        rubrics.add_item(db, admin, rubric.id, rubrics.ItemForm("联席会议参会", "manual", weight="10"))
    world.rubric_id = rubric.id
    return world


def _month(engine, world, month: str, given: dict[str, str], *, publish: bool = True, reason: str = "") -> int:  # noqa: ANN001
    """Compute a month, enter the manual item's points per village, publish."""
    with transaction(engine) as db:
        boss = principal(db, "a.supervisor")
        run = service.compute(db, boss, world.rubric_id, month, basis=BASIS, reason=reason)
        for key, value in given.items():
            score = db.exec(select(Score).where(Score.assessment_id == run.id, Score.org_id == world.org(key).id)).one()
            item = db.exec(select(ScoreItem).where(ScoreItem.score_id == score.id)).one()
            service.adjust(db, boss, run.id, item.id, service.AdjustForm(value, "联席会议缺席", str(item.version)))
        db.refresh(run)
        if publish:
            service.publish(db, boss, run.id, str(run.version))
        return run.id


def test_publishing_freezes_and_a_recomputation_is_a_new_revision(engine, town) -> None:
    first = _month(engine, town, "2025-01", {"a1b": "4"})
    with Session(engine) as db:
        frozen = [(i.id, i.points, i.computed, i.reason) for i in db.exec(select(ScoreItem).order_by(ScoreItem.id))]
        assert db.get(Assessment, first).state is RunState.PUBLISHED
    with transaction(engine) as db:
        boss = principal(db, "a.supervisor")
        item = db.exec(select(ScoreItem)).first()
        with pytest.raises(Conflict):
            service.adjust(db, boss, first, item.id, service.AdjustForm("1", "改", str(item.version)))
        with pytest.raises(Conflict):
            service.publish(db, boss, first, str(db.get(Assessment, first).version))
        with pytest.raises(Invalid) as refused:
            service.compute(db, boss, town.rubric_id, "2025-01", basis=BASIS)
        assert "reason" in refused.value.errors
    second = _month(engine, town, "2025-01", {"a1b": "6"}, publish=False, reason="杏花村补交参会记录")
    with Session(engine) as db:
        draft = db.get(Assessment, second)
        assert (draft.revision, draft.state, draft.reason) == (2, RunState.DRAFT, "杏花村补交参会记录")
        assert db.get(Assessment, first).state is RunState.PUBLISHED  # still the one shown until the new one is out
    with transaction(engine) as db:
        service.publish(db, principal(db, "a.supervisor"), second, str(db.get(Assessment, second).version))
    with Session(engine) as db:
        assert db.get(Assessment, first).state is RunState.SUPERSEDED
        again = [
            (i.id, i.points, i.computed, i.reason)
            for i in db.exec(select(ScoreItem).where(ScoreItem.id.in_([f[0] for f in frozen])).order_by(ScoreItem.id))
        ]
        assert again == frozen  # the first revision's rows are as they were published
        actions = [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.action.startswith("assessment.")))]
        assert actions.count("assessment.publish") == 2 and actions.count("assessment.adjust") == 2


def test_adjustments_need_a_reason_and_stay_within_the_item(engine, town) -> None:
    run = _month(engine, town, "2025-01", {}, publish=False)
    with transaction(engine) as db:
        boss, item = principal(db, "a.supervisor"), db.exec(select(ScoreItem)).first()
        for value, reason in (("11", "多了"), ("5", ""), ("-1", "负"), ("1.234", "小数"), ("五", "汉字")):
            with pytest.raises(Invalid):
                service.adjust(db, boss, run, item.id, service.AdjustForm(value, reason, str(item.version)))
        with pytest.raises(Conflict):  # a stale form
            service.adjust(db, boss, run, item.id, service.AdjustForm("5", "缺席", str(item.version + 1)))


def test_two_supervisors_publishing_at_once_publish_once(engine, town) -> None:
    run = _month(engine, town, "2025-01", {}, publish=False)
    with Session(engine) as db:
        version = str(db.get(Assessment, run).version)
    results: list[str] = []
    gate = threading.Barrier(2)

    def publish() -> None:
        gate.wait()
        try:
            with transaction(engine) as db:
                service.publish(db, principal(db, "a.supervisor"), run, version)
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]


def test_the_bodies_ranked_last_n_months_running_with_the_action_due(engine, town) -> None:
    _month(engine, town, "2025-01", {"a1b": "0"})
    _month(engine, town, "2025-02", {"a1b": "2", "a1c": "2"})
    assert _running(engine, town) == {"东镇杏花村人民调解委员会": (2, "提醒谈话")}
    _month(engine, town, "2025-03", {"a1b": "1", "a1c": "1"})
    assert _running(engine, town) == {
        "东镇杏花村人民调解委员会": (3, "约谈问责"),
        "东镇梨花村人民调解委员会": (2, "提醒谈话"),
    }
    assert _running(engine, town, until="2025-02") == {"东镇杏花村人民调解委员会": (2, "提醒谈话")}
    assert _running(engine, town, n=3) == {"东镇杏花村人民调解委员会": (3, "提醒谈话")}
    _month(engine, town, "2025-03", {}, publish=False, reason="复核")  # a draft revision changes nothing yet
    assert _running(engine, town)["东镇杏花村人民调解委员会"] == (3, "约谈问责")
    _month(engine, town, "2025-04", {})  # everyone equal: no last place, the run ends
    assert _running(engine, town) == {}


def _running(engine, town, *, n: int = 2, until: str | None = None) -> dict:  # noqa: ANN001
    with Session(engine) as db:
        return {s.org_name: (len(s.months), s.action(n)) for s in streaks.running(db, town.rubric_id, n, until=until)}


def test_a_village_sees_its_own_score_and_rank_and_not_another_villages(client, engine, town) -> None:
    run = _month(engine, town, "2025-01", {"a1b": "3"})
    draft = _month(engine, town, "2025-02", {}, publish=False)
    sign_in(client, "a1a.grid")  # a mediator of 桃花村's grid
    page = client.get(f"/assessment/{run}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    rows = soup.select("#ranking-table tbody tr")
    assert [r["data-org"] for r in rows] == [str(town.org("a1a").id)]
    assert "共 3 个单位" in soup.select_one("#ranking").text and "第 1 名" in rows[0].text
    for other in ("杏花村", "梨花村"):
        assert other not in page.text
    book = load_workbook(io.BytesIO(client.get(f"/assessment/{run}/export.xlsx").content))
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "桃花村" not in cells or "杏花村" not in cells
    assert "杏花村" not in cells and "梨花村" not in cells
    assert client.get(f"/assessment/{draft}").status_code == 404  # drafts are the assessing body's
    listing = client.get("/assessment").text
    assert "2025-01" in listing and "2025-02" not in listing
    client.cookies.clear()
    sign_in(client, "a1.mediator")  # 东镇's mediator (and 桃花村's clerk) reads all three villages of its township
    soup = BeautifulSoup(client.get(f"/assessment/{run}").text, "html.parser")
    assert len(soup.select("#ranking-table tbody tr")) == 3
    client.cookies.clear()
    sign_in(client, "b1.mediator")  # another county
    assert client.get(f"/assessment/{run}").status_code == 404
