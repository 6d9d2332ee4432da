"""The demo case history: every state, tier and kind of transfer, consistent timelines, an intact
audit chain, idempotency and repeat petitioners — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from portal.audit import service as audit
from portal.cases import ids, parties
from portal.cases.models import Case, CaseEvent, CaseRecord, CaseState, Party, Transfer, TransferState
from portal.demo import build_demo
from portal.demo_cases import MARKER_TITLE, build_demo_cases, plan_cases, resident_id, uscc
from portal.experts.models import Expert
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.people.models import Person
from portal.scope import load_principal

TZ = ZoneInfo("Asia/Shanghai")
SMALL = 40  # the 25 required plans (every state, tier and transfer kind) and a few drawn at random


@pytest.fixture
def demo_engine(engine):
    build_demo(engine, password="Demo@pass-1")
    return engine


def _local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def _load(engine):
    with Session(engine) as db:
        cases = list(db.exec(select(Case)))
        orgs = {o.id: o for o in db.exec(select(Organisation))}
        events = defaultdict(list)
        for e in db.exec(select(CaseEvent).order_by(CaseEvent.id)):
            events[e.case_id].append(e)
        records = defaultdict(list)
        for r in db.exec(select(CaseRecord).order_by(CaseRecord.id)):
            records[r.case_id].append(r)
        moves = list(db.exec(select(Transfer)))
        people = list(db.exec(select(Party)))
    return cases, orgs, events, records, moves, people


def test_plans_are_deterministic_and_cover_every_state() -> None:
    today = date(2026, 5, 20)
    first, again = plan_cases(SMALL, 2026, today), plan_cases(SMALL, 2026, today)
    assert [(p.route, p.state, p.received, p.steps) for p in first] == [
        (p.route, p.state, p.received, p.steps) for p in again
    ]
    assert {p.state for p in first} == set(CaseState)
    assert all(
        today - timedelta(days=430) <= p.received and p.received + timedelta(days=p.steps[-1][0]) < today for p in first
    )


def test_identity_numbers_are_well_formed() -> None:
    import random

    rng = random.Random(1)
    for _ in range(200):
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        number = resident_id(rng, born, rng.random() < 0.5, "369921")
        assert ids.resident_id_problem(number) is None and ids.birth_date_of(number) == born
        assert ids.uscc_problem(uscc(rng)) is None


def test_history_covers_states_tiers_transfers_and_repeat_petitioners(demo_engine) -> None:
    report = build_demo_cases(demo_engine, count=SMALL)
    assert report.created == SMALL and not report.existing
    cases, orgs, events, records, moves, people = _load(demo_engine)
    assert len(cases) == SMALL
    assert {c.state for c in cases} == set(CaseState)
    assert Counter(c.state for c in cases)[CaseState.EVALUATED] >= 10

    # every tier handles cases, and the bodies beside the county tier too
    tiers = {orgs[c.org_id].tier for c in cases}
    assert {Tier.GROUP, Tier.VILLAGE, Tier.TOWNSHIP, Tier.COUNTY} <= tiers
    kinds = {orgs[c.org_id].kind for c in cases}
    assert {OrgKind.PROFESSIONAL, OrgKind.STUDIO, OrgKind.CENTRE, OrgKind.COMMITTEE, OrgKind.GRID} <= kinds
    assert {c.channel for c in cases} >= {"来访", "网格员上报", "信访移交", "法院委派/委托"}

    # transfers of every kind, with returned ones (with reasons) and feedback to the petition bureau
    by_kind = defaultdict(set)
    for t in moves:
        by_kind[t.kind].add(t.state)
    assert set(by_kind) >= {"上报", "访调对接", "诉调对接", "交办"}
    returned = [t for t in moves if t.state is TransferState.RETURNED]
    assert returned and all(len(t.answer_reason) >= 4 for t in returned)
    assert {orgs[t.from_org_id].kind for t in moves if t.kind == "上报"} >= {OrgKind.GRID, OrgKind.COMMITTEE}
    assert all(
        orgs[t.from_org_id].kind is OrgKind.PETITION and orgs[t.to_org_id].tier is Tier.TOWNSHIP
        for t in moves
        if t.kind == "访调对接"
    )
    assert all(orgs[t.from_org_id].kind is OrgKind.COURT for t in moves if t.kind == "诉调对接")
    assert any(
        orgs[t.to_org_id].kind is OrgKind.PROFESSIONAL and t.state is TransferState.ACCEPTED
        for t in moves
        if t.kind == "诉调对接"
    )
    fed_back = [t for t in moves if t.kind == "访调对接" and t.fed_back_at is not None]
    assert any("已结案" in t.feedback for t in fed_back) and any("不予受理" in t.feedback for t in fed_back)
    assert {TransferState.AWAITING_SIGNOFF, TransferState.SENT} & {t.state for t in moves}

    # overdue work exists: open past the mediation deadline, closed without a timely follow-up
    today = datetime.now(TZ).date()
    assert any(
        c.state in (CaseState.ACCEPTED, CaseState.INVESTIGATING, CaseState.MEDIATING) and c.mediation_due_on < today
        for c in cases
    )
    assert any(c.state is CaseState.CLOSED and c.followup_due_on < today for c in cases)

    # parties: valid identity numbers, some rare characters, people who come back
    for p in people:
        if p.id_type == "resident_id":
            assert ids.resident_id_problem(p.id_number) is None, p.id_number
        if p.id_type == "uscc":
            assert ids.uscc_problem(p.id_number) is None, p.id_number
    repeat = Counter(p.id_number for p in people if p.id_type == "resident_id")
    assert any(n >= 2 for n in repeat.values())
    with Session(demo_engine) as db:
        director = load_principal(db, db.exec(select(Person).where(Person.username == "qx.director")).one())
        flagged = 0
        for c in cases:
            if any(repeat[p.id_number] >= 2 for p in people if p.case_id == c.id):
                flagged += bool(parties.repeat_flags(db, director, db.get(Case, c.id)))
        assert flagged >= 2
    assert_timelines_consistent(demo_engine)


def assert_timelines_consistent(engine) -> None:
    cases, orgs, events, records, moves, people = _load(engine)
    today = datetime.now(TZ).date()
    for c in cases:
        timeline = events[c.id]
        assert timeline[0].kind == "register" and _local_day(timeline[0].at) == c.received_on, c.number
        assert [e.at for e in timeline] == sorted(e.at for e in timeline), c.number
        assert _local_day(timeline[-1].at) <= today
        assert _local_day(c.created_at) == c.received_on
        assert c.received_on <= today
        if c.accepted_on:
            assert c.received_on <= c.accepted_on and c.mediation_due_on == c.accepted_on + timedelta(days=30)
            [accept] = [e for e in timeline if e.kind == "accept"]
            assert _local_day(accept.at) == c.accepted_on
        if c.closed_on:
            assert c.accepted_on <= c.closed_on and c.followup_due_on == c.closed_on + timedelta(days=7)
        for r in records[c.id]:
            if r.held_on:
                assert c.received_on <= r.held_on <= today
        followups = [r for r in records[c.id] if r.kind == "followup"]
        if followups:
            assert c.closed_on <= followups[0].held_on
        if c.state in (CaseState.CLOSED, CaseState.FOLLOWED_UP, CaseState.EVALUATED):
            assert c.closed_on is not None and c.outcome in ("written", "oral", "failed")
        if c.state is CaseState.EVALUATED:
            assert {"mediation", "closure", "followup", "evaluation"} <= {r.kind for r in records[c.id]}
    # Medical, traffic and labour disputes cite the county's expert of that field, from the 专家库, by id.
    with Session(engine) as db:
        experts = {e.id: e for e in db.exec(select(Expert))}
    cited = [
        r.fields
        for c in cases
        if c.dispute_type[:2] in ("13", "14", "10")
        for r in records[c.id]
        if r.fields.get("experts_ids")
    ]
    assert cited and all(experts[i].name in f["experts"] for f in cited for i in f["experts_ids"])
    for t in moves:
        assert t.created_at <= (t.sent_at or t.created_at) <= (t.answered_at or t.sent_at or t.created_at)
        if t.fed_back_at:
            assert t.answered_at <= t.fed_back_at


def test_audit_chain_holds_and_a_second_run_changes_nothing(demo_engine) -> None:
    first = build_demo_cases(demo_engine, count=SMALL)
    with Session(demo_engine) as db:
        result = audit.verify(db)
        assert result.ok, result.reason
        counts = (len(db.exec(select(Case.id)).all()), len(db.exec(select(CaseEvent.id)).all()), result.checked)
        marker = db.exec(select(Case).where(Case.title == MARKER_TITLE)).one()
        assert db.get(Organisation, marker.org_id).kind is OrgKind.CENTRE
    again = build_demo_cases(demo_engine, count=SMALL)
    assert first.created == SMALL and again.created == 0 and again.existing
    assert "已存在" in again.summary() and "新建" in first.summary()
    with Session(demo_engine) as db:
        assert (
            len(db.exec(select(Case.id)).all()),
            len(db.exec(select(CaseEvent.id)).all()),
            audit.verify(db).checked,
        ) == counts


def test_default_history_is_three_hundred_cases_mostly_finished(demo_engine) -> None:
    report = build_demo_cases(demo_engine)
    assert report.created == 300 and sum(report.states.values()) == 300
    finished = sum(report.states[s.value] for s in (CaseState.CLOSED, CaseState.FOLLOWED_UP, CaseState.EVALUATED))
    assert finished > 150 and report.states[CaseState.EVALUATED.value] > 80
    with Session(demo_engine) as db:
        received = sorted(db.exec(select(Case.received_on)).all())
        assert (received[-1] - received[0]).days > 365
        assert audit.verify(db).ok
    assert_timelines_consistent(demo_engine)
    assert_the_planted_spike_is_an_explained_alert(demo_engine)


def assert_the_planted_spike_is_an_explained_alert(engine) -> None:  # noqa: ANN001
    """Last month's six 土地承包 disputes at 渡口村 (plans._add_spike) top the county's and the township's alerts."""
    from portal.alerts import service as alerts
    from portal.alerts.months import Month
    from portal.settings import Settings

    today = datetime.now(TZ).date()
    last = Month.of(today).shift(-1)
    with Session(engine) as db:
        for username, place in (("qx.director", "河口镇人民调解委员会"), ("hk.director", "渡口村人民调解委员会")):
            viewer = load_principal(db, db.exec(select(Person).where(Person.username == username)).one())
            area = alerts.areas(viewer)[0]
            shown = alerts.report(db, viewer, area, last, today=today, settings=Settings(_env_file=None))
            spike = next(a for a in shown.alerts if a.rule == "poisson" and a.dispute_type == "07")
            assert spike.level == "red" and spike.place.name == place and spike.observed >= 6, spike
            assert "前 12 个月均值" in spike.baseline_text and "泊松超阈" in spike.rule_text


