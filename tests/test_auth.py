"""Sign-in, sessions, throttling, CSRF and security headers — each with the audit entry it owes."""

from __future__ import annotations

from datetime import timedelta

from factories import PASSWORD, build_world, csrf, sign_in
from sqlalchemy import update
from sqlmodel import Session, select

from portal.audit.models import AuditEntry
from portal.auth import sessions
from portal.auth.models import WebSession
from portal.db import utcnow


def actions(engine) -> list[str]:  # noqa: ANN001
    with Session(engine) as db:
        return list(db.exec(select(AuditEntry.action).order_by(AuditEntry.seq)).all())


def test_signing_in_lands_on_the_workspace_and_is_audited(client, engine) -> None:
    build_world(engine)
    response = sign_in(client, "a.mediator")
    assert response.status_code == 303 and response.headers["location"] == "/workspace"
    page = client.get("/workspace")
    assert page.status_code == 200 and "甲调解员的工作台" in page.text and "甲县矛调中心" in page.text
    assert actions(engine)[-1] == "auth.sign_in"


def test_session_cookie_is_httponly_lax_and_not_readable_by_scripts(client, engine) -> None:
    build_world(engine)
    response = sign_in(client, "a.clerk")
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("portal_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    csrf_cookie = (
        next(
            v
            for k, v in client.get("/login").headers.multi_items()
            if k == "set-cookie" and v.startswith("portal_csrf=")
        )
        if "portal_csrf" not in client.cookies
        else None
    )
    assert csrf_cookie is None or "HttpOnly" in csrf_cookie


def test_secure_cookies_when_configured(settings, engine) -> None:
    from litestar.testing import TestClient

    from portal.app import create_app

    build_world(engine)
    secure = settings.model_copy(update={"cookie_secure": True})
    with TestClient(app=create_app(secure), base_url="https://testserver.local") as client:
        login_page = client.get("/login")
        assert "Secure" in login_page.headers["set-cookie"] and "HttpOnly" in login_page.headers["set-cookie"]
        response = sign_in(client, "a.clerk")
        cookie = next(
            v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("portal_session=")
        )
        assert "Secure" in cookie


def test_wrong_password_re_renders_the_form_with_the_name_and_is_audited(client, engine) -> None:
    build_world(engine)
    response = sign_in(client, "a.clerk", "not-the-password")
    assert response.status_code == 422
    assert "用户名或密码错误" in response.text and 'value="a.clerk"' in response.text
    assert actions(engine)[-1] == "auth.sign_in_failed"
    assert client.get("/workspace", follow_redirects=False).status_code == 303


def test_unknown_account_gets_the_same_message(client, engine) -> None:
    build_world(engine)
    response = sign_in(client, "nobody.here", "whatever-123")
    assert response.status_code == 422 and "用户名或密码错误" in response.text
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "auth.sign_in_failed" and entry.actor_id is None and "nobody.here" in entry.summary


def test_repeated_failures_lock_the_account_with_a_clear_message(client, engine, settings) -> None:
    build_world(engine)
    for _ in range(settings.login_max_failures_account):
        assert sign_in(client, "a.clerk", "wrong-password").status_code == 422
    locked = sign_in(client, "a.clerk", PASSWORD)  # even the right password is refused while locked
    assert locked.status_code == 422 and "已暂时锁定" in locked.text and "分钟后再试" in locked.text
    assert actions(engine)[-1] == "auth.locked"
    assert sign_in(client, "a.mediator").status_code == 303  # other accounts are not affected


def test_lock_expires_after_the_window(client, engine, settings) -> None:
    from portal.auth.models import LoginFailure

    build_world(engine)
    for _ in range(settings.login_max_failures_account):
        sign_in(client, "a.clerk", "wrong-password")
    with Session(engine) as db:
        db.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=settings.login_lock_minutes + 1)))
        db.commit()
    assert sign_in(client, "a.clerk").status_code == 303


def test_many_failures_from_one_address_lock_that_address(client, engine, settings) -> None:
    build_world(engine)
    names = [f"guess{i}" for i in range(settings.login_max_failures_address)]
    for name in names:
        sign_in(client, name, "wrong-password")
    response = sign_in(client, "a.mediator")
    assert response.status_code == 422 and "已暂时锁定" in response.text


def test_session_id_is_rotated_at_sign_in(client, engine) -> None:
    build_world(engine)
    sign_in(client, "a.clerk")
    first = client.cookies.get("portal_session")
    sign_in(client, "a.clerk")
    second = client.cookies.get("portal_session")
    assert first and second and first != second
    with Session(engine) as db:
        assert len(db.exec(select(WebSession)).all()) == 1  # the old session was ended, not kept alongside


