"""The indicator registry: every statistic defined once — its name, its 统计口径 and the SQL that decides it.

Each indicator says what it counts (the numerator), what a rate divides by (the denominator, another indicator) and
which date puts a case in a period. The statistics page, its Excel, the API and the case list's drill-down all read
the definitions from here, so a number and the list behind it cannot disagree (DOMAIN §8: peers got this wrong).

Families, by what is counted and where in the organisation tree it is placed:

- ``case``: cases, placed at the organisation handling them now (a transfer that was accepted moves the case);
- ``sent``: cases with a transfer sent from the organisation (上报, 下派, 移送), placed at the sender;
- ``answer``: cases with a transfer to the organisation that it answered late or not at all, placed at the receiver;
- ``screening`` and ``problem``: 排查 rounds and 问题清单 items, placed at their organisation;
- ``training``: training sessions and their attendees (placed at the organiser), mediators and those trained (placed
  where they hold the role), computed by portal.training.stats;
- ``rate``: a numerator over a denominator, both indicators of the registry, in the same period and place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from portal.cases.models import Case, CaseState
from portal.stats import conditions as c
from portal.stats.span import Span


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    unit: str  # 件 | 人 | 元 | 轮 | 项 | 场 | 人次 | %
    definition: str  # the one-line 统计口径 shown beside it
    family: str  # case | sent | answer | screening | problem | training | rate
    section: str
    anchor: c.Condition | None = None  # case family: the date (or record) that places a case in a period
    extra: c.Condition | None = None  # case family: what else a counted case must be
    sums: str | None = None  # case family: the Case column summed instead of counted (over the same cases)
    kinds: tuple[str, ...] = ()  # sent family: the transfer kinds
    numerator: str | None = None  # rate family
    denominator: str | None = None
    lists: str | None = None  # a sum whose link lists the items another indicator counts (findings → rounds)

    @property
    def is_rate(self) -> bool:
        return self.family == "rate"

    def condition(self, span: Span) -> ColumnElement[bool]:
        """Case family: the cases this indicator counts (or sums over) in `span`, as a condition on Case."""
        assert self.anchor is not None, self.key
        return and_(self.anchor(span), self.extra(span)) if self.extra is not None else self.anchor(span)

    def transfers(self, span: Span) -> ColumnElement[bool]:
        """Sent and answer families: the transfers behind the count, as a condition on Transfer."""
        if self.family == "sent":
            return c.sent(self.kinds, span)
        return c.answered_late(span) if self.family == "answer" else false()


_A, _M, _F, _T, _E, _R, _S = "受理", "调解", "流转", "时限", "评价", "风险", "排查与问题清单"
_TR = "培训"
SECTIONS = [_A, _M, _F, _T, _E, _R, _S, _TR]


def _case(
    key: str,
    name: str,
    definition: str,
    section: str,
    anchor: c.Condition,
    extra: c.Condition | None = None,
    *,
    unit: str = "件",
    sums: str | None = None,
) -> Indicator:
    return Indicator(key, name, unit, definition, "case", section, anchor, extra, sums)


def _rate(key: str, name: str, numerator: Indicator, denominator: Indicator) -> Indicator:
    definition = f"{numerator.name} ÷ {denominator.name}（同一期间、同一范围）。"
    return Indicator(
        key, name, "%", definition, "rate", numerator.section, numerator=numerator.key, denominator=denominator.key
    )


def _sent(key: str, name: str, kinds: tuple[str, ...]) -> Indicator:
    listed = "“" + "”“".join(kinds) + "”"
    definition = f"本机构（含下级）发出日期在本期的{listed}移送（未撤回）所涉案件，按发出机构统计。"
    return Indicator(key, name, "件", definition, "sent", _F, kinds=kinds)


_SUCCESS = c.plain(lambda: Case.outcome.in_(c.SUCCESS))
_concluded = _case(
    "concluded",
    "调结数",
    "调解终结（成功或不成）日期在本期的案件。",
    _M,
    c.concluded,
    c.plain(lambda: Case.outcome.is_not(None)),
)
_succeeded = _case(
    "succeeded", "调解成功数", "调解终结日期在本期、达成协议（书面或口头）的案件。", _M, c.concluded, _SUCCESS
)
_local = _case(
    "local",
    "就地化解数",
    "调解成功的案件中，由登记该案的机构所在层级或更低层级调解成功的（层级：村级＝村/社区及其小组、网格，乡镇级，县级，市级）。",
    _M,
    c.concluded,
    c.settled_locally,
)
_closed = _case("closed", "结案数", "结案日期在本期的案件。", _T, c.closed)
_followed = _case(
    "followed_up",
    "按期回访数",
    "结案日期在本期、在回访期限内（含当日）回访的案件。",
    _T,
    c.closed,
    c.followed_up_in_time,
)
_evaluated = _case("evaluated", "已评价数", "结案日期在本期、有网上、现场或回访评价的案件。", _E, c.closed, c.evaluated)
_satisfied = _case(
    "satisfied", "满意数", "已评价的案件中，全部评价均为 4 分或 5 分（满意、非常满意）的。", _E, c.closed, c.satisfied
)

_trained = Indicator(
    "trained_mediators",
    "受训调解员数",
    "人",
    "本范围内现任调解员中，参加过举办日期在本期的培训（任何机构举办）的人数。",
    "training",
    _TR,
)
_mediators = Indicator(
    "mediators", "调解员数", "人", "本范围内现任（账号在用）调解员人数，按任职机构统计。", "training", _TR
)
_TRAINING = [
    Indicator("training_sessions", "培训场次", "场", "本范围内机构举办、举办日期在本期的培训。", "training", _TR),
    Indicator(
        "training_attendees",
        "培训人次",
        "人次",
        "本范围内机构举办、举办日期在本期的培训的参训人次之和。",
        "training",
        _TR,
        lists="training_sessions",
    ),
    _trained,
    _mediators,
    _rate("trained_share", "调解员受训率", _trained, _mediators),
]

INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in [
        _case("received", "登记数", "收到日期在本期的案件（含不予受理）。", _A, c.received),
        _case("accepted", "受理数", "受理日期在本期的案件。", _A, c.accepted),
        _case(
            "refused",
            "不予受理数",
            "收到日期在本期、不予受理（已出具告知书）的案件。",
            _A,
            c.received,
            c.plain(lambda: col(Case.state) == CaseState.REFUSED),
        ),
        _concluded,
        _succeeded,
        _rate("success_rate", "调解成功率", _succeeded, _concluded),
        _case(
            "written",
            "书面协议数",
            "调解终结日期在本期、签订书面协议书的案件。",
            _M,
            c.concluded,
            c.plain(lambda: col(Case.outcome) == "written"),
        ),
        _case(
            "oral",
            "口头协议数",
            "调解终结日期在本期、登记口头协议的案件。",
            _M,
            c.concluded,
            c.plain(lambda: col(Case.outcome) == "oral"),
        ),
        _case(
            "failed",
            "调解不成数",
            "调解终结日期在本期、调解不成的案件。",
            _M,
            c.concluded,
            c.plain(lambda: col(Case.outcome) == "failed"),
        ),
        _local,
        _rate("local_rate", "就地化解率", _local, _succeeded),
        _case("confirmed", "司法确认数", "法院裁定确认协议有效、裁定日期在本期的案件。", _M, c.confirmed),
        _sent("sent_up", "上报数", c.SENT_UP),
        _sent("sent_down", "下派数", c.SENT_DOWN),
        _sent("sent_across", "移送数", c.SENT_ACROSS),
        Indicator(
            "answer_overdue",
            "移送答复逾期数",
            "件",
            "移送给本机构（含下级）、答复期限届满日在本期且已过，至今未答复或超期才接收的案件，按接收机构统计。",
            "answer",
            _F,
        ),
        _case(
            "mediation_overdue",
            "调解逾期数",
            "调解期限届满日在本期且已过、届满时仍未调结（至今未调结或超期才调结）的案件。",
            _T,
            c.mediation_due,
            c.mediation_overdue,
        ),
        _closed,
        _followed,
        _rate("followup_rate", "回访率（期限内）", _followed, _closed),
        _case(
            "followup_overdue",
            "回访逾期数",
            "回访期限届满日在本期且已过、期限内没有回访记录的案件。",
            _T,
            c.followup_due,
            c.followup_overdue,
        ),
        _evaluated,
        _satisfied,
        _rate("satisfaction_rate", "满意率", _satisfied, _evaluated),
        _case(
            "people",
            "涉及人数",
            "收到日期在本期的案件登记的涉及人数之和。",
            _R,
            c.received,
            unit="人",
            sums="people_involved",
        ),
        _case(
            "amount", "涉及金额", "收到日期在本期的案件登记的涉及金额之和。", _R, c.received, unit="元", sums="amount"
        ),
        _case(
            "group",
            "群体性纠纷数",
            "收到日期在本期、标记为群体性纠纷的案件。",
            _R,
            c.received,
            c.plain(lambda: col(Case.group_dispute) == true()),
        ),
        _case(
            "risk",
            "防激化（风险）案件数",
            "收到日期在本期、标记有激化风险的案件。",
            _R,
            c.received,
            c.plain(lambda: col(Case.risk_flag) == true()),
        ),
        _case(
            "repeat",
            "重复访案件数",
            "收到日期在本期、有当事人（按证件号码）在该案收到前 N 天内（含当日）另有案件的"
            "（N＝PORTAL_RECENT_CASE_DAYS）。",
            _R,
            c.received,
            c.repeat_visit,
        ),
        Indicator("rounds_held", "排查轮次", "轮", "排查日期在本期的排查记录。", "screening", _S),
        Indicator(
            "rounds_due",
            "应排查轮次",
            "轮",
            "在用的排查机构各按本期天数 ÷ 排查周期（村每周、乡镇每半月、县每月）四舍五入、至少 1 轮，相加。",
            "screening",
            _S,
        ),
        Indicator(
            "findings",
            "排查发现纠纷",
            "件",
            "排查日期在本期的排查记录登记的发现纠纷数之和。",
            "screening",
            _S,
            lists="rounds_held",
        ),
        Indicator("problems_registered", "问题清单登记数", "项", "发现日期在本期的问题清单事项。", "problem", _S),
        Indicator("problems_struck", "问题清单销号数", "项", "销号日期在本期、已销号的问题清单事项。", "problem", _S),
        *_TRAINING,
    ]
}

# The columns of a breakdown table (the headline shows every indicator) and of the trend.
BREAKDOWN = (
    "received",
    "accepted",
    "succeeded",
    "success_rate",
    "local_rate",
    "mediation_overdue",
    "followup_rate",
    "group",
    "risk",
    "people",
)
TREND = ("received", "accepted", "succeeded", "mediation_overdue")
CASE_FAMILIES = ("case", "sent", "answer")  # counted in cases: their numbers link to the case list


def get(key: str) -> Indicator | None:
    return INDICATORS.get(key)
