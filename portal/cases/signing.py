"""Who signs a transfer letter off (审签): the sending body's own leader, never the body that will answer the letter.

A body's leader is whoever holds 调委会主任 or 负责人 in that very body (a 信访局 or 法院 centre, a 派出所 has a 负责人,
a committee its 主任); a director higher up the tree no longer signs for it. A body without a leader of its own (a 网格,
a 村民小组, a centre whose 负责人 is not yet appointed) borrows the nearest leader above it. When that signer would be
the body that answers the letter — a grid's report to its own village, a leaderless 派出所's letter to its township —
nobody signs twice: the letter is sent at once and the receiver accepts or returns it.
"""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import Session

from portal.cases.areas import staffed
from portal.cases.models import Transfer
from portal.db import stored_id
from portal.orgs.models import Organisation
from portal.people.models import Membership, Role
from portal.scope import Principal

LEADER_ROLES = (Role.DIRECTOR, Role.HEAD)
ANSWER_ROLES = (Role.CLERK, Role.DIRECTOR, Role.HEAD)


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def nearest_with(db: Session, org: Organisation, roles: tuple[Role, ...]) -> Organisation | None:
    """The organisation itself or its nearest ancestor where an active person holds one of `roles`."""
    ids = _path_ids(org.path)
    held = set(db.exec(staffed(Membership.org_id, roles).where(Membership.org_id.in_(ids))).all())
    for org_id in reversed(ids):
        if org_id in held:
            return org if org_id == org.id else db.get(Organisation, org_id)
    return None


def signing_body(db: Session, sender: Organisation, receiver: Organisation) -> Organisation | None:
    """The body whose leader signs a letter from `sender` to `receiver`; None when it is sent without a sign-off."""
    body = nearest_with(db, sender, LEADER_ROLES)
    if body is None:
        return None
    answerer = nearest_with(db, receiver, ANSWER_ROLES)
    return None if answerer is not None and answerer.id == body.id else body


def leads(principal: Principal, org_id: int) -> bool:
    """Whether the person holds a leader role in that very organisation."""
    return any(g.org.id == org_id and g.role in LEADER_ROLES for g in principal.grants)


def can_sign(principal: Principal, transfer: Transfer) -> bool:
    if transfer.signer_org_id is None:  # drafted before signing bodies were recorded: a director over the sender
        return principal.has_role_over(transfer.from_path, Role.DIRECTOR)
    return leads(principal, transfer.signer_org_id)


def to_sign_condition(principal: Principal):  # noqa: ANN201
    """SQL over Transfer: letters (in any state) whose signing body the person leads."""
    led = sorted({stored_id(g.org.id) for g in principal.grants if g.role in LEADER_ROLES})
    legacy = and_(Transfer.signer_org_id.is_(None), principal.path_filter(Transfer.from_path, Role.DIRECTOR))
    return or_(Transfer.signer_org_id.in_(led), legacy) if led else legacy
