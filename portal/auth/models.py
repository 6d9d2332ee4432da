"""Server-side sessions and sign-in failures."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from portal.db import utcnow


class WebSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, counted per account ('acct:…') and per address ('addr:…')."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
