"""Identity and phone numbers inside free text: masked before anything is stored or indexed, kept apart for the exact
`证件:`/`电话:` match that only some roles may use.

The masks are the pages' own (portal.cases.ids.mask_id, portal.people.service.mask_phone): a 身份证 number or a
统一社会信用代码 keeps its first six and last four characters (370102********1234), a phone number its first three
and last four digits (139****5678). Numbers are found in the normalised text (full-width digits and lower-case letters
count), and the original characters around them are kept.
"""

from __future__ import annotations

import re

from search.text import normalise

_NOT_BEFORE = r"(?<![0-9a-z])"
_NOT_AFTER = r"(?![0-9a-z])"
_USCC_CHAR = "[0-9a-hj-npqrtuwxy]"
NUMBER = re.compile(
    _NOT_BEFORE
    + "(?:"
    + r"(?P<rid>\d{17}[\dx]|\d{15})"  # 居民身份证 (18 digits, or the old 15)
    + f"|(?P<uscc>{_USCC_CHAR}{{2}}\\d{{6}}{_USCC_CHAR}{{10}})"  # 统一社会信用代码 (GB 32100)
    + r"|(?P<mobile>1[3-9]\d[- ]?\d{4}[- ]?\d{4})"
    + r"|(?P<landline>0\d{2,3}[- ]?\d{7,8})"
    + ")"
    + _NOT_AFTER
)
ID_LIKE = re.compile(r"^(\d{17}[\dx]|\d{15}|" + _USCC_CHAR + r"{2}\d{6}" + _USCC_CHAR + r"{10})$")
PHONE_LIKE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11})$")


def _masked(kind: str, original: str) -> str:
    if kind in ("rid", "uscc"):
        return original[:6] + "*" * max(len(original) - 10, 4) + original[-4:]
    digits = original.replace("-", "").replace(" ", "")
    return digits[:3] + "****" + digits[-4:]


def mask(text: str) -> str:
    """`text` with every identity and phone number masked as the pages mask them."""
    if not text:
        return text
    norm = normalise(text)
    out, pos = [], 0
    for m in NUMBER.finditer(norm):
        out.append(text[pos : m.start()])
        out.append(_masked(m.lastgroup or "", text[m.start() : m.end()]))  # every alternative is a named group
        pos = m.end()
    if pos == 0:
        return text
    out.append(text[pos:])
    return "".join(out)


def found(text: str) -> list[str]:
    """The identity and phone numbers in `text`, normalised (lower case, ASCII digits, no separators)."""
    if not text:
        return []
    return [m.group().replace("-", "").replace(" ", "") for m in NUMBER.finditer(normalise(text))]


def key(value: str) -> str:
    """A typed or stored number as it is matched: normalised, without separators."""
    return normalise(value).replace("-", "").replace(" ", "").strip()
