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

The parts: `plans` (what each case will be), `people` (applicants, respondents and their ID
numbers), `desks` (who acts for each organisation), `clock` (the back-dating hook), `player` (the
steps that drive the services) and `data` (names, places and wording).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.cases.models import Case, CaseState, Transfer
from portal.db import transaction
from portal.demo_cases.clock import TZ
from portal.demo_cases.people import resident_id, uscc
from portal.demo_cases.plans import MARKER_TITLE, plan_cases
from portal.demo_cases.player import Player
from portal.orgs.models import Organisation

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
        states = "、".join(
            f"{S(k).label} {v}" for k, v in sorted(self.states.items(), key=lambda kv: list(S).index(S(kv[0])))
        )
        moves = "、".join(f"{k} {v}" for k, v in sorted(self.transfers.items()))
        return f"演示案件：新建 {self.created} 件（{self.seconds:.1f} 秒）。状态：{states}。移送：{moves}。"


def already_built(db: Session) -> bool:
    county = db.exec(select(Organisation).where(Organisation.name == "清溪县社会矛盾纠纷调处化解中心")).first()
    if county is None:
        return False
    return db.exec(select(Case.id).where(Case.org_id == county.id, Case.title == MARKER_TITLE)).first() is not None


def build_demo_cases(
    engine: Engine, *, count: int = 300, seed: int = 2026, today: date | None = None
) -> DemoCasesReport:
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
