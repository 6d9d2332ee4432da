"""The form fields of templates/_macros.html (field, select, textarea, checkbox), written in Python.

The macros are what templates call; each now hands its arguments to one of these. As Jinja macros they called four
helper macros per field, and a page with a dozen fields (the case page's party form) spent a third of its rendering
there. The HTML is the same, byte for byte (tests/test_forms.py holds it to that): label, control, help and error,
with aria-describedby and aria-invalid pointing at them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import Undefined
from markupsafe import Markup, escape

from portal.web.filters import options as option_tags

_ATTR_KEY = re.compile(r"[\s/>=]", flags=re.ASCII)  # as Jinja's xmlattr: such a key could break out of the tag


def _attrs(attrs: Mapping[str, Any] | None) -> str:
    """Jinja's `xmlattr` (autospace): extra attributes; None and undefined values are left out."""
    items = []
    for key, value in (attrs or {}).items():
        if value is None or isinstance(value, Undefined):
            continue
        if _ATTR_KEY.search(key) is not None:
            raise ValueError(f"Invalid character in attribute name: {key!r}")
        items.append(f'{escape(key)}="{escape(value)}"')
    return " " + " ".join(items) if items else ""


def _error(errors: Mapping[str, Any] | None, name: str) -> Markup:
    err = (errors or {}).get(name)
    if err and not isinstance(err, str):
        return Markup("；").join(escape(item) for item in err)
    return escape(err or "")


def _label(id_: str, label: Any, required: bool) -> str:
    mark = (
        '<span class="field__required" aria-hidden="true">*</span><span class="visually-hidden">（必填）</span>'
        if required
        else ""
    )
    return f'<label class="field__label" for="{escape(id_)}">{escape(label)}{mark}</label>'


def _described(id_: str, help_: Any, err: Markup) -> str:
    ids = [f"{id_}-help"] if help_ else []
    if err:
        ids.append(f"{id_}-error")
    described = f' aria-describedby="{escape(" ".join(ids))}"' if ids else ""
    return described + (' aria-invalid="true"' if err else "")


def _help_and_error(id_: str, help_: Any, err: Markup) -> str:
    help_html = f'<p class="field__help" id="{escape(id_)}-help">{escape(help_)}</p>' if help_ else ""
    return help_html + (f'<p class="field__error" id="{escape(id_)}-error">{err}</p>' if err else "")


def field(
    name: str,
    label: Any,
    value: Any = "",
    errors: Mapping | None = None,
    type: str = "text",  # noqa: A002 — the macro's name
    required: bool = False,
    help: Any = "",
    attrs: Mapping | None = None,
) -> Markup:  # noqa: A002
    """label + input + help + error. Passwords are never echoed back."""
    id_ = f"f-{name}"
    err = _error(errors, name)
    shown = f' value="{escape(value)}"' if type != "password" and value is not None else ""
    return Markup(
        f'<div class="field{" field--error" if err else ""}">\n    {_label(id_, label, required)}\n'
        f'    <input class="field__input" id="{escape(id_)}" name="{escape(name)}" type="{escape(type)}"{shown}'
        f"{' required' if required else ''}{_described(id_, help, err)}{_attrs(attrs)}>\n"
        f"    {_help_and_error(id_, help, err)}\n  </div>"
    )


def select(
    name: str,
    label: Any,
    options: Any,
    value: Any = "",
    errors: Mapping | None = None,
    required: bool = False,
    help: Any = "",
    attrs: Mapping | None = None,
    blank: Any = None,
) -> Markup:  # noqa: A002
    """options: (value, label) pairs; value a single value or a list (with attrs={"multiple": true}); blank: the label
    of an empty first option, e.g. "请选择…"."""
    id_ = f"f-{name}"
    err = _error(errors, name)
    empty = f'\n      <option value="">{escape(blank)}</option>' if blank is not None else ""
    return Markup(
        f'<div class="field{" field--error" if err else ""}">\n    {_label(id_, label, required)}\n'
        f'    <select class="field__input" id="{escape(id_)}" name="{escape(name)}"'
        f"{' required' if required else ''}{_described(id_, help, err)}{_attrs(attrs)}>"
        f"{empty}{option_tags(options, value)}</select>\n"
        f"    {_help_and_error(id_, help, err)}\n  </div>"
    )


def textarea(
    name: str,
    label: Any,
    value: Any = "",
    errors: Mapping | None = None,
    required: bool = False,
    help: Any = "",  # noqa: A002
    rows: int = 4,
    attrs: Mapping | None = None,
) -> Markup:
    id_ = f"f-{name}"
    err = _error(errors, name)
    return Markup(
        f'<div class="field{" field--error" if err else ""}">\n    {_label(id_, label, required)}\n'
        f'    <textarea class="field__input" id="{escape(id_)}" name="{escape(name)}" rows="{escape(rows)}"'
        f"{' required' if required else ''}{_described(id_, help, err)}{_attrs(attrs)}>"
        f"{escape(value if value is not None else '')}</textarea>\n"
        f"    {_help_and_error(id_, help, err)}\n  </div>"
    )


def checkbox(
    name: str,
    label: Any,
    checked: bool = False,
    errors: Mapping | None = None,
    help: Any = "",
    value: Any = "1",  # noqa: A002
    attrs: Mapping | None = None,
) -> Markup:
    """An unchecked box sends nothing: read it as `name in form`."""
    id_ = f"f-{name}"
    err = _error(errors, name)
    return Markup(
        f'<div class="field field--check{" field--error" if err else ""}">\n'
        f'    <input class="field__check" id="{escape(id_)}" name="{escape(name)}"'
        f' type="checkbox" value="{escape(value)}"'
        f"{' checked' if checked else ''}{_described(id_, help, err)}{_attrs(attrs)}>\n"
        f'    <label class="field__label" for="{escape(id_)}">{escape(label)}</label>\n'
        f"    {_help_and_error(id_, help, err)}\n  </div>"
    )


FIELDS = {"form_field": field, "form_select": select, "form_textarea": textarea, "form_checkbox": checkbox}
