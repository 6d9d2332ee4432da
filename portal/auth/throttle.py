"""Sign-in throttling: repeated failures lock an account, or an address, for a while."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from portal.auth.models import LoginFailure
from portal.db import utcnow
from portal.settings import Settings


def _keys(username: str, address: str) -> tuple[str, str]:
    return f"acct:{username.strip().lower()}"[:200], f"addr:{address}"[:200]


def locked_minutes(db: Session, settings: Settings, username: str, address: str) -> int:
    """Minutes until sign-in is allowed again for this account or address; 0 when not locked."""
    window = timedelta(minutes=settings.login_lock_minutes)
    since = utcnow() - window
    worst = 0
    for key, limit in zip(
        _keys(username, address),
        (settings.login_max_failures_account, settings.login_max_failures_address),
        strict=True,
    ):
        count, last = db.exec(
            select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.key == key, LoginFailure.at > since)
        ).one()
        if count >= limit and last is not None:
            remaining = (last + window - utcnow()).total_seconds() / 60
            worst = max(worst, max(1, math.ceil(remaining)))
    return worst


def record_failure(db: Session, username: str, address: str) -> None:
    for key in _keys(username, address):
        db.add(LoginFailure(key=key))


def clear_account(db: Session, username: str) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.key == _keys(username, "")[0]))


def prune(db: Session, settings: Settings) -> None:
    """Forget failures older than the lock window."""
    db.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(minutes=settings.login_lock_minutes)))
