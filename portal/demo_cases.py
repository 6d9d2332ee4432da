"""Demo case history: ~300 cases over the demo county, driven through the real case services.

`build_demo_cases` plans every case first (route through the tiers, final state, dates), then plays
it through `service.intake`, `loop.apply`/`add_record`/`assign_mediator` and `transfers`, each step
acted by the demo person who would do it (clerks register and accept, mediators mediate and record,
directors sign transfers off). The services stamp "now" on what they write; a simulated clock (a
`before_flush` hook on the session) back-dates each step's timeline events, records, transfers and
the case's timestamps, and the date fields the services set to today (accepted_on and its deadline)
are moved to the step's day, so the history reads as if it had happened over the last ~14 months.
Audit entries keep their real time: they are hash-chained and say truthfully when the demo was built.

Deterministic for a seed; idempotent (the first planned case, at the county centre, is the marker);
everything in one transaction.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal import demo_cases_data as data
from portal.cases import loop, service, transfers
from portal.cases.models import Case, CaseEvent, CaseRecord, CaseState, Transfer
from portal.cases.parties import PartyForm
from portal.db import transaction, utcnow
from portal.demo import org_specs
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import Principal, load_principal

TZ = ZoneInfo("Asia/Shanghai")
DEADLINES = loop.Deadlines()
ANSWER_DAYS = 7
MARKER_TITLE = "清溪县鑫达建筑劳务有限公司拖欠胡建国等十二名农民工工资纠纷"
S = CaseState


@dataclass
class DemoCasesReport:
    created: int = 0
    existing: bool = False
    seconds: float = 0.0
    states: Counter = field(default_factory=Counter)
    transfers: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        if self.existing:
            return "演示案件：已存在，未重复生成。"
        states = "、".join(f"{S(k).label} {v}" for k, v in sorted(self.states.items(), key=lambda kv: list(S).index(S(kv[0]))))
        moves = "、".join(f"{k} {v}" for k, v in sorted(self.transfers.items()))
        return f"演示案件：新建 {self.created} 件（{self.seconds:.1f} 秒）。状态：{states}。移送：{moves}。"


# --- who works where ------------------------------------------------------------------------
@dataclass(frozen=True)
class Desk:
    """The demo people who act for one organisation."""

    intake: str  # registers cases
    window: str  # accepts/refuses, assigns mediators, answers transfers (clerk or director)
    signer: str  # signs transfer letters off (a director over the organisation)
    mediators: tuple[str, ...]


DESKS: dict[str, Desk] = {
    "county": Desk("qx.clerk", "qx.clerk", "qx.director", ("qx.mediator1", "qx.mediator2", "qx.director")),
    "xf": Desk("xf.clerk", "xf.clerk", "qx.director", ("xf.mediator",)),
    "fy": Desk("fy.clerk", "fy.clerk", "qx.director", ("fy.mediator",)),
    "yt": Desk("yt.director", "yt.director", "yt.director", ("yt.mediator", "yt.director")),
    "jt": Desk("jt.mediator", "qx.clerk", "qx.director", ("jt.mediator",)),
    "ld": Desk("ld.mediator", "qx.clerk", "qx.director", ("ld.mediator",)),
    "studio": Desk("studio.zhou", "qx.clerk", "qx.director", ("studio.zhou",)),
    "cg": Desk("cg.clerk", "cg.clerk", "cg.director", ("cg.mediator", "cg.director")),
    "hk": Desk("hk.clerk", "hk.clerk", "hk.director", ("hk.mediator",)),
    "ty": Desk("ty.clerk", "ty.clerk", "ty.director", ("ty.mediator",)),
    "bs": Desk("bs.clerk", "bs.clerk", "bs.director", ("bs.mediator",)),
    "dm": Desk("dm.director", "dm.director", "dm.director", ("dm.director", "cg.supervisor")),
    "ng": Desk("ng.mediator", "cg.clerk", "cg.director", ("ng.mediator",)),
    "dk": Desk("dk.director", "dk.director", "dk.director", ("dk.director",)),
    "th": Desk("th.director", "th.director", "th.director", ("th.director",)),
    "sp": Desk("sp.director", "sp.director", "sp.director", ("sp.director",)),
    "wc": Desk("cg.clerk", "cg.clerk", "cg.director", ("cg.mediator",)),
    "ll": Desk("hk.clerk", "hk.clerk", "hk.director", ("hk.mediator",)),
    "xl": Desk("ty.clerk", "ty.clerk", "ty.director", ("ty.mediator",)),
    "lt": Desk("bs.clerk", "bs.clerk", "bs.director", ("bs.mediator",)),
    "dm.1": Desk("dm.grid1", "dm.director", "dm.director", ("dm.grid1",)),
    "wc.1": Desk("wc.grid1", "cg.clerk", "cg.director", ("wc.grid1",)),
    "dk.1": Desk("dk.grid1", "dk.director", "dk.director", ("dk.grid1",)),
    "xl.2": Desk("xl.grid2", "ty.clerk", "ty.director", ("xl.grid2",)),
}
TOWNSHIP_OF = {"dm": "cg", "ng": "cg", "wc": "cg", "dk": "hk", "ll": "hk", "th": "ty", "xl": "ty", "sp": "bs", "lt": "bs",
               "dm.1": "dm", "wc.1": "cg", "dk.1": "dk", "xl.2": "ty"}
VILLAGE_OF_GRID = {"dm.1": "dm", "wc.1": "wc", "dk.1": "dk", "xl.2": "xl"}
PROFESSIONAL_FOR = {"13": "yt", "14": "jt", "1001": "ld", "1002": "ld"}

# route: (weight, where it is registered, dispute types it typically carries)
ROUTES: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    "grid_local": (12, ("dm.1", "dk.1", "xl.2", "wc.1"), ("0201", "0202", "99", "0101", "06")),
    "grid_up": (16, ("dm.1", "dk.1", "xl.2", "wc.1"), ("0201", "0301", "0701", "0102", "15")),
    "village": (64, ("dm", "ng", "dk", "th", "sp", "ll", "xl", "lt"), ("0101", "0102", "0201", "0202", "0301", "0701", "0702", "06", "99", "04")),
    "village_up": (16, ("dm", "dk", "th", "sp"), ("0301", "0701", "0103", "08", "0702")),
    "township": (52, ("cg", "hk", "ty", "bs"), ("0302", "04", "05", "06", "0701", "08", "09", "15", "1001", "12", "0102")),
    "county_down": (8, ("county",), ("08", "09", "0701", "1001")),
    "county": (28, ("county",), ("04", "05", "08", "1001", "0103", "17", "12", "09")),
    "petition": (18, ("xf",), ("08", "0701", "1001", "0301", "09")),
    "court": (20, ("fy",), ("13", "14", "1001", "1002")),
    "professional": (42, ("yt", "jt", "ld"), ()),
    "studio": (16, ("studio",), ("0101", "0102", "0201", "0301", "06", "0103")),
}
CHANNEL_OF_ROUTE = {"grid_local": ("网格员上报",), "grid_up": ("网格员上报",), "petition": ("信访移交",), "court": ("法院委派/委托",),
                    "county_down": ("来访", "来信", "部门移送")}
PLAIN_CHANNELS = ("来访",) * 6 + ("电话",) * 2 + ("来信", "网络", "主动排查", "公安移交", "部门移送", "检察院移送")

# Final states, weighted: most cases finished, some open, a few refused.
STATE_WEIGHTS = {S.EVALUATED: 100, S.FOLLOWED_UP: 34, S.CLOSED: 40, S.PERFORMING: 12, S.CONFIRMING: 6, S.AGREED: 6, S.FAILED: 8,
                 S.MEDIATING: 22, S.INVESTIGATING: 10, S.ACCEPTED: 10, S.REGISTERED: 14, S.REFUSED: 8}
# Plans that must exist whatever the count: (route, final state, variant).
REQUIRED = [
    ("county", S.EVALUATED, "marker"),
    ("petition", S.EVALUATED, ""), ("petition", S.CLOSED, ""), ("petition", S.REFUSED, ""),
    ("court", S.EVALUATED, ""), ("court", S.FOLLOWED_UP, "returned"), ("court", S.REGISTERED, "awaiting"),
    ("grid_up", S.EVALUATED, ""), ("grid_up", S.REGISTERED, "sent"),
    ("village_up", S.EVALUATED, ""), ("village_up", S.CLOSED, "returned"),
    ("county_down", S.FOLLOWED_UP, ""),
    ("grid_local", S.EVALUATED, ""), ("studio", S.EVALUATED, ""), ("professional", S.PERFORMING, ""),
    ("township", S.CONFIRMING, ""), ("township", S.AGREED, ""), ("village", S.FAILED, ""),
    ("village", S.MEDIATING, "overdue"), ("township", S.INVESTIGATING, ""), ("township", S.ACCEPTED, ""),
    ("village", S.REGISTERED, ""), ("township", S.REFUSED, ""), ("county", S.CLOSED, "late"),
    ("professional", S.EVALUATED, "confirmed"),
]


# --- people in the cases --------------------------------------------------------------------
def resident_id(rng: random.Random, born: date, male: bool, region: str | None = None) -> str:
    """A well-formed 18-digit 身份证 number (GB 11643 check digit) for a fictional person."""
    region = region or rng.choice(data.REGION_CODES)
    seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11]
    return body + check


def uscc(rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 (GB 32100 check character) for a fictional company."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = "91369921" + "".join(rng.choice(chars[:10] + "ABCDEFGH") for _ in range(9))
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


@dataclass
class Someone:
    name: str
    male: bool
    born: date
    id_number: str
    phone: str
    address: str
    ethnicity: str
    occupation: str

    def form(self, role: str) -> PartyForm:
        return PartyForm(role=role, name=self.name, sex="男" if self.male else "女", ethnicity=self.ethnicity, occupation=self.occupation,
                         id_type="resident_id", id_number=self.id_number, phone=self.phone, address=self.address)


def make_person(rng: random.Random, today: date, place: str, *, min_age: int = 20, max_age: int = 78) -> Someone:
    male = rng.random() < 0.55
    name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_MALE if male else data.GIVEN_FEMALE)
    born = today - timedelta(days=rng.randint(min_age * 365, max_age * 365))
    phone = rng.choice(("139", "138", "137", "136", "135", "158", "159", "188", "187", "151", "152", "182")) + f"{rng.randrange(10**8):08d}"
    address = f"清溪县{place}{rng.choice(data.STREETS)}{rng.randint(1, 188)}号" if "社区" in place or "街道" in place else f"清溪县{place}{rng.randint(1, 9)}组{rng.randint(1, 60)}号"
    return Someone(name, male, born, resident_id(rng, born, male), phone, address, rng.choice(data.ETHNICITIES), rng.choice(data.OCCUPATIONS))


# --- planning -------------------------------------------------------------------------------
@dataclass
class Plan:
    route: str
    state: CaseState
    variant: str
    start: str  # org key where the case is registered
    handler: str  # org key that finally handles it
    dispute_type: str
    scenario: tuple
    channel: str
    received: date = date.min
    steps: list[tuple[int, str]] = field(default_factory=list)  # (day offset, step name)
    applicant: Someone | None = None


def _scenario_for(rng: random.Random, dispute_type: str) -> tuple:
    exact = [s for s in data.SCENARIOS if s[0] == dispute_type]
    if exact:
        return rng.choice(exact)
    family = [s for s in data.SCENARIOS if s[0][:2] == dispute_type[:2]]
    return rng.choice(family or data.SCENARIOS)


def _plan(rng: random.Random, route: str, state: CaseState, variant: str) -> Plan:
    _, starts, types = ROUTES[route]
    start = rng.choice(starts)
    if route == "professional":
        start = rng.choice(("yt", "jt", "ld"))
        types = tuple(k for k, v in PROFESSIONAL_FOR.items() if v == start)
    dispute_type = rng.choice(types)
    if route == "court" and variant == "returned":
        dispute_type = rng.choice(("1001", "04"))
    handler = {
        "grid_up": VILLAGE_OF_GRID.get(start, start), "village_up": TOWNSHIP_OF.get(start, "cg"),
        "county_down": rng.choice(("cg", "hk", "ty", "bs")), "petition": rng.choice(("cg", "hk", "ty", "bs")),
        "court": PROFESSIONAL_FOR.get(dispute_type, "county"),
    }.get(route, start)
    if variant == "returned":
        handler = "county" if route == "court" else start
    channel = rng.choice(CHANNEL_OF_ROUTE.get(route, PLAIN_CHANNELS))
    if variant == "marker":
        dispute_type, channel = "1001", "来访"
    scenario = _scenario_for(rng, dispute_type)
    if variant == "marker":
        scenario = next(s for s in data.SCENARIOS if s[0] == "1001")
    return Plan(route, state, variant, start, handler, dispute_type, scenario, channel)


# The steps of the loop up to each final state; `_schedule` turns them into day offsets.
def _schedule(rng: random.Random, plan: Plan) -> None:
    steps: list[tuple[int, str]] = []
    day = 0

    def add(name: str, gap: tuple[int, int] = (0, 0)) -> None:
        nonlocal day
        day += rng.randint(*gap)
        steps.append((day, name))

    add("register")
    transfer_first = plan.route in ("grid_up", "petition", "court", "county_down")
    if transfer_first:
        add("send")
        if plan.state is S.REGISTERED and plan.variant == "awaiting":
            plan.steps = steps
            return
        add("sign", (0, 1))
        if plan.state is S.REGISTERED and plan.variant == "sent":
            plan.steps = steps
            return
        if plan.variant == "returned":
            add("return", (1, 4))
            add("resend", (1, 3))
            add("sign2", (0, 1))
        add("receive", (0, 3))
        if plan.state is S.REGISTERED:
            plan.steps = steps
            return
    if plan.state is S.REFUSED:
        add("refuse", (0, 3))
        plan.steps = steps
        return
    if plan.state is S.REGISTERED:
        plan.steps = steps
        return
    add("accept", (0, 2) if not transfer_first else (0, 1))
    add("assign")
    if plan.route == "village_up":
        add("investigate", (0, 2))
        add("investigation", (1, 4))
        add("send", (1, 5))
        add("sign", (0, 1))
        if plan.variant == "returned":
            add("return", (1, 4))
        else:
            add("receive", (0, 3))
            add("assign_here")
    elif plan.state is S.ACCEPTED:
        plan.steps = steps
        return
    elif plan.state is S.INVESTIGATING or rng.random() < 0.45:
        if plan.route != "village_up":
            add("investigate", (0, 2))
            add("investigation", (1, 5))
    if plan.state is S.INVESTIGATING:
        plan.steps = steps
        return
    add("mediate", (0, 4))
    add("session", (1, 6))
    if plan.state is S.MEDIATING:
        plan.steps = steps
        return
    fail = plan.state is S.FAILED or (plan.state in (S.CLOSED, S.FOLLOWED_UP, S.EVALUATED) and rng.random() < 0.12)
    if rng.random() < 0.4:
        add("session", (2, 8))
    if fail:
        add("fail")
        if plan.state is S.FAILED:
            plan.steps = steps
            return
        add("close", (0, 4))
    else:
        confirm = plan.state is S.CONFIRMING or plan.variant == "confirmed" or (
            plan.state in (S.PERFORMING, S.CLOSED, S.FOLLOWED_UP, S.EVALUATED) and rng.random() < 0.12)
        oral = not confirm and rng.random() < 0.3
        add("oral" if oral else "agreement")
        add("succeed")
        if plan.state is S.AGREED:
            plan.steps = steps
            return
        if confirm:
            add("apply_confirmation", (2, 12))
            if plan.state is S.CONFIRMING:
                plan.steps = steps
                return
            add("ruling", (5, 15))
        else:
            add("perform", (0, 2))
        if plan.state is S.PERFORMING:
            if rng.random() < 0.5:
                add("performance_partial", (1, 10))
            plan.steps = steps
            return
        add("performance", (1, 20))
        add("close", (0, 3))
    if plan.state is S.CLOSED:
        plan.steps = steps
        return
    add("follow_up", (1, 7) if rng.random() < 0.9 else (1, 6))
    if plan.state is S.FOLLOWED_UP:
        plan.steps = steps
        return
    add("evaluate", (0, 5))
    if rng.random() < 0.3:
        add("evaluation_online", (0, 10))
    plan.steps = steps


def _received(rng: random.Random, plan: Plan, today: date) -> date:
    """The day received: old for finished cases, recent for open ones, late for overdue ones."""
    last = plan.steps[-1][0]
    latest = today - timedelta(days=1 + last)
    accept_offset = next((d for d, n in plan.steps if n == "accept"), None)
    if plan.variant == "marker":
        return today - timedelta(days=420)
    if plan.state in (S.ACCEPTED, S.INVESTIGATING, S.MEDIATING):
        # accepted on today - 1 - span - slack; the mediation deadline (30 days) is missed when that is > 30 days ago
        overdue = plan.variant == "overdue" or rng.random() < 0.35
        span = last - (accept_offset or 0)
        floor = max(0, 30 - span) + 1
        slack = rng.randint(floor, floor + 80) if overdue else rng.randint(0, max(0, 27 - span))
        return latest - timedelta(days=slack)
    if plan.state is S.REGISTERED:
        return latest - timedelta(days=rng.randint(0, 6))
    if plan.state is S.CLOSED:
        # half of them late for their follow-up (closed more than 7 days ago, not visited)
        late = plan.variant == "late" or rng.random() < 0.5
        return latest - timedelta(days=rng.randint(9, 45) if late else rng.randint(0, 5))
    if plan.state in (S.AGREED, S.CONFIRMING, S.PERFORMING, S.FAILED):
        return latest - timedelta(days=rng.randint(0, 40))
    oldest = today - timedelta(days=425)
    room = max(0, (latest - oldest).days)
    return latest - timedelta(days=int(room * rng.random() ** 0.9))


def plan_cases(count: int, seed: int, today: date) -> list[Plan]:
    rng = random.Random(seed)
    wanted = list(REQUIRED[:count])
    routes = list(ROUTES)
    route_weights = [ROUTES[r][0] for r in routes]
    states, state_weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    while len(wanted) < count:
        route = rng.choices(routes, route_weights)[0]
        state = rng.choices(states, state_weights)[0]
        variant = ""
        if route in ("village_up", "court") and rng.random() < 0.15 and state not in (S.REGISTERED, S.REFUSED):
            variant = "returned"
        if route in ("grid_up", "petition", "court", "county_down") and state is S.REGISTERED:
            variant = rng.choice(("awaiting", "sent", ""))
        if route == "village_up" and state in (S.REGISTERED, S.REFUSED, S.ACCEPTED):
            route = "village"
        wanted.append((route, state, variant))
    plans = []
    for route, state, variant in wanted:
        plan = _plan(rng, route, state, variant)
        _schedule(rng, plan)
        plan.received = _received(rng, plan, today)
        plans.append(plan)
    _add_repeat_petitioners(rng, plans, today)
    plans[1:] = sorted(plans[1:], key=lambda p: p.received)  # the marker first, then in order received
    return plans


def _add_repeat_petitioners(rng: random.Random, plans: list[Plan], today: date) -> None:
    """A dozen people who come back: each is the applicant of 2–3 recent cases."""
    recent = [p for p in plans[1:] if (today - p.received).days < 170 and p.scenario[2] != "hospital"]
    rng.shuffle(recent)
    people = max(2, min(12, len(recent) // 6))
    for _ in range(people):
        if len(recent) < 2:
            break
        someone = make_person(rng, today, rng.choice(("河口镇渡口村", "城关街道东门社区", "桃源镇杏林村", "白沙乡沙坪村")), min_age=35)
        for plan in recent[: rng.choice((2, 2, 3))]:
            plan.applicant = someone
            recent.remove(plan)


# --- playing a plan through the services ----------------------------------------------------
class Clock:
    """The simulated time the session hook stamps on what a step writes."""

    def __init__(self, real_start: datetime) -> None:
        self.real_start = real_start
        self.now = real_start

    def at(self, day: date, rng: random.Random) -> None:
        local = datetime(day.year, day.month, day.day, 8, 30, tzinfo=TZ) + timedelta(minutes=rng.randint(0, 480))
        planned = local.astimezone(UTC)
        self.now = max(planned, self.now + timedelta(minutes=rng.randint(3, 40)))
        if self.now >= self.real_start:
            self.now = self.real_start - timedelta(seconds=1)

    def start_case(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 0, 0, tzinfo=TZ).astimezone(UTC)


def _install_clock(session: Session, clock: Clock) -> None:
    @event.listens_for(session, "before_flush")
    def _stamp(db: Session, _context, _instances) -> None:  # noqa: ANN001
        now = clock.now
        for obj in db.new:
            if isinstance(obj, CaseEvent):
                obj.at = now
            elif isinstance(obj, CaseRecord):
                obj.created_at = now
            elif isinstance(obj, Case):
                obj.created_at = obj.updated_at = now
            elif isinstance(obj, Transfer):
                obj.created_at = now
        for obj in db.dirty:
            if isinstance(obj, Case):
                obj.updated_at = now
            elif isinstance(obj, Transfer):
                for name in ("sent_at", "answered_at", "fed_back_at"):
                    value = getattr(obj, name)
                    if value is not None and value >= clock.real_start:
                        setattr(obj, name, now)


class Player:
    def __init__(self, db: Session, rng: random.Random, today: date) -> None:
        self.db, self.rng, self.today = db, rng, today
        self.clock = Clock(utcnow())
        _install_clock(db, self.clock)
        names = {spec.key: spec for spec in org_specs()}
        by_parent_name = {(o.parent_id, o.name): o for o in db.exec(select(Organisation))}
        self.orgs: dict[str, Organisation] = {}
        for key, spec in names.items():
            parent = self.orgs.get(spec.parent_key) if spec.parent_key else None
            self.orgs[key] = by_parent_name[(parent.id if parent else None, spec.name)]
        self.people = {p.username: p for p in db.exec(select(Person))}
        self._principals: dict[str, Principal] = {}

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
        fmt = {"a": applicant.name, "b": respondent, "place": place, "amt": f"{amount:,}" if amount else "",
               "amt_part": f"{(amount or 2000) // 10:,}", "people": people}
        self.fmt = fmt
        title = MARKER_TITLE if plan.variant == "marker" else (
            f"{fmt['b']}拖欠{applicant.name}等{people}人工资纠纷" if code == "1001" else f"{applicant.name}与{respondent}{topic}纠纷")
        forms = [applicant.form("申请人"), respondent_form]
        if rng.random() < 0.12 and respondent_kind == "person":
            third = make_person(rng, self.today, place)
            forms.append(third.form("第三人"))
        if respondent_kind in ("hospital", "employer") and rng.random() < 0.5:
            agent = make_person(rng, self.today, place, max_age=60)
            forms.append(PartyForm(role="代理人", name=agent.name, sex="男" if agent.male else "女", occupation="律师", phone=agent.phone))
        start_org = self.orgs[plan.start]
        form = service.CaseForm(title=title[:120], channel=plan.channel, dispute_type=plan.dispute_type, summary=summary.format(**fmt),
                                requests=requests.format(**fmt), amount=str(amount or ""), people_involved=str(people),
                                group_dispute="1" if people >= 10 else "", risk_flag="1" if (people >= 10 or code in ("08", "13") and rng.random() < 0.4) else "",
                                received_on=plan.received.isoformat(), org_id=str(start_org.id))
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
        pool = {"hospital": data.HOSPITALS, "employer": data.EMPLOYERS, "insurer": data.INSURERS, "property": data.PROPERTY_FIRMS,
                "shop": data.SHOPS}.get(kind)
        if plan.variant == "marker":
            pool = (data.EMPLOYERS[0],)
        if pool:
            name = rng.choice(pool)
            return name, PartyForm(role="被申请人", kind="legal", name=name, id_type="uscc", id_number=uscc(rng),
                                   phone=f"0369-{rng.randint(6000000, 6999999)}", address=f"清溪县{rng.choice(data.STREETS)}{rng.randint(1, 300)}号")
        other = make_person(rng, self.today, _place_of(self.orgs[plan.start].name))
        if rng.random() < 0.25:  # not everyone brings an identity card
            return other.name, PartyForm(role="被申请人", name=other.name, sex="男" if other.male else "女", phone=other.phone, address=other.address)
        return other.name, other.form("被申请人")

    def _apply(self, who: str, action: str, **fields: str) -> None:
        loop.apply(self.db, self.who(who), self.case, action, {"version": str(self.case.version), **fields}, deadlines=DEADLINES)

    @property
    def desk(self) -> Desk:
        return DESKS[self.here]

    # -- steps -------------------------------------------------------------------------------
    def _letter(self, kind: str, target: Organisation) -> str:
        case = self.case
        head = {"访调对接": "信访事项移交人民调解函", "诉调对接": "诉前委派调解函", "上报": "矛盾纠纷上报单", "交办": "矛盾纠纷交办单"}.get(kind, "移送函")
        return (f"【{head}】{target.name}：\n现将{case.title}（{case.number}）移送你单位调解。纠纷简要情况：{case.summary}"
                f"\n当事人请求：{case.requests}\n附送材料：登记表、当事人身份证明复印件。请在 {ANSWER_DAYS} 日内答复。")

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
        self.transfer = transfers.create(self.db, self.who(sender), self.case, to_org_id=str(target.id), kind=kind,
                                         letter=self._letter(kind, target))
        self.target_key = target_key

    def _sign(self, day: date) -> None:
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
        loop.assign_mediator(self.db, self.who(self.desk.window), self.case, self.people[self._lead].id, choices=choices, lead=True)
        if self.rng.random() < 0.2 and len(self.desk.mediators) > 1:
            second = next(m for m in self.desk.mediators if m != self._lead)
            loop.assign_mediator(self.db, self.who(self.desk.window), self.case, self.people[second].id, choices=choices)

    def _assign_here(self, day: date) -> None:
        choices = service.mediator_choices(self.db, self.case)
        self._lead = self.rng.choice(self.desk.mediators)
        loop.assign_mediator(self.db, self.who(self.desk.window), self.case, self.people[self._lead].id, choices=choices, lead=True)

    def _investigate(self, day: date) -> None:
        self._apply(self._lead, "investigate")

    def _investigation(self, day: date) -> None:
        loop.add_record(self.db, self.who(self._lead), self.case, "investigation", {
            "held_on": day.isoformat(), "place": self._place(), "investigators": self.name(self._lead),
            "respondents": f"{self.fmt['a']}、{self.fmt['b']}及知情人", "content": self.plan.scenario[6].format(**self.fmt)})

    def _place(self) -> str:
        tier = "county" if self.here in ("county", "xf", "fy", "yt", "jt", "ld", "studio") else "township" if self.here in ("cg", "hk", "ty", "bs") else "village"
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
            result = "双方初步表达和解意愿，约定下次继续协商。" if len(self.plan.steps) > 8 else "双方各自陈述意见，调解员释法明理。"
        else:
            content = f"第{self._sessions}次调解：调解员就上次争议焦点再次组织双方协商，{fmt['a']}与{fmt['b']}均到场。"
            result = "双方意见趋于一致。"
        experts = "市医学会专家（医疗纠纷专家库）" if self.plan.dispute_type == "13" else ""
        helpers = self.rng.choice(("", "", "村（居）委会干部", "乡贤", "法律顾问", "当事人亲属"))
        loop.add_record(self.db, self.who(self._lead), self.case, "mediation", {
            "held_on": day.isoformat(), "place": self._place(), "mediators": self.name(self._lead),
            "parties_present": f"{fmt['a']}、{fmt['b']}", "helpers": helpers, "experts": experts, "content": content, "result": result})

    def _agreement(self, day: date) -> None:
        fmt = self.fmt
        loop.add_record(self.db, self.who(self._lead), self.case, "agreement", {
            "facts": self.case.summary, "responsibilities": "双方在调解员主持下，本着互谅互让的原则，对各自责任予以确认。",
            "terms": self.plan.scenario[8].format(**fmt), "performance_method": self.rng.choice(("当场履行", "银行转账", "分期履行")),
            "performance_deadline": self.rng.choice(("协议签订之日", "协议签订后十日内", "协议签订后一个月内")),
            "performance_place": self._place(), "copies": "3", "signed_on": day.isoformat()})

    def _oral(self, day: date) -> None:
        loop.add_record(self.db, self.who(self._lead), self.case, "oral_agreement", {
            "facts": self.case.summary[:200], "terms": self.plan.scenario[8].format(**self.fmt), "performance_method": "当场履行",
            "performance_deadline": "即日", "signed_on": day.isoformat()})

    def _succeed(self, day: date) -> None:
        self._apply(self._lead, "succeed")

    def _fail(self, day: date) -> None:
        self._apply(self._lead, "fail", reason=self.plan.scenario[9].format(**self.fmt),
                    routes="已告知当事人可向人民法院起诉，或向有关行政机关、仲裁机构申请处理。")

    def _apply_confirmation(self, day: date) -> None:
        self._apply(self._lead, "apply_confirmation", court=data.COURTS[0], applied_on=day.isoformat())

    def _ruling(self, day: date) -> None:
        self._apply(self._lead, "record_ruling", ruled_on=day.isoformat(), result="确认协议有效",
                    ruling_number=f"（{day.year}）云2199民特{self.rng.randint(10, 999)}号")

    def _perform(self, day: date) -> None:
        self._apply(self._lead, "perform")

    def _performance(self, day: date, status: str = "全部履行") -> None:
        method = "银行转账" if self.case.amount else "当面"
        loop.add_record(self.db, self.who(self._lead), self.case, "performance", {
            "performed_on": day.isoformat(), "status": status,
            "details": "各方已按协议约定履行完毕。" if status == "全部履行" else "已履行第一期，剩余部分按约定期限履行。",
            "receipts": f"{method}凭证、收条各一份"})

    def _performance_partial(self, day: date) -> None:
        self._performance(day, "部分履行")

    def _close(self, day: date) -> None:
        result = "调解成功，协议已履行完毕" if self.case.outcome != "failed" else "调解不成，已告知当事人其他救济途径"
        self._apply(self._lead, "close", closed_on=day.isoformat(), summary=f"本案{result}，予以结案。")

    def _follow_up(self, day: date) -> None:
        failed = self.case.outcome == "failed"
        satisfaction = self.rng.choices(("满意", "基本满意", "不满意"), (75, 20, 5))[0]
        risk = "中" if failed and self.rng.random() < 0.4 else self.rng.choice(("无", "无", "无", "低"))
        self._apply(self._lead, "follow_up", held_on=day.isoformat(), method=self.rng.choice(("电话", "上门", "电话", "当面")),
                    visitor=self.name(self._lead), performance="不适用" if failed else "全部履行", satisfaction=satisfaction, risk=risk,
                    actions="提醒当事人依法通过诉讼途径解决，防止矛盾激化。" if risk == "中" else "")

    def _evaluate(self, day: date) -> None:
        score = self.rng.choices(("5", "4", "3", "2"), (70, 22, 6, 2))[0]
        self._apply(self.desk.window, "evaluate", source="回访评价", score=score,
                    comment={"5": "调解员耐心细致，问题解决得好。", "4": "比较满意。", "3": "处理时间较长。", "2": "对结果不太满意。"}[score])

    def _evaluation_online(self, day: date) -> None:
        loop.add_record(self.db, self.who(self.desk.window), self.case, "evaluation", {
            "source": self.rng.choice(("网上评价", "现场评价")), "score": self.rng.choice(("5", "5", "4")), "comment": "感谢调解员。"})


def _place_of(org_name: str) -> str:
    return org_name.replace("人民调解委员会", "").replace("清溪县", "").replace("调解工作室", "")


def already_built(db: Session) -> bool:
    county = db.exec(select(Organisation).where(Organisation.name == "清溪县社会矛盾纠纷调处化解中心")).first()
    if county is None:
        return False
    return db.exec(select(Case.id).where(Case.org_id == county.id, Case.title == MARKER_TITLE)).first() is not None


def build_demo_cases(engine: Engine, *, count: int = 300, seed: int = 2026, today: date | None = None) -> DemoCasesReport:
    """Play `count` planned cases through the services as the demo people, in one transaction."""
    started = time.perf_counter()
    report = DemoCasesReport()
    today = today or datetime.now(TZ).date()
    with transaction(engine) as db:
        if already_built(db):
            report.existing = True
            return report
        rng = random.Random(seed)
        player = Player(db, rng, today)
        for plan in plan_cases(count, seed, today):
            case = player.play(plan)
            report.created += 1
            report.states[case.state.value] += 1
        db.flush()
        for kind, state in db.exec(select(Transfer.kind, Transfer.state)):
            report.transfers[f"{kind}·{getattr(state, 'label', state)}"] += 1
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["MARKER_TITLE", "DemoCasesReport", "build_demo_cases", "plan_cases", "resident_id", "uscc"]
