"""Each person's training history, for the roster: the last session and this year's sessions and hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from portal.training.models import TrainingAttendee, TrainingSession


@dataclass
class History:
    """A person's training: the last session, and this year's sessions and hours."""

    last_on: date | None = None
    last_topic: str = ""
    sessions_this_year: int = 0
    hours_this_year: Decimal = Decimal("0")


def histories(db: Session, person_ids: list[int], *, year: int) -> dict[int, History]:
    """For the roster: each person's training history (every session they attended, whoever organised it)."""
    if not person_ids:
        return {}
    rows = db.exec(
        select(TrainingAttendee.person_id, TrainingSession.held_on, TrainingSession.topic, TrainingSession.hours)
        .join(TrainingSession, TrainingSession.id == TrainingAttendee.session_id)
        .where(TrainingAttendee.person_id.in_(person_ids))
        .order_by(TrainingSession.held_on, TrainingSession.id)
    ).all()
    out: dict[int, History] = {}
    for pid, held_on, topic, hours in rows:
        h = out.setdefault(pid, History())
        h.last_on, h.last_topic = held_on, topic
        if held_on.year == year:
            h.sessions_this_year += 1
            h.hours_this_year += Decimal(hours)
    return out
