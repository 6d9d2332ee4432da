"""The indexing outbox and saved searches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from portal.db import utcnow


class SearchOutbox(SQLModel, table=True):
    """A case whose search document must be rewritten; written in the transaction that changed the case."""

    __tablename__ = "search_outbox"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int  # no foreign key: a deleted case still needs its document removed
    created_at: datetime = Field(default_factory=utcnow)


class SavedSearch(SQLModel, table=True):
    """A person's saved query (its query string), shown on their workspace with a live count."""

    __tablename__ = "saved_search"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str = Field(max_length=60)
    params: str = Field(sa_column=Column(Text, nullable=False))  # the search page's query string
    created_at: datetime = Field(default_factory=utcnow)
