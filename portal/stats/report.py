"""The statistics page's content, read from its query string: one object for the page, its Excel and its JSON.

So that the three show exactly the same numbers: the page renders a Report, the Excel writes it, the API encodes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from portal.orgs.models import Organisation
from portal.scope import Principal
from portal.stats import indicators, periods, service
from portal.stats.dimensions import DIMENSIONS, Place
from portal.stats.periods import Period


@dataclass
class Report:
    place: Place
    place_name: str
    period: Period
    by: str
    headline: list[service.HeadlineRow]
    breakdown: service.Table
    trend: list[service.Row]
    trend_indicators: list[indicators.Indicator]
    notes: list[str] = field(default_factory=list)

    @property
    def params(self) -> dict[str, str]:
        """The query string that shows this report again (for the Excel link and the period's neighbours)."""
        out = {"kind": self.period.kind, "period": self.period.value, "by": self.by}
        if self.place.org is not None:
            out["org"] = str(self.place.org.id)
        return out


def place_of(db: Session, principal: Principal, raw: str) -> Place:
    """The organisation asked for (404 when it is not visible), else the viewer's one root, else the whole scope."""
    if raw.strip().isdigit():
        return Place(principal.visible_org(db, int(raw)))
    roots = principal.roots()
    if len(roots) == 1:
        org = next((g.org for g in principal.grants if g.org.path == roots[0]), None)
        if isinstance(org, Organisation):
            return Place(org)
    return Place()


def period_of(params: Mapping[str, str], today: date) -> tuple[Period, str | None]:
    kind = params.get("kind", "month")
    if kind not in periods.KINDS:
        kind = "month"
    value = params.get("period", "")  # links say `period`; the page's form has a field per kind
    if not value and kind == "custom" and (params.get("from") or params.get("to")):
        value = f"{params.get('from', '')}~{params.get('to', '')}"
    elif not value and kind != "custom":
        value = params.get(kind, "")
    return periods.parse(kind, value, today)


def read(db: Session, principal: Principal, params: Mapping[str, str], *, basis: service.Basis) -> Report:
    """The report a query string asks for; values that make no sense become the defaults, with a note."""
    notes: list[str] = []
    place = place_of(db, principal, params.get("org", ""))
    period, note = period_of(params, basis.today)
    if note:
        notes.append(note)
    by = params.get("by", "org")
    if by not in DIMENSIONS:
        notes.append("分组方式无效，已按机构分组。")
        by = "org"
    shown = service.overview(
        db,
        principal,
        place,
        period,
        by,
        keys=indicators.INDICATORS,
        breakdown=indicators.BREAKDOWN,
        trend_keys=indicators.TREND,
        basis=basis,
    )
    return Report(
        place=place,
        place_name=place.org.name if place.org else "全部可见范围",
        period=period,
        by=by,
        headline=shown.headline,
        breakdown=shown.table,
        trend=shown.trend,
        trend_indicators=[indicators.INDICATORS[k] for k in indicators.TREND],
        notes=notes,
    )
