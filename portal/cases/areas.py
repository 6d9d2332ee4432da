"""Whose desk a thing lands on: a person's own area for a set of roles is the subtree of each body where they hold one
of those roles, less the subtrees of bodies below that have someone in such a role of their own. A township's clerk
answers what is sent to its villages without a clerk; a village with its own director answers its own."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, false, not_, or_
from sqlmodel import Session, select

from portal.orgs.models import Organisation
from portal.people.models import Membership, Person, Role
from portal.scope import Principal, prefix_pattern


def staffed(column, roles: tuple[Role, ...]):  # noqa: ANN001, ANN201
    """SELECT `column` (of Organisation or Membership) of the active organisations where an active person holds one
    of `roles`; the caller adds its own WHERE."""
    return (
        select(column)
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.role.in_(roles), Person.active == True, Organisation.active == True)  # noqa: E712
        .distinct()
    )


def own_area(db: Session, principal: Principal, roles: tuple[Role, ...]) -> Callable:
    """A function of a materialised-path column giving the SQL condition "inside the person's own area"."""
    mine = sorted({g.org.path for g in principal.grants if g.role in roles})
    if not mine:
        return lambda column: false()
    below = db.exec(
        staffed(Organisation.path, roles).where(or_(*[Organisation.path.like(prefix_pattern(p)) for p in mine]))
    ).all()
    others = sorted(set(below) - set(mine))

    def area(column):  # noqa: ANN001, ANN202
        inside = or_(*[column.like(prefix_pattern(p)) for p in mine])
        return and_(inside, not_(or_(*[column.like(prefix_pattern(p)) for p in others]))) if others else inside

    return area
