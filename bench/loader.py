"""Bulk loader for the benchmarks: N synthetic cases with their parties, timelines, mediators, records and (the
descriptions of) uploaded files, inserted with SQLAlchemy Core.

Used by bench/cases.py and tests/test_bench_smoke.py; see bench/README.md.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from portal.cases import numbers
from portal.cases.models import Case, CaseEvent, CaseFile, CaseMediator, CaseRecord, CaseSequence, CaseState, Party
from portal.demo_cases import data
from portal.demo_cases.people import resident_id
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.people.models import Membership, Person, Role
from portal.stats import facts

BATCH = 5000

# --- synthetic cases ----------------------------------------------------------------------------
S = CaseState
STATES = [
    (S.EVALUATED, 40),
    (S.FOLLOWED_UP, 12),
    (S.CLOSED, 14),
    (S.PERFORMING, 4),
    (S.CONFIRMING, 1),
    (S.AGREED, 2),
    (S.FAILED, 2),
    (S.MEDIATING, 8),
    (S.INVESTIGATING, 4),
    (S.ACCEPTED, 4),
    (S.REGISTERED, 5),
    (S.REFUSED, 3),
]
TYPES = [
    "0101",
    "0102",
    "0103",
    "0201",
    "0202",
    "0301",
    "0302",
    "04",
    "05",
    "06",
    "0701",
    "0702",
    "08",
    "09",
    "1001",
    "1002",
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "99",
]
TOPICS = {
    "01": "婚姻家庭",
    "02": "邻里",
    "03": "宅基地",
    "04": "合同",
    "05": "生产经营",
    "06": "损害赔偿",
    "07": "土地承包",
    "08": "征地拆迁",
    "09": "环境污染",
    "10": "劳动争议",
    "11": "旅游",
    "12": "消费",
    "13": "医疗",
    "14": "道路交通事故",
    "15": "物业",
    "16": "知识产权",
    "17": "网络购物",
    "99": "其他",
}
CHANNELS = ["来访"] * 6 + [
    "电话",
    "电话",
    "来信",
    "网络",
    "网格员上报",
    "网格员上报",
    "主动排查",
    "信访移交",
    "法院委派/委托",
    "公安移交",
    "部门移送",
]
SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧潘袁蔡蒋"
    "余于杜叶程魏苏吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾"
)
GIVEN = [
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "国华",
    "玉梅",
    "卫东",
    "春花",
    "德才",
    "丽娟",
    "明亮",
    "晓燕",
    "家豪",
    "雪梅",
    "俊杰",
    "婷婷",
    "堃",
    "喆",
    "䶮",
    "宏堃",
    "𠮷祥",
    "文喆",
    "海波",
    "金凤",
]
SUMMARY = (
    "{a}与{b}因{t}问题发生纠纷，双方多次协商未果，{a}到调委会申请调解。经初步了解，双方争议焦点在于责任划分和赔偿数额，"
    "情绪较为对立，有激化可能。"
)
EVENTS = {
    S.REGISTERED: ["register"],
    S.REFUSED: ["register", "refuse"],
    S.ACCEPTED: ["register", "accept", "assign"],
    S.INVESTIGATING: ["register", "accept", "assign", "investigate"],
    S.MEDIATING: ["register", "accept", "assign", "mediate", "record"],
    S.AGREED: ["register", "accept", "assign", "mediate", "record", "succeed"],
    S.FAILED: ["register", "accept", "assign", "mediate", "fail"],
    S.CONFIRMING: ["register", "accept", "assign", "mediate", "succeed", "apply_confirmation"],
    S.PERFORMING: ["register", "accept", "assign", "mediate", "succeed", "perform"],
    S.CLOSED: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close"],
    S.FOLLOWED_UP: ["register", "accept", "assign", "mediate", "record", "succeed", "perform", "close", "follow_up"],
    S.EVALUATED: [
        "register",
        "accept",
        "assign",
        "mediate",
        "record",
        "succeed",
        "perform",
        "close",
        "follow_up",
        "evaluate",
    ],
}


# What a case worked through the loop has besides parties and timeline: its mediators, the records each step writes
# (texts from the demo county's scenarios, so a record is as long as a real one) and the descriptions of uploaded
# materials (the pages measured list files; they never read them, so no content is stored).
WORKED = {
    S.ACCEPTED,
    S.INVESTIGATING,
    S.MEDIATING,
    S.AGREED,
    S.FAILED,
    S.CONFIRMING,
    S.PERFORMING,
    S.CLOSED,
    S.FOLLOWED_UP,
    S.EVALUATED,
}
MEDIATED = WORKED - {S.ACCEPTED, S.INVESTIGATING}
AGREED = {S.AGREED, S.CONFIRMING, S.PERFORMING, S.CLOSED, S.FOLLOWED_UP, S.EVALUATED}
CLOSED = {S.CLOSED, S.FOLLOWED_UP, S.EVALUATED}
FILES = [
    ("申请书", "application/pdf", "调解申请书.pdf"),
    ("当事人身份证明", "image/jpeg", "当事人身份证复印件.jpg"),
    ("证据材料", "image/jpeg", "现场照片.jpg"),
    ("调查材料", "application/pdf", "调查笔录.pdf"),
    ("签字文书扫描件", "application/pdf", "调解记录签字页.pdf"),
    ("履行凭证", "image/png", "转账凭证.png"),
]


class _Text(dict):
    """A scenario's placeholders ({a}, {b}, {amt}…); one the case has no value for reads as empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _scenario(rng: random.Random, dispute_type: str) -> tuple:
    family = [s for s in data.SCENARIOS if s[0] == dispute_type] or [
        s for s in data.SCENARIOS if s[0][:2] == dispute_type[:2]
    ]
    return rng.choice(family or data.SCENARIOS)


