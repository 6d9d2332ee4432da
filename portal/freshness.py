"""What a worker process may keep between requests, and the one statement that says whether it still holds.

The case list is the busiest page, and most of what it reads besides its 50 rows changes rarely: the counts
per state of a scope, the cases that reached a person through transfers, the organisations and people in
the filter's drop-downs. Each is kept per process under the *generation* it was read at, and used only
while the generation is unchanged:

- cases: the newest `updated_at` and the highest id of the case table. Every change to a case — its parties,
  records, files, mediators and transfers included — bumps its `updated_at` (portal.cases.access.touch).
- directory: the newest `updated_at` and the number of organisations, the newest `updated_at` of people,
  and the number and highest id of role memberships: creating, editing, moving or deactivating either,
  and granting or removing a role, changes one of them.

Reading the generation is one statement of single-row index lookups, prepared once; the case list reads it within
its own statement instead (assumed, confirmed_by).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlmodel import Session

from portal.cases.models import Case
from portal.orgs.models import Organisation
from portal.people.models import Membership, Person

T = TypeVar("T")


@dataclass(frozen=True)
class Generation:
    cases: str | None
    directory: str | None


def _key(*aggregates) -> ColumnElement[str]:  # noqa: ANN002
    """Scalar subqueries, each one step down an index or over a small table (a combined max() would scan), joined
    into one short text: as a column it rides along with every row of a page's own statement (see confirmed_by),
    where seven typed columns cost more to decode, fifty times over, than the statement they save."""
    parts = [func.coalesce(cast(select(aggregate).scalar_subquery(), String), "") for aggregate in aggregates]
    joined: ColumnElement[str] = parts[0]
    for part in parts[1:]:
        joined = joined + "|" + part
    return joined


COLUMNS = (
    _key(func.max(Case.updated_at), func.max(Case.id)).label("generation_cases"),
    _key(
        func.max(Organisation.updated_at),
        func.count(Organisation.id),
        func.max(Person.updated_at),
        func.count(Membership.id),
        func.max(Membership.id),
    ).label("generation_directory"),
)
_CURRENT = select(*COLUMNS)
_LAST_SEEN: dict[str, Generation] = {}


def _saw(db: Session, values: tuple) -> Generation:
    """The generation of COLUMNS' values, remembered as the one this process saw last (see assumed)."""
    generation = Generation(cases=values[0], directory=values[1])
    _LAST_SEEN[database_of(db)] = generation
    return generation


def current(db: Session) -> Generation:
    """Read before computing anything to keep:
    a value is stored under the generation read before it, never a later one."""
    return _saw(db, tuple(db.exec(_CURRENT).one()))


def assumed(db: Session) -> Generation:
    """The generation this process saw last (no statement), to be confirmed by the page's own statement: see
    confirmed_by. The first request of a process reads it."""
    seen = _LAST_SEEN.get(database_of(db))
    return seen if seen is not None else current(db)


def confirmed_by(db: Session, rows: list) -> Generation:
    """The generation that rows selected with COLUMNS were read at (read on its own when there are no rows).

    A page that assumed a generation and finds it unchanged here used kept values that hold for its own snapshot;
    one that finds another recomputes under this one. That saves the busiest pages a statement per request.
    """
    return _saw(db, tuple(rows[0][-len(COLUMNS) :])) if rows else current(db)


class Remembered:
    """A bounded per-process store of values, each valid only at the generation it was computed at."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, generation: Hashable, compute: Callable[[], T]) -> T:
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None and hit[0] == generation:
                self.entries.move_to_end(key)
                return hit[1]
        value = compute()
        with self.lock:
            self.entries[key] = (generation, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


_NAMES: dict[int, tuple[object, str]] = {}  # id(URL) -> (that URL, kept so the id is not reused; its string)


def database_of(db: Session) -> str:
    """Part of every key: one process may serve (or test) several databases. An engine's URL is one object for its
    life, so its string (SQLAlchemy renders it anew, quoting each part, every time) is made once."""
    url = db.get_bind().url
    known = _NAMES.get(id(url))
    if known is None or known[0] is not url:
        known = _NAMES[id(url)] = (url, str(url))
    return known[1]
