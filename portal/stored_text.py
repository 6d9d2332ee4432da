"""The last line: no row is written with text that no form should have let through.

The forms check what they read (portal.inputs) and name the field; this listener checks every row an ORM session is
about to write — new rows, and the changed columns of others — so that a form, an import or a service that forgot
still cannot store a control character (NUL: PostgreSQL refuses it, a 500), a lone surrogate (PostgreSQL cannot
encode it) or a text longer than its column (PostgreSQL refuses it; SQLite would keep it, so the two databases
would disagree). It raises `Invalid` before anything is sent, keyed by the column's name (the forms use the same
names), so a handler that catches Invalid shows the form again with what was typed, and one that does not answers
422 (portal.web.errors). JSON columns (a record's fields, a job's parameters) are checked string by string.

The audit trail is left out: `portal.audit.service.record` makes its own text safe, as it must record refused
requests too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from portal import inputs
from portal.errors import Invalid

EXEMPT_TABLES = {"audit_entry", "audit_head"}
_MESSAGE = "提交的内容无法保存，请更正标出的内容后再提交。"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _problem(column: Any, value: Any) -> str | None:
    for text in _strings(value):
        reason = inputs.refusal(text)
        if reason:
            return "内容" + reason
    length = getattr(column.type, "length", None) if isinstance(column.type, String) else None
    if length is not None and isinstance(value, str) and len(value) > length:
        return f"内容过长：不能超过 {length} 个字符（现有 {len(value)} 个）。"
    return None


def problems_of(obj: Any, *, changed_only: bool) -> dict[str, str]:
    """{column name: reason} for the values of `obj` that may not be stored."""
    state = inspect(obj)
    mapper = state.mapper
    if mapper.local_table is not None and getattr(mapper.local_table, "name", "") in EXEMPT_TABLES:
        return {}
    found: dict[str, str] = {}
    for attr in mapper.column_attrs:
        key = attr.key
        if key not in state.dict:
            continue
        if changed_only and not state.attrs[key].history.has_changes():
            continue
        reason = _problem(attr.columns[0], state.dict[key])
        if reason:
            found[key] = reason
    return found


@event.listens_for(Session, "before_flush")
def _refuse_unstorable_text(session: Session, _context: Any, _instances: Any) -> None:
    found: dict[str, str] = {}
    for obj in session.new:
        found.update(problems_of(obj, changed_only=False))
    for obj in session.dirty:
        found.update(problems_of(obj, changed_only=True))
    if found:
        raise Invalid(found, _MESSAGE)
