"""Scoped search for a principal: the index when it opens, the database (labelled, slower) when it does not."""

from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, or_
from sqlmodel import Session, select

import search
from portal import freshness, inputs
from portal.cases.access import get_case, transferred_ids, visible_condition
from portal.cases.models import Case, Party
from portal.cases.parties import PERSONAL_DATA_ROLES
from portal.db import lock, stored_id
from portal.dossiers.service import may_download
from portal.errors import Invalid, NotFound
from portal.people.models import Person
from portal.scope import Principal
from portal.searching import documents
from portal.searching.models import SavedSearch

FALLBACK_NOTE = (
    "全文索引暂不可用，正在使用数据库检索：较慢，只按案号、案件名称、当事人姓名和案情摘要逐词查找，"
    "不支持高级语法、分面和高亮。"
)
FACET_LABELS = {
    "dtype": "纠纷类型",
    "status": "状态",
    "tier": "层级",
    "org": "办理机构",
    "year": "年份",
    "mediator": "调解员",
    "outcome": "调解结果",
}
log = logging.getLogger("portal.search")
_indexes: dict[Path, search.SearchIndex] = {}
_lock = threading.Lock()
_LONG_DIGITS = re.compile(r"\d{6,}")
_dictionary_at: dict[str, str | None] = {}  # database → the directory generation the query dictionary was loaded at


def load_dictionary(db: Session) -> None:
    """Make the query dictionary's place and organisation names those of the database now (search.set_words).

    Every search calls this, so every worker process splits a query the same way from the same data: an organisation
    created or renamed is in every process's dictionary from the next search on (the generation of the organisation
    table, read in one statement, says whether anything changed; portal.freshness)."""
    generation = freshness.current(db).directory
    key = freshness.database_of(db)
    if key not in _dictionary_at or _dictionary_at[key] != generation:
        search.set_words(documents.place_names(db))
        _dictionary_at.clear()  # one dictionary per process: only the database loaded last is current
        _dictionary_at[key] = generation


def index_for(root: Path) -> search.SearchIndex:
    """One long-lived reader per index directory per process."""
    with _lock:
        if root not in _indexes:
            _indexes[root] = search.SearchIndex(root)
        return _indexes[root]


def warm(index_root: Path) -> None:
    """Before the first search: jieba's dictionary (~0.7 s) and the index's per-segment sets
    (search.SearchIndex.warm)."""
    search.warm_up()
    with contextlib.suppress(
        search.IndexUnavailable
    ):  # not built yet: the indexer builds it, the searches fill the sets
        index_for(index_root).warm()


def start_warming(index_root: Path, then: Callable[[], None] | None = None) -> None:
    """At server start-up, in the background: requests are served meanwhile (the first ones wait for what they need).
    `then` runs when the warm-up is over, whether it succeeded or not."""

    def run() -> None:
        try:
            warm(index_root)
        except Exception:  # noqa: BLE001 - a failed warm-up only leaves the work to the first searches
            log.warning("search warm-up failed", exc_info=True)
        if then is not None:
            then()

    threading.Thread(target=run, name="search-warm-up", daemon=True).start()


def scope_of(db: Session, principal: Principal) -> search.Scope:
    """Subtrees by path, plus the cases reached through transfers — applied inside the index query."""
    return search.Scope(paths=tuple(principal.roots()), case_ids=transferred_ids(db, principal))


@dataclass
class Outcome:
    results: search.SearchResults
    fallback: bool = False
    reason: str = ""
    params: dict = field(default_factory=dict)


def _request(params: dict, principal: Principal, size: int) -> search.SearchRequest:
    try:
        page = min(inputs.integer(params.get("page") or 1, label="页码", low=1), 1000)
    except inputs.BadInput:
        page = 1
    filters = {k: str(params[k])[:60] for k in search.FACETS if params.get(k)}
    return search.SearchRequest(
        q=str(params.get("q") or "")[:10_000],
        filters=filters,
        sort="date" if params.get("sort") == "date" else "relevance",
        page=page,
        size=size,
        id_numbers=tuple(principal.roots(*PERSONAL_DATA_ROLES)),
    )


def run(
    db: Session, principal: Principal, index_root: Path, params: dict, *, size: int = 20, facets: bool = True
) -> Outcome:
    req = _request(params, principal, size)
    req.facets = facets
    scope = scope_of(db, principal)
    load_dictionary(db)
    try:
        results = index_for(index_root).search(req, scope)
        results.hits = still_visible(db, principal, scope, results.hits)
        return Outcome(results, params=params)
    except search.IndexUnavailable as exc:
        return Outcome(fallback_search(db, principal, req, scope), fallback=True, reason=exc.reason, params=params)


def dossier_readers(db: Session, principal: Principal, hits: list[search.Hit]) -> set[int]:
    """The hits whose filed dossier the person may open (portal.dossiers.service.may_download): only those get the
    link to a dossier page; the others see the page number as text."""
    ids = {h.case_id for h in hits if any(s.page for s in h.snippets)}
    if not ids:
        return set()
    return {stored_id(c.id) for c in db.exec(select(Case).where(Case.id.in_(ids))).all() if may_download(principal, c)}


def still_visible(db: Session, principal: Principal, scope: search.Scope, hits: list[search.Hit]) -> list[search.Hit]:
    """The shown hits that the person may still see in the database: after an organisation moves, its cases' documents
    keep their old scope until the indexer has rewritten them (docs/org-moves.md); no snippet of a case that moved
    out of sight is shown meanwhile. One indexed lookup of at most a page of ids."""
    if not hits:
        return hits
    ids = [h.case_id for h in hits]
    seen = set(db.exec(select(Case.id).where(Case.id.in_(ids), visible_condition(principal, via=scope.case_ids))).all())
    return [h for h in hits if h.case_id in seen]


