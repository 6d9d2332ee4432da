"""The search API's response types (msgspec Structs), which also make its OpenAPI schema."""

from __future__ import annotations

from datetime import date

import msgspec


class SearchHitOut(msgspec.Struct):
    """One case found; snippets are HTML-escaped text with <mark> around the matches."""

    id: int
    number: str
    title: str
    state: str
    dispute_type: str
    org_id: int
    received_on: date | None
    score: float
    snippets: list[str]


class FacetOut(msgspec.Struct):
    value: str
    count: int


class SearchOut(msgspec.Struct):
    items: list[SearchHitOut]
    total: int
    page: int
    pages: int
    fallback: bool
    notes: list[str]
    facets: dict[str, list[FacetOut]]
