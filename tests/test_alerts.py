"""Early warning on the database: cells counted in scope, alerts explained and linked to exactly their cases,
rule alerts, and reviews that survive recomputation and refuse a second reviewer — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import re
import threading
import time
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from factories import add_person, build_world, csrf, sign_in
from sqlalchemy import text
from sqlmodel import Session, select

from portal import clock
from portal.alerts import service
from portal.alerts.cells import Area, monthly_counts
from portal.alerts.models import AlertReview
from portal.alerts.months import Month
from portal.audit.models import AuditEntry
from portal.cases.ids import mask_id
from portal.cases.models import Case, CaseState, Party, Transfer, TransferState
from portal.db import transaction
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.orgs.models import Organisation
from portal.people.models import Person, Role
from portal.scope import OutOfScope, load_principal

TODAY = clock.today()
THIS = Month.of(TODAY)
LAST = THIS.shift(-1)
_SEQ = itertools.count(1)
PARTY_ID = "11010519491231002X"


def add_case(db: Session, org: Organisation, received: date, dispute_type: str = "0101", **values) -> Case:  # noqa: ANN003
    seq = next(_SEQ)
    case = Case(
        org_id=org.id,
        org_path=org.path,
        number_org_id=org.id,
        number_year=received.year,
        number_prefix=org.short_name,
        number_seq=seq,
        number=f"（{received.year}）{org.short_name}人调字第{seq:03d}号",
        title=f"预警测试纠纷{seq}",
        channel="来访",
        dispute_type=dispute_type,
        received_on=received,
        **values,
    )
    db.add(case)
    db.flush()
    return case


def day_in(month: Month, day: int = 10) -> date:
    return date(month.year, month.month, min(day, 28))


def plant_spike(engine, world) -> None:  # noqa: ANN001
    """A year of 山林土地 cases at 东镇, one every other month, then six last month (sub-types and a group among them);
    family cases at the county's own level every month, as a steady background."""
    with transaction(engine) as db:
        a1, a1a, group = (db.get(Organisation, world.org(k).id) for k in ("a1", "a1a", "a1a_g"))
        county = db.get(Organisation, world.org("a").id)
        for back in range(2, 15):
            month = LAST.shift(-back + 1)
            add_case(db, county, day_in(month, back), "0101")
            if back % 2 == 0:
                add_case(db, a1a, day_in(month, 5), "07")
        for i, (org, code) in enumerate([(a1a, "0701"), (a1a, "0702"), (group, "0701"), (a1, "07"), (a1a, "07")]):
            add_case(db, org, day_in(LAST, 3 + i), code)
        add_case(db, group, LAST.first, "0701", group_dispute=True, people_involved=23)
        add_case(db, county, day_in(LAST), "0101")


def principal(db: Session, username: str):  # noqa: ANN201
    return load_principal(db, db.exec(select(Person).where(Person.username == username)).one())


def test_cells_count_top_level_types_per_place_and_month_by_received_date(engine) -> None:
    world = build_world(engine)
    plant_spike(engine, world)
    with Session(engine) as db:
        area = Area.of(db, db.get(Organisation, world.org("a").id))
        assert set(area.places) == {world.org(k).id for k in ("a", "a1", "a_med")}
        counts = monthly_counts(db, principal(db, "a.director"), area, LAST)
        assert counts.cells[("07", world.org("a1").id)][LAST.index] == 6  # 0701, 0702 and 07 together
        assert counts.cells[("01", world.org("a").id)][LAST.index] == 1
        assert counts.start == LAST.shift(-13)


def test_a_spike_raises_an_explained_red_alert_whose_link_lists_exactly_its_cases(client, engine) -> None:
    world = build_world(engine)
    plant_spike(engine, world)
    with Session(engine) as db:
        county = db.get(Organisation, world.org("a").id)
        report = service.report(
            db, principal(db, "a.director"), county, LAST, today=TODAY, settings=client.app.state.settings
        )
    spikes = [a for a in report.alerts if a.rule == "poisson"]
    assert len(spikes) == 1
    spike = spikes[0]
    assert (spike.level, spike.observed, spike.dispute_type, spike.place.org_id) == ("red", 6, "07", world.org("a1").id)
    assert spike.baseline == pytest.approx(6 / 12) and spike.p_value < 0.001
    assert "前 12 个月均值 0.50 件/月" in spike.baseline_text and "P(X ≥ 6 | μ = 0.50)" in spike.rule_text
    assert {a.rule for a in report.alerts} == {"poisson", "group"}  # last month: no state rules
    assert report.tested == 2

    sign_in(client, "a.director")
    page = BeautifulSoup(client.get(f"/warnings?org={county.id}&month={LAST}").text, "html.parser")
    alerts = page.select("article.alert")
    assert len(alerts) == 2
    assert "红色预警" in alerts[0].get_text() and "泊松超阈" in alerts[0].get_text()
    for article in alerts:
        link = article.select_one("a.button")["href"]
        wanted = int(re.search(r"这 (\d+) 件", article.get_text()).group(1))
        listed = BeautifulSoup(client.get(link).text, "html.parser")
        assert listed.select_one("#state-chips a").get_text(strip=True) == f"全部 {wanted}", link
        narrowed = any(key in parse_qs(urlsplit(link).query) for key in ("ids", "flag", "org_only"))
        assert (listed.select_one("#alert-filter") is not None) == narrowed, link


