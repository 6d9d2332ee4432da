"""Moving an organisation moves everything stored under it: its cases, transfers, problems, screening rounds, experts,
dossiers, audit entries and search documents follow it to the new parent in the same transaction, on every surface.

Three moves, each on both databases: a village (东镇桃花村, with its grid) from its township to the other county's
township; a township (东镇) from county A to county B; a professional committee (甲县医疗纠纷调委会) likewise.
Before and after, each viewer is asked on every surface — the case list, the case page, its dossier page, the JSON
API, search totals and facets (the indexer runs), the workspace count, the problem list and page, the screening round
list and page, the expert pool, the transfer inbox and the audit trail.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from factories import World, build_world, sign_in
from matrix_cases import insert_case
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

import portal.models  # noqa: F401 - every table
from portal import clock
from portal.audit import service as audit
from portal.cases.models import Case, Transfer, TransferState
from portal.db import transaction
from portal.experts.models import Expert
from portal.orgs import moves
from portal.orgs import service as orgs
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.problems.models import Problem
from portal.scope import load_principal
from portal.screening.models import ScreeningRound
from portal.searching.indexer import Indexer


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201 - the test runs the indexer itself, as `portal indexer` would
    settings.indexer_in_server = False
    return settings


@dataclass
class Things:
    """What lies under the moving organisation (and one case that reaches it by a transfer)."""

    case: Case
    grid_case: Case | None
    sent_in: Case  # handled by the city, sent to the moving organisation (its inbox)
    problem: Problem
    screening: ScreeningRound
    expert: Expert
    county_expert: Expert  # county A's: served to everything below county A


def populate(engine, w: World, key: str) -> Things:  # noqa: ANN001
    today = clock.today()
    with Session(engine) as db:
        case = insert_case(db, w, key)
        grid_case = insert_case(db, w, "a1a_g") if key == "a1a" else None
        sent_in = insert_case(db, w, "city", transfer=("city", key, TransferState.SENT))
    with transaction(engine) as db:
        org = db.get(Organisation, w.org(key).id)
        county = db.get(Organisation, w.org("a").id)
        screening = ScreeningRound(
            org_id=org.id,
            org_path=org.path,
            held_on=today - timedelta(days=1),
            participants="调解员",
            area="全村",
            findings="排查发现：随迁的宅基地矛盾",
            findings_count=1,
        )
        db.add(screening)
        db.flush()
        problem = Problem(
            org_id=org.id,
            org_path=org.path,
            title="随迁的问题",
            source="排查",
            found_on=today,
            screening_id=screening.id,
            screening_finding=1,
        )
        expert = Expert(org_id=org.id, org_path=org.path, name="随迁专家", field="医疗")
        county_expert = Expert(org_id=county.id, org_path=county.path, name="县里的专家", field="法律")
        db.add_all([problem, expert, county_expert])
        audit.record(db, "org.update", actor_name="测试", org=org, object_type="organisation", summary="随迁的日志")
        db.flush()
        for row in (problem, screening, expert, county_expert):
            db.refresh(row)
            db.expunge(row)
    return Things(case, grid_case, sent_in, problem, screening, expert, county_expert)


def move(engine, w: World, key: str, new_parent: str) -> None:  # noqa: ANN001
    with transaction(engine) as db:
        admin = load_principal(db, db.get(Person, w.person("city.admin").id))
        form = orgs.OrgForm.of(db.get(Organisation, w.org(key).id))
        form.parent_id = str(w.org(new_parent).id)
        orgs.update_org(db, admin, w.org(key).id, form)


def index(settings, engine) -> None:  # noqa: ANN001
    indexer = Indexer(settings, engine)
    indexer.ensure_index()
    indexer.drain()


def surfaces(client, things: Things, *, audit_too: bool) -> dict[str, bool]:  # noqa: ANN001
    """What one signed-in viewer sees of the things, surface by surface."""
    case, problem, rnd, expert = things.case, things.problem, things.screening, things.expert
    search = client.get("/api/search", params={"q": "矩阵测试宅基地纠纷"}).json()
    org_facet = {int(v["value"]) for v in search["facets"].get("org", [])}
    hit_ids = {h["id"] for h in search["items"]}
    seen = {
        "case list": case.number in client.get("/cases").text,
        "case page": client.get(f"/cases/{case.id}").status_code == 200,
        "dossier page": client.get(f"/cases/{case.id}/dossier").status_code == 200,
        "api list": case.id in {c["id"] for c in client.get("/api/cases").json()["items"]},
        "api case": client.get(f"/api/cases/{case.id}").status_code == 200,
        "search hit": case.id in hit_ids,
        "search facet": case.org_id in org_facet,
        "problem list": problem.title in client.get("/problems").text,
        "problem page": client.get(f"/problems/{problem.id}").status_code == 200,
        "screening list": f"/screening/{rnd.id}" in client.get("/screening").text,
        "screening page": client.get(f"/screening/{rnd.id}").status_code == 200,
        "expert pool": expert.name in client.get("/experts").text,
        "inbox case": client.get(f"/cases/{things.sent_in.id}").status_code == 200,
    }
    if audit_too:
        seen["audit"] = "随迁的日志" in client.get("/audit").text
    return seen


def workspace_open(client) -> int:  # noqa: ANN001
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/workspace").text, "html.parser")
    return int(page.select_one("#open-cases .card__value").get_text())


# (moving org, new parent, viewers who see it only before, only after, and throughout)
MOVES = {
    "village": ("a1a", "b1", ("a.clerk", "a.admin"), ("b1.mediator", "b.admin"), ("a1.mediator",)),
    "township": ("a1", "b", ("a.clerk", "a.admin"), ("b.admin",), ("a1.mediator",)),
    "committee": ("a_med", "b", ("a.clerk", "a.admin"), ("b.admin",), ()),
}


@pytest.mark.parametrize("which", MOVES)
def test_everything_under_a_moved_organisation_follows_it_on_every_surface(
    client, engine, settings, which: str
) -> None:
    key, new_parent, before_only, after_only, throughout = MOVES[which]
    w = build_world(engine)
    things = populate(engine, w, key)
    index(settings, engine)

    def seen_by(username: str) -> dict[str, bool]:
        client.cookies.clear()
        sign_in(client, username)
        return surfaces(client, things, audit_too=username.endswith(".admin"))

    everything = lambda seen: {k for k, v in seen.items() if v}  # noqa: E731
    for username in before_only + throughout:
        seen = seen_by(username)
        assert all(seen.values()), (username, "before", seen)
    for username in after_only:
        assert not any(seen_by(username).values()), (username, "before")
    opened_before = {u: (sign_in_fresh(client, u), workspace_open(client))[1] for u in before_only + after_only}

    move(engine, w, key, new_parent)
    for username in before_only:  # before the indexer has caught up, no hit of a case that moved out of sight
        sign_in_fresh(client, username)
        hits = client.get("/api/search", params={"q": "矩阵测试宅基地纠纷"}).json()["items"]
        assert things.case.id not in {h["id"] for h in hits}
    index(settings, engine)

    for username in after_only + throughout:
        seen = seen_by(username)
        assert all(seen.values()), (username, "after", sorted(set(seen) - everything(seen)))
    for username in before_only:
        seen = seen_by(username)
        assert not any(seen.values()), (username, "after", sorted(everything(seen)))
    moved_open = 2 if things.grid_case else 1
    for username in before_only:
        assert workspace_open(sign_in_fresh(client, username)) == opened_before[username] - moved_open
    for username in after_only:
        assert workspace_open(sign_in_fresh(client, username)) == opened_before[username] + moved_open
    if things.grid_case:  # the grid worker keeps their own group's case; the county's expert is no longer theirs
        sign_in_fresh(client, "a1a.grid")
        assert client.get(f"/cases/{things.grid_case.id}").status_code == 200
        assert "县里的专家" not in client.get("/experts").text


def sign_in_fresh(client, username: str):  # noqa: ANN001, ANN201
    client.cookies.clear()
    sign_in(client, username)
    return client


def test_every_stored_path_column_follows_moves() -> None:
    """A new table that stores an organisation's path must join moves.STORED_PATHS (or say why it keeps its own)."""
    kept = {"organisation.path", "audit_entry.org_path"}  # the tree itself; the audit trail (hashed, scoped by id)
    found = {
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("path")
    }
    assert found - kept == {f"{c.class_.__tablename__}.{c.key}" for c in moves.STORED_PATHS}


