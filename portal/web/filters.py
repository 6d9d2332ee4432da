"""Jinja filters and globals: local times, masked numbers, static and route URLs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import cast

from jinja2 import Environment, pass_context
from markupsafe import Markup, escape

from portal.people.service import mask_phone


def register(env: Environment, tz: tzinfo, static_dir: Path) -> None:
    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(tz).strftime(fmt)

    env.filters["localtime"] = localtime
    env.filters["mask_phone"] = mask_phone
    env.globals["tz_name"] = str(tz)

    @lru_cache(maxsize=256)
    def static(path: str) -> str:
        """URL of a file under static/, with a content hash so browsers never keep a stale copy."""
        file = static_dir / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"
        return f"/static/{path}?v={digest}"

    env.globals["static"] = static

    litestar_url_for = cast(Callable[..., str], env.globals["url_for"])  # Litestar registers it there
    remembered: dict[tuple, str] = {}  # one environment per app: (route, parameters) -> path

    @pass_context
    def url_for(context, route_name: str, /, **params) -> str:  # noqa: ANN001, ANN003
        """Litestar's url_for, remembered: a route and its parameters always give the same path, and reversing
        walks the route table each time (a page asks for about twenty)."""
        key = (route_name, tuple(sorted(params.items())))
        try:
            return remembered[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable parameter: not worth remembering
            return litestar_url_for(context, route_name, **params)
        if len(remembered) >= 4096:  # case ids make the set open-ended: start again rather than grow
            remembered.clear()
        remembered[key] = path = litestar_url_for(context, route_name, **params)
        return path

    env.globals["url_for"] = url_for
    env.globals["options"] = options


@lru_cache(maxsize=512)
def _options_html(pairs: tuple[tuple[str, str | tuple], ...]) -> str:
    return "".join(
        f'<optgroup label="{escape(value)}">{_options_html(label)}</optgroup>'
        if isinstance(label, tuple)
        else f'<option value="{escape(value)}">{escape(label)}</option>'
        for value, label in pairs
    )


def _frozen(pairs) -> tuple:  # noqa: ANN001
    """(value, label) pairs as strings; a label that is itself a list of pairs makes an <optgroup> labelled `value`."""
    return tuple((str(v), _frozen(label) if isinstance(label, list) else str(label)) for v, label in pairs)


def options(pairs, selected: object = None) -> Markup:  # noqa: ANN001
    """A select's <option>s for (value, label) pairs, `selected` (a value, or several) marked. The HTML of a list of
    pairs is kept: forms repeat the same organisations, people and types on every page."""
    html = _options_html(_frozen(pairs))
    chosen = [selected] if isinstance(selected, str) or not isinstance(selected, Iterable) else selected
    for value in chosen:
        if value not in (None, ""):
            tag = f'<option value="{escape(str(value))}">'
            html = html.replace(tag, tag[:-1] + " selected>", 1)
    return Markup(html)
