"""Every template compiles: a merge that leaves an `{% if %}` without its `{% endif %}` fails here, not as a 500 on the
one page that uses the template."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, TemplateSyntaxError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize("name", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_the_template_compiles(name: str) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    try:
        env.parse((TEMPLATES / name).read_text(encoding="utf-8"), name=name)
    except TemplateSyntaxError as exc:
        pytest.fail(f"{name}:{exc.lineno}: {exc.message}")
