"""Planning the demo cases: each case's route through the tiers, final state, steps and dates, drawn from a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.cases.models import CaseState
from portal.demo_cases import data
from portal.demo_cases.desks import PROFESSIONAL_FOR, TOWNSHIP_OF, VILLAGE_OF_GRID
from portal.demo_cases.people import Someone, make_person

MARKER_TITLE = "清溪县鑫达建筑劳务有限公司拖欠胡建国等十二名农民工工资纠纷"
S = CaseState

# route: (weight, where it is registered, dispute types it typically carries)
ROUTES: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    "grid_local": (12, ("dm.1", "dk.1", "xl.2", "wc.1"), ("0201", "0202", "99", "0101", "06")),
    "grid_up": (16, ("dm.1", "dk.1", "xl.2", "wc.1"), ("0201", "0301", "0701", "0102", "15")),
    "village": (
        64,
        ("dm", "ng", "dk", "th", "sp", "ll", "xl", "lt"),
        ("0101", "0102", "0201", "0202", "0301", "0701", "0702", "06", "99", "04"),
    ),
    "village_up": (16, ("dm", "dk", "th", "sp"), ("0301", "0701", "0103", "08", "0702")),
    "township": (
        52,
        ("cg", "hk", "ty", "bs"),
        ("0302", "04", "05", "06", "0701", "08", "09", "15", "1001", "12", "0102"),
    ),
    "county_down": (8, ("county",), ("08", "09", "0701", "1001")),
    "county": (28, ("county",), ("04", "05", "08", "1001", "0103", "17", "12", "09")),
    "petition": (18, ("xf",), ("08", "0701", "1001", "0301", "09")),
    "court": (20, ("fy",), ("13", "14", "1001", "1002")),
    "professional": (42, ("yt", "jt", "ld"), ()),
    "studio": (16, ("studio",), ("0101", "0102", "0201", "0301", "06", "0103")),
}
CHANNEL_OF_ROUTE = {
    "grid_local": ("网格员上报",),
    "grid_up": ("网格员上报",),
    "petition": ("信访移交",),
    "court": ("法院委派/委托",),
    "county_down": ("来访", "来信", "部门移送"),
}
PLAIN_CHANNELS = ("来访",) * 6 + ("电话",) * 2 + ("来信", "网络", "主动排查", "公安移交", "部门移送", "检察院移送")

# Final states, weighted: most cases finished, some open, a few refused.
STATE_WEIGHTS = {
    S.EVALUATED: 100,
    S.FOLLOWED_UP: 34,
    S.CLOSED: 40,
    S.PERFORMING: 12,
    S.CONFIRMING: 6,
    S.AGREED: 6,
    S.FAILED: 8,
    S.MEDIATING: 22,
    S.INVESTIGATING: 10,
    S.ACCEPTED: 10,
    S.REGISTERED: 14,
    S.REFUSED: 8,
}
# Plans that must exist whatever the count: (route, final state, variant).
REQUIRED = [
    ("county", S.EVALUATED, "marker"),
    ("petition", S.EVALUATED, ""),
    ("petition", S.CLOSED, ""),
    ("petition", S.REFUSED, ""),
    ("court", S.EVALUATED, ""),
    ("court", S.FOLLOWED_UP, "returned"),
    ("court", S.REGISTERED, "awaiting"),
    ("grid_up", S.EVALUATED, ""),
    ("grid_up", S.REGISTERED, "sent"),
    ("village_up", S.EVALUATED, ""),
    ("village_up", S.CLOSED, "returned"),
    ("county_down", S.FOLLOWED_UP, ""),
    ("grid_local", S.EVALUATED, ""),
    ("studio", S.EVALUATED, ""),
    ("professional", S.PERFORMING, ""),
    ("township", S.CONFIRMING, ""),
    ("township", S.AGREED, ""),
    ("village", S.FAILED, ""),
    ("village", S.MEDIATING, "overdue"),
    ("township", S.INVESTIGATING, ""),
    ("township", S.ACCEPTED, ""),
    ("village", S.REGISTERED, ""),
    ("township", S.REFUSED, ""),
    ("county", S.CLOSED, "late"),
    ("professional", S.EVALUATED, "confirmed"),
]


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
        "grid_up": VILLAGE_OF_GRID.get(start, start),
        "village_up": TOWNSHIP_OF.get(start, "cg"),
        "county_down": rng.choice(("cg", "hk", "ty", "bs")),
        "petition": rng.choice(("cg", "hk", "ty", "bs")),
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
    elif (plan.state is S.INVESTIGATING or rng.random() < 0.45) and plan.route != "village_up":
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
        confirm = (
            plan.state is S.CONFIRMING
            or plan.variant == "confirmed"
            or (plan.state in (S.PERFORMING, S.CLOSED, S.FOLLOWED_UP, S.EVALUATED) and rng.random() < 0.12)
        )
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
    _add_spike(random.Random(seed + 1), plans, today)
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
        someone = make_person(
            rng, today, rng.choice(("河口镇渡口村", "城关街道东门社区", "桃源镇杏林村", "白沙乡沙坪村")), min_age=35
        )
        for plan in recent[: rng.choice((2, 2, 3))]:
            plan.applicant = someone
            recent.remove(plan)


SPIKE = ("dk", "0701", 6)  # where, which dispute type, how many


def _add_spike(rng: random.Random, plans: list[Plan], today: date) -> None:
    """Last month the re-survey of contract land at 渡口村 brought six boundary disputes (土地承包纠纷) at once, where
    one every few months is usual: the early warning (portal.alerts) has a spike to explain. Six open village cases
    drawn at random become these, so the count and the mix of states stay as planned."""
    where, code, count = SPIKE
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    candidates = [
        p
        for p in plans[len(REQUIRED) :]
        if p.route == "village"
        and not p.variant
        and p.applicant is None
        and p.state in (S.ACCEPTED, S.INVESTIGATING, S.MEDIATING)
    ]
    if len(candidates) < count:
        return
    scenario = next(s for s in data.SCENARIOS if s[0] == code)
    for plan in candidates[-count:]:
        latest = today - timedelta(days=1 + plan.steps[-1][0])
        received = min(last_month + timedelta(days=rng.randint(1, 14)), latest)
        if received < last_month:
            continue
        plan.start = plan.handler = where
        plan.dispute_type, plan.scenario, plan.received = code, scenario, received
        plan.channel = rng.choice(("来访", "主动排查", "网格员上报"))
