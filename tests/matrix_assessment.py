"""考核 and training routes in the permission matrix (tests/test_permissions.py).

考核: everyone reads the results and rubrics of what they may see (another county's are 404); a rubric is edited by
an administrator of its assessing body, and computed, adjusted and published by that body's own 督导 and
administrators — not by a 督导 who reads it through supervision (s.supervisor), who writes nothing. Training: a
session is recorded by an administrator, 调委会主任 or 督导 of the organiser (their own role).
"""

from __future__ import annotations

from datetime import date

from factories import SUPERVISION_ACCOUNT, World
from sqlmodel import Session, select
from test_permissions import CONTEXT, Route, org_id

from portal.assessment import rubric as rubrics
from portal.assessment import service as assessments
from portal.assessment.models import Assessment, Rubric, RubricItem, Score, ScoreItem
from portal.people.models import Person, Role
from portal.scope import load_principal
from portal.stats.service import Basis
from portal.training import service as training
from portal.training.models import TrainingSession

ANY = "any"
MONTHS = {"published": "2025-01", "draft": "2025-02"}


def _admin(db: Session, w: World):  # noqa: ANN202
    return load_principal(db, db.get(Person, w.person("city.admin").id))


def rubric_id(db: Session, w: World, side: str) -> int:
    """County A's (or B's) rubric over its direct bodies, with one manual item, made on first use."""
    owner = w.org("a" if side == "in" else "b")
    found = db.exec(select(Rubric.id).where(Rubric.org_id == owner.id)).first()
    if found is None:
        admin = _admin(db, w)
        form = rubrics.RubricForm(name=f"考核{side}", org_id=str(owner.id), assessed_id=str(owner.id))
        found = rubrics.save_rubric(db, admin, form).id
        rubrics.add_item(db, admin, found, rubrics.ItemForm("联席会议", "manual", weight="10"))
        db.commit()
    return found


def run_id(db: Session, w: World, side: str, state: str = "published") -> int:
    rid = rubric_id(db, w, side)
    found = db.exec(select(Assessment.id).where(Assessment.rubric_id == rid, Assessment.month == MONTHS[state])).first()
    if found is None:
        admin, basis = _admin(db, w), Basis(today=date(2025, 6, 1))
        run = assessments.compute(db, admin, rid, MONTHS[state], basis=basis)
        if state == "published":
            assessments.publish(db, admin, run.id, str(run.version))
        db.commit()
        found = run.id
    return found


def item_url(db: Session, w: World, side: str) -> str:
    run = run_id(db, w, side, "draft")
    item = db.exec(
        select(ScoreItem.id).where(ScoreItem.score_id.in_(select(Score.id).where(Score.assessment_id == run)))
    ).first()
    return f"/assessment/{run}/items/{item}/adjust"


def rubric_item_id(db: Session, w: World, side: str) -> int:
    rid = rubric_id(db, w, side)
    return db.exec(select(RubricItem.id).where(RubricItem.rubric_id == rid)).first()


def _own(*roles: Role):  # noqa: ANN202
    """Allowed to the roles held at county A itself; the 督导 reading county A through supervision is refused."""

    def expect(role: Role, side: str) -> int:
        if side == "out":
            return 404
        if role in roles and not (role is Role.SUPERVISOR and CONTEXT.get("username") == SUPERVISION_ACCOUNT):
            return 303
        return 403

    return expect


def _own_page(*roles: Role):  # noqa: ANN202
    answer = _own(*roles)
    return lambda role, side: 200 if answer(role, side) == 303 else answer(role, side)


def session_id(db: Session, w: World, side: str) -> int:
    """A session organised by county A (attended by 东镇's mediator), or by 乙县's west town, made on first use."""
    org = w.org("a" if side == "in" else "b1")
    found = db.exec(select(TrainingSession.id).where(TrainingSession.org_id == org.id)).first()
    if found is None:
        person = w.person("a.mediator" if side == "in" else "b1.mediator")
        form = training.SessionForm(
            org_id=str(org.id), held_on="2025-03-01", topic="业务培训", hours="2", attendees=[str(person.id)]
        )
        found = training.create_session(db, _admin(db, w), form, today=date(2025, 6, 1)).id
        db.commit()
    return found


def session_form(db: Session, w: World, side: str) -> dict:
    org = w.org("a" if side == "in" else "b1")
    person = w.person("a.mediator" if side == "in" else "b1.mediator")
    return {
        "org_id": str(org.id),
        "held_on": "2025-03-02",
        "topic": "调解技巧",
        "kind": "business",
        "hours": "1.5",
        "attendees": str(person.id),
    }


def session_edit(db: Session, w: World, side: str) -> dict:
    found = db.get(TrainingSession, session_id(db, w, side))
    return {**session_form(db, w, side), "version": str(found.version)}