def fallback_search(
    db: Session, principal: Principal, req: search.SearchRequest, scope: search.Scope
) -> search.SearchResults:
    """Every plain word must appear in the number, title, summary or a party's name; same scope as the index.

    The database holds identity and phone numbers unmasked: a word with a long run of digits answers nothing unless
    the person may search such numbers (the index would not have found it either: its texts are masked)."""
    words = [w.strip('"') for w in req.q.split() if w.strip('"') and not w.startswith("-") and ":" not in w][:8]
    if not req.id_numbers and any(_LONG_DIGITS.search(search.normalise(w)) for w in words):
        note = "数据库检索不按证件号码或电话查找：您的角色不能按证件号码或电话搜索。"
        return search.SearchResults(total=0, hits=[], page=1, pages=1, notes=[FALLBACK_NOTE, note], plain=True)
    visible = visible_condition(principal, via=scope.case_ids)
    conditions = []
    for w in words:
        like = f"%{w[:50]}%"
        party = select(Party.id).where(Party.case_id == Case.id, Party.name.like(like)).exists()
        conditions.append(or_(Case.number.like(like), Case.title.like(like), Case.summary.like(like), party))
    if req.filters.get("status"):
        conditions.append(Case.state == req.filters["status"])
    if req.filters.get("dtype"):
        conditions.append(Case.dispute_type == req.filters["dtype"])
    total = db.exec(select(func.count()).select_from(Case).where(visible, *conditions)).one()
    pages = max(1, math.ceil(total / req.size))
    page = min(req.page, pages)
    rows = db.exec(
        select(Case)
        .where(visible, *conditions)
        .order_by(Case.received_on.desc(), Case.id.desc())
        .offset((page - 1) * req.size)
        .limit(req.size)
    ).all()
    hits = [
        search.Hit(
            case_id=c.id,
            number=c.number,
            title=c.title,
            score=0.0,
            status=c.state.value,
            dispute_type=c.dispute_type,
            org_id=c.org_id,
            received_on=c.received_on,
            parties="",
        )
        for c in rows
    ]
    return search.SearchResults(total=total, hits=hits, page=page, pages=pages, notes=[FALLBACK_NOTE], plain=True)


def suggest(db: Session, principal: Principal, index_root: Path, prefix: str) -> list[search.Suggestion]:
    try:
        return index_for(index_root).suggest(prefix[:30], scope_of(db, principal))
    except search.IndexUnavailable:
        return []


def similar(db: Session, principal: Principal, index_root: Path, case_id: int) -> list[search.Hit]:
    get_case(db, principal, case_id)  # 404 outside the scope, before anything is looked up
    scope = scope_of(db, principal)
    try:
        return still_visible(db, principal, scope, index_for(index_root).similar(case_id, scope))
    except search.IndexUnavailable:
        return []


def status(index_root: Path, engine) -> dict:  # noqa: ANN001
    """For /healthz and the administrators' workspace."""
    from portal.searching.indexer import pending

    state = index_for(index_root).status()
    try:
        queued = pending(engine)
    except Exception:  # noqa: BLE001 - health reports, never raises
        queued = None
    return {
        "ok": state["ok"],
        "fallback": not state["ok"],
        "reason": state["reason"],
        "documents": state["documents"],
        "queued": queued,
        "building": bool(state.get("missing")),
    }  # the first build after installation: not a fault


# --- saved searches ---------------------------------------------------------------------------------
def clean_params(params: dict) -> str:
    keep = {k: str(v)[:200] for k, v in params.items() if k in ("q", "sort", *search.FACETS) and v}
    return urlencode(keep)


def saved_of(db: Session, principal: Principal) -> list[SavedSearch]:
    return list(
        db.exec(select(SavedSearch).where(SavedSearch.person_id == principal.person.id).order_by(SavedSearch.id)).all()
    )


def save(db: Session, principal: Principal, name: str, params: dict) -> SavedSearch:
    name = name.strip()[:60]
    query = clean_params(params)
    if not name:
        raise Invalid("请为保存的搜索起一个名称。")
    if not query:
        raise Invalid("空的搜索不能保存。")
    lock(db, Person, principal.person.id)  # two saves at once count each other
    if len(saved_of(db, principal)) >= 20:
        raise Invalid("最多保存 20 个搜索。")
    saved = SavedSearch(person_id=principal.person.id, name=name, params=query)
    db.add(saved)
    db.flush()
    return saved


def delete_saved(db: Session, principal: Principal, saved_id: int) -> None:
    saved = db.get(SavedSearch, saved_id)
    if saved is None or saved.person_id != principal.person.id:
        raise NotFound("保存的搜索不存在。")
    db.delete(saved)


def saved_with_counts(db: Session, principal: Principal, index_root: Path) -> list[tuple[SavedSearch, int | None]]:
    """Each saved search with its live count (None when only the database could answer)."""
    out: list[tuple[SavedSearch, int | None]] = []
    for saved in saved_of(db, principal):
        outcome = run(db, principal, index_root, dict(parse_qsl(saved.params)), size=1, facets=False)
        out.append((saved, outcome.results.total))
    return out


def queue_all(db: Session) -> int:
    from portal.searching.outbox import enqueue_all

    return enqueue_all(db)