def test_a_few_evaluated_demo_cases_are_filed_with_verified_dossiers_once(demo_engine, settings) -> None:
    """`portal demo` ends with filed dossiers: bound through the dossier services, stored by SHA-256, verified;
    a rerun files nothing."""
    import hashlib

    from archive import storage
    from portal.cases.models import CaseFile
    from portal.demo_cases.filing import file_demo_dossiers
    from portal.dossiers import fixity
    from portal.dossiers.models import DossierVersion

    build_demo_cases(demo_engine, count=SMALL)
    report = file_demo_dossiers(demo_engine, settings)
    assert len(report.filed) == 3 and not report.failed, report.summary()
    with Session(demo_engine) as db:
        versions = list(db.exec(select(DossierVersion)))
        assert len(versions) == 3 and {v.status for v in versions} == {"filed"}
        for v in versions:
            case = db.get(Case, v.case_id)
            assert case.state is CaseState.EVALUATED and case.archived_at is not None and case.number in report.filed
            assert (
                v.filed_by_name == "吴静怡"
                and v.checker_name
                and v.retention in ("10年", "30年", "永久")
                and v.total_pages > v.page_count > 3
            )
            pdf = storage.read(settings.archive_dir, v.storage_key, v.sha256)
            assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == v.sha256 and len(pdf) == v.size
            assert (settings.archive_dir / v.manifest_key).is_file()
        outcomes = {db.get(Case, v.case_id).outcome for v in versions}
        assert {"written", "oral"} <= outcomes
        audit_before = audit.verify(db)
        assert audit_before.ok, audit_before.reason
    run = fixity.verify_all(demo_engine, settings, trigger="cli")
    with Session(demo_engine) as db:
        uploads = len(db.exec(select(CaseFile.id)).all())  # the ID copies and signed scans the filings added
    assert (run.checked, run.missing, run.changed) == (6 + uploads, 0, 0) and uploads > 9

    again = file_demo_dossiers(demo_engine, settings)
    assert (again.filed, again.failed, again.existing) == ([], [], 3) and "未重复生成" in again.summary()
    with Session(demo_engine) as db:
        assert len(db.exec(select(DossierVersion.id)).all()) == 3 and audit.verify(db).checked == audit_before.checked
    assert_timelines_consistent(demo_engine)
