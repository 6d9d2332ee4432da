"""Server-side sessions: the cookie carries a random token, the database its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session

from portal.auth.models import WebSession
from portal.db import utcnow
from portal.people.models import Person

COOKIE_NAME = "portal_session"
_TOUCH_EVERY = timedelta(seconds=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Session, person: Person, *, address: str, user_agent: str, replaces: str | None = None) -> str:
    """A new session for `person`; any session the browser held before is ended (id rotation)."""
    if replaces:
        end(db, replaces)
    token = secrets.token_urlsafe(32)
    db.add(WebSession(id=_digest(token), person_id=person.id, address=address[:64], user_agent=user_agent[:300]))
    return token


def end(db: Session, token: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def end_all_for(db: Session, person_id: int, *, keep: str | None = None) -> None:
    """End every session of a person (deactivation, password change), optionally keeping one token."""
    query = delete(WebSession).where(WebSession.person_id == person_id)
    if keep:
        query = query.where(WebSession.id != _digest(keep))
    db.execute(query)


def person_of(db: Session, token: str) -> Person | None:
    """Whose session the token is, without touching or ending it (for attributing refused requests)."""
    row = db.get(WebSession, _digest(token)) if token else None
    return db.get(Person, row.person_id) if row else None


@dataclass
class Loaded:
    session: WebSession | None
    person: Person | None
    expired: bool = False


def due_for_touch(row: WebSession) -> bool:
    return utcnow() - row.last_seen_at > _TOUCH_EVERY


def load(db: Session, token: str, *, idle: timedelta, max_age: timedelta, touch: bool = True) -> Loaded:
    """The session and person for `token`; an idle or too old session is ended and reported expired.

    With touch=False nothing is written (the caller writes in a separate transaction when needed).
    """
    row = db.get(WebSession, _digest(token))
    if row is None:
        return Loaded(None, None)
    now = utcnow()
    person = db.get(Person, row.person_id)
    if now - row.last_seen_at > idle or now - row.created_at > max_age or person is None or not person.active:
        if touch:
            db.delete(row)
        return Loaded(None, person, expired=True)
    if touch and now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        db.add(row)
    return Loaded(row, person)
