"""Server-side sessions: the cookie carries a random token, the database its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
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
    forget(token)
    db.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def end_all_for(db: Session, person_id: int, *, keep: str | None = None) -> None:
    """End every session of a person (deactivation, password change), optionally keeping one token."""
    forget_person(person_id)
    query = delete(WebSession).where(WebSession.person_id == person_id)
    if keep:
        query = query.where(WebSession.id != _digest(keep))
    db.execute(query)


# --- a few seconds' memory of who a session is -------------------------------------------------
# Every request names its session; looking it up (session row, person, roles) in its own
# transaction was a third of a case page's CPU. A worker process remembers the answer for
# PORTAL_SESSION_CACHE_SECONDS (default 2 s; 0 turns it off). Ending a session or a person's
# sessions forgets them here at once; another worker process notices at the latest when its
# memory of the session runs out. Role changes likewise take effect within those seconds.
_recent: dict[str, tuple[float, int, object]] = {}
_recent_lock = threading.Lock()
_RECENT_MAX = 10_000


def recall(token: str) -> object | None:
    """What `remember` kept for this session token, if it is still fresh."""
    item = _recent.get(_digest(token))
    if item is None or item[0] < time.monotonic():
        return None
    return item[2]


def remember(token: str, person_id: int, value: object, seconds: float) -> None:
    if seconds <= 0:
        return
    with _recent_lock:
        if len(_recent) >= _RECENT_MAX:
            now = time.monotonic()
            for key in [k for k, (until, _, _) in _recent.items() if until < now] or list(_recent)[: _RECENT_MAX // 10]:
                _recent.pop(key, None)
        _recent[_digest(token)] = (time.monotonic() + seconds, person_id, value)


def forget(token: str) -> None:
    with _recent_lock:
        _recent.pop(_digest(token), None)


def forget_everyone() -> None:
    """Forget every remembered session (an organisation was moved, renamed or (de)activated)."""
    with _recent_lock:
        _recent.clear()


def forget_person(person_id: int) -> None:
    """Forget every remembered session of a person (roles changed, deactivated, signed out everywhere)."""
    with _recent_lock:
        for key in [k for k, (_, pid, _) in _recent.items() if pid == person_id]:
            _recent.pop(key, None)


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
