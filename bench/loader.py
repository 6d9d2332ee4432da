"""Bulk loader for the benchmarks: N synthetic cases, their parties and timelines, inserted with SQLAlchemy Core.

Used by bench/cases.py and tests/test_bench_smoke.py; see bench/README.md.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as dtime, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from portal.cases.models import Case, CaseEvent, CaseSequence, CaseState, Party
from portal.demo_cases.people import resident_id
from portal.orgs.models import Organisation, OrgKind, Tier

BATCH = 5000

# --- synthetic cases ----------------------------------------------------------------------------
S = CaseState
STATES = [(S.EVALUATED, 40), (S.FOLLOWED_UP, 12), (S.CLOSED, 14), (S.PERFORMING, 4), (S.CONFIRMING, 1), (S.AGREED, 2), (S.FAILED, 2),
          (S.MEDIATING, 8), (S.INVESTIGATING, 4), (S.ACCEPTED, 4), (S.REGISTERED, 5), (S.REFUSED, 3)]
TYPES = ["0101", "0102", "0103", "0201", "0202", "0301", "0302", "04", "05", "06", "0701", "0702", "08", "09", "1001", "1002",
         "11", "12", "13", "14", "15", "16", "17", "99"]
TOPICS = {"01": "婚姻家庭", "02": "邻里", "03": "宅基地", "04": "合同", "05": "生产经营", "06": "损害赔偿", "07": "土地承包", "08": "征地拆迁",
          "09": "环境污染", "10": "劳动争议", "11": "旅游", "12": "消费", "13": "医疗", "14": "道路交通事故", "15": "物业", "16": "知识产权",
          "17": "网络购物", "99": "其他"}
CHANNELS = ["来访"] * 6 + ["电话", "电话", "来信", "网络", "网格员上报", "网格员上报", "主动排查", "信访移交", "法院委派/委托", "公安移交", "部门移送"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧潘袁蔡蒋余于杜叶程魏苏吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾"
GIVEN = ["建国", "秀英", "志强", "桂兰", "国华", "玉梅", "卫东", "春花", "德才", "丽娟", "明亮", "晓燕", "家豪", "雪梅", "俊杰", "婷婷",
         "堃", "喆", "䶮", "宏堃", "𠮷祥", "文喆", "海波", "金凤"]
SUMMARY = ("{a}与{b}因{t}问题发生纠纷，双方多次协商未果，{a}到调委会申请调解。经初步了解，双方争议焦点在于责任划分和赔偿数额，"
           "情绪较为对立，有激化可能。")
EVENTS = {S.REGISTERED: ["register"], S.REFUSED: ["register", "refuse"], S.ACCEPTED: ["register", "accept", "assign"],
          S.INVESTIGATING: ["register", "accept", "assign", "investigate"], S.MEDIATING: ["register", "accept", "assign", "mediate", "record"],
          S.AGREED: ["register", "accept", "assign", "mediate", "record", "succeed"], S.FAILED: ["register", "accept", "assign", "mediate", "fail"],
          S.CONFIRMING: ["register", "accept", "assign", "mediate", "succeed", "apply_confirmation"],
          S.PERFORMING: ["register", "accept", "assign", "mediate", "succeed", "perform"],
          S.CLOSED: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close"],
          S.FOLLOWED_UP: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close", "follow_up"],
          S.EVALUATED: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close", "follow_up", "evaluate"]}


@dataclass
class LoadReport:
    cases: int = 0
    parties: int = 0
    events: int = 0
    seconds: float = 0.0


def _handling_orgs(engine: Engine) -> list[tuple[Organisation, float]]:
    """Organisations that handle cases, with a weight: villages most, then townships, groups and county bodies."""
    with engine.connect() as conn:
        orgs = [Organisation(**row._mapping) for row in conn.execute(select(*Organisation.__table__.c))]
    weights = {Tier.VILLAGE: 6.0, Tier.GROUP: 1.0, Tier.TOWNSHIP: 5.0, Tier.COUNTY: 2.0}
    handling = []
    for org in orgs:
        if org.kind in (OrgKind.JUSTICE_BUREAU, OrgKind.JUSTICE_OFFICE, OrgKind.POLICE) or org.tier is Tier.CITY:
            continue
        handling.append((org, weights.get(org.tier, 1.0)))
    return handling


def load_cases(engine: Engine, count: int, *, seed: int = 7, years: float = 3.0, batch: int = BATCH) -> LoadReport:
    """Bulk-insert `count` synthetic cases (with 2–3 parties and their timeline) spread over orgs, states and dates."""
    started = time.perf_counter()
    rng = random.Random(seed)
    id_rng = random.Random(seed + 1)  # its own stream: the rest of the corpus stays what it was before parties had ID numbers
    issued: list[str] = []

    def id_number() -> str:
        """A fresh 身份证 number, or (2 %) one already used: people who come back, whom the case page flags."""
        if issued and id_rng.random() < 0.02:
            return id_rng.choice(issued[-5000:])
        issued.append(resident_id(id_rng, date(1950, 1, 1) + timedelta(days=id_rng.randrange(18_000)), id_rng.random() < 0.5))
        return issued[-1]

    handling = _handling_orgs(engine)
    orgs, org_weights = [o for o, _ in handling], [w for _, w in handling]
    states, state_weights = [s for s, _ in STATES], [w for _, w in STATES]
    today = date.today()
    span = int(365 * years)
    received = sorted(today - timedelta(days=rng.randrange(span)) for _ in range(count))
    with engine.begin() as conn:
        start_id = (conn.execute(select(func.max(Case.id))).scalar() or 0) + 1
        sequences = {(r.org_id, r.year): r.last for r in conn.execute(select(CaseSequence.org_id, CaseSequence.year, CaseSequence.last))}
    report = LoadReport()
    case_rows: list[dict] = []
    party_rows: list[dict] = []
    event_rows: list[dict] = []

    def flush(conn) -> None:  # noqa: ANN001
        if case_rows:
            conn.execute(insert(Case.__table__), case_rows)
        if party_rows:
            conn.execute(insert(Party.__table__), party_rows)
        if event_rows:
            conn.execute(insert(CaseEvent.__table__), event_rows)
        report.cases += len(case_rows)
        report.parties += len(party_rows)
        report.events += len(event_rows)
        case_rows.clear(), party_rows.clear(), event_rows.clear()

    with engine.begin() as conn:
        org_choices = rng.choices(range(len(orgs)), org_weights, k=count)
        state_choices = rng.choices(states, state_weights, k=count)
        for i in range(count):
            case_id = start_id + i
            org = orgs[org_choices[i]]
            state = state_choices[i]
            day = received[i]
            if (today - day).days < 60 and state in (S.EVALUATED, S.FOLLOWED_UP):
                state = S.MEDIATING
            key = (org.id, day.year)
            sequences[key] = seq = sequences.get(key, 0) + 1
            dtype = rng.choice(TYPES)
            a = rng.choice(SURNAMES) + rng.choice(GIVEN)
            b = rng.choice(SURNAMES) + rng.choice(GIVEN)
            topic = TOPICS[dtype[:2]]
            accepted = day + timedelta(days=rng.randint(0, 3)) if state not in (S.REGISTERED, S.REFUSED) else None
            closed = accepted + timedelta(days=rng.randint(5, 40)) if accepted and state in (S.CLOSED, S.FOLLOWED_UP, S.EVALUATED) else None
            if closed and closed > today:
                closed = today
            at = datetime.combine(day, dtime(1, 30), UTC)
            amount = rng.randrange(0, 2000) * 100 if rng.random() < 0.6 else None
            case_rows.append({
                "id": case_id, "org_id": org.id, "org_path": org.path, "number_org_id": org.id, "number_year": day.year,
                "number_prefix": org.short_name, "number_seq": seq, "number": f"（{day.year}）{org.short_name}人调字第{seq:03d}号",
                "title": f"{a}与{b}{topic}纠纷", "channel": rng.choice(CHANNELS), "dispute_type": dtype,
                "summary": SUMMARY.format(a=a, b=b, t=topic), "requests": f"请求{b}依法承担责任。", "amount": amount,
                "people_involved": 1 if rng.random() < 0.95 else rng.randint(3, 30), "group_dispute": False, "risk_flag": rng.random() < 0.05,
                "state": state, "outcome": ("written" if rng.random() < 0.7 else "oral") if closed or state in (S.AGREED, S.PERFORMING, S.CONFIRMING)
                else ("failed" if state is S.FAILED else None),
                "received_on": day, "accepted_on": accepted, "closed_on": closed,
                "mediation_due_on": accepted + timedelta(days=30) if accepted else None,
                "followup_due_on": closed + timedelta(days=7) if closed else None, "in_transfer": False, "version": 1,
                "created_by": None, "created_at": at, "updated_at": at})
            for n, (role, name) in enumerate((("申请人", a), ("被申请人", b))):
                party_rows.append({"case_id": case_id, "role": role, "kind": "natural", "name": name, "sex": "", "ethnicity": "",
                                   "birth_date": None, "age": None, "occupation": "", "id_type": "resident_id",
                                   "id_number": id_number(),
                                   "phone": f"139{rng.randrange(10**8):08d}", "address": "", "sort_order": n})
            for n, kind in enumerate(EVENTS[state]):
                event_rows.append({"case_id": case_id, "at": at + timedelta(hours=n), "actor_id": None, "actor_name": "批量导入",
                                   "org_id": org.id, "org_name": org.name, "kind": kind, "summary": kind})
            if len(case_rows) >= batch:
                flush(conn)
        flush(conn)
        for (org_id, year), last in sequences.items():
            conn.execute(CaseSequence.__table__.delete().where(CaseSequence.org_id == org_id, CaseSequence.year == year))
            conn.execute(insert(CaseSequence.__table__), {"org_id": org_id, "year": year, "last": last})
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), (SELECT max(id) FROM \"case\"))"))
    # The state autovacuum reaches soon after a bulk load: statistics for the planner and, on PostgreSQL, the
    # visibility map that lets index-only scans skip the table (VACUUM runs outside a transaction).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    report.seconds = time.perf_counter() - started
    return report
