"""涉及金额 is edited every day: through the form, with the change kept in the audit trail, and in the browser."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from matrix_cases import insert_case
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from portal.audit.models import AuditEntry
from portal.cases.models import Case


def edit_data(client, case_id: int, **changes: str) -> dict:  # noqa: ANN001
    """What the edit form posts when sent back unchanged, plus `changes`."""
    form = BeautifulSoup(client.get(f"/cases/{case_id}/edit").text, "html.parser").select_one("form.form")
    data = {
        i["name"]: i.get("value", "") for i in form.select("input") if i.get("name") and i.get("type") != "checkbox"
    }
    data.update({t["name"]: t.get_text() for t in form.select("textarea")})
    for select_ in form.select("select"):
        chosen = select_.select_one("option[selected]")
        data[select_["name"]] = chosen["value"] if chosen else ""
    return {**data, **changes, "_csrf_token": csrf(client)}


def amount_changes(engine, case_id: int) -> list:  # noqa: ANN001
    with Session(engine) as db:
        entries = db.exec(
            select(AuditEntry).where(AuditEntry.action == "case.update", AuditEntry.object_id == str(case_id))
        ).all()
    return [json.loads(e.changes).get("amount") for e in entries]


def test_the_amount_is_set_changed_and_cleared_with_each_change_audited(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
    sign_in(client, "a.clerk")
    for typed, stored in (("5000", "5000.00"), ("3000", "3000.00"), ("3,500.5", "3500.50"), ("", None)):
        response = client.post(
            f"/cases/{case.id}/edit", data=edit_data(client, case.id, amount=typed), follow_redirects=False
        )
        assert response.status_code == 303, response.text[:300]
        with Session(engine) as db:
            saved = db.get(Case, case.id).amount
        assert (None if saved is None else f"{saved:.2f}") == stored
    changes = amount_changes(engine, case.id)
    assert [c[1] if c else None for c in changes] == ["5000", "3000", "3500.5", None]
    assert changes[1][0] in ("5000", "5000.00") and changes[2][0] in ("3000", "3000.00")


@pytest.mark.parametrize("typed", ["-1", "abc", "１２３", "٣", "1e400", "NaN", "Infinity", "1" * 40])
def test_an_amount_that_is_not_a_sum_of_money_is_refused_with_the_input_kept(client, engine, typed: str) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
    sign_in(client, "a.clerk")
    response = client.post(
        f"/cases/{case.id}/edit", data=edit_data(client, case.id, amount=typed), follow_redirects=False
    )
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#f-amount")["value"] == typed
    assert "涉及金额" in page.select_one("#f-amount-error").get_text()
    assert amount_changes(engine, case.id) == []


@pytest.mark.browser
def test_the_amount_is_edited_in_the_browser(page: Page, live_server: str, engine) -> None:  # noqa: ANN001
    from test_browser import sign_in as browser_sign_in

    world = build_world(engine)
    with Session(engine) as db:
        case = insert_case(db, world, "a1a")
    browser_sign_in(page, "a.clerk")
    for typed, shown in (("5000", "5000.00 元"), ("3500", "3500.00 元")):
        page.goto(f"/cases/{case.id}")
        page.get_by_role("link", name="修改基本信息").click()
        page.locator("#f-amount").fill(typed)
        page.get_by_role("button", name="保存").click()
        expect(page.locator("#flashes")).to_contain_text("已保存")
        expect(page.locator("dt:text('涉及金额') + dd")).to_have_text(shown)
