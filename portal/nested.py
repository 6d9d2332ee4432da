"""Child rows read inside their parent's statement: one JSON array per child table, turned back into model instances.

A page that shows a record with several lists (the case page: parties, records, mediators, timeline, files) would
otherwise wait on one round trip per list, and pay SQLAlchemy's and the driver's fixed cost per statement each time.
`rows(shape, where)` is a correlated scalar subquery whose value is the matching rows as a JSON array of arrays
(PostgreSQL `json_agg(json_build_array(…))`, SQLite `json_group_array(json_array(…))`); `shape.load(value)` gives the
instances back, with the column types the ORM would have given them. The subquery is correlated to the enclosing
statement, so it sees exactly the rows that statement's conditions (the viewer's scope) let through.

Order inside the array is not guaranteed on SQLite (an aggregate there has no ORDER BY before 3.44), so callers sort
what `load` returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, Integer, String, Text, inspect, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

M = TypeVar("M")


def _spelled(default: str, postgresql: str) -> Callable[[type], type]:
    """A SQL function element that SQLite (and any other database) calls `default` and PostgreSQL `postgresql`."""

    def register(cls: type) -> type:
        for dialects, name in (((), default), (("postgresql",), postgresql)):
            compiles(cls, *dialects)(
                lambda element, compiler, _name=name, **kw: f"{_name}({compiler.process(element.clauses, **kw)})"
            )
        return cls

    return register


@_spelled("json_array", postgresql="json_build_array")
class json_array(FunctionElement):  # noqa: N801 — a SQL function, named like one
    """One row's values as a JSON array."""

    type = JSON()
    inherit_cache = True


@_spelled("json_group_array", postgresql="json_agg")
class json_array_agg(FunctionElement):  # noqa: N801
    """A group's JSON values as one JSON array."""

    type = JSON()
    inherit_cache = True


def _same(value: Any) -> Any:
    return value


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)  # SQLite stores 0 and 1


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # SQLite's json_array embeds a JSON column as text


def _reader(type_: TypeEngine) -> Callable[[Any], Any]:
    """How a value of `type_` comes back from JSON; a type not listed here is refused when the shape is made, not
    guessed at (numbers with decimals, for one, would come back as floats)."""
    if isinstance(type_, TypeDecorator):
        # e.g. SQLModel's AutoString (converts nothing) and UTCDateTime (makes a datetime aware): the stored value as
        # its implementation reads it, then the decorator's own conversion, which for these does not depend on the
        # dialect.
        inner = _reader(type_.impl_instance)
        if type(type_).process_result_value is TypeDecorator.process_result_value:
            return inner
        return lambda value: type_.process_result_value(inner(value), None)
    if isinstance(type_, Enum):
        members = type_.enum_class
        if members is not None:
            return lambda value: None if value is None else members(value)
    else:
        for kind, read in (
            (Boolean, _bool),
            (DateTime, _datetime),
            (Date, _date),
            (JSON, _json),
            (Integer, _same),
            (String, _same),
            (Text, _same),
        ):
            if isinstance(type_, kind):
                return read
    raise TypeError(f"nested rows cannot carry a column of type {type_!r}")


class Shape(Generic[M]):
    """Which columns of `model` travel in the array (all but `leave`), and how to rebuild an instance from them.

    `extra` are further expressions appended to each row (e.g. an EXISTS flag); `load` then gives (instance, *extras).
    An instance whose columns were left out has None in them: leave out only what no reader of the result needs.
    """

    def __init__(self, model: type[M], *, leave: Iterable[str] = (), extra: Iterable[ColumnElement] = ()) -> None:
        mapper = inspect(model)
        left = set(leave)
        attrs = [a for a in mapper.column_attrs if a.key not in left]
        self.columns = tuple(a.columns[0] for a in attrs)
        self.extra = tuple(extra)
        self._keys = tuple(a.key for a in attrs)
        self._readers = tuple(_reader(c.type) for c in self.columns)
        self._new = mapper.class_manager.new_instance

    def values(self) -> tuple[ColumnElement, ...]:
        return (*self.columns, *self.extra)

    def instance(self, values: list) -> M:
        """A transient instance, made as the ORM makes a loaded one
        (its dictionary filled, no events, no validation)."""
        instance = self._new()
        instance.__dict__.update(
            zip(self._keys, (read(v) for read, v in zip(self._readers, values, strict=True)), strict=True)
        )
        return instance

    def load(self, value: list | None) -> list:
        """The rows of `value` (None when there were none: PostgreSQL's json_agg of no rows)."""
        if not value:
            return []
        width = len(self._keys)
        if not self.extra:
            return [self.instance(row) for row in value]
        return [(self.instance(row[:width]), *row[width:]) for row in value]


def rows(*values: ColumnElement, where: ColumnElement) -> ColumnElement:
    """`values` of the rows matching `where` (correlated to the enclosing statement), as one JSON array of arrays."""
    return select(json_array_agg(json_array(*values))).where(where).scalar_subquery()
