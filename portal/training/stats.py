"""Training's side of the statistics (family ``training`` of portal.stats.indicators).

- 培训场次 (`training_sessions`) and 培训人次 (`training_attendees`): sessions held in the period by organisers in the
  place, and their attendees, placed at the organiser;
- 调解员数 (`mediators`): active people holding the 调解员 role in the place now, placed where they hold it;
- 受训调解员数 (`trained_mediators`): those of them who attended a session (by any organiser) held in the period.

A person who is a mediator in two organisations counts once in each; the total of a place counts each person once.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from portal.orgs.models import Organisation
from portal.people.models import Membership, Person, Role
from portal.scope import Principal
from portal.stats.dimensions import Place
from portal.stats.span import Span
from portal.training.models import TrainingAttendee, TrainingSession

Groups = dict  # group (a path, or None) → {(slot, key): value}, as portal.stats.queries.Groups


def groups(
    db: Session, principal: Principal, place: Place, spans: dict[str, Span], by: str | None, keys: set[str]
) -> Groups:
    """Every training indicator asked for, per period slot; grouped by organisation path when `by` is "org"."""
    if by not in (None, "org") or not spans:
        return {}
    out: Groups = {}

    def put(group: object, slot: str, key: str, value: int) -> None:
        cell = out.setdefault(group if by else None, {})
        cell[(slot, key)] = cell.get((slot, key), 0) + int(value or 0)

    in_place = place.condition(principal, TrainingSession.org_path, TrainingSession.org_id)
    attendees = (
        select(TrainingAttendee.session_id, func.count().label("n")).group_by(TrainingAttendee.session_id).subquery()
    )
    mediators = _mediators(principal, place)
    for slot, span in spans.items():
        held = TrainingSession.held_on.between(span.start, span.end)
        if keys & {"training_sessions", "training_attendees"}:
            rows = db.execute(
                select(TrainingSession.org_path, func.count(), func.coalesce(func.sum(attendees.c.n), 0))
                .outerjoin(attendees, attendees.c.session_id == TrainingSession.id)
                .where(in_place, held)
                .group_by(TrainingSession.org_path)
            ).all()
            for path, sessions, people in rows:
                put(path, slot, "training_sessions", sessions)
                put(path, slot, "training_attendees", people)
        if "trained_mediators" in keys:
            trained = (
                select(TrainingAttendee.person_id)
                .join(TrainingSession, TrainingSession.id == TrainingAttendee.session_id)
                .where(held)
            )
            _count_people(db, by, mediators.where(Membership.person_id.in_(trained)), slot, "trained_mediators", put)
        if "mediators" in keys:
            _count_people(db, by, mediators, slot, "mediators", put)
    return out


def _mediators(principal: Principal, place: Place):  # noqa: ANN202
    return (
        select(Organisation.path, Membership.person_id)
        .join(Organisation, Organisation.id == Membership.org_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.role == Role.MEDIATOR,
            Person.active == True,  # noqa: E712
            Organisation.active == True,  # noqa: E712
            place.condition(principal, Organisation.path, Organisation.id),
        )
    )


def _count_people(db: Session, by: str | None, query, slot: str, key: str, put) -> None:  # noqa: ANN001
    found = query.subquery()
    if by == "org":
        statement = select(found.c.path, func.count(func.distinct(found.c.person_id))).group_by(found.c.path)
        for path, n in db.execute(statement).all():
            put(path, slot, key, n)
    else:
        put(None, slot, key, db.execute(select(func.count(func.distinct(found.c.person_id)))).scalar_one())


def generation(db: Session) -> tuple:
    """What the training numbers depend on besides the directory: the sessions and their attendees."""
    return tuple(
        db.execute(
            select(
                select(func.max(TrainingSession.updated_at)).scalar_subquery(),
                select(func.count(TrainingSession.id)).scalar_subquery(),
                select(func.max(TrainingAttendee.id)).scalar_subquery(),
                select(func.count(TrainingAttendee.id)).scalar_subquery(),
            )
        ).one()
    )


def link_params(place: Place, start: str, end: str) -> tuple[tuple[str, str], ...]:
    """The training list's filter for sessions held in a period in a place."""
    return (*place.params().items(), ("held_from", start), ("held_to", end))