def test_a_village_director_sees_the_village_alerts_only(client, engine) -> None:
    world = build_world(engine)
    plant_spike(engine, world)
    with transaction(engine) as db:
        add_person(db, "a1a.director", "桃花村主任", (db.get(Organisation, world.org("a1a").id), Role.DIRECTOR))
    with Session(engine) as db:
        village = principal(db, "a1a.director")
        assert [o.id for o in service.areas(village)] == [world.org("a1a").id]
        assert service.area_for(db, village, None).id == world.org("a1a").id
        with pytest.raises(OutOfScope):
            service.area_for(db, village, world.org("a").id)
        with pytest.raises(Forbidden):
            service.area_for(db, principal(db, "a.clerk"), world.org("a").id)
        report = service.report(
            db, village, service.area_for(db, village, None), LAST, today=TODAY, settings=client.app.state.settings
        )
    # The village's own cases and its group's: the 东镇 township's own case is not among them.
    group = next(a for a in report.alerts if a.rule == "group")
    assert group.place.org_id == world.org("a1a_g").id
    assert all(a.place is None or a.place.org_id in (world.org("a1a").id, world.org("a1a_g").id) for a in report.alerts)
    sign_in(client, "a1a.director")
    assert client.get(f"/warnings?org={world.org('a').id}").status_code == 404
    assert client.get(f"/warnings?org={world.org('a1a').id}&month={LAST}").status_code == 200


def test_rule_alerts_of_the_present_month(client, engine) -> None:
    world = build_world(engine)
    settings = client.app.state.settings
    with transaction(engine) as db:
        a1a, b1 = db.get(Organisation, world.org("a1a").id), db.get(Organisation, world.org("b1").id)
        a1 = db.get(Organisation, world.org("a1").id)
        early = TODAY - timedelta(days=40)
        thrice = [  # open, new, and closed but recent: three cases of one person; a fourth, long closed, does not count
            add_case(db, a1a, early, state=CaseState.MEDIATING),
            add_case(db, a1, TODAY),
            add_case(db, a1a, TODAY - timedelta(days=90), state=CaseState.EVALUATED),
            add_case(db, a1a, TODAY - timedelta(days=400), state=CaseState.EVALUATED),
        ]
        for case in thrice:
            db.add(Party(case_id=case.id, role="申请人", name="胡建国", id_type="resident_id", id_number=PARTY_ID))
        add_case(db, a1a, TODAY, risk_flag=True)
        late = add_case(
            db, a1a, early, state=CaseState.CLOSED, closed_on=early, followup_due_on=early + timedelta(days=7)
        )
        sent = add_case(db, b1, early, in_transfer=True)
        db.add(
            Transfer(
                case_id=sent.id,
                from_org_id=b1.id,
                from_path=b1.path,
                to_org_id=a1a.id,
                to_path=a1a.path,
                kind="移送",
                letter="请予调解",
                state=TransferState.SENT,
                created_by=world.person("b.admin").id,
                answer_due_on=TODAY - timedelta(days=2),
            )
        )
    with Session(engine) as db:
        director = principal(db, "a.director")
        county = db.get(Organisation, world.org("a").id)
        report = service.report(db, director, county, THIS, today=TODAY, settings=settings)
        past = service.report(db, director, county, LAST, today=TODAY, settings=settings)
    by_rule = {a.rule: a for a in report.alerts}
    assert set(by_rule) == {"repeat", "risk", "followup", "transfer"}
    assert by_rule["repeat"].observed == 3 and by_rule["repeat"].level == "yellow"
    assert by_rule["repeat"].case_filter == {"ids": ",".join(str(c.id) for c in thrice[:3])}
    assert mask_id(PARTY_ID) in by_rule["repeat"].subject and "胡建国" in by_rule["repeat"].subject
    assert PARTY_ID not in by_rule["repeat"].subject
    assert PARTY_ID not in by_rule["repeat"].key
    assert by_rule["followup"].observed == 1 and by_rule["transfer"].observed == 1
    assert by_rule["transfer"].case_filter == {"ids": str(sent.id)}
    assert not past.alerts
    sign_in(client, "a.director")
    for alert in report.alerts:
        query = "&".join(f"{k}={v}" for k, v in alert.case_filter.items())
        listed = BeautifulSoup(client.get(f"/cases?{query}").text, "html.parser")
        assert listed.select_one("#state-chips a").get_text(strip=True) == f"全部 {alert.observed}", alert.rule
    listed = BeautifulSoup(client.get(f"/cases?flag=followup&org={world.org('a1').id}").text, "html.parser")
    assert [a.get_text(strip=True) for a in listed.select("#cases tbody td.nowrap a")] == [late.number]


