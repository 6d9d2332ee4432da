"""Scoped access: the one mechanism that decides which organisations a person can see.

A person sees the subtree of every organisation where they hold a role (and the cases sent to
them). A 督导 (supervisor) of a supervising body also reads, as 督导, every subtree that body
supervises (`Supervision`, DOMAIN §8): those come in as grants of their own, so every query that
goes through a `Principal` — lists, pages, search, audit, statistics — counts them alike. Objects
outside the scope are reported as not found, never as forbidden.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from sqlalchemy import false, or_
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from portal.errors import Forbidden, NotFound
from portal.orgs.models import Organisation, Supervision
from portal.people.models import Membership, Person, Role

T = TypeVar("T")


@dataclass(frozen=True)
class Grant:
    """A role held over an organisation's subtree."""

    org: Organisation
    role: Role
    membership: Membership
    via: Organisation | None = None  # the supervising body, for a subtree read through supervision

    @property
    def path(self) -> str:
        return self.org.path


def prefix_pattern(path: str) -> str:
    """The LIKE pattern of everything under a materialised path."""
    if not path.strip("/").replace("/", "").isdigit():
        raise ValueError(f"not a materialised path: {path!r}")
    return path + "%"


def _outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


_CONDITIONS: dict[tuple, object] = {}  # (scope, key) -> condition or statement; see Principal.condition
_CONDITIONS_KEPT = 4096
_MISSING = object()


@dataclass
class Principal:
    """The signed-in person with the grants that define their scope."""

    person: Person
    grants: list[Grant]
    session_id: str = ""
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def memberships(self) -> list[Grant]:
        """The roles the person holds (without the subtrees they read through supervision)."""
        return [g for g in self.grants if g.via is None]

    @property
    def supervised(self) -> list[Grant]:
        """The subtrees the person reads as 督导 of a supervising body."""
        return [g for g in self.grants if g.via is not None]

    def roots(self, *roles: Role) -> list[str]:
        """Paths of the outermost organisations where the person holds any of `roles` (any role if none)."""
        key = ("roots", roles)
        if key not in self._cache:
            self._cache[key] = _outermost(g.path for g in self.grants if not roles or g.role in roles)
        return self._cache[key]

    def sees(self, path: str) -> bool:
        return any(path.startswith(root) for root in self.roots())

    def has_role_over(self, path: str, *roles: Role) -> bool:
        return any(path.startswith(root) for root in self.roots(*roles))

    def path_filter(self, column: ColumnElement[str], *roles: Role) -> ColumnElement[bool]:
        """SQL condition: `column` (a materialised path) lies inside the person's scope.

        A plain prefix LIKE (paths hold only digits and slashes, nothing to escape), which SQLite
        (case-sensitive LIKE, see portal.db) and PostgreSQL (pattern-ops indexes) answer from an index.
        """
        if isinstance(column, InstrumentedAttribute):  # a model's column: the same condition every time
            return self.condition(
                ("path_filter", column.class_.__name__, column.key, roles), lambda: self._path_filter(column, roles)
            )
        return self._path_filter(column, roles)

    def _path_filter(self, column: ColumnElement[str], roles: tuple[Role, ...]) -> ColumnElement[bool]:
        roots = self.roots(*roles)
        if not roots:
            return false()
        return or_(*[column.like(prefix_pattern(root)) for root in roots])

    @property
    def scope(self) -> frozenset[tuple[str, str]]:
        """What every scope condition is made of: the (path, role) of each grant. Two Principals with the same scope —
        the same person signed in again, or colleagues with the same roles — get the same conditions."""
        key = ("scope",)
        if key not in self._cache:
            self._cache[key] = frozenset((g.path, g.role.value) for g in self.grants)
        return self._cache[key]

    def condition(self, key: Hashable, build: Callable[[], T]) -> T:
        """A scope condition (or a whole statement) built once per scope in this process (and looked up once per
        Principal). SQL expressions are immutable: the busiest pages stop rebuilding the same conditions, and
        SQLAlchemy keys a statement it has seen without walking it again. A worker reloads a Principal every few
        seconds (PORTAL_SESSION_CACHE_SECONDS); kept only on the Principal, every reload built and keyed them anew."""
        key = ("condition", key)
        try:
            return self._cache[key]
        except KeyError:
            pass
        shared = (self.scope, key)
        value = _CONDITIONS.get(shared, _MISSING)
        if value is _MISSING:
            if len(_CONDITIONS) >= _CONDITIONS_KEPT:  # filters make the set open-ended: start again rather than grow
                _CONDITIONS.clear()
            value = _CONDITIONS[shared] = build()
        self._cache[key] = value
        return cast(T, value)  # what build() made for this key

    @property
    def can_admin(self) -> bool:
        return bool(self.roots(Role.ADMIN))

    @property
    def can_audit(self) -> bool:
        return bool(self.roots(Role.ADMIN, Role.SUPERVISOR))

    def can_see_personal_data(self, path: str) -> bool:
        """Whether the role needs unmasked phone numbers of people in this organisation."""
        return self.has_role_over(path, Role.ADMIN, Role.SUPERVISOR)

    def visible_org(self, db: Session, org_id: int) -> Organisation:
        """The organisation, or NotFound when it is missing or outside the scope."""
        org = db.get(Organisation, org_id)
        if org is None or not self.sees(org.path):
            raise OutOfScope("组织机构不存在或您无权查看。", object_type="organisation", object_id=org_id)
        return org

    def require_admin_over(self, org: Organisation) -> None:
        if not self.has_role_over(org.path, Role.ADMIN):
            raise Forbidden("只有本级或上级的管理员可以管理该组织的机构和人员。")


class OutOfScope(NotFound):
    """A request for an object outside the person's scope: answered as 404 and audited."""

    def __init__(self, message: str, *, object_type: str, object_id: object) -> None:
        super().__init__(message)
        self.object_type = object_type
        self.object_id = str(object_id)


_SUPERVISING = aliased(Organisation)


def load_principal(db: Session, person: Person, session_id: str = "") -> Principal:
    """The person's grants in active organisations, then the active subtrees their supervising bodies supervise."""
    rows = db.exec(
        select(Membership, Organisation)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.person_id == person.id, Organisation.active == True)  # noqa: E712
        .order_by(Organisation.depth, Organisation.sort_order, Organisation.id, Membership.role)
    ).all()
    grants = [Grant(org=o, role=m.role, membership=m) for m, o in rows]
    if any(g.role is Role.SUPERVISOR for g in grants):
        supervised = db.exec(
            select(Membership, Organisation, _SUPERVISING)
            .join(Supervision, Supervision.org_id == Membership.org_id)
            .join(_SUPERVISING, _SUPERVISING.id == Membership.org_id)
            .join(Organisation, Organisation.id == Supervision.supervised_id)
            .where(
                Membership.person_id == person.id,
                Membership.role == Role.SUPERVISOR,
                _SUPERVISING.active == True,  # noqa: E712
                Organisation.active == True,  # noqa: E712
            )
            .order_by(Organisation.depth, Organisation.sort_order, Organisation.id)
        ).all()
        grants += [Grant(org=o, role=Role.SUPERVISOR, membership=m, via=boss) for m, o, boss in supervised]
    return Principal(person=person, grants=grants, session_id=session_id)
