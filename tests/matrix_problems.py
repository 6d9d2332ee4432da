"""The permission matrix for the problem list, screening rounds and the expert pool (see test_permissions)."""

from __future__ import annotations

from datetime import date

from factories import World
from sqlmodel import Session, SQLModel, select
from test_permissions import ANY, Route, _org_key, org_id

from portal.experts.models import Expert
from portal.people.models import Role
from portal.problems.models import Problem, ProblemState
from portal.screening.models import ScreeningRound

EDIT = (Role.CLERK, Role.MEDIATOR, Role.DIRECTOR)
STRIKE = (Role.DIRECTOR, Role.ADMIN)
MANAGE = (Role.ADMIN, Role.DIRECTOR)
FOUND_ON = date(2025, 3, 1)


def _get_or_make(db: Session, model: type[SQLModel], marker: str, **values) -> SQLModel:  # noqa: ANN003
    """One object per (route, side), created on first use and committed, so URL and form agree."""
    column = model.title if model is Problem else (model.area if model is ScreeningRound else model.name)
    found = db.exec(select(model).where(column == marker)).first()
    if found is None:
        found = model(**values)
        setattr(found, column.key, marker)
        db.add(found)
        db.commit()
        db.refresh(found)
    return found


def problem(db: Session, w: World, side: str, key: str = "p", state: ProblemState = ProblemState.REGISTERED) -> Problem:
    org = w.org(_org_key(side))
    return _get_or_make(
        db,
        Problem,
        f"矩阵问题{key}{side}",
        org_id=org.id,
        org_path=org.path,
        source="来访",
        found_on=FOUND_ON,
        state=state,
    )


def screening_round(db: Session, w: World, side: str, key: str = "r") -> ScreeningRound:
    org = w.org(_org_key(side))
    return _get_or_make(
        db,
        ScreeningRound,
        f"矩阵排查{key}{side}",
        org_id=org.id,
        org_path=org.path,
        held_on=FOUND_ON,
        participants="张三、李四",
        findings="一号发现\n二号发现",
        findings_count=2,
    )


def expert(db: Session, w: World, side: str, key: str = "e", active: bool = True) -> Expert:
    org = w.org(_org_key(side))
    return _get_or_make(
        db,
        Expert,
        f"矩阵专家{key}{side}",
        org_id=org.id,
        org_path=org.path,
        field="法律",
        phone="13812345678",
        active=active,
    )


def problem_form(db: Session, w: World, side: str) -> dict:
    p = problem(db, w, side, "edit")
    return {
        "org_id": str(p.org_id),
        "title": p.title,
        "source": "来访",
        "found_on": FOUND_ON.isoformat(),
        "risk": "high",
        "description": "改",
        "version": str(p.version),
    }


def new_problem(db: Session, w: World, side: str) -> dict:
    return {
        "org_id": str(org_id(w, side)),
        "title": f"新问题{side}",
        "source": "排查",
        "found_on": FOUND_ON.isoformat(),
        "risk": "low",
    }


def round_form(db: Session, w: World, side: str) -> dict:
    r = screening_round(db, w, side, "edit")
    return {
        "org_id": str(r.org_id),
        "held_on": FOUND_ON.isoformat(),
        "participants": "王五",
        "area": r.area,
        "findings": r.findings,
        "version": str(r.version),
    }


def new_round(db: Session, w: World, side: str) -> dict:
    return {
        "org_id": str(org_id(w, side)),
        "held_on": FOUND_ON.isoformat(),
        "participants": "王五",
        "area": "一组",
        "findings": "",
    }


def expert_form(db: Session, w: World, side: str) -> dict:
    e = expert(db, w, side, "edit")
    return {"org_id": str(e.org_id), "name": e.name, "field": "医学", "phone": "", "version": str(e.version)}


def new_expert(db: Session, w: World, side: str) -> dict:
    return {"org_id": str(org_id(w, side)), "name": f"新专家{side}", "field": "心理"}