def test_a_move_rewrites_every_stored_path_and_queues_the_moved_cases(engine) -> None:
    w = build_world(engine)
    things = populate(engine, w, "a1")
    with Session(engine) as db:
        old = db.get(Organisation, w.org("a1").id).path
    move(engine, w, "a1", "b")
    with Session(engine) as db:
        new = db.get(Organisation, w.org("a1").id).path
        assert new != old and new.startswith(db.get(Organisation, w.org("b").id).path)
        assert db.get(Case, things.case.id).org_path == new
        assert db.exec(select(Transfer).where(Transfer.case_id == things.sent_in.id)).one().to_path == new
        for model, row in ((Problem, things.problem), (ScreeningRound, things.screening), (Expert, things.expert)):
            assert db.get(model, row.id).org_path == new
        for column in moves.STORED_PATHS:
            assert not db.exec(select(column).where(column.startswith(old))).first(), column
        entry = db.exec(select(audit.AuditEntry).where(audit.AuditEntry.action == "org.update")).all()[-1]
        assert "随迁：案件" in entry.summary
        assert audit.verify(db).ok  # the audit trail was not rewritten: its chain holds


def test_a_screening_round_does_not_show_where_a_problem_went_out_of_the_viewers_sight(client, engine) -> None:
    """A finding registered as a problem, whose problem then went to another body: the round still says the finding
    is registered, but neither links to the problem nor tells its state to those who may not see it."""
    w = build_world(engine)
    things = populate(engine, w, "a1a")
    sign_in_fresh(client, "a1.mediator")  # the township's mediator (and the village's clerk)
    page = client.get(f"/screening/{things.screening.id}").text
    assert f"/problems/{things.problem.id}" in page and "已登记：" in page
    with transaction(engine) as db:
        problem = db.get(Problem, things.problem.id)
        county = db.get(Organisation, w.org("a_med").id)
        problem.org_id, problem.org_path = county.id, moves.stored_path(db, county)  # as an edit by the county would
    page = client.get(f"/screening/{things.screening.id}").text
    assert f"/problems/{things.problem.id}" not in page and "已登记：" not in page
    assert "已登记，已转由其他机构办理" in page and "登记为问题" not in page  # and it cannot be registered twice
    sign_in_fresh(client, "a.clerk")  # the county sees both
    assert f"/problems/{things.problem.id}" in client.get(f"/screening/{things.screening.id}").text


