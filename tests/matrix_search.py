"""Search routes in the permission matrix: the page and its fragments, saved searches, similar cases, the API."""

from __future__ import annotations

from factories import World
from matrix_cases import case_of
from sqlmodel import Session
from test_permissions import Route

from portal.searching.models import SavedSearch


def saved_id(db: Session, w: World, side: str) -> int:
    """Someone else's saved search: only its owner may delete it (the owner's own delete is in test_searching)."""
    saved = SavedSearch(
        person_id=w.person("b1.mediator" if side == "out" else "a1.mediator").id, name="他人的搜索", params="q=宅基地"
    )
    db.add(saved)
    db.commit()
    return saved.id


ROUTES = [
    Route("search_cases", "GET", None, "any", lambda w, s: "/search?q=宅基地"),
    Route("search_suggest", "GET", None, "any", lambda w, s: "/search/suggest?q=人调"),
    Route("saved_searches", "GET", None, "any", lambda w, s: "/search/saved"),
    Route("similar_cases", "GET", "case", "any", lambda db, w, s: f"/cases/{case_of(db, w, s, 'plain').id}/similar"),
    Route("api_search", "GET", None, "any", lambda w, s: "/api/search?q=宅基地", anonymous=401),
    Route(
        "save_search",
        "POST",
        None,
        "any",
        lambda w, s: "/search/saved",
        lambda db, w, s: {"name": "宅基地", "q": "宅基地"},
        ok=303,
    ),
    Route(
        "delete_saved_search",
        "POST",
        "saved",
        "any",
        lambda db, w, s: f"/search/saved/{saved_id(db, w, s)}/delete",
        expect=lambda role, side: 404,
    ),
]