ROUTES = [
    Route("list_problems", "GET", "org", ANY, lambda w, s: f"/problems?org={org_id(w, s)}"),
    Route("show_problem", "GET", "problem", ANY, lambda db, w, s: f"/problems/{problem(db, w, s).id}"),
    Route("new_problem_form", "GET", "org", EDIT, lambda w, s: f"/problems/new?org={org_id(w, s)}"),
    Route("create_problem", "POST", "org", EDIT, lambda w, s: "/problems", new_problem, ok=303),
    Route("edit_problem_form", "GET", "problem", EDIT, lambda db, w, s: f"/problems/{problem(db, w, s).id}/edit"),
    Route(
        "update_problem",
        "POST",
        "problem",
        EDIT,
        lambda db, w, s: f"/problems/{problem(db, w, s, 'edit').id}/edit",
        problem_form,
        ok=303,
    ),
    Route(
        "transition_problem",
        "POST",
        "problem",
        EDIT,
        lambda db, w, s: f"/problems/{problem(db, w, s, 'start').id}/transition",
        lambda db, w, s: {"action": "start", "version": str(problem(db, w, s, "start").version)},
        ok=303,
    ),
    Route(
        "transition_problem",
        "POST",
        "problem",
        STRIKE,
        lambda db, w, s: f"/problems/{problem(db, w, s, 'strike', ProblemState.RESOLVED).id}/transition",
        lambda db, w, s: {
            "action": "strike_off",
            "note": "已回访确认",
            "version": str(problem(db, w, s, "strike", ProblemState.RESOLVED).version),
        },
        ok=303,
    ),
    Route("list_screening", "GET", "org", ANY, lambda w, s: f"/screening?org={org_id(w, s)}"),
    Route("show_screening", "GET", "round", ANY, lambda db, w, s: f"/screening/{screening_round(db, w, s).id}"),
    Route("new_screening_form", "GET", "org", EDIT, lambda w, s: f"/screening/new?org={org_id(w, s)}"),
    Route("create_screening", "POST", "org", EDIT, lambda w, s: "/screening", new_round, ok=303),
    Route(
        "edit_screening_form", "GET", "round", EDIT, lambda db, w, s: f"/screening/{screening_round(db, w, s).id}/edit"
    ),
    Route(
        "update_screening",
        "POST",
        "round",
        EDIT,
        lambda db, w, s: f"/screening/{screening_round(db, w, s, 'edit').id}/edit",
        round_form,
        ok=303,
    ),
    Route(
        "create_problem_from_finding",
        "POST",
        "round",
        EDIT,
        lambda db, w, s: f"/screening/{screening_round(db, w, s, 'find').id}/findings/1/problem",
        lambda db, w, s: {"risk": "medium"},
        ok=303,
    ),
    Route("list_experts", "GET", "org", ANY, lambda w, s: f"/experts?org={org_id(w, s)}"),
    Route("show_expert", "GET", "expert", ANY, lambda db, w, s: f"/experts/{expert(db, w, s).id}"),
    Route("new_expert_form", "GET", "org", MANAGE, lambda w, s: f"/experts/new?org={org_id(w, s)}"),
    Route("create_expert", "POST", "org", MANAGE, lambda w, s: "/experts", new_expert, ok=303),
    Route("edit_expert_form", "GET", "expert", MANAGE, lambda db, w, s: f"/experts/{expert(db, w, s).id}/edit"),
    Route(
        "update_expert",
        "POST",
        "expert",
        MANAGE,
        lambda db, w, s: f"/experts/{expert(db, w, s, 'edit').id}/edit",
        expert_form,
        ok=303,
    ),
    Route(
        "deactivate_expert",
        "POST",
        "expert",
        MANAGE,
        lambda db, w, s: f"/experts/{expert(db, w, s, 'off').id}/deactivate",
        lambda db, w, s: {"version": str(expert(db, w, s, "off").version)},
        ok=303,
    ),
    Route(
        "activate_expert",
        "POST",
        "expert",
        MANAGE,
        lambda db, w, s: f"/experts/{expert(db, w, s, 'on', active=False).id}/activate",
        lambda db, w, s: {"version": str(expert(db, w, s, "on", active=False).version)},
        ok=303,
    ),
]