def test_idle_session_expires_with_a_message_and_an_audit_entry(client, engine, settings) -> None:
    build_world(engine)
    sign_in(client, "a.clerk")
    with Session(engine) as db:
        db.execute(
            update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=settings.session_idle_minutes + 1))
        )
        db.commit()
    response = client.get("/orgs", follow_redirects=False)
    assert (
        response.status_code == 303
        and "reason=expired" in response.headers["location"]
        and "next=%2Forgs" in response.headers["location"]
    )
    assert "会话已超时" in client.get(response.headers["location"]).text
    assert actions(engine)[-1] == "auth.session_expired"
    with Session(engine) as db:
        assert db.exec(select(WebSession)).all() == []


def test_htmx_requests_without_a_session_are_redirected_by_header(client, engine) -> None:
    response = client.get("/orgs", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/login?reason=required")


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, engine) -> None:
    world = build_world(engine)
    client.get("/login")
    token = csrf(client)
    target = f"/orgs/{world.org('a1').id}"
    response = client.post(
        "/login",
        data={"username": "a.clerk", "password": PASSWORD, "next": target, "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == target
    # Signed in, the token is the session's own: the one used to sign in no longer passes.
    assert client.post("/logout", data={"_csrf_token": token}, follow_redirects=False).status_code == 400
    sign_out = client.post("/logout", data={"_csrf_token": csrf(client)}, follow_redirects=False)
    assert sign_out.status_code == 303
    response = client.post(
        "/login",
        data={"username": "a.clerk", "password": PASSWORD, "next": "//evil.example/", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/workspace"


def test_sign_out_ends_the_session_and_is_audited(client, engine) -> None:
    build_world(engine)
    sign_in(client, "a.clerk")
    token = client.cookies.get("portal_session")
    response = client.post("/logout", data={"_csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303 and "reason=signed_out" in response.headers["location"]
    assert actions(engine)[-1] == "auth.sign_out"
    client.cookies.set("portal_session", token)  # replaying the old cookie does not work
    assert client.get("/workspace", follow_redirects=False).status_code == 303


def test_forged_csrf_token_is_refused_with_a_clear_page_and_audited(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    org = world.org("a1a_g")
    response = client.post(
        f"/orgs/{org.id}/deactivate", data={"version": "1", "_csrf_token": "forged"}, follow_redirects=False
    )
    assert response.status_code == 400 and "页面已过期" in response.text
    no_token = client.post(f"/orgs/{org.id}/deactivate", data={"version": "1"}, follow_redirects=False)
    assert no_token.status_code == 400
    with Session(engine) as db:
        entries = db.exec(select(AuditEntry).where(AuditEntry.action == "security.csrf_rejected")).all()
        assert len(entries) == 2 and entries[0].actor_name == "甲管理员"
        from portal.orgs.models import Organisation

        assert db.get(Organisation, org.id).active  # nothing happened


def test_csrf_header_is_accepted_for_htmx_requests(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    org = world.org("a1a_g")
    response = client.post(
        f"/orgs/{org.id}/deactivate",
        data={"version": "1"},
        headers={"X-CSRFToken": csrf(client), "HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_security_headers_on_pages_and_static_files(client) -> None:
    for url in ("/login", "/static/css/portal.css", "/no-such-page"):
        headers = client.get(url).headers
        assert (
            "script-src 'self'" in headers["content-security-policy"]
            and "unsafe-inline" not in headers["content-security-policy"]
        )
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_changing_the_password_checks_the_old_one_and_ends_other_sessions(client, engine, app) -> None:
    from litestar.testing import TestClient

    build_world(engine)
    with TestClient(app=app, base_url="http://testserver.local") as other:
        sign_in(other, "a.clerk")
        sign_in(client, "a.clerk")
        bad = client.post(
            "/account/password",
            data={"current": "wrong", "new": "Another-pass-1", "repeat": "Another-pass-1", "_csrf_token": csrf(client)},
        )
        assert bad.status_code == 422 and "当前密码不正确" in bad.text
        weak = client.post(
            "/account/password",
            data={"current": PASSWORD, "new": "short", "repeat": "short", "_csrf_token": csrf(client)},
        )
        assert weak.status_code == 422 and "至少需要 10 个字符" in weak.text
        ok = client.post(
            "/account/password",
            data={
                "current": PASSWORD,
                "new": "Another-pass-1",
                "repeat": "Another-pass-1",
                "_csrf_token": csrf(client),
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303
        assert client.get("/workspace").status_code == 200
        assert other.get("/workspace", follow_redirects=False).status_code == 303
    assert sign_in(client, "a.clerk", PASSWORD).status_code == 422
    assert sign_in(client, "a.clerk", "Another-pass-1").status_code == 303
    assert "auth.password_changed" in actions(engine)


def test_a_deactivated_account_cannot_sign_in(client, engine) -> None:
    world = build_world(engine)
    from portal.people.models import Person

    with Session(engine) as db:
        person = db.get(Person, world.person("a.clerk").id)
        person.active = False
        db.add(person)
        db.commit()
    response = sign_in(client, "a.clerk")
    assert response.status_code == 422 and "已停用" in response.text


def test_a_session_ended_or_a_role_removed_by_another_worker_is_seen_at_once(client, engine) -> None:
    from portal.people.models import Membership, Role

    world = build_world(engine)
    sign_in(client, "a1.mediator")  # 调解员 at 东镇 and 受理员 at 桃花村
    township = f"/cases/new?org={world.org('a1').id}"
    assert client.get(township).status_code == 200  # looked up, and kept by this worker
    with Session(engine) as db:  # another worker process removes the township role: this one hears nothing of it
        db.execute(
            Membership.__table__.delete().where(
                Membership.person_id == world.person("a1.mediator").id, Membership.role == Role.MEDIATOR
            )
        )
        db.commit()
    assert client.get(township).status_code == 404  # seen on the very next request
    assert client.get("/workspace").status_code == 200
    with Session(engine) as db:  # another worker signs the session out
        db.execute(WebSession.__table__.delete())
        db.commit()
    response = client.get("/workspace", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]


def test_signing_out_and_role_changes_are_seen_at_once_by_the_same_worker(client, engine, app) -> None:
    from litestar.testing import TestClient

    from portal.db import transaction
    from portal.people import service as people_service
    from portal.people.models import Membership, Person, Role
    from portal.scope import load_principal

    world = build_world(engine)
    sign_in(client, "a1.mediator")  # 调解员 at 东镇 and 受理员 at 桃花村
    assert client.get(f"/cases/new?org={world.org('a1').id}").status_code == 200
    with transaction(engine) as db:
        admin = load_principal(db, db.exec(select(Person).where(Person.username == "a.admin")).one())
        township_role = db.exec(
            select(Membership).where(
                Membership.person_id == world.person("a1.mediator").id, Membership.role == Role.MEDIATOR
            )
        ).one()
        people_service.remove_membership(db, admin, world.person("a1.mediator").id, township_role.id)
    assert (
        client.get(f"/cases/new?org={world.org('a1').id}").status_code == 404
    )  # only the village role is left: 东镇 is out of sight
    with TestClient(app) as other:
        sign_in(other, "a.clerk")
        assert other.get("/workspace").status_code == 200
        other.post("/logout", data={"_csrf_token": csrf(other)})
        assert other.get("/workspace", follow_redirects=False).status_code == 303


def test_the_toucher_moves_every_session_it_saw_on_and_never_back(engine) -> None:
    """Sessions in use are kept alive by the app's Toucher, which writes the touches it gathered in one statement
    for many sessions at once (a list of rows: the form the ORM mistook for a bulk update by primary key, so that no
    session's last-seen time ever moved and everyone was signed out after the idle limit)."""
    world = build_world(engine)
    with Session(engine) as db:
        tokens = [sessions.start(db, world.person(key), address="", user_agent="") for key in ("a.clerk", "a.director")]
        tokens.append(sessions.start(db, world.person("a.clerk"), address="", user_agent=""))
        db.commit()
        db.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=20)))
        db.commit()
    toucher = sessions.Toucher(engine, interval=3600)
    now = utcnow().replace(microsecond=0)
    for token in tokens:
        toucher.touch(token, now)
    toucher.flush()
    assert toucher.pending == {}
    earlier = now - timedelta(minutes=5)
    toucher.touch(tokens[0], earlier)  # a touch that arrives late moves nothing back
    toucher.start()
    later = now + timedelta(minutes=1)
    toucher.touch(tokens[1], later)
    toucher.stop()  # what was gathered is written as the thread ends
    with Session(engine) as db:
        seen = {row.id: row.last_seen_at.replace(tzinfo=None) for row in db.exec(select(WebSession))}
    naive = [now.replace(tzinfo=None), later.replace(tzinfo=None), now.replace(tzinfo=None)]
    assert [seen[sessions.digest(token)] for token in tokens] == naive
