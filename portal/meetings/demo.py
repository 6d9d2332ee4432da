"""A demo 联席会议: the county centre's monthly joint meeting, two cases discussed, two decisions on the 问题清单.
Idempotent: nothing is done when a meeting exists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from portal import clock
from portal.cases.models import OPEN_STATES, Case
from portal.db import transaction
from portal.meetings import service
from portal.meetings.models import Meeting
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import load_principal

BODIES = [
    "清溪县司法局",
    "清溪县信访局访调对接中心",
    "清溪县人民法院诉调对接中心",
    "城关街道人民调解委员会",
    "河口镇人民调解委员会",
]


def build_demo_meetings(engine: Engine) -> str:
    today = clock.today()
    with transaction(engine) as db:
        if db.exec(select(Meeting.id)).first() is not None:
            return "演示联席会议：已有会议记录，未重复生成。"
        director = db.exec(select(Person).where(Person.username == "qx.director")).first()
        if director is None:
            return "演示联席会议：无演示县。"
        principal = load_principal(db, director)
        county = service.convener_orgs(db, principal)[0]
        bodies = db.exec(select(Organisation).where(Organisation.name.in_(BODIES))).all()
        cases = db.exec(
            select(Case)
            .where(Case.state.in_(OPEN_STATES), Case.org_path.startswith(county.path))
            .order_by(Case.group_dispute.desc(), Case.risk_flag.desc(), Case.id)
            .limit(2)
        ).all()
        held = today - timedelta(days=10)
        meeting = service.create(
            db,
            principal,
            service.MeetingForm(
                org_id=str(county.id),
                held_on=held.isoformat(),
                title=f"{held.year}年{held.month}月矛盾纠纷联席会议",
                place="县矛调中心三楼会议室",
                chair="韩振宇",
                attendees="韩振宇（县矛调中心）\n高志远（县司法局）\n杜春明（县信访局）\n邱海燕（县法院）\n罗红梅（城关街道）\n汪德明（河口镇）",
                minutes="会议通报了上月矛盾纠纷排查化解情况，逐案研究了重点疑难纠纷的化解方案，"
                "明确由属地牵头、相关部门配合，按期化解并回访。",
                body_ids=[str(o.id) for o in bodies],
                case_numbers="\n".join(c.number for c in cases),
            ),
            today=today,
        )
        owners = [("cg.director", "城关街道人民调解委员会", 14), ("hk.mediator", "河口镇人民调解委员会", 30)]
        texts = ["牵头组织当事人再次调解，十四日内报告化解结果", "会同国土所现场勘界，一个月内提出化解方案"]
        for (username, org_name, days), text in zip(owners, texts, strict=True):
            owner = db.exec(select(Person).where(Person.username == username)).one()
            org = db.exec(select(Organisation).where(Organisation.name == org_name)).one()
            service.add_decision(
                db,
                principal,
                meeting.id,
                service.DecisionForm(
                    text=text,
                    org_id=str(org.id),
                    owner_id=str(owner.id),
                    due_on=(held + timedelta(days=days)).isoformat(),
                ),
                today=today,
            )
        return f"演示联席会议：{meeting.title}，研究案件 {len(cases)} 件，议定事项 2 项（已列入问题清单）。"
