"""The demo's subsidies and joint meeting as `portal demo` makes them (after the filed demo dossiers, SQLite): the
司法局's tariff, claims in several states driven through the real services, one paid batch whose total is the sum of
its shares, a meeting whose decisions are on the 问题清单 — and a second run changes nothing."""

from __future__ import annotations

from sqlmodel import Session, select
from test_demo_dossiers import demo  # noqa: F401 - the module's fixture: the demo county with its filed dossiers

from portal.meetings.demo import build_demo_meetings
from portal.meetings.models import Meeting, MeetingCase, MeetingDecision
from portal.problems.models import Problem
from portal.subsidies.batches import money_sum
from portal.subsidies.demo import build_demo_subsidies
from portal.subsidies.models import Claim, ClaimShare, ClaimState, PaymentBatch, Tariff


def test_demo_subsidies_and_meeting_are_built_once(demo) -> None:  # noqa: F811
    _settings, engine = demo
    report = build_demo_subsidies(engine)
    assert not report.skipped, report.summary()
    summary = build_demo_meetings(engine)
    with Session(engine) as db:
        assert len(db.exec(select(Tariff)).all()) == 1
        states = {c.state for c in db.exec(select(Claim)).all()}
        # paid, refused, and one waiting for a step (the 司法局's, or the 司法所's where one supervises the place)
        assert {ClaimState.PAID, ClaimState.REFUSED} < states and len(states) == 3, report.summary()
        batch = db.exec(select(PaymentBatch)).one()
        assert batch.paid_on is not None
        paid = db.exec(
            select(ClaimShare.paid).join(Claim, Claim.id == ClaimShare.claim_id).where(Claim.batch_id == batch.id)
        ).all()
        assert batch.total == money_sum(paid) > 0
        meeting = db.exec(select(Meeting)).one()
        assert db.exec(select(MeetingCase).where(MeetingCase.meeting_id == meeting.id)).all(), summary
        decisions = db.exec(select(MeetingDecision).where(MeetingDecision.meeting_id == meeting.id)).all()
        assert len(decisions) == 2
        assert {db.get(Problem, d.problem_id).source for d in decisions} == {"联席会议"}
    assert build_demo_subsidies(engine).existing
    assert "未重复生成" in build_demo_meetings(engine)
    with Session(engine) as db:
        assert len(db.exec(select(Claim)).all()) == 3 and len(db.exec(select(Meeting)).all()) == 1
