"""联席会议 routes in the permission matrix (tests/test_permissions.py).

A meeting is read by whoever sees its convening body (county A's people, and the 司法局's 督导 through supervision);
county B's meeting is 404. Meetings are recorded, and decisions added, by directors, 督导 and administrators.
"""

from __future__ import annotations

from datetime import timedelta

from factories import World
from matrix_cases import _cached
from sqlmodel import Session
from test_permissions import Route

from portal import clock
from portal.meetings.models import Meeting, MeetingBody
from portal.people.models import Role

LEADS = (Role.DIRECTOR, Role.SUPERVISOR, Role.ADMIN)
SIDES = {"in": ("a", "a1a_g", "a1a.grid"), "out": ("b", "b1", "b1.mediator")}


def meeting_id(db: Session, w: World, side: str) -> int:
    cache = _cached(w)
    if ("meeting", side) not in cache:
        convener, body, _owner = SIDES[side]
        meeting = Meeting(org_id=w.org(convener).id, held_on=clock.today(), title=f"矩阵联席会议{side}", minutes="纪要")
        db.add(meeting)
        db.flush()
        db.add(MeetingBody(meeting_id=meeting.id, org_id=w.org(body).id))
        db.commit()
        cache[("meeting", side)] = meeting.id
    return cache[("meeting", side)]


def meeting_form(db: Session, w: World, side: str) -> dict:
    """In: the convener is the person's only body (left blank); out: county B, which nobody here may see."""
    return {
        "org_id": "" if side == "in" else str(w.org("b").id),
        "held_on": clock.today().isoformat(),
        "title": "矩阵测试联席会议",
        "body_ids": str(w.org(SIDES[side][1]).id),
    }


def decision_form(db: Session, w: World, side: str) -> dict:
    _convener, body, owner = SIDES[side]
    return {
        "text": "一周内完成回访",
        "org_id": str(w.org(body).id),
        "owner_id": str(w.person(owner).id),
        "due_on": (clock.today() + timedelta(days=7)).isoformat(),
    }


ROUTES = [
    Route("list_meetings", "GET", None, "any", lambda w, s: "/meetings"),
    Route("new_meeting_form", "GET", None, LEADS, lambda w, s: "/meetings/new"),
    Route("show_meeting", "GET", "meeting", "any", lambda db, w, s: f"/meetings/{meeting_id(db, w, s)}"),
    Route("meeting_minutes", "GET", "meeting", "any", lambda db, w, s: f"/meetings/{meeting_id(db, w, s)}/minutes.pdf"),
    Route(
        "create_meeting",
        "POST",
        "org",
        LEADS,
        lambda w, s: "/meetings",
        meeting_form,
        ok=303,
        expect=lambda role, side: (404 if side == "out" else 303) if role in LEADS else 403,
    ),
    Route(
        "add_decision",
        "POST",
        "meeting",
        LEADS,
        lambda db, w, s: f"/meetings/{meeting_id(db, w, s)}/decisions",
        decision_form,
        ok=303,
    ),
]
