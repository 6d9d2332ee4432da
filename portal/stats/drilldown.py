"""The case list's side of a statistic: the cases behind a number, from the same definitions the number came from.

A statistic links to the case list with `ind` (the indicator), `ind_from`/`ind_to` (its period) and the row's
filters; the list adds the condition made here to its own. For the case family the list's organisation and tier
filters place the case (its handling organisation), as they do in the statistics; the sent and answer families place
the transfer instead (its sender or receiver), so the condition here takes the organisation and tier over and the
list leaves them out (`Drilldown.places`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from portal import clock
from portal.cases.models import Case, Transfer
from portal.orgs.models import Organisation, Tier
from portal.scope import Principal
from portal.stats import conditions
from portal.stats.dimensions import Place
from portal.stats.indicators import CASE_FAMILIES, INDICATORS
from portal.stats.span import Span

if TYPE_CHECKING:  # cases.service imports this module
    from portal.cases.service import CaseFilter


@dataclass(frozen=True)
class Drilldown:
    condition: ColumnElement[bool]
    places: bool  # the condition applies the organisation and tier filters itself


def countable(key: str) -> bool:
    """Whether an indicator's numbers are counts of cases, listed by the case list."""
    indicator = INDICATORS.get(key)
    return indicator is not None and indicator.family in CASE_FAMILIES


def condition(
    principal: Principal,
    key: str,
    start: date,
    end: date,
    *,
    org: Organisation | None,
    only: bool,
    tier: Tier | None,
    today: date,
    dialect: str,
    zone: str,
    recent_days: int,
) -> Drilldown:
    """The cases an indicator counts in a period, in the place the list's organisation filter names."""
    indicator = INDICATORS[key]
    span = Span(start, end, today, dialect, zone, recent_days)
    place = Place(org, only)
    if indicator.family == "sent":
        where = place.condition(principal, Transfer.from_path, Transfer.from_org_id)
        return Drilldown(conditions.sent_condition(indicator.kinds, span, where, tier), True)
    if indicator.family == "answer":
        where = place.condition(principal, Transfer.to_path, Transfer.to_org_id)
        return Drilldown(conditions.answer_condition(span, where, tier), True)
    # Only the viewer's own subtrees count, not the single cases that reached them through transfers.
    return Drilldown(and_(place.condition(principal, Case.org_path, Case.org_id), indicator.condition(span)), False)


def of_filter(
    db: Session, principal: Principal, flt: CaseFilter, *, org: Organisation | None, tier: Tier | None, today: date
) -> Drilldown | None:
    """The case list's filter as a drill-down, when it names a countable indicator and its period."""
    if not (countable(flt.indicator) and flt.ind_from and flt.ind_to):
        return None
    return condition(
        principal,
        flt.indicator,
        flt.ind_from,
        flt.ind_to,
        org=org,
        only=flt.org_only,
        tier=tier,
        today=today,
        dialect=db.get_bind().dialect.name,
        zone=clock.zone_name(),
        recent_days=flt.recent_days,
    )


def read_params(flt: CaseFilter, params: Mapping[str, str], notes: list[str]) -> None:
    """The case list's query string: the indicator, its period, and the 本级 and exact-type flags."""
    flt.org_only = params.get("org_only") in ("1", "true", "on") and flt.org_id is not None
    flt.type_exact = params.get("type_exact") in ("1", "true", "on") and bool(flt.dispute_type)
    if not params.get("ind"):
        return
    start: date | None
    end: date | None
    try:
        start, end = date.fromisoformat(params.get("ind_from", "")), date.fromisoformat(params.get("ind_to", ""))
    except ValueError:
        start = end = None
    if not countable(params["ind"]) or start is None or end is None or end < start:
        notes.append("统计指标或其期间无效，已忽略。")
        return
    flt.indicator, flt.ind_from, flt.ind_to = params["ind"], start, end


def note(flt: CaseFilter, link: Callable[..., str]) -> dict | None:
    """What the case list says about the drill-down it shows, and the link that leaves it."""
    indicator = INDICATORS.get(flt.indicator) if flt.indicator else None
    if indicator is None or flt.ind_from is None or flt.ind_to is None:
        return None
    return {
        "name": indicator.name,
        "definition": indicator.definition,
        "start": flt.ind_from.isoformat(),
        "end": flt.ind_to.isoformat(),
        "clear_href": link(ind="", ind_from="", ind_to="", org_only="", type_exact="", page=""),
    }
