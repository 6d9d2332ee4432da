"""Organisations: the scoped tree, and administrators creating, editing, moving and deactivating."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from factories import build_world, csrf, sign_in
from sqlmodel import Session, select

from portal.audit.models import AuditEntry
from portal.orgs.models import Organisation


def post(client, url: str, data: dict):  # noqa: ANN001, ANN201
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def org_form(org: Organisation, **changes: str) -> dict:
    data = {
        "name": org.name,
        "short_name": org.short_name,
        "division_code": org.division_code or "",
        "tier": org.tier.value,
        "kind": org.kind.value,
        "parent_id": str(org.parent_id or ""),
        "sort_order": str(org.sort_order),
        "version": str(org.version),
    }
    return {**data, **changes}


def test_the_tree_shows_the_subtree_and_nothing_beside_or_above(client, engine) -> None:
    build_world(engine)
    sign_in(client, "a.clerk")
    soup = BeautifulSoup(client.get("/orgs").text, "html.parser")
    names = [a.get_text() for a in soup.select("#tree a")]
    assert names[0] == "甲县矛调中心"
    assert {
        "甲县东镇人民调解委员会",
        "东镇桃花村人民调解委员会",
        "桃花村第一网格",
        "甲县医疗纠纷人民调解委员会",
    } <= set(names)
    assert "乙县矛调中心" not in names and "云川市矛调中心" not in names


def test_breadcrumbs_show_only_visible_ancestors(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a1.mediator")
    soup = BeautifulSoup(client.get(f"/orgs/{world.org('a1a_g').id}").text, "html.parser")
    crumbs = [li.get_text(strip=True) for li in soup.select('nav[aria-label="当前位置"] li')]
    assert crumbs == ["组织机构", "甲县东镇人民调解委员会", "东镇桃花村人民调解委员会", "桃花村第一网格"]


def test_searching_the_tree_answers_a_fragment_to_htmx_and_a_page_otherwise(client, engine) -> None:
    build_world(engine)
    sign_in(client, "city.admin")
    full = client.get("/orgs?q=东镇")
    fragment = client.get("/orgs?q=东镇", headers={"HX-Request": "true"})
    boosted = client.get("/orgs?q=东镇", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in full.text and "<html" not in fragment.text and "<html" in boosted.text
    assert "甲县东镇人民调解委员会" in fragment.text and "乙县西镇" not in fragment.text
    assert fragment.headers["vary"] == "HX-Request"


def test_an_admin_creates_a_child_organisation_and_it_is_audited(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    parent = world.org("a1a")
    response = post(
        client,
        "/orgs",
        {
            "name": "桃花村第二网格",
            "short_name": "桃二",
            "tier": "group",
            "kind": "grid",
            "parent_id": str(parent.id),
            "division_code": "",
            "sort_order": "2",
        },
    )
    assert response.status_code == 303
    with Session(engine) as db:
        org = db.exec(select(Organisation).where(Organisation.name == "桃花村第二网格")).one()
        assert org.path == f"{parent.path}{org.id}/" and org.depth == parent.depth + 1
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "org.create")).one()
        assert entry.org_path == org.path and "桃花村第二网格" in entry.changes
    assert "已新建：桃花村第二网格" in client.get(response.headers["location"]).text


def test_an_invalid_form_re_renders_with_the_input_and_chinese_reasons(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    response = post(
        client,
        "/orgs",
        {
            "name": "",
            "short_name": "太长的简称不可以超过十个字符",
            "tier": "county",
            "kind": "grid",
            "parent_id": str(world.org("a1").id),
            "division_code": "12ab",
            "sort_order": "x",
        },
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    errors = {p["id"]: p.get_text() for p in soup.select(".field__error")}
    assert errors["f-name-error"] == "请填写机构名称。"
    assert "行政区划代码" in errors["f-division_code-error"] and "层级不能高于上级机构" in errors["f-tier-error"]
    assert soup.select_one("#f-short_name")["value"] == "太长的简称不可以超过十个字符"
    assert soup.select_one("#f-parent_id option[selected]")["value"] == str(world.org("a1").id)
    with Session(engine) as db:
        assert len(db.exec(select(Organisation)).all()) == len(world.orgs)


def test_sibling_names_are_unique(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    response = post(
        client,
        "/orgs",
        {
            "name": "东镇桃花村人民调解委员会",
            "short_name": "桃",
            "tier": "village",
            "kind": "committee",
            "parent_id": str(world.org("a1").id),
        },
    )
    assert response.status_code == 422 and "同一上级下已有同名机构" in response.text


def test_a_conflicting_edit_is_detected_not_overwritten(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    org = world.org("a1a")
    first = post(client, f"/orgs/{org.id}/edit", org_form(org, name="桃花村（甲改）"))
    assert first.status_code == 303
    stale = post(client, f"/orgs/{org.id}/edit", org_form(org, name="桃花村（乙改）"))  # the same, now old, version
    assert stale.status_code == 409 and "已被他人修改" in stale.text
    soup = BeautifulSoup(stale.text, "html.parser")
    assert (
        soup.select_one("#f-name")["value"] == "桃花村（乙改）"
        and "桃花村（甲改）" in soup.select_one("#current-values").get_text()
    )
    with Session(engine) as db:
        assert db.get(Organisation, org.id).name == "桃花村（甲改）"
    again = post(
        client,
        f"/orgs/{org.id}/edit",
        org_form(org, name="桃花村（乙改）", version=soup.select_one('input[name="version"]')["value"]),
    )
    assert again.status_code == 303


def test_moving_an_organisation_rewrites_its_subtree(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    village, new_parent = world.org("a1a"), world.org("a_med")
    assert post(client, f"/orgs/{village.id}/edit", org_form(village, parent_id=str(new_parent.id))).status_code == 303
    with Session(engine) as db:
        moved = db.get(Organisation, village.id)
        group = db.get(Organisation, world.org("a1a_g").id)
        assert moved.path == f"{new_parent.path}{village.id}/" and moved.depth == new_parent.depth + 1
        assert group.path == f"{moved.path}{group.id}/" and group.depth == moved.depth + 1
    into_own_child = post(client, f"/orgs/{village.id}/edit", org_form(moved, parent_id=str(group.id)))
    assert into_own_child.status_code == 422 and "不能把机构移到它自己或它的下级之下" in into_own_child.text
    out_of_scope = post(client, f"/orgs/{village.id}/edit", org_form(moved, parent_id=str(world.org("b1").id)))
    assert out_of_scope.status_code == 404


def test_deactivation_needs_an_empty_subtree_and_removes_access(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    village, group = world.org("a1a"), world.org("a1a_g")
    refused = post(client, f"/orgs/{village.id}/deactivate", {"version": str(village.version)})
    assert refused.status_code == 403 and "下级机构" in refused.text
    assert post(client, f"/orgs/{group.id}/deactivate", {"version": str(group.version)}).status_code == 303
    with Session(engine) as db:
        assert not db.get(Organisation, group.id).active
    client.post("/logout", data={"_csrf_token": csrf(client)})
    sign_in(client, "a1a.grid")  # whose only role was in the deactivated group
    assert client.get(f"/orgs/{group.id}").status_code == 404
    assert "没有在任何在用机构中担任角色" in client.get("/workspace").text


def test_admins_cannot_deactivate_their_own_organisation(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.admin")
    org = world.org("a")
    assert post(client, f"/orgs/{org.id}/deactivate", {"version": str(org.version)}).status_code == 403


def test_the_organisation_page_lists_its_people_with_masked_phones(client, engine) -> None:
    world = build_world(engine)
    sign_in(client, "a.clerk")
    text = client.get(f"/orgs/{world.org('a1').id}").text
    assert "东镇调解员" in text and "137****1111" in text and "13700001111" not in text
    assert re.search(r"修改</a>", text) is None  # a clerk gets no admin actions