def test_a_review_is_audited_kept_across_recomputation_and_refused_twice(client, engine) -> None:
    world = build_world(engine)
    plant_spike(engine, world)
    county = world.org("a").id
    sign_in(client, "a.supervisor")
    page = BeautifulSoup(client.get(f"/warnings?org={county}&month={LAST}").text, "html.parser")
    form = page.select_one("article.alert form")
    key = form.select_one("input[name=key]")["value"]
    data = {"org": str(county), "month": str(LAST), "key": key, "_csrf_token": csrf(client)}
    assert client.post("/warnings/review", data={**data, "note": "  "}, follow_redirects=False).status_code == 422
    done = client.post("/warnings/review", data={**data, "note": "已核实：土地确权引发。"}, follow_redirects=False)
    assert done.status_code == 303 and urlsplit(done.headers["location"]).fragment.startswith("alert-")
    with transaction(engine) as db:  # new cases change the count; the review stays with the alert
        add_case(db, db.get(Organisation, world.org("a1a").id), day_in(LAST, 20), "07")
    page = BeautifulSoup(client.get(done.headers["location"]).text, "html.parser")
    reviewed = page.select_one(f"#{urlsplit(done.headers['location']).fragment}")
    assert (
        "已研判" in reviewed.get_text()
        and "土地确权" in reviewed.get_text()
        and "研判时为 6 件，现为 7 件" in reviewed.get_text()
    )
    again = client.post("/warnings/review", data={**data, "note": "再研判"}, follow_redirects=False)
    assert again.status_code == 409 and "不能重复研判" in again.text
    with Session(engine) as db:
        assert [r.note for r in db.exec(select(AlertReview)).all()] == ["已核实：土地确权引发。"]
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "alert.review")).one()
        assert entry.object_id == key and "土地确权" in entry.summary
    assert parse_qs(urlsplit(done.headers["location"]).query)["month"] == [str(LAST)]


def test_two_reviewers_at_once_one_wins_and_the_other_is_told(client, engine, db_backend) -> None:
    """The second reviewer reads the alert as unreviewed and writes while the first's review is not yet committed: on
    PostgreSQL its insert waits on the unique key and then fails; on SQLite its write transaction waits for the
    first's to end and then finds the review. Either way it is refused with the winner's name, and one review stays."""
    world = build_world(engine)
    plant_spike(engine, world)
    settings = client.app.state.settings
    with Session(engine) as db:
        county = db.get(Organisation, world.org("a").id)
        key = (
            service.report(db, principal(db, "a.director"), county, LAST, today=TODAY, settings=settings).alerts[0].key
        )
    outcome: list[str] = []

    def second() -> None:
        try:
            with transaction(engine) as db:
                service.review(
                    db, principal(db, "a.supervisor"), county, LAST, key, "后到", today=TODAY, settings=settings
                )
            outcome.append("ok")
        except Conflict as exc:
            outcome.append(exc.message)

    with transaction(engine) as db:
        service.review(db, principal(db, "a.director"), county, LAST, key, "先到", today=TODAY, settings=settings)
        thread = threading.Thread(target=second)
        thread.start()
        if db_backend == "postgresql":  # wait until the second insert is blocked on the first's uncommitted row
            deadline = time.monotonic() + 60
            with engine.connect() as watcher:
                while not watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                    assert time.monotonic() < deadline, "the second review never reached the unique key"
                    time.sleep(0.02)
    thread.join(timeout=60)
    assert outcome and "甲调委会主任" in outcome[0] and "不能重复研判" in outcome[0]
    with Session(engine) as db:
        assert [r.note for r in db.exec(select(AlertReview)).all()] == ["先到"]


def test_reviewing_what_is_not_an_alert_of_the_area_is_not_found(client, engine) -> None:
    world = build_world(engine)
    plant_spike(engine, world)
    settings = client.app.state.settings
    with transaction(engine) as db:
        director = principal(db, "a.director")
        a1 = db.get(Organisation, world.org("a1").id)
        with pytest.raises(NotFound):
            service.review(db, director, a1, LAST, "cell:2020-01:1:07", "x", today=TODAY, settings=settings)
        with pytest.raises(Invalid):
            service.review(db, director, a1, LAST, "whatever", "", today=TODAY, settings=settings)
