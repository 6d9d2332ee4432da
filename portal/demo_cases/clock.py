"""The simulated clock: a `before_flush` hook that back-dates what each step writes to the step's day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlmodel import Session

from portal.cases.models import Case, CaseEvent, CaseRecord, Transfer

TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    """The simulated time the session hook stamps on what a step writes."""

    def __init__(self, real_start: datetime) -> None:
        self.real_start = real_start
        self.now = real_start

    def at(self, day: date, rng: random.Random) -> None:
        local = datetime(day.year, day.month, day.day, 8, 30, tzinfo=TZ) + timedelta(minutes=rng.randint(0, 480))
        planned = local.astimezone(UTC)
        self.now = max(planned, self.now + timedelta(minutes=rng.randint(3, 40)))
        if self.now >= self.real_start:
            self.now = self.real_start - timedelta(seconds=1)

    def start_case(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 0, 0, tzinfo=TZ).astimezone(UTC)


def install_clock(session: Session, clock: Clock) -> None:
    @event.listens_for(session, "before_flush")
    def _stamp(db: Session, _context, _instances) -> None:  # noqa: ANN001
        now = clock.now
        for obj in db.new:
            if isinstance(obj, CaseEvent):
                obj.at = now
            elif isinstance(obj, CaseRecord):
                obj.created_at = now
            elif isinstance(obj, Case):
                obj.created_at = obj.updated_at = now
            elif isinstance(obj, Transfer):
                obj.created_at = now
                if obj.sent_at is not None:  # a letter that needs no sign-off is sent as it is written
                    obj.sent_at = now
        for obj in db.dirty:
            if isinstance(obj, Case):
                obj.updated_at = now
            elif isinstance(obj, Transfer):
                for name in ("sent_at", "answered_at", "fed_back_at"):
                    value = getattr(obj, name)
                    if value is not None and value >= clock.real_start:
                        setattr(obj, name, now)
