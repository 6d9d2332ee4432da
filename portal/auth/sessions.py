"""Server-side sessions: the cookie carries a random token, the database its SHA-256."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.auth.models import WebSession
from portal.people.models import Membership, Person

log = logging.getLogger(__name__)

COOKIE_NAME = "portal_session"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Session, person: Person, *, address: str, user_agent: str, replaces: str | None = None) -> str:
    """A new session for `person`; any session the browser held before is ended (id rotation)."""
    if replaces:
        end(db, replaces)
    token = secrets.token_urlsafe(32)
    db.add(WebSession(id=digest(token), person_id=person.id, address=address[:64], user_agent=user_agent[:300]))
    return token


def end(db: Session, token: str) -> None:
    forget(token)
    db.execute(delete(WebSession).where(WebSession.id == digest(token)))


def end_all_for(db: Session, person_id: int, *, keep: str | None = None) -> None:
    """End every session of a person (deactivation, password change), optionally keeping one token."""
    forget_person(person_id)
    query = delete(WebSession).where(WebSession.person_id == person_id)
    if keep:
        query = query.where(WebSession.id != digest(keep))
    db.execute(query)


# --- who a session is: checked on every request, remembered between changes ----------------------
# Every request reads its session row with one statement (check), in whichever worker process it lands: a session
# ended anywhere (sign-out, deactivation, password change or reset, idle or age limit) is refused at once by every
# worker. What that statement cannot see cheaply — the person's roles and organisations, a few index lookups more —
# a worker keeps per session under the *generation* the statement reads along (the person's version and their role
# memberships), so a role granted or removed, or a person edited, is seen at once too; organisations renamed, moved or
# (de)activated by another process are seen within PORTAL_SESSION_CACHE_SECONDS (default 2 s; 0: never kept).
_recent: dict[str, tuple[float, int, object, object]] = {}  # digest -> (until, person id, generation, value)
_recent_lock = threading.Lock()
_RECENT_MAX = 10_000


def recall(token: str, generation: object) -> object | None:
    """What `remember` kept for this session token at this generation, if it is still fresh."""
    item = _recent.get(digest(token))
    if item is None or item[0] < time.monotonic() or item[2] != generation:
        return None
    return item[3]


def remember(token: str, person_id: int, generation: object, value: object, seconds: float) -> None:
    if seconds <= 0:
        return
    with _recent_lock:
        if len(_recent) >= _RECENT_MAX:
            now = time.monotonic()
            for key in [k for k, item in _recent.items() if item[0] < now] or list(_recent)[: _RECENT_MAX // 10]:
                _recent.pop(key, None)
        _recent[digest(token)] = (time.monotonic() + seconds, person_id, generation, value)


def forget(token: str) -> None:
    with _recent_lock:
        _recent.pop(digest(token), None)


def forget_everyone() -> None:
    """Forget every remembered session (an organisation was moved, renamed or (de)activated)."""
    with _recent_lock:
        _recent.clear()


def forget_person(person_id: int) -> None:
    """Forget every remembered session of a person (roles changed, deactivated, signed out everywhere)."""
    with _recent_lock:
        for key in [k for k, item in _recent.items() if item[1] == person_id]:
            _recent.pop(key, None)


_ROLES = Membership.person_id == WebSession.person_id
_CHECK = (
    select(
        WebSession.person_id,
        WebSession.created_at,
        WebSession.last_seen_at,
        Person.active,
        Person.version,
        select(func.count(Membership.id)).where(_ROLES).scalar_subquery(),  # a role removed
        select(func.max(Membership.id)).where(_ROLES).scalar_subquery(),  # a role granted (memberships never change)
    )
    .join(Person, Person.id == WebSession.person_id)
    .where(WebSession.id == bindparam("digest"))
)


@dataclass(frozen=True)
class Seen:
    """A session row as the request found it, with its person's generation."""

    person_id: int
    created_at: datetime
    last_seen_at: datetime
    active: bool
    generation: tuple

    def expired(self, now: datetime, *, idle: timedelta, max_age: timedelta) -> bool:
        return not self.active or now - self.last_seen_at > idle or now - self.created_at > max_age

    def due_for_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at > TOUCH_EVERY


def check(db: Session, token: str) -> Seen | None:
    """The session of `token` and its person's generation, in one statement; None if it has ended."""
    row = db.exec(_CHECK, params={"digest": digest(token)}).first()
    if row is None:
        return None
    person_id, created, seen, active, version, roles, newest_role = row
    return Seen(person_id, created, seen, active, (version, roles, newest_role))


def person_of(db: Session, token: str) -> Person | None:
    """Whose session the token is, without touching or ending it (for attributing refused requests)."""
    row = db.get(WebSession, digest(token)) if token else None
    return db.get(Person, row.person_id) if row else None


def end_expired(db: Session, token: str) -> Person | None:
    """End a session found idle, too old, or of a deactivated person: whose it was (for the audit entry)."""
    row = db.get(WebSession, digest(token))
    if row is None:
        return None
    db.delete(row)
    forget(token)
    return db.get(Person, row.person_id)


# --- the last-seen time, written rarely and never in a request's way -----------------------------
# A session's last_seen_at decides its idle timeout (PORTAL_SESSION_IDLE_MINUTES, 30 by default), so it needs minutes,
# not seconds, of precision: it is moved on at most once a minute per session, and not by the request itself but by a
# writer thread per process that sends the touches gathered over a few seconds in one short transaction. A request that
# only reads never waits for SQLite's write lock on its own behalf.
TOUCH_EVERY = timedelta(seconds=60)


class Toucher:
    """Gathers sessions seen by this process and writes their last_seen_at every `interval` seconds."""

    def __init__(self, engine: Engine, interval: float = 5.0) -> None:
        self.engine, self.interval = engine, interval
        self.pending: dict[str, datetime] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def touch(self, token: str, at: datetime) -> None:
        with self.lock:
            self.pending[digest(token)] = at

    def start(self) -> None:
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="session-toucher", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Write what was gathered and end the thread (the last write happens there: stop() runs on the event loop,
        which may not take a database connection)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            self.flush()
        self.flush()

    def flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, {}
        if not batch:
            return
        rows = [{"digest": digest, "at": at} for digest, at in batch.items()]
        try:
            with self.engine.begin() as conn:  # Core's executemany (the ORM would read a list as a bulk by primary key)
                conn.execute(_TOUCH, rows)
        except Exception:  # noqa: BLE001 - a busy database: keep them for the next round (newer touches win)
            log.warning("session touches postponed (%d sessions)", len(rows), exc_info=True)
            with self.lock:
                for digest, at in batch.items():
                    self.pending.setdefault(digest, at)


_SESSIONS = WebSession.__table__
_TOUCH = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("digest"), _SESSIONS.c.last_seen_at < bindparam("at"))
    .values(last_seen_at=bindparam("at"))
)
