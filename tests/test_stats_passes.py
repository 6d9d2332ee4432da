"""The statistics page counts its headline, trend and breakdown together, sharing the passes over each date (a later
pass skips the days an earlier one counted): every number must still be what its period alone gives."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
from factories import build_world
from sqlmodel import Session, select
from stats_world import extend_world, generate

from portal import clock
from portal.people.models import Person
from portal.scope import load_principal
from portal.stats import compute, indicators, periods, report, service
from portal.stats.dimensions import DIMENSIONS, Place
from portal.stats.periods import Period


@pytest.fixture
def history(engine):  # noqa: ANN001, ANN201
    world = build_world(engine)
    extend_world(engine, world)
    return generate(engine, world, count=120, today=clock.today())


def _values(cells: dict[str, service.Cell]) -> dict[str, object]:
    return {key: (cell.value, cell.items) for key, cell in cells.items()}


@pytest.mark.parametrize("username", ["a.admin", "a1.supervisor"])
def test_headline_and_trend_equal_each_period_counted_alone(engine, history, username) -> None:  # noqa: ANN001
    today = clock.today()
    basis = service.Basis(today=today, zone=clock.zone_name(), recent_days=180)
    asked = [
        periods.containing("month", today - timedelta(days=40)),
        periods.containing("quarter", today),
        periods.containing("year", today - timedelta(days=366)),
        Period("custom", today - timedelta(days=75), today - timedelta(days=20)),
    ]
    with Session(engine) as db:
        viewer = load_principal(db, db.exec(select(Person).where(Person.username == username)).one())
        for period, by in product(asked, DIMENSIONS):
            shown = report.read(db, viewer, {"kind": period.kind, "period": period.value, "by": by}, basis=basis)
            assert shown.period == period and not shown.notes

            def alone(p: Period, keys, place=shown.place) -> dict[str, object]:  # noqa: ANN001
                return _values(service.table(db, viewer, place, p, keys, basis=basis).total.cells)

            for side, p in (("current", period), ("previous", period.previous()), ("year_ago", period.year_ago())):
                got = {h.indicator.key: (getattr(h, side).value, getattr(h, side).items) for h in shown.headline}
                expected = alone(p, indicators.INDICATORS)
                assert got == {k: expected[k] for k in got}, (period.value, by, side)
            assert _values(shown.breakdown.total.cells) == alone(period, indicators.BREAKDOWN), (period.value, by)
            # the breakdown's rows (whose passes, for a partition, also gave the headline its current period)
            table = service.table(db, viewer, shown.place, period, indicators.BREAKDOWN, by, basis=basis)
            assert [(r.key, _values(r.cells)) for r in shown.breakdown.rows] == [
                (r.key, _values(r.cells)) for r in table.rows
            ], (period.value, by)
            assert any(r.cells["received"].value for r in table.rows) or by == "mediator", (period.value, by)
            for row, p in zip(shown.trend, period.trend(), strict=True):
                assert _values(row.cells) == alone(p, indicators.TREND), (period.value, by, p.value)


def test_a_period_holding_part_of_one_counted_whole_is_refused(engine) -> None:  # noqa: ANN001
    """A breakdown's sum is one value for its whole period: a later pass over a period holding part of it would
    count all of it or none, so compute refuses it (the page counts a custom range's headline day by day)."""
    today = clock.today()
    basis = service.Basis(today=today, zone=clock.zone_name(), recent_days=180)
    month = periods.containing("month", today)
    counted = compute.counted_from({None: {("p", "received"): 3}}, "p", month, [indicators.INDICATORS["received"]])
    half = Period("custom", month.start, month.start + timedelta(days=9))
    build_world(engine)
    with Session(engine) as db:
        viewer = load_principal(db, db.exec(select(Person).where(Person.username == "a.admin")).one())
        got = compute.compute(
            db, viewer, Place(), [({"m": month}, [indicators.INDICATORS["received"]])], None, basis, counted=counted
        )
        assert got[None][("m", "received")] == 3  # taken as counted, not read again
        with pytest.raises(ValueError, match="part of a period"):
            compute.compute(
                db, viewer, Place(), [({"h": half}, [indicators.INDICATORS["received"]])], None, basis, counted=counted
            )
