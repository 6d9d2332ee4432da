"""The shared fixtures are real: a real PostgreSQL server, a fresh database per test, a real
HTTP server and a real browser."""

from __future__ import annotations

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from portal.db import alembic_config

MARKER_TABLE = "harness_marker"


def _head_revision(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def test_backend_is_the_real_thing(engine, db_backend, request):
    assert request.node.callspec.id.startswith(db_backend)
    with engine.connect() as conn:
        assert conn.dialect.name == db_backend
        if db_backend == "postgresql":
            version = conn.execute(text("select version()")).scalar_one()
            assert version.startswith("PostgreSQL ")
            # the server is ours: loopback TCP, our throw-away settings
            assert conn.execute(text("show fsync")).scalar_one() == "off"
            assert int(conn.execute(text("show max_connections")).scalar_one()) >= 200
        else:
            assert conn.execute(text("select sqlite_version()")).scalar_one()
            assert conn.execute(text("pragma foreign_keys")).scalar_one() == 1


def test_database_is_migrated_to_head(engine, settings):
    with engine.connect() as conn:
        version = conn.execute(text("select version_num from alembic_version")).scalar_one()
    assert version == _head_revision(settings.effective_database_url)
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "person", "membership", "audit_entry"} <= tables
    assert MARKER_TABLE not in tables


@pytest.mark.parametrize("run", ["first", "second"])
def test_each_test_gets_a_fresh_database(engine, run):
    """Whichever of the two runs second would see the other's table and row if databases were shared."""
    with engine.begin() as conn:
        assert MARKER_TABLE not in inspect(conn).get_table_names()
        assert conn.execute(text("select count(*) from person")).scalar_one() == 0
        conn.execute(text(f"create table {MARKER_TABLE} (run varchar(10) primary key)"))
        conn.execute(text(f"insert into {MARKER_TABLE} (run) values (:run)"), {"run": run})


def test_postgres_databases_are_dropped_after_each_test(pg_server):
    with pg_server.connect() as conn:
        names = {row[0] for row in conn.execute("select datname from pg_database")}
    assert "portal_template" in names
    # earlier tests on this server left nothing behind
    assert not {n for n in names if n.startswith("test_")}


def test_client_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}  # the details need the health token (tests/test_security_decisions.py)


def test_live_server_answers_healthz(live_server):
    assert live_server.startswith("http://127.0.0.1:")
    response = httpx.get(f"{live_server}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.browser
def test_chromium_loads_healthz_from_live_server(page, live_server):
    response = page.goto("/healthz")
    assert response is not None and response.status == 200
    assert '"status":"ok"' in page.inner_text("body").replace(" ", "")
    assert page.evaluate("navigator.userAgent").find("HeadlessChrome") >= 0


@pytest.mark.browser
def test_page_nojs_runs_no_script(page_nojs, live_server):
    page_nojs.goto("/healthz")
    page_nojs.set_content(
        "<p id=js>script did not run</p><script>document.getElementById('js').textContent = 'script ran'</script>"
    )
    assert page_nojs.inner_text("#js") == "script did not run"


@pytest.mark.browser
def test_chinese_text_renders_with_a_cjk_font(page):
    """Noto CJK (the portal's first choice, see static/css) is installed:
    Chinese gets real glyphs (wide, no fallback boxes).

    Without a font-family Chromium may fall back to another installed CJK font (WenQuanYi, for the
    PDF/A-1b dossiers), so the span names the font the portal's stylesheet names first."""
    page.set_content("<span id=zh style=\"font-size:40px; font-family: 'Noto Sans CJK SC'\">调解卷宗门户</span>")
    width = page.evaluate("document.getElementById('zh').getBoundingClientRect().width")
    # six full-width glyphs at 40px are about 240px wide; missing-glyph boxes are narrower
    assert 200 <= width <= 280
    fonts = page.context.new_cdp_session(page)
    fonts.send("DOM.enable")
    fonts.send("CSS.enable")
    doc = fonts.send("DOM.getDocument")
    node = fonts.send("DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": "#zh"})
    used = fonts.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    assert any("CJK" in f["familyName"] for f in used), used