def _history(
    rng: random.Random, case: dict, parties: tuple[str, str], team: list[tuple[int, str]], place: str, today: date
) -> tuple[list[dict], list[dict], list[dict]]:
    """The mediators, records and file descriptions of one synthetic case, as its state says it went."""
    state, case_id = case["state"], case["id"]
    if state is S.REFUSED:
        reason, routes = rng.choice(data.REFUSAL_REASONS)
        issued = case["received_on"] + timedelta(days=rng.randint(0, 3))
        at = datetime.combine(issued, dtime(2, 0), UTC)
        return (
            [],
            [
                {
                    "case_id": case_id,
                    "kind": "refusal",
                    "held_on": issued,
                    "created_by": None,
                    "created_at": at,
                    "fields": {"reason": reason, "routes": routes, "issued_on": issued.isoformat()},
                }
            ],
            [],
        )
    if state not in WORKED or not team:
        return [], [], []
    lead_id, lead = team[0]
    mediators = [{"case_id": case_id, "person_id": person_id, "lead": n == 0} for n, (person_id, _) in enumerate(team)]
    scenario = _scenario(rng, case["dispute_type"])
    amount = int(case["amount"] or 0)
    text = _Text(
        a=parties[0],
        b=parties[1],
        place=place,
        amt=f"{amount:,}" if amount else "",
        amt_part=f"{(amount or 2000) // 10:,}",
        people=case["people_involved"],
    )
    end = min(case["closed_on"] or today, today)
    day = case["accepted_on"]
    records: list[dict] = []

    def add(kind: str, fields: dict, *, dated: str | None = None, gap: tuple[int, int] = (1, 4)) -> None:
        nonlocal day
        day = min(day + timedelta(days=rng.randint(*gap)), end)
        if dated:
            fields = {dated: day.isoformat(), **fields}
        records.append(
            {
                "case_id": case_id,
                "kind": kind,
                "held_on": day if dated else None,
                "fields": fields,
                "created_by": lead_id,
                "created_at": datetime.combine(day, dtime(2, 0), UTC),
            }
        )

    names = "、".join(name for _, name in team)
    if state is S.INVESTIGATING or (state in MEDIATED and rng.random() < 0.7):
        add(
            "investigation",
            {
                "place": place,
                "investigators": names,
                "respondents": f"{text['a']}、{text['b']}及知情人",
                "content": scenario[6].format_map(text),
            },
            dated="held_on",
        )
    if state in MEDIATED:
        for n in range(rng.choice((1, 1, 2, 3))):
            add(
                "mediation",
                {
                    "place": place,
                    "mediators": names,
                    "parties_present": f"{text['a']}、{text['b']}",
                    "helpers": rng.choice(("", "", "村（居）委会干部", "乡贤", "法律顾问")),
                    "content": scenario[7].format_map(text)
                    if n == 0
                    else f"第{n + 1}次调解：调解员就上次争议焦点再次组织双方协商。",
                    "result": "双方意见趋于一致。" if n else "双方各自陈述意见，调解员释法明理。",
                },
                dated="held_on",
            )
    if state is S.FAILED:
        add(
            "failure",
            {
                "reason": scenario[9].format_map(text),
                "routes": "已告知当事人可向人民法院起诉，或向有关行政机关、仲裁机构申请处理。",
            },
        )
    if state in AGREED:
        if case["outcome"] == "oral":
            add(
                "oral_agreement",
                {
                    "facts": case["summary"][:200],
                    "terms": scenario[8].format_map(text),
                    "performance_method": "当场履行",
                    "performance_deadline": "即日",
                },
                dated="signed_on",
            )
        else:
            add(
                "agreement",
                {
                    "facts": case["summary"],
                    "responsibilities": "双方在调解员主持下，本着互谅互让的原则，对各自责任予以确认。",
                    "terms": scenario[8].format_map(text),
                    "performance_method": rng.choice(("当场履行", "银行转账", "分期履行")),
                    "performance_deadline": rng.choice(("协议签订之日", "协议签订后十日内")),
                    "performance_place": place,
                    "copies": "3",
                },
                dated="signed_on",
            )
    if state is S.CONFIRMING:
        add("confirmation_application", {"court": data.COURTS[0]}, dated="applied_on")
    if state is S.PERFORMING or state in CLOSED:
        add(
            "performance",
            {"status": "全部履行", "details": "各方已按协议约定履行完毕。", "receipts": "银行转账凭证、收条各一份"},
            dated="performed_on",
        )
    if state in CLOSED:
        add(
            "closure",
            {"summary": "经调解，双方达成协议并已履行完毕，纠纷化解，予以结案。"},
            dated="closed_on",
            gap=(0, 0),
        )
    if state in (S.FOLLOWED_UP, S.EVALUATED):
        day = min(day + timedelta(days=rng.randint(1, 6)), today)
        records.append(
            {
                "case_id": case_id,
                "kind": "followup",
                "held_on": day,
                "created_by": lead_id,
                "created_at": datetime.combine(day, dtime(2, 0), UTC),
                "fields": {
                    "held_on": day.isoformat(),
                    "method": rng.choice(("上门", "电话")),
                    "visitor": lead,
                    "performance": "全部履行",
                    "satisfaction": rng.choice(("满意", "满意", "基本满意")),
                    "risk": rng.choice(("无", "无", "低")),
                },
            }
        )
    if state is S.EVALUATED:
        records.append(
            {
                "case_id": case_id,
                "kind": "evaluation",
                "held_on": None,
                "created_by": lead_id,
                "created_at": datetime.combine(day, dtime(3, 0), UTC),
                "fields": {
                    "source": rng.choice(("网上评价", "现场评价", "回访评价")),
                    "score": rng.choice(("5", "5", "4", "3")),
                },
            }
        )
    files = []
    for doc_type, media_type, filename in rng.sample(FILES, rng.choice((0, 0, 1, 2, 3))):
        digest = f"{rng.getrandbits(256):064x}"
        files.append(
            {
                "case_id": case_id,
                "doc_type": doc_type,
                "filename": filename,
                "media_type": media_type,
                "size": rng.randrange(40_000, 2_000_000),
                "sha256": digest,
                "storage_key": f"{digest[:2]}/{digest}",
                "uploaded_by": lead_id,
                "uploaded_at": datetime.combine(case["accepted_on"], dtime(3, 0), UTC),
                "removed": False,
            }
        )
    return mediators, records, files


