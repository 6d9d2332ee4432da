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


def own_area(db: Session, principal: Principal, roles: tuple[Role, ...]) -> Callable:
    """A function of a materialised-path column giving the SQL condition "inside the person's own area"."""
    mine = sorted({g.org.path for g in principal.grants if g.role in roles})
    if not mine:
        return lambda column: false()
    staffed = db.exec(
        select(Organisation.path)
        .join(Membership, Membership.org_id == Organisation.id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.role.in_(roles),
            Person.active == True,  # noqa: E712
            Organisation.active == True,  # noqa: E712
            or_(*[Organisation.path.like(prefix_pattern(p)) for p in mine]),
        )
        .distinct()
    ).all()
    others = sorted(set(staffed) - set(mine))

    def area(column):  # noqa: ANN001, ANN202
        inside = or_(*[column.like(prefix_pattern(p)) for p in mine])
        return and_(inside, not_(or_(*[column.like(prefix_pattern(p)) for p in others]))) if others else inside

    return area
