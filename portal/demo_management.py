"""Demo data for the county's monthly management: training sessions and a 考核 rubric with three published months.

Driven through the real services, acted by the demo people who would do it: the 司法局's 督导 (高志远) trains the
county's mediators and computes, adjusts and publishes the 考核; each 司法所's 督导 trains their township; the county's
administrator (陈立群, administrator over the 司法局 too) writes the rubric. Run after the demo cases (the 考核 counts
them). Idempotent: nothing is made when the rubric already exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal import clock
from portal.assessment import rubric as rubrics
from portal.assessment import service as assessments
from portal.assessment.models import ItemMode, Rubric, Score, ScoreItem
from portal.db import transaction
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import load_principal
from portal.stats.periods import containing
from portal.stats.service import Basis
from portal.training import service as training

RUBRIC_NAME = "清溪县人民调解工作月度考核细则"
# name, mode, indicator, baseline, weight, target, per unit
ITEMS = [
    ("受理纠纷及时调处（调解成功率）", ItemMode.TARGET, "success_rate", "", "20", "90", ""),
    ("结案后 7 日内回访（回访率）", ItemMode.TARGET, "followup_rate", "", "20", "100", ""),
    ("当事人满意度（满意率）", ItemMode.TARGET, "satisfaction_rate", "", "15", "90", ""),
    ("调解超期", ItemMode.DEDUCT, "mediation_overdue", "", "15", "", "3"),
    ("排查未按期开展", ItemMode.DEDUCT, "rounds_held", "rounds_due", "10", "", "2"),
    ("调解员培训（受训率）", ItemMode.TARGET, "trained_share", "", "10", "100", ""),
    ("联席会议参会", ItemMode.MANUAL, "", "", "10", "", ""),
]
# (organiser key: a demo username whose own body organises, days ago, topic, kind, hours, place)
SESSIONS = [
    ("sfj.supervisor", 300, "《人民调解法》与调解文书规范", "business", "4", "县司法局三楼会议室"),
    ("sfj.supervisor", 150, "婚姻家庭与邻里纠纷调解实务", "business", "3", "县矛调中心培训室"),
    ("sfj.supervisor", 40, "新任调解员岗前培训", "pre_job", "8", "县司法局三楼会议室"),
    ("sfj.supervisor", 12, "示范调解观摩：征地补偿纠纷", "demo", "2.5", "县矛调中心调解室"),
    ("cg.supervisor", 90, "城关街道矛盾纠纷排查与问题清单", "business", "2", "城关街道司法所"),
    ("cg.supervisor", 20, "城关街道网格员调解技巧", "business", "1.5", "东门社区活动室"),
]


@dataclass
class ManagementReport:
    sessions: int = 0
    months: int = 0

    def summary(self) -> str:
        return f"培训：新建 {self.sessions} 场；考核：发布 {self.months} 个月。"


def _principal(db: Session, username: str):  # noqa: ANN202
    person = db.exec(select(Person).where(Person.username == username)).one()
    return load_principal(db, person)


def build_demo_management(engine: Engine) -> ManagementReport:
    report = ManagementReport()
    with transaction(engine) as db:
        if db.exec(select(Rubric).where(Rubric.name == RUBRIC_NAME)).first() is not None:
            return report
        today = clock.today()
        _train(db, today, report)
        _assess(db, today, report)
    return report


def _train(db: Session, today, report: ManagementReport) -> None:  # noqa: ANN001
    for n, (username, days, topic, kind, hours, place) in enumerate(SESSIONS):
        principal = _principal(db, username)
        org = training.organiser_orgs(db, principal)[0]
        people = training.candidates(db, org)
        # Every second or third of the organiser's people attended, a different share each time.
        chosen = [str(c.person.id) for i, c in enumerate(people) if (i + n) % (2 + n % 2) == 0]
        form = training.SessionForm(
            org_id=str(org.id),
            held_on=(today - timedelta(days=days)).isoformat(),
            topic=topic,
            kind=kind,
            hours=hours,
            place=place,
            attendees=chosen,
        )
        training.create_session(db, principal, form, today=today)
        report.sessions += 1


def _assess(db: Session, today, report: ManagementReport) -> None:  # noqa: ANN001
    admin, supervisor = _principal(db, "qx.admin"), _principal(db, "sfj.supervisor")
    bureau = db.exec(select(Organisation).where(Organisation.name == "清溪县司法局")).one()
    county = db.get(Organisation, bureau.parent_id)
    rubric = rubrics.save_rubric(
        db,
        admin,
        rubrics.RubricForm(name=RUBRIC_NAME, org_id=str(bureau.id), assessed_id=str(county.id)),
    )
    for name, mode, indicator, baseline, weight, target, per_unit in ITEMS:
        form = rubrics.ItemForm(name, mode.value, indicator, baseline, weight, target, per_unit)
        rubrics.add_item(db, admin, rubric.id, form)
    basis = Basis(today=today, zone=clock.zone_name())
    month = containing("month", today).previous().previous().previous()
    for _ in range(3):
        run = assessments.compute(db, supervisor, rubric.id, month.value, basis=basis)
        # 白沙乡 missed the month's joint meeting: its manual item is entered at 0, with the reason.
        missed = db.exec(
            select(ScoreItem).where(ScoreItem.name == "联席会议参会", ScoreItem.score_id.in_(_scores_of(db, run.id)))
        ).all()
        for item in missed:
            score_name = _score_name(db, item.score_id)
            points, reason = ("0", "未参加本月县联席会议") if score_name.startswith("白沙乡") else ("10", "按时参会")
            assessments.adjust(
                db, supervisor, run.id, item.id, assessments.AdjustForm(points, reason, str(item.version))
            )
        db.refresh(run)
        assessments.publish(db, supervisor, run.id, str(run.version))
        report.months += 1
        month = containing("month", month.end + timedelta(days=1))


def _scores_of(db: Session, run_id: int) -> list[int]:
    return list(db.exec(select(Score.id).where(Score.assessment_id == run_id)).all())


def _score_name(db: Session, score_id: int) -> str:
    score = db.get(Score, score_id)
    return score.org_name if score else ""