@dataclass
class LoadReport:
    cases: int = 0
    parties: int = 0
    events: int = 0
    mediators: int = 0
    records: int = 0
    files: int = 0
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


def _mediator_teams(engine: Engine) -> dict[int, list[tuple[int, str]]]:
    """Each organisation's mediators and directors (person id, name), or its nearest ancestor's when it has none."""
    with engine.connect() as conn:
        parents = dict(conn.execute(select(Organisation.id, Organisation.parent_id)).all())
        own: dict[int, list[tuple[int, str]]] = {}
        rows = conn.execute(
            select(Membership.org_id, Person.id, Person.name)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.role.in_([Role.MEDIATOR, Role.DIRECTOR]))
            .order_by(Membership.org_id, Person.id)
        )
        for org_id, person_id, name in rows:
            if (person_id, name) not in own.setdefault(org_id, []):
                own[org_id].append((person_id, name))
    teams = {}
    for org_id in parents:
        at = org_id
        while at is not None and not own.get(at):
            at = parents[at]
        teams[org_id] = own.get(at, [])
    return teams


def load_cases(
    engine: Engine, count: int, *, seed: int = 7, years: float = 3.0, batch: int = BATCH, files: bool = True
) -> LoadReport:
    """Bulk-insert `count` synthetic cases (with 2 parties, their timeline and, as far as their state goes, mediators,
    records and file descriptions) spread over orgs, states and dates. `files=False` leaves the file descriptions out: a
    search index reads uploaded files' text, and these have no content."""
    started = time.perf_counter()
    rng = random.Random(seed)
    id_rng = random.Random(
        seed + 1
    )  # its own stream: the rest of the corpus stays what it was before parties had ID numbers
    work_rng = random.Random(seed + 2)  # and the same for mediators, records and files
    issued: list[str] = []

    def id_number() -> str:
        """A fresh 身份证 number, or (2 %) one already used: people who come back, whom the case page flags."""
        if issued and id_rng.random() < 0.02:
            return id_rng.choice(issued[-5000:])
        issued.append(
            resident_id(id_rng, date(1950, 1, 1) + timedelta(days=id_rng.randrange(18_000)), id_rng.random() < 0.5)
        )
        return issued[-1]

    handling = _handling_orgs(engine)
    teams = _mediator_teams(engine)
    orgs, org_weights = [o for o, _ in handling], [w for _, w in handling]
    states, state_weights = [s for s, _ in STATES], [w for _, w in STATES]
    today = date.today()
    span = int(365 * years)
    received = sorted(today - timedelta(days=rng.randrange(span)) for _ in range(count))
    with engine.begin() as conn:
        start_id = (conn.execute(select(func.max(Case.id))).scalar() or 0) + 1
        sequences = {
            (r.org_id, r.year): r.last
            for r in conn.execute(select(CaseSequence.org_id, CaseSequence.year, CaseSequence.last))
        }
    report = LoadReport()
    case_rows: list[dict] = []
    party_rows: list[dict] = []
    event_rows: list[dict] = []
    mediator_rows: list[dict] = []
    record_rows: list[dict] = []
    file_rows: list[dict] = []

    def flush(conn) -> None:  # noqa: ANN001
        if case_rows:
            conn.execute(insert(Case.__table__), case_rows)
        if party_rows:
            conn.execute(insert(Party.__table__), party_rows)
        for model, rows in (
            (CaseEvent, event_rows),
            (CaseMediator, mediator_rows),
            (CaseRecord, record_rows),
            (CaseFile, file_rows),
        ):
            if rows:
                conn.execute(insert(model.__table__), rows)
        report.cases += len(case_rows)
        report.parties += len(party_rows)
        report.events += len(event_rows)
        report.mediators += len(mediator_rows)
        report.records += len(record_rows)
        report.files += len(file_rows)
        for rows in (case_rows, party_rows, event_rows, mediator_rows, record_rows, file_rows):
            rows.clear()

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
            closed = (
                accepted + timedelta(days=rng.randint(5, 40))
                if accepted and state in (S.CLOSED, S.FOLLOWED_UP, S.EVALUATED)
                else None
            )
            if closed and closed > today:
                closed = today
            at = datetime.combine(day, dtime(1, 30), UTC)
            amount = rng.randrange(0, 2000) * 100 if rng.random() < 0.6 else None
            case_rows.append(
                {
                    "id": case_id,
                    "org_id": org.id,
                    "org_path": org.path,
                    "number_org_id": org.id,
                    "number_year": day.year,
                    "number_prefix": numbers.prefix_of(org),
                    "number_word": numbers.word_of(org),
                    "number_seq": seq,
                    "number": numbers.format_number(day.year, numbers.prefix_of(org), numbers.word_of(org), seq),
                    "title": f"{a}与{b}{topic}纠纷",
                    "channel": rng.choice(CHANNELS),
                    "dispute_type": dtype,
                    "summary": SUMMARY.format(a=a, b=b, t=topic),
                    "requests": f"请求{b}依法承担责任。",
                    "amount": amount,
                    "people_involved": 1 if rng.random() < 0.95 else rng.randint(3, 30),
                    "group_dispute": False,
                    "risk_flag": rng.random() < 0.05,
                    "state": state,
                    "outcome": ("written" if rng.random() < 0.7 else "oral")
                    if closed or state in (S.AGREED, S.PERFORMING, S.CONFIRMING)
                    else ("failed" if state is S.FAILED else None),
                    "received_on": day,
                    "accepted_on": accepted,
                    "closed_on": closed,
                    "mediation_due_on": accepted + timedelta(days=30) if accepted else None,
                    "followup_due_on": closed + timedelta(days=7) if closed else None,
                    "in_transfer": False,
                    "version": 1,
                    "created_by": None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            # Mediation ends a third of the way back from closure to acceptance, or 20 days after acceptance while the
            # case is open (no draw from rng, so every other column stays as it was before this one was added).
            case_rows[-1]["concluded_on"] = (
                (closed - (closed - accepted) // 3 if closed else min(accepted + timedelta(days=20), today))
                if case_rows[-1]["outcome"]
                else None
            )
            for n, (role, name) in enumerate((("申请人", a), ("被申请人", b))):
                party_rows.append(
                    {
                        "case_id": case_id,
                        "role": role,
                        "kind": "natural",
                        "name": name,
                        "sex": "",
                        "ethnicity": "",
                        "birth_date": None,
                        "age": None,
                        "occupation": "",
                        "id_type": "resident_id",
                        "id_number": id_number(),
                        "phone": f"139{rng.randrange(10**8):08d}",
                        "address": "",
                        "sort_order": n,
                    }
                )
            for n, kind in enumerate(EVENTS[state]):
                event_rows.append(
                    {
                        "case_id": case_id,
                        "at": at + timedelta(hours=n),
                        "actor_id": None,
                        "actor_name": "批量导入",
                        "org_id": org.id,
                        "org_name": org.name,
                        "kind": kind,
                        "summary": kind,
                    }
                )
            team = teams.get(org.id, [])
            team = work_rng.sample(team, min(len(team), work_rng.choice((1, 1, 2))))
            mediators, records, described = _history(
                work_rng,
                case_rows[-1],
                (a, b),
                team,
                work_rng.choice(data.PLACES_BY_TIER.get(org.tier.value, data.PLACES_BY_TIER["village"])),
                today,
            )
            mediator_rows.extend(mediators), record_rows.extend(records)
            if files:
                file_rows.extend(described)
            if len(case_rows) >= batch:
                flush(conn)
        flush(conn)
        for (org_id, year), last in sequences.items():
            conn.execute(
                CaseSequence.__table__.delete().where(CaseSequence.org_id == org_id, CaseSequence.year == year)
            )
            conn.execute(insert(CaseSequence.__table__), {"org_id": org_id, "year": year, "last": last})
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), (SELECT max(id) FROM \"case\"))")
            )
        facts.refresh_all(conn)  # the statistics' facts, which the ORM's listener keeps for everything else
    # The state autovacuum reaches soon after a bulk load: statistics for the planner and, on PostgreSQL, the
    # visibility map that lets index-only scans skip the table (VACUUM runs outside a transaction).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    report.seconds = time.perf_counter() - started
    return report
