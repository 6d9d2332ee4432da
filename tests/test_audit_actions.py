"""The audit trail's action table (portal.audit.actions): every action the code writes has a Chinese label and a group,
and the filters built from it find what they name — 查看个人信息 and 导出与打印 included."""

from __future__ import annotations

import ast
from pathlib import Path

from bs4 import BeautifulSoup
from factories import build_world, sign_in
from sqlmodel import Session

from portal.audit import actions
from portal.audit import service as audit
from portal.cases.states import TRANSITIONS as CASE_STEPS
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.problems.service import TRANSITIONS as PROBLEM_STEPS

PORTAL = Path(__file__).resolve().parent.parent / "portal"
# Actions written with an f-string: their prefix, and every value the dynamic part takes.
DYNAMIC = {"case.": set(CASE_STEPS), "dossier.": {"destroy", "extend"}, "problem.": set(PROBLEM_STEPS)}


def _codes(node: ast.expr, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body, where) | _codes(node.orelse, where)
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        prefix = node.values[0].value
        assert prefix in DYNAMIC and len(node.values) == 2, f"{where}: an f-string action the test cannot expand"
        return {prefix + tail for tail in DYNAMIC[prefix]}
    raise AssertionError(f"{where}: an audit action the test cannot read ({ast.dump(node)[:80]})")


def written_actions() -> dict[str, str]:
    """Every action code passed to audit.record, record_change or the error handlers' _audit_later (also when handed to
    a BackgroundTask), with where it is written."""
    found: dict[str, str] = {}
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        passed_on: set[int] = set()  # calls that hand on their function's own `action` parameter: read at its callers
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef) and "action" in {a.arg for a in func.args.args + func.args.kwonlyargs}:
                passed_on |= {id(n) for n in ast.walk(func) if isinstance(n, ast.Name) and n.id == "action"}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            where = f"{path.relative_to(PORTAL.parent)}:{node.lineno}"
            keyword = next((k.value for k in node.keywords if k.arg == "action"), None)
            if name == "record" and owner == "audit":
                expr = keyword if keyword is not None else node.args[1]
            elif name == "record_change" and keyword is not None:
                expr = keyword
            elif name == "_audit_later":
                expr = node.args[1]
            elif any(isinstance(a, ast.Name) and a.id == "_audit_later" for a in node.args):  # BackgroundTask(f, …)
                at = next(i for i, a in enumerate(node.args) if isinstance(a, ast.Name) and a.id == "_audit_later")
                expr = node.args[at + 2]
            else:
                continue
            if id(expr) not in passed_on:
                found.update(dict.fromkeys(_codes(expr, where), where))
    return found


def test_every_action_the_code_writes_has_a_label_and_a_group() -> None:
    written = written_actions()
    assert len(written) > 60 and {"security.out_of_scope", "case.accept", "dossier.print"} <= set(written)
    missing = {code: where for code, where in written.items() if code not in actions.ACTIONS}
    assert missing == {}
    assert {a.group for a in actions.ACTIONS.values()} <= set(actions.GROUPS)
    assert all(a.label and not a.label.isascii() for a in actions.ACTIONS.values())


def test_every_group_is_offered_and_selects_exactly_its_actions() -> None:
    offered = [label for label, _ in actions.filter_options()]
    assert offered == list(actions.GROUPS.values())
    for key in actions.GROUPS:
        assert set(actions.codes_of(key)) == {c for c, a in actions.ACTIONS.items() if a.group == key}
    assert actions.codes_of("personal_data") == ("person.view_personal_data", "case.view_personal_data")
    assert {"dossier.print", "dossier.download", "case.download", "export.cases"} <= set(actions.codes_of("export"))
    assert actions.codes_of("org.") == tuple(c for c in actions.ACTIONS if c.startswith("org."))  # old links
    assert actions.codes_of("nonsense") == () and actions.codes_of("auth.sign_in") == ("auth.sign_in",)


def test_the_personal_data_and_export_filters_find_their_entries_and_show_labels(client, engine) -> None:
    world = build_world(engine)
    with Session(engine) as db:
        actor, org = db.get(Person, world.person("a.clerk").id), db.get(Organisation, world.org("a1").id)
        for code in ("case.view_personal_data", "person.view_personal_data", "dossier.print", "dossier.download"):
            audit.record(db, code, actor=actor, org=org, object_type="case", object_id=1, summary=f"测试 {code}")
        db.commit()
    sign_in(client, "a.admin")
    shown = {}
    for group in ("personal_data", "export"):
        page = BeautifulSoup(client.get(f"/audit?action={group}").text, "html.parser")
        shown[group] = sorted(row["data-action"] for row in page.select("#audit-entries tbody tr"))
        assert all(cell.get_text(strip=True) == "甲受理员" for cell in page.select("#audit-entries td.actor"))
    assert shown == {
        "personal_data": ["case.view_personal_data", "person.view_personal_data"],
        "export": ["dossier.download", "dossier.print"],
    }
    page = BeautifulSoup(client.get("/audit?action=export").text, "html.parser")
    assert {label.get_text() for label in page.select(".action-label")} == {"打印文书", "下载卷宗"}
    assert page.select_one("select[name=action] option[selected]")["value"] == "export"
