"""The steps: one planned case played through the case services, each step acted by the demo person who would do it."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session, select

from portal.cases import loop, service, transfers
from portal.cases.models import Case, Transfer
from portal.cases.parties import PartyForm
from portal.db import utcnow
from portal.demo import org_specs
from portal.demo_cases import data
from portal.demo_cases.clock import Clock, install_clock
from portal.demo_cases.desks import DESKS, TOWNSHIP_OF, VILLAGE_OF_GRID, Desk
from portal.demo_cases.people import make_person, uscc
from portal.demo_cases.plans import MARKER_TITLE, Plan
from portal.experts.models import Expert
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import Principal, load_principal

DEADLINES = loop.Deadlines()
ANSWER_DAYS = 7


class Player:
    def __init__(self, db: Session, rng: random.Random, today: date) -> None:
        self.db, self.rng, self.today = db, rng, today
        self.clock = Clock(utcnow())
        install_clock(db, self.clock)
        names = {spec.key: spec for spec in org_specs()}
        by_parent_name = {(o.parent_id, o.name): o for o in db.exec(select(Organisation))}
        self.orgs: dict[str, Organisation] = {}
        for key, spec in names.items():
            parent = self.orgs.get(spec.parent_key) if spec.parent_key else None
            self.orgs[key] = by_parent_name[(parent.id if parent else None, spec.name)]
        self.people = {p.username: p for p in db.exec(select(Person))}
        self._principals: dict[str, Principal] = {}
        self.experts = self._experts()

    def _experts(self) -> dict[str, Expert]:
        """The county's 专家库 (created when missing), so mediation records cite experts from the pool."""
        county = self.orgs["county"]
        found = {e.field: e for e in self.db.exec(select(Expert).where(Expert.org_id == county.id))}
        for name, field, employer, title, phone in data.EXPERTS:
            if field not in found:
                found[field] = Expert(
                    org_id=county.id,
                    org_path=county.path,
                    name=name,
                    field=field,
                    employer=employer,
                    title=title,
                    phone=phone,
                    created_by=self.people["qx.admin"].id,
                )
                self.db.add(found[field])
        self.db.flush()
        return found

    def who(self, username: str) -> Principal:
        if username not in self._principals:
            self._principals[username] = load_principal(self.db, self.people[username])
        return self._principals[username]

    def name(self, username: str) -> str:
        return self.people[username].name

    # -- one case ----------------------------------------------------------------------------
    def play(self, plan: Plan) -> Case:
        rng, db = self.rng, self.db
        self.clock.start_case(plan.received)
        code, topic, respondent_kind, amounts, summary, requests, *_ = plan.scenario
        place = _place_of(self.orgs[plan.handler].name)
        applicant = plan.applicant or make_person(rng, self.today, _place_of(self.orgs[plan.start].name))
        if plan.variant == "marker":
            applicant.name, applicant.male = "胡建国", True
        respondent, respondent_form = self._respondent(respondent_kind, plan)
        amount = None
        if amounts:
            amount = rng.randrange(amounts[0] // 100, amounts[1] // 100) * 100
        if plan.variant == "marker":
            amount = 186400
        people = rng.randint(3, 25) if code == "1001" else 1
        if plan.variant == "marker":
            people = 12
        fmt = {
            "a": applicant.name,
            "b": respondent,
            "place": place,
            "amt": f"{amount:,}" if amount else "",
            "amt_part": f"{(amount or 2000) // 10:,}",
            "people": people,
        }
        self.fmt = fmt
        title = (
            MARKER_TITLE
            if plan.variant == "marker"
            else (
                f"{fmt['b']}拖欠{applicant.name}等{people}人工资纠纷"
                if code == "1001"
                else f"{applicant.name}与{respondent}{topic}纠纷"
            )
        )
        forms = [applicant.form("申请人"), respondent_form]
        if rng.random() < 0.12 and respondent_kind == "person":
            third = make_person(rng, self.today, place)
            forms.append(third.form("第三人"))
        if respondent_kind in ("hospital", "employer") and rng.random() < 0.5:
            agent = make_person(rng, self.today, place, max_age=60)
            forms.append(
                PartyForm(
                    role="代理人",
                    name=agent.name,
                    sex="男" if agent.male else "女",
                    occupation="律师",
                    phone=agent.phone,
                )
            )
        start_org = self.orgs[plan.start]
        form = service.CaseForm(
            title=title[:120],
            channel=plan.channel,
            dispute_type=plan.dispute_type,
            summary=summary.format(**fmt),
            requests=requests.format(**fmt),
            amount=str(amount or ""),
            people_involved=str(people),
            group_dispute="1" if people >= 10 else "",
            risk_flag="1" if (people >= 10 or code in ("08", "13") and rng.random() < 0.4) else "",
            received_on=plan.received.isoformat(),
            org_id=str(start_org.id),
        )
        desk = DESKS[plan.start]
        self.clock.at(plan.received, rng)
        case = service.intake(db, self.who(desk.intake), form, parties=forms)
        self.case, self.plan, self.here = case, plan, plan.start
        self.transfer: Transfer | None = None
        for offset, step in plan.steps[1:]:
            day = plan.received + timedelta(days=offset)
            self.clock.at(day, rng)
            getattr(self, f"_{step}")(day)
        return case

    def _respondent(self, kind: str, plan: Plan) -> tuple[str, PartyForm]:
        rng = self.rng
        pool = {
            "hospital": data.HOSPITALS,
            "employer": data.EMPLOYERS,
            "insurer": data.INSURERS,
            "property": data.PROPERTY_FIRMS,
            "shop": data.SHOPS,
        }.get(kind)
        if plan.variant == "marker":
            pool = (data.EMPLOYERS[0],)
        if pool:
            name = rng.choice(pool)
            return name, PartyForm(
                role="被申请人",
                kind="legal",
                name=name,
                id_type="uscc",
                id_number=uscc(rng),
                phone=f"0369-{rng.randint(6000000, 6999999)}",
                address=f"清溪县{rng.choice(data.STREETS)}{rng.randint(1, 300)}号",
            )
        other = make_person(rng, self.today, _place_of(self.orgs[plan.start].name))
        if rng.random() < 0.25:  # not everyone brings an identity card
            return other.name, PartyForm(
                role="被申请人",
                name=other.name,
                sex="男" if other.male else "女",
                phone=other.phone,
                address=other.address,
            )
        return other.name, other.form("被申请人")

    def _apply(self, who: str, action: str, **fields: str) -> None:
        loop.apply(
            self.db,
            self.who(who),
            self.case,
            action,
            {"version": str(self.case.version), **fields},
            deadlines=DEADLINES,
        )

    @property
    def desk(self) -> Desk:
        return DESKS[self.here]

    # -- steps -------------------------------------------------------------------------------
    def _letter(self, kind: str, target: Organisation) -> str:
        case = self.case
        head = {
            "访调对接": "信访事项移交人民调解函",
            "诉调对接": "诉前委派调解函",
            "上报": "矛盾纠纷上报单",
            "交办": "矛盾纠纷交办单",
        }.get(kind, "移送函")
        return (
            f"【{head}】{target.name}：\n现将{case.title}（{case.number}）移送你单位调解。纠纷简要情况：{case.summary}"
            f"\n当事人请求：{case.requests}\n附送材料：登记表、当事人身份证明复印件。请在 {ANSWER_DAYS} 日内答复。"
        )

    def _kind_and_target(self) -> tuple[str, str]:
        route, plan = self.plan.route, self.plan
        if route == "grid_up":
            return "上报", VILLAGE_OF_GRID[plan.start]
        if route == "village_up":
            return "上报", TOWNSHIP_OF[plan.start]
        if route == "petition":
            return "访调对接", plan.handler
        if route == "court":
            return "诉调对接", "ld" if plan.variant == "returned" else plan.handler
        return "交办", plan.handler

    def _send(self, day: date, target_key: str | None = None, kind: str | None = None) -> None:
        default_kind, default_target = self._kind_and_target()
        kind, target_key = kind or default_kind, target_key or default_target
        target = self.orgs[target_key]
        sender = self.desk.intake if self.here not in TOWNSHIP_OF or "." in self.here else self.desk.window
        self.transfer = transfers.create(
            self.db, self.who(sender), self.case, to_org_id=str(target.id), kind=kind, letter=self._letter(kind, target)
        )
        self.target_key = target_key

    def _sign(self, day: date) -> None:
        if self.transfer.sent_at is None:  # letters of a body with no leader of its own go without a sign-off
            transfers.sign_off(self.db, self.who(self.desk.signer), self.transfer.id, answer_days=ANSWER_DAYS)
        self.transfer.answer_due_on = day + timedelta(days=ANSWER_DAYS)

    def _sign2(self, day: date) -> None:
        self._sign(day)

    def _return(self, day: date) -> None:
        reason = data.RETURN_REASONS[0] if self.plan.route == "village_up" else data.RETURN_REASONS[2]
        transfers.return_(self.db, self.who(DESKS[self.target_key].window), self.transfer.id, reason=reason)

    def _resend(self, day: date) -> None:
        self._send(day, target_key="county", kind="诉调对接")

    def _receive(self, day: date) -> None:
        transfers.accept(self.db, self.who(DESKS[self.target_key].window), self.transfer.id)
        self.here = self.target_key

    def _refuse(self, day: date) -> None:
        reason, routes = self.rng.choice(data.REFUSAL_REASONS)
        self._apply(self.desk.window, "refuse", reason=reason, routes=routes, issued_on=day.isoformat())

    def _accept(self, day: date) -> None:
        self._apply(self.desk.window, "accept")
        self.case.accepted_on = day
        self.case.mediation_due_on = day + timedelta(days=DEADLINES.mediation_days)

    def _assign(self, day: date) -> None:
        choices = service.mediator_choices(self.db, self.case)
        self._lead = self.rng.choice(self.desk.mediators)
        loop.assign_mediator(
            self.db, self.who(self.desk.window), self.case, self.people[self._lead].id, choices=choices, lead=True
        )
        if self.rng.random() < 0.2 and len(self.desk.mediators) > 1:
            second = next(m for m in self.desk.mediators if m != self._lead)
            loop.assign_mediator(
                self.db, self.who(self.desk.window), self.case, self.people[second].id, choices=choices
            )

    def _assign_here(self, day: date) -> None:
        choices = service.mediator_choices(self.db, self.case)
        self._lead = self.rng.choice(self.desk.mediators)
        loop.assign_mediator(
            self.db, self.who(self.desk.window), self.case, self.people[self._lead].id, choices=choices, lead=True
        )

    def _investigate(self, day: date) -> None:
        self._apply(self._lead, "investigate")

    def _investigation(self, day: date) -> None:
        loop.add_record(
            self.db,
            self.who(self._lead),
            self.case,
            "investigation",
            {
                "held_on": day.isoformat(),
                "place": self._place(),
                "investigators": self.name(self._lead),
                "respondents": f"{self.fmt['a']}、{self.fmt['b']}及知情人",
                "content": self.plan.scenario[6].format(**self.fmt),
            },
        )

    def _place(self) -> str:
        tier = (
            "county"
            if self.here in ("county", "xf", "fy", "yt", "jt", "ld", "studio")
            else "township"
            if self.here in ("cg", "hk", "ty", "bs")
            else "village"
        )
        if self.here == "studio":
            return "老周调解工作室"
        return self.rng.choice(data.PLACES_BY_TIER[tier])

    def _mediate(self, day: date) -> None:
        self._apply(self._lead, "mediate")
        self._sessions = 0

    def _session(self, day: date) -> None:
        self._sessions += 1
        fmt = self.fmt
        if self._sessions == 1:
            content = self.plan.scenario[7].format(**fmt)
            result = (
                "双方初步表达和解意愿，约定下次继续协商。"
                if len(self.plan.steps) > 8
                else "双方各自陈述意见，调解员释法明理。"
            )
        else:
            content = f"第{self._sessions}次调解：调解员就上次争议焦点再次组织双方协商，{fmt['a']}与{fmt['b']}均到场。"
            result = "双方意见趋于一致。"
        cited = {"13": "医学", "14": "交通", "10": "劳动保障"}.get(self.plan.dispute_type[:2])
        experts = str(self.experts[cited].id) if cited and self._sessions == 1 else ""
        helpers = self.rng.choice(("", "", "村（居）委会干部", "乡贤", "法律顾问", "当事人亲属"))
        loop.add_record(
            self.db,
            self.who(self._lead),
            self.case,
            "mediation",
            {
                "held_on": day.isoformat(),
                "place": self._place(),
                "mediators": self.name(self._lead),
                "parties_present": f"{fmt['a']}、{fmt['b']}",
                "helpers": helpers,
                "experts": experts,
                "content": content,
                "result": result,
            },
        )

    def _agreement(self, day: date) -> None:
        fmt = self.fmt
        loop.add_record(
            self.db,
            self.who(self._lead),
            self.case,
            "agreement",
            {
                "facts": self.case.summary,
                "responsibilities": "双方在调解员主持下，本着互谅互让的原则，对各自责任予以确认。",
                "terms": self.plan.scenario[8].format(**fmt),
                "performance_method": self.rng.choice(("当场履行", "银行转账", "分期履行")),
                "performance_deadline": self.rng.choice(("协议签订之日", "协议签订后十日内", "协议签订后一个月内")),
                "performance_place": self._place(),
                "copies": "3",
                "signed_on": day.isoformat(),
            },
        )

    def _oral(self, day: date) -> None:
        loop.add_record(
            self.db,
            self.who(self._lead),
            self.case,
            "oral_agreement",
            {
                "facts": self.case.summary[:200],
                "terms": self.plan.scenario[8].format(**self.fmt),
                "performance_method": "当场履行",
                "performance_deadline": "即日",
                "signed_on": day.isoformat(),
            },
        )

    def _succeed(self, day: date) -> None:
        self._apply(self._lead, "succeed")
        self.case.concluded_on = day

    def _fail(self, day: date) -> None:
        self._apply(
            self._lead,
            "fail",
            reason=self.plan.scenario[9].format(**self.fmt),
            routes="已告知当事人可向人民法院起诉，或向有关行政机关、仲裁机构申请处理。",
        )
        self.case.concluded_on = day

    def _apply_confirmation(self, day: date) -> None:
        self._apply(self._lead, "apply_confirmation", court=data.COURTS[0], applied_on=day.isoformat())

    def _ruling(self, day: date) -> None:
        self._apply(
            self._lead,
            "record_ruling",
            ruled_on=day.isoformat(),
            result="确认协议有效",
            ruling_number=f"（{day.year}）云2199民特{self.rng.randint(10, 999)}号",
        )

    def _perform(self, day: date) -> None:
        self._apply(self._lead, "perform")

    def _performance(self, day: date, status: str = "全部履行") -> None:
        method = "银行转账" if self.case.amount else "当面"
        loop.add_record(
            self.db,
            self.who(self._lead),
            self.case,
            "performance",
            {
                "performed_on": day.isoformat(),
                "status": status,
                "details": "各方已按协议约定履行完毕。"
                if status == "全部履行"
                else "已履行第一期，剩余部分按约定期限履行。",
                "receipts": f"{method}凭证、收条各一份",
            },
        )

    def _performance_partial(self, day: date) -> None:
        self._performance(day, "部分履行")

    def _close(self, day: date) -> None:
        result = "调解成功，协议已履行完毕" if self.case.outcome != "failed" else "调解不成，已告知当事人其他救济途径"
        self._apply(self._lead, "close", closed_on=day.isoformat(), summary=f"本案{result}，予以结案。")

    def _follow_up(self, day: date) -> None:
        failed = self.case.outcome == "failed"
        satisfaction = self.rng.choices(("满意", "基本满意", "不满意"), (75, 20, 5))[0]
        risk = "中" if failed and self.rng.random() < 0.4 else self.rng.choice(("无", "无", "无", "低"))
        self._apply(
            self._lead,
            "follow_up",
            held_on=day.isoformat(),
            method=self.rng.choice(("电话", "上门", "电话", "当面")),
            visitor=self.name(self._lead),
            performance="不适用" if failed else "全部履行",
            satisfaction=satisfaction,
            risk=risk,
            actions="提醒当事人依法通过诉讼途径解决，防止矛盾激化。" if risk == "中" else "",
        )

    def _evaluate(self, day: date) -> None:
        score = self.rng.choices(("5", "4", "3", "2"), (70, 22, 6, 2))[0]
        self._apply(
            self.desk.window,
            "evaluate",
            source="回访评价",
            score=score,
            comment={
                "5": "调解员耐心细致，问题解决得好。",
                "4": "比较满意。",
                "3": "处理时间较长。",
                "2": "对结果不太满意。",
            }[score],
        )

    def _evaluation_online(self, day: date) -> None:
        loop.add_record(
            self.db,
            self.who(self.desk.window),
            self.case,
            "evaluation",
            {
                "source": self.rng.choice(("网上评价", "现场评价")),
                "score": self.rng.choice(("5", "5", "4")),
                "comment": "感谢调解员。",
            },
        )


def _place_of(org_name: str) -> str:
    return org_name.replace("人民调解委员会", "").replace("清溪县", "").replace("调解工作室", "")