_LOCK_WAITS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def _until(condition, what: str) -> None:  # noqa: ANN001
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting until {what}")


def _case_at(org: Organisation, path: str) -> Case:
    return Case(
        org_id=org.id,
        org_path=path,
        number_org_id=org.id,
        number_year=2026,
        number_prefix="桃",
        number_seq=777,
        number="（2026）桃人调字第777号",
        title="移动时登记的案件",
        channel="来访",
        dispute_type="0301",
        summary="。",
        received_on=clock.today(),
    )


@pytest.mark.parametrize("first", ["writer", "move"])
def test_a_row_written_while_its_organisation_moves_gets_the_new_path(engine, db_backend: str, first: str) -> None:
    """PostgreSQL runs READ COMMITTED: a path read before a concurrent move commits would be stale. The writer reads it
    with moves.stored_path (FOR SHARE): whichever starts first, the other waits, and the row ends with the new path.
    (SQLite's writers hold the whole database from BEGIN IMMEDIATE, so the two never interleave there.)"""
    if db_backend != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE")
    w = build_world(engine)
    moved, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run_move() -> None:
        try:
            with Session(engine) as db:
                admin = load_principal(db, db.get(Person, w.person("city.admin").id))
                form = orgs.OrgForm.of(db.get(Organisation, w.org("a1a").id))
                form.parent_id = str(w.org("b1").id)
                orgs.update_org(db, admin, w.org("a1a").id, form)
                moved.set()
                release.wait(30)
                db.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            moved.set()

    def lock_waits() -> bool:
        with engine.connect() as conn:
            return bool(conn.execute(_LOCK_WAITS).scalar())

    mover = threading.Thread(target=run_move)
    with Session(engine) as writer:
        if first == "writer":
            org = writer.get(Organisation, w.org("a1a").id)
            path = moves.stored_path(writer, org)  # holds the organisation row
            mover.start()
            _until(lock_waits, "the move waits for the writer")
            writer.add(_case_at(org, path))
            writer.commit()  # the move goes on, and its UPDATE sees this row
            release.set()
        else:
            mover.start()
            moved.wait(30)  # the move has rewritten the tree and holds its rows, uncommitted
            reader: dict = {}

            def write() -> None:
                org = writer.get(Organisation, w.org("a1a").id)
                reader["path"] = moves.stored_path(writer, org)  # waits for the move
                writer.add(_case_at(org, reader["path"]))
                writer.commit()

            writing = threading.Thread(target=write)
            writing.start()
            _until(lock_waits, "the writer waits for the move")
            release.set()
            writing.join(30)
        mover.join(30)
    assert not errors
    with Session(engine) as db:
        new = db.get(Organisation, w.org("a1a").id).path
        parent = db.get(Organisation, w.org("b1").id).path
        stored = db.exec(select(Case.org_path).where(Case.title == "移动时登记的案件")).one()
    assert new.startswith(parent) and stored == new
