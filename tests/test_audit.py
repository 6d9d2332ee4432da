"""The audit trail: append-only, hash-chained, verifiable, and scoped on its page."""

from __future__ import annotations

from factories import build_world, sign_in
from sqlalchemy import delete, update
from sqlmodel import Session, select

from portal.audit import service as audit
from portal.audit.models import AuditEntry
from portal.db import transaction


def _write_entries(engine, n: int = 5) -> None:  # noqa: ANN001
    with transaction(engine) as db:
        for i in range(n):
            audit.record(db, "org.update", actor_name="测试", summary=f"第{i}次", changes={"name": ["旧", f"新{i}"]})


def test_an_intact_chain_verifies(engine) -> None:
    _write_entries(engine)
    with Session(engine) as db:
        result = audit.verify(db)
    assert result.ok and result.checked == 5


def test_an_edited_entry_is_reported_by_its_number(engine) -> None:
    _write_entries(engine)
    with Session(engine) as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(summary="悄悄改过"))
        db.commit()
        result = audit.verify(db)
    assert not result.ok and result.broken_seq == 3 and "改动" in result.reason


def test_a_recomputed_hash_still_breaks_the_next_link(engine) -> None:
    """Rewriting an entry and its own hash is caught by the following entry's prev_hash."""
    _write_entries(engine)
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        entry.summary = "伪造"
        entry.hash = audit._entry_hash(entry)
        db.add(entry)
        db.commit()
        result = audit.verify(db)
    assert result.broken_seq == 3


def test_a_deleted_entry_is_reported(engine) -> None:
    _write_entries(engine)
    with Session(engine) as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
        db.commit()
        assert audit.verify(db).broken_seq == 2


def test_a_deleted_last_entry_is_reported(engine) -> None:
    _write_entries(engine)
    with Session(engine) as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
        db.commit()
        result = audit.verify(db)
    assert not result.ok and result.broken_seq == 5


def test_entries_written_by_the_app_chain_correctly(client, engine) -> None:
    build_world(engine)
    sign_in(client, "a.clerk", "wrong-password")
    sign_in(client, "a.admin")
    client.get("/roster/export.csv")
    with Session(engine) as db:
        entries = db.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [e.action for e in entries] == ["auth.sign_in_failed", "auth.sign_in", "export.roster"]
        assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
        assert audit.verify(db).ok


def test_a_rolled_back_change_leaves_no_entry(engine) -> None:
    try:
        with transaction(engine) as db:
            audit.record(db, "org.update", actor_name="测试", summary="不会保存")
            raise RuntimeError("half-way failure")
    except RuntimeError:
        pass
    _write_entries(engine, 1)
    with Session(engine) as db:
        assert [e.seq for e in db.exec(select(AuditEntry)).all()] == [1]
        assert audit.verify(db).ok


def test_the_audit_page_shows_only_the_viewers_subtree(client, engine) -> None:
    world = build_world(engine)
    with transaction(engine) as db:
        audit.record(db, "org.update", actor_name="甲方", org=world.org("a1"), summary="甲县东镇的变更")
        audit.record(db, "org.update", actor_name="乙方", org=world.org("b1"), summary="乙县西镇的变更")
        audit.record(db, "auth.sign_in_failed", actor_name="stranger", summary="未知账户登录失败")
    sign_in(client, "a.supervisor")
    page = client.get("/audit")
    assert page.status_code == 200
    assert "甲县东镇的变更" in page.text and "乙县西镇的变更" not in page.text and "未知账户登录失败" not in page.text
    client.post("/logout", data={"_csrf_token": client.cookies.get("portal_csrf")})
    sign_in(client, "city.admin")
    page = client.get("/audit")
    assert "甲县东镇的变更" in page.text and "乙县西镇的变更" in page.text and "未知账户登录失败" in page.text


def test_the_audit_page_filters_by_person_org_action_and_date(client, engine) -> None:
    world = build_world(engine)
    with transaction(engine) as db:
        audit.record(db, "org.update", actor_name="张调解", org=world.org("a1"), summary="修改东镇")
        audit.record(db, "person.update", actor_name="李管理", org=world.org("a1a"), summary="修改桃花村人员")
    sign_in(client, "a.admin")
    assert "修改东镇" not in client.get("/audit?person=李").text
    assert "修改桃花村人员" in client.get("/audit?person=李").text
    by_org = client.get(f"/audit?org={world.org('a1a').id}").text
    assert "修改桃花村人员" in by_org and "修改东镇" not in by_org
    by_action = client.get("/audit?action=org.").text
    assert "修改东镇" in by_action and "修改桃花村人员" not in by_action
    assert "修改东镇" not in client.get("/audit?date_to=2000-01-01").text
    bad_date = client.get("/audit?date_from=not-a-date")
    assert bad_date.status_code == 200 and "日期格式不正确" in bad_date.text
    fragment = client.get("/audit?person=李", headers={"HX-Request": "true"})
    assert (
        "<html" not in fragment.text and "修改桃花村人员" in fragment.text and fragment.headers["vary"] == "HX-Request"
    )


def test_the_audit_page_is_paginated_newest_first(client, engine) -> None:
    build_world(engine)
    _write_entries(engine, 105)
    sign_in(client, "city.admin")
    first = client.get("/audit").text
    assert "第104次" in first and "第0次" not in first and "更早的记录" in first
    import re

    next_url = re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).text
    assert "第0次" in second and "第104次" not in second


def test_audit_rows_cannot_be_changed_through_the_app(app) -> None:
    """No route writes or deletes audit entries: the only writer is audit.record()."""
    methods = {
        (h.name, m)
        for r in app.routes
        for h in getattr(r, "route_handlers", [])
        for m in getattr(h, "http_methods", [])
    }
    assert not [name for name, method in methods if name and "audit" in name and method != "GET"]
