"""The search page in Chromium: suggestions as you type with JavaScript; the plain GET form without it."""

from __future__ import annotations

import time

import pytest
from factories import build_world
from matrix_cases import insert_case
from sqlmodel import Session
from test_browser import sign_in

import search

pytestmark = pytest.mark.browser


def _indexed_world(engine, settings):  # noqa: ANN001, ANN202
    w = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, w, "a1a")
    deadline = time.monotonic() + 20  # the live server's indexer builds the index and drains the outbox
    index = search.SearchIndex(settings.index_dir)
    while time.monotonic() < deadline:
        if index.status()["ok"] and index.search(search.SearchRequest(q="宅基地"), search.Scope(everything=True)).total:
            return w, case
        time.sleep(0.1)
    raise AssertionError("the server's indexer did not index the case")


def test_search_with_javascript_suggests_and_highlights(page, live_server, engine, settings) -> None:
    w, case = _indexed_world(engine, settings)
    sign_in(page, "a1.mediator")
    page.goto("/search")
    page.locator("#search-q").press_sequentially("人调字", delay=30)
    page.locator("#suggestion-list").wait_for()
    assert case.number in page.locator("#suggestion-list").inner_text()
    page.locator("#search-q").fill("宅基地")
    page.locator("#search-q").press("Enter")
    page.locator(f"#hit-{case.id}").wait_for()
    assert page.locator(f"#hit-{case.id} mark").first.inner_text() == "宅基地"


def test_search_without_javascript_is_a_plain_get_form(page_nojs, live_server, engine, settings) -> None:
    w, case = _indexed_world(engine, settings)
    sign_in(page_nojs, "a1.mediator")
    page_nojs.goto("/search")
    page_nojs.locator("#search-q").fill("宅基地")
    page_nojs.get_by_role("button", name="搜索").click()
    page_nojs.locator(f"#hit-{case.id}").wait_for()
    assert "q=" in page_nojs.url and page_nojs.locator("#search-total strong").inner_text() == "1"
    page_nojs.goto(f"/cases/{case.id}")
    assert page_nojs.locator("#similar a").first.inner_text() == "查看类似案件"


def test_the_facets_stand_beside_the_hits_on_a_desktop_and_below_them_on_a_phone(
    page, live_server, engine, settings
) -> None:
    w, case = _indexed_world(engine, settings)
    sign_in(page, "a1.mediator")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/search?q=宅基地")
        hit = page.locator(f"#hit-{case.id}").bounding_box()
        facets = page.locator(".search-facets").bounding_box()
        assert hit["y"] < height * 0.75, (width, hit)  # the first hit is on the first screen
        if width > 800:
            assert facets["x"] + facets["width"] <= hit["x"] and facets["y"] < hit["y"] + hit["height"]  # side by side
        else:
            assert facets["y"] >= hit["y"] + hit["height"]  # below the hits
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sideways