ROUTES = [
    Route("list_assessments", "GET", None, ANY, lambda w, s: "/assessment"),
    Route("new_rubric_form", "GET", None, (Role.ADMIN,), lambda w, s: "/assessment/rubrics/new"),
    Route(
        "create_rubric",
        "POST",
        "org",
        (Role.ADMIN,),
        lambda w, s: "/assessment/rubrics",
        lambda db, w, s: {"name": "新细则", "org_id": str(org_id(w, s)), "assessed_id": str(org_id(w, s))},
        ok=303,
    ),
    Route("show_rubric", "GET", "rubric", ANY, lambda db, w, s: f"/assessment/rubrics/{rubric_id(db, w, s)}"),
    Route(
        "update_rubric",
        "POST",
        "rubric",
        (Role.ADMIN,),
        lambda db, w, s: f"/assessment/rubrics/{rubric_id(db, w, s)}/edit",
        lambda db, w, s: {
            "name": "改名",
            "assessed_id": str(w.org("a" if s == "in" else "b").id),
            "grades": "90 优秀",
            "version": str(db.get(Rubric, rubric_id(db, w, s)).version),
        },
        ok=303,
    ),
    Route(
        "add_rubric_item",
        "POST",
        "rubric",
        (Role.ADMIN,),
        lambda db, w, s: f"/assessment/rubrics/{rubric_id(db, w, s)}/items",
        lambda db, w, s: {
            "name": "回访",
            "mode": "target",
            "indicator": "followup_rate",
            "weight": "5",
            "target": "100",
        },
        ok=303,
    ),
    Route(
        "remove_rubric_item",
        "POST",
        "rubric",
        (Role.ADMIN,),
        lambda db, w, s: f"/assessment/rubrics/{rubric_id(db, w, s)}/items/{rubric_item_id(db, w, s)}/delete",
        lambda db, w, s: {},
        ok=303,
    ),
    Route(
        "compute_assessment",
        "POST",
        "rubric",
        ANY,
        lambda db, w, s: f"/assessment/rubrics/{rubric_id(db, w, s)}/compute",
        lambda db, w, s: {"month": "2025-03"},
        expect=_own(Role.ADMIN, Role.SUPERVISOR),
    ),
    Route("show_assessment", "GET", "run", ANY, lambda db, w, s: f"/assessment/{run_id(db, w, s)}"),
    Route("export_assessment", "GET", "run", ANY, lambda db, w, s: f"/assessment/{run_id(db, w, s)}/export.xlsx"),
    Route("print_assessment", "GET", "run", ANY, lambda db, w, s: f"/assessment/{run_id(db, w, s)}/print.pdf"),
    Route(
        "adjust_assessment_item",
        "POST",
        "run",
        ANY,
        item_url,
        lambda db, w, s: {"points": "5", "reason": "未参会", "version": "1"},
        expect=_own(Role.ADMIN, Role.SUPERVISOR),
    ),
    Route(
        "publish_assessment",
        "POST",
        "run",
        ANY,
        lambda db, w, s: f"/assessment/{run_id(db, w, s, 'draft')}/publish",
        lambda db, w, s: {"version": str(db.get(Assessment, run_id(db, w, s, "draft")).version)},
        expect=_own(Role.ADMIN, Role.SUPERVISOR),
    ),
    Route("list_training", "GET", "org", ANY, lambda w, s: f"/training?org={org_id(w, s)}"),
    Route("show_training", "GET", "session", ANY, lambda db, w, s: f"/training/{session_id(db, w, s)}"),
    Route(
        "new_training_form",
        "GET",
        "org",
        ANY,
        lambda w, s: f"/training/new?org={org_id(w, s)}",
        expect=_own_page(Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR),
    ),
    Route(
        "create_training",
        "POST",
        "org",
        ANY,
        lambda w, s: "/training",
        session_form,
        expect=_own(Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR),
    ),
    Route(
        "edit_training_form",
        "GET",
        "session",
        ANY,
        lambda db, w, s: f"/training/{session_id(db, w, s)}/edit",
        expect=_own_page(Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR),
    ),
    Route(
        "update_training",
        "POST",
        "session",
        ANY,
        lambda db, w, s: f"/training/{session_id(db, w, s)}/edit",
        session_edit,
        expect=_own(Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR),
    ),
]

# A month's scores name the bodies assessed when it was computed: the 考核 objects are made after the move in the
# permission matrix's after-a-move pass (Route.snapshot), and the answers are those of the tree of today. Training
# sessions follow a move like cases (portal.orgs.moves), so they stay in the pass.
for _route in ROUTES:
    _route.snapshot = "training" not in _route.name
