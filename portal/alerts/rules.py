"""Rule alerts beside the statistics (DOMAIN §8): group disputes, risk-flagged cases, repeat petitioners, overdue
transfers and follow-ups.

Group and risk-flagged cases are those received in the month. The conditions are the case list's (FLAGS), so that
an alert's link lists exactly the cases it counted. The other three describe the present (a case open
now, a transfer unanswered today), so they are judged as of today, and only in the current month's list: a past
month's state cannot be read back from the cases.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from portal.alerts.alert import Alert, place_key
from portal.alerts.cells import Area, Place
from portal.alerts.months import Month
from portal.cases.access import visible_condition
from portal.cases.ids import mask_id
from portal.cases.models import OPEN_STATES, Case, Party, Transfer, TransferState
from portal.cases.service import FLAGS
from portal.db import one_of
from portal.scope import Principal, prefix_pattern

MAX_IDS = 200  # an alert listing its cases by id links to at most this many


def _per_place(area: Area, rows: Iterable) -> dict[Place, list]:  # noqa: ANN401
    """Rows whose first column is a case's org_path, grouped by place (in the area's order of places)."""
    grouped: dict[Place, list] = defaultdict(list)
    for row in rows:
        grouped[area.place_of(row[0])].append(row)
    return {place: grouped[place] for place in area.places.values() if place in grouped}


def _place_alert(
    rule: str, level: str, month: Month, place: Place, observed: int, texts: tuple[str, str, str], case_filter: dict
) -> Alert:
    """A rule alert about one place, raised by a single case; `texts`: what was observed, the baseline, the rule."""
    return Alert(
        key=f"{rule}:{month}:{place_key(place)}",
        rule=rule,
        level=level,
        month=month,
        place=place,
        subject=place.label,
        observed=observed,
        observed_text=texts[0],
        baseline_text=texts[1],
        rule_text=texts[2],
        threshold=1,
        case_filter=case_filter,
    )


def _in_month(month: Month):  # noqa: ANN202
    return (Case.received_on >= month.first) & (Case.received_on <= month.last)


def flagged(db: Session, principal: Principal, area: Area, month: Month) -> list[Alert]:
    """Group disputes (群体性, red) and the other risk-flagged cases (防激化, yellow) received in the month: one alert
    per rule and place, from one statement. A group dispute flagged at risk too is counted once, as a group dispute."""
    rules = (("group", "red", "群体性纠纷"), ("risk", "yellow", "标记防激化风险的案件"))
    conditions = [FLAGS[rule][1](month.last) for rule, _, _ in rules]
    place = area.place_column(db)
    sums = [func.sum(case((c, value), else_=0)) for c in conditions for value in (1, Case.people_involved)]
    rows = db.exec(
        select(place, *sums)
        .where(area.cases(db, principal, narrower=True), _in_month(month), or_(*conditions))
        .group_by(place)
    ).all()
    alerts = []
    for (rule, level, what), at in zip(rules, (1, 3), strict=True):
        for row in sorted(rows, key=lambda r: list(area.places).index(area.place_at(r[0]).org_id)):
            count, people = row[at], row[at + 1]
            if not count:
                continue
            where = area.place_at(row[0])
            texts = (
                f"{month.label}收到{what} {count} 件，涉及 {people} 人",
                "不与基线比较：每一件都要研判",
                f"收到{what}即预警（≥ 1 件）" + ("；群体性纠纷另列" if rule == "risk" else ""),
            )
            dates = {"date_from": str(month.first), "date_to": str(month.last)}
            alerts.append(
                _place_alert(rule, level, month, where, count, texts, {**where.case_filter(), "flag": rule, **dates})
            )
    return alerts


def overdue_followups(db: Session, principal: Principal, area: Area, month: Month, today: date) -> list[Alert]:
    """Closed cases whose follow-up visit (回访) is past its deadline today: one alert per place."""
    rows = db.exec(
        select(Case.org_path, func.count(), func.min(Case.followup_due_on))
        .where(area.cases(db, principal, narrower=True), FLAGS["followup"][1](today))
        .group_by(Case.org_path)
    ).all()
    alerts = []
    for place, found in _per_place(area, rows).items():
        count, oldest = sum(r[1] for r in found), min(r[2] for r in found)
        texts = (
            f"截至 {today}，{count} 件已结案案件回访逾期，最早应于 {oldest} 回访",
            "结案后应在回访期限内回访",
            "回访期限已过仍未回访即预警（≥ 1 件）",
        )
        alerts.append(
            _place_alert("followup", "yellow", month, place, count, texts, {**place.case_filter(), "flag": "followup"})
        )
    return alerts


def overdue_transfers(db: Session, principal: Principal, area: Area, month: Month, today: date) -> list[Alert]:
    """Transfers awaiting an answer past their deadline today, to or from the area: one alert per place (the
    receiver's when it lies in the area, else the sender's)."""
    inside = prefix_pattern(area.path)
    rows = db.exec(
        select(Transfer.to_path, Transfer.from_path, Transfer.case_id, col(Transfer.answer_due_on))
        .join(Case, Case.id == Transfer.case_id)
        .where(
            visible_condition(principal, db),
            Transfer.state == TransferState.SENT,
            col(Transfer.answer_due_on) < today,
            Transfer.to_path.like(inside) | Transfer.from_path.like(inside),
        )
    ).all()
    placed = ((to if to.startswith(area.path) else sender, case_id, due) for to, sender, case_id, due in rows)
    alerts = []
    for place, found in _per_place(area, placed).items():
        ids = sorted({case_id for _, case_id, _ in found})
        oldest = min(due for _, _, due in found)
        texts = (
            f"截至 {today}，{len(ids)} 件案件的移送待答复已逾期，最早应于 {oldest} 答复",
            "接收方应在答复期限内接收或退回",
            "移送答复期限已过仍未答复即预警（≥ 1 件）",
        )
        alerts.append(
            _place_alert(
                "transfer", "yellow", month, place, len(ids), texts, {"ids": ",".join(map(str, ids[:MAX_IDS]))}
            )
        )
    return alerts


def repeat_petitioners(
    db: Session, principal: Principal, area: Area, month: Month, today: date, *, recent_days: int, least: int
) -> list[Alert]:
    """A party's ID number in `least` or more open or recent cases of the area (重复访/越级访): an alert per number."""
    scope = area.cases(db, principal) & (
        one_of(Case.state, OPEN_STATES) | (Case.received_on >= today - timedelta(days=recent_days))
    )
    # The numbers on `least` parties anywhere, read from the ID-number index alone, narrow the search; which of their
    # cases count (in scope, open or recent) is then looked up for those few numbers, and counted below. Two statements:
    # as one, PostgreSQL expected thousands of numbers and hashed the whole party table.
    often = db.exec(
        select(Party.id_number).where(Party.id_number != "").group_by(Party.id_number).having(func.count() >= least)
    ).all()
    if not often:
        return []
    rows = db.exec(
        select(Party.id_number, Party.name, Case.id, Case.org_path)
        .join(Case, Case.id == Party.case_id)
        .where(Party.id_number.in_(often), scope)
        .order_by(Party.id_number, Case.id)
    ).all()
    people: dict[str, dict] = {}
    for number, name, case_id, path in rows:
        seen = people.setdefault(number, {"names": [], "ids": set(), "places": []})
        if name not in seen["names"]:
            seen["names"].append(name)
        seen["ids"].add(case_id)
        if (place := area.place_of(path).label) not in seen["places"]:
            seen["places"].append(place)
    alerts = []
    for number, seen in people.items():
        ids = sorted(seen["ids"])
        if len(ids) < least:  # the narrowing counted parties anywhere; these are the cases that count
            continue
        digest = hashlib.sha256(number.encode()).hexdigest()[:16]  # the key must not carry the ID number itself
        alerts.append(
            Alert(
                key=f"repeat:{month}:{area.org_id}:{digest}",
                rule="repeat",
                level="red" if len(ids) > least else "yellow",
                month=month,
                place=None,
                subject=f"{'、'.join(seen['names'])}（证件号 {mask_id(number)}）",
                observed=len(ids),
                observed_text=(
                    f"同一证件号码涉及 {len(ids)} 件在办或近 {recent_days} 天收到的案件（{'、'.join(seen['places'])}）"
                ),
                baseline_text="同一当事人通常只有一件在办案件",
                rule_text=f"同一证件号码涉及 ≥ {least} 件即黄色预警，≥ {least + 1} 件红色预警",
                threshold=least,
                red_threshold=least + 1,
                case_filter={"ids": ",".join(map(str, ids[:MAX_IDS]))},
            )
        )
    return alerts
