"""Statistical alerts: each cell's monthly series judged by portal.alerts.methods, worded for people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from portal.alerts import methods
from portal.alerts.alert import Alert, format_p, place_key
from portal.alerts.cells import Area, dispute_tops, monthly_counts
from portal.alerts.months import Month
from portal.scope import Principal


@dataclass(frozen=True)
class Thresholds:
    """The settings the statistics use (PORTAL_ALERT_*)."""

    min_count: int = 4
    p_yellow: float = 0.01
    p_red: float = 0.001


@dataclass
class Judged:
    alerts: list[Alert]
    tested: int  # the cells with a case in the window and enough history to be judged
    start: Month | None  # the area's first month with a case
    volume: int = 0  # the area's cases received in the month
    usual: float | None = None  # … and their mean over the months before (up to 12), for context


def statistical(db: Session, principal: Principal, area: Area, month: Month, limits: Thresholds) -> Judged:
    """The month's alerts of every cell of the area: type × place, against its own history."""
    counts = monthly_counts(db, principal, area, month)
    if counts.start is None or counts.start > month:
        return Judged([], 0, counts.start)
    _, names = dispute_tops(db)
    alerts, tested = [], 0
    for (code, place_id), by_month in sorted(counts.cells.items()):
        series = [by_month.get(i, 0) for i in range(counts.start.index, month.index + 1)]
        if len(series) <= methods.MIN_HISTORY:
            continue
        tested += 1
        signal = methods.assess(series, min_count=limits.min_count, p_yellow=limits.p_yellow, p_red=limits.p_red)
        if signal is not None:
            alerts.append(_alert(signal, area, place_id, code, names.get(code, code), month, limits))
    totals = [
        sum(by_month.get(i, 0) for by_month in counts.cells.values())
        for i in range(counts.start.index, month.index + 1)
    ]
    before = totals[-1 - methods.WINDOW : -1]
    return Judged(alerts, tested, counts.start, totals[-1], sum(before) / len(before) if before else None)


def _alert(
    signal: methods.Signal, area: Area, place_id: int, code: str, type_name: str, month: Month, limits: Thresholds
) -> Alert:
    place, base = area.places[place_id], signal.baseline
    baseline_text = f"{base.label} {base.mu:.2f} 件/月"
    if base.phi > 1:
        baseline_text += f"，离散度 φ = {base.phi:.2f}（方差/均值）"
    if signal.rule == "poisson":
        corrected = "，已按离散度校正为 μ + z·√(φμ)" if base.phi > 1 else ""
        observed_text = f"{month.label}收到 {signal.observed} 件"
        rule_text = (
            f"泊松超阈：P(X ≥ {signal.observed} | μ = {base.mu:.2f}) = {format_p(signal.p_value)}；"
            f"≥ {signal.yellow:.0f} 件为黄色（p ≤ {limits.p_yellow:g}），≥ {signal.red:.0f} 件为红色"
            f"（p ≤ {limits.p_red:g}）{corrected}；少于 {limits.min_count} 件不预警"
        )
        first = month
    else:
        k = methods.cusum_reference(base.mu)
        first = month.shift(1 - signal.run_months)
        observed_text = (
            f"近 {signal.run_months} 个月（{first.label}起）收到 {signal.run_count} 件，本月 {signal.observed} 件"
        )
        rule_text = (
            f"累积和（CUSUM）缓升：S = {signal.score:.1f}（每月累加“当月件数 − k”，k = {k:.2f}）；"
            f"S ≥ {signal.yellow:.1f} 为黄色，≥ {signal.red:.1f} 为红色（h = 4σ / 5σ，σ = √(φμ)）"
        )
    return Alert(
        key=f"cell:{month}:{place_key(place)}:{code}",
        rule=signal.rule,
        level=signal.level,
        month=month,
        place=place,
        subject=f"{place.label} · {type_name}",
        observed=signal.observed if signal.rule == "poisson" else signal.run_count,
        observed_text=observed_text,
        baseline_text=baseline_text,
        rule_text=rule_text,
        threshold=signal.yellow,
        red_threshold=signal.red,
        baseline=base.mu,
        p_value=signal.p_value,
        score=signal.score if signal.rule == "cusum" else None,
        dispute_type=code,
        case_filter={
            "dispute_type": code,
            **place.case_filter(),
            "date_from": str(first.first),
            "date_to": str(month.last),
        },
    )
