"""The SQL pieces the indicators are made of (portal.stats.indicators): each a condition on Case for a period.

The conditions of the case family read columns of the case only (and the facts portal.stats.facts keeps on it), so
that a period's cases are counted from one index per date (portal.cases.models STAT_INDEXES); subqueries name their
own aliases, so that any number of them sit side by side in one statement.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, case, exists, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from portal.cases.models import MEDIATION_STATES, Case, CaseRecord, Transfer, TransferState
from portal.orgs.models import Organisation, Tier
from portal.stats.models import CaseRepeat
from portal.stats.span import Span

Condition = Callable[[Span], ColumnElement[bool]]

SUCCESS = ("written", "oral")
SENT_UP, SENT_DOWN, SENT_ACROSS = ("上报",), ("下派", "交办"), ("移送", "转办", "访调对接", "诉调对接")
_RULING = aliased(CaseRecord)
_HANDLING, _REGISTERING = aliased(Organisation), aliased(Organisation)


def received(s: Span) -> ColumnElement[bool]:
    return s.days(Case.received_on)


def accepted(s: Span) -> ColumnElement[bool]:
    return s.days(Case.accepted_on)


def concluded(s: Span) -> ColumnElement[bool]:
    return s.days(Case.concluded_on)


def closed(s: Span) -> ColumnElement[bool]:
    return s.days(Case.closed_on)


def confirmed(s: Span) -> ColumnElement[bool]:
    return confirmed_in([s])


def confirmed_in(spans: list[Span]) -> ColumnElement[bool]:
    """Cases with a ruling that confirmed their agreement in any of the spans. An IN list rather than EXISTS: the
    database finds the periods' rulings from their index, then their cases by id."""
    return Case.id.in_(
        select(_RULING.case_id).where(
            _RULING.kind == "confirmation_ruling",
            or_(*[s.days(_RULING.held_on) for s in spans]),
            _RULING.fields["result"].as_string() == "确认协议有效",
        )
    )


def mediation_due(s: Span) -> ColumnElement[bool]:
    return s.days(Case.mediation_due_on)


def followup_due(s: Span) -> ColumnElement[bool]:
    return s.days(Case.followup_due_on)


# The anchors that are a date column of the case: their indicators are counted per period in one GROUP BY.
ANCHOR_COLUMNS = {
    received: Case.received_on,
    accepted: Case.accepted_on,
    concluded: Case.concluded_on,
    closed: Case.closed_on,
    mediation_due: Case.mediation_due_on,
    followup_due: Case.followup_due_on,
}


def _level(tier: ColumnElement) -> ColumnElement[int]:
    """村级 1 (村/社区 and their groups and grids), 乡镇 2, 县 3, 市 4: the levels of 小事不出村、大事不出镇."""
    return case(
        (tier.in_([Tier.GROUP, Tier.VILLAGE]), 1), (tier == Tier.TOWNSHIP, 2), (tier == Tier.COUNTY, 3), else_=4
    )


def settled_locally(_s: Span) -> ColumnElement[bool]:
    # The levels are looked up only for a case handled elsewhere than where it was registered (a few per cent): the
    # same organisation is at its own level.
    handling = select(_HANDLING.tier).where(_HANDLING.id == Case.org_id).scalar_subquery()
    registering = select(_REGISTERING.tier).where(_REGISTERING.id == Case.number_org_id).scalar_subquery()
    return and_(
        Case.outcome.in_(SUCCESS), or_(Case.org_id == Case.number_org_id, _level(handling) <= _level(registering))
    )


# The record facts are columns of the case (portal.stats.facts keeps them with every change of its records).
def followed_up_in_time(_s: Span) -> ColumnElement[bool]:
    return col(Case.followed_up_on) <= col(Case.followup_due_on)


def evaluated(_s: Span) -> ColumnElement[bool]:
    return col(Case.evaluated) == true()


def satisfied(_s: Span) -> ColumnElement[bool]:
    return col(Case.satisfied) == true()


def mediation_overdue(s: Span) -> ColumnElement[bool]:
    late = or_(
        and_(Case.concluded_on.is_(None), Case.state.in_(MEDIATION_STATES)),
        col(Case.concluded_on) > col(Case.mediation_due_on),
    )
    return and_(col(Case.mediation_due_on) < s.today_param, late)


def followup_overdue(s: Span) -> ColumnElement[bool]:
    missed = or_(Case.followed_up_on.is_(None), col(Case.followed_up_on) > col(Case.followup_due_on))
    return and_(col(Case.followup_due_on) < s.today_param, missed)


def repeat_visit(s: Span) -> ColumnElement[bool]:
    # Not correlated: the database reads the (few) repeat cases once and looks each counted case up in them.
    return Case.id.in_(select(CaseRepeat.case_id).where(CaseRepeat.gap_days <= s.recent_param))


# Anchors that are not a date of the case, with the condition that finds their cases in several periods at once (one
# list of ids: PostgreSQL reads an OR of lists by testing every case of the place against each).
SEEKS = {confirmed: confirmed_in}

# Conditions that are the case's id in a small table of facts (a few per cent of the cases): the statistics count each
# in a statement of its own, the condition in its WHERE, so that the database starts from that table's cases. Inside
# the count of a pass over a date's index it needed the case's id, which PostgreSQL's date indexes do not hold: it
# read the whole table instead.
APART = (repeat_visit,)


def plain(condition: Callable[[], ColumnElement[bool]]) -> Condition:
    """A condition on the case's own columns, the same in every period."""
    return lambda _s: condition()


def sent_condition(
    kinds: tuple[str, ...], s: Span, place: ColumnElement[bool], tier: Tier | None = None
) -> ColumnElement[bool]:
    """Sent family: cases with such a transfer sent in the period from where `place` (on Transfer.from_path) says."""
    conditions = [sent(kinds, s), place]
    if tier is not None:
        conditions.append(_tier_of(Transfer.from_org_id, tier))
    return exists(select(Transfer.id).where(Transfer.case_id == Case.id, *conditions))


def sent(kinds: tuple[str, ...], s: Span) -> ColumnElement[bool]:
    return and_(
        Transfer.kind.in_(kinds),
        Transfer.state.in_([TransferState.SENT, TransferState.ACCEPTED, TransferState.RETURNED]),
        s.moments(Transfer.sent_at),
    )


def answer_condition(s: Span, place: ColumnElement[bool], tier: Tier | None = None) -> ColumnElement[bool]:
    """Answer family: cases with a transfer to where `place` (on Transfer.to_path) says, answered late or not at all."""
    conditions = [answered_late(s), place]
    if tier is not None:
        conditions.append(_tier_of(Transfer.to_org_id, tier))
    return exists(select(Transfer.id).where(Transfer.case_id == Case.id, *conditions))


def answered_late(s: Span) -> ColumnElement[bool]:
    # Returned transfers are left out: the case went back, and the receiver may no longer see it.
    return and_(
        s.days(Transfer.answer_due_on),
        Transfer.answer_due_on < s.today_param,
        or_(
            Transfer.state == TransferState.SENT,
            and_(Transfer.state == TransferState.ACCEPTED, s.local_day(Transfer.answered_at) > Transfer.answer_due_on),
        ),
    )


def _tier_of(org_id: ColumnElement[int], tier: Tier) -> ColumnElement[bool]:
    return exists(select(_HANDLING.id).where(_HANDLING.id == org_id, _HANDLING.tier == tier))
