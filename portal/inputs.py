"""Reading what people type and what URLs carry: numbers, ids, dates, sums of money and text, in one place.

Python's own parsers are too kind for input from outside: `int()` and `Decimal()` take full-width and Arabic-Indic
digits ("３", "٣"), underscores and surrounding spaces; `str.isdigit()` is true for "²", which `int()` then refuses;
`date.fromisoformat()` takes 0001-01-01; nothing stops a NUL (which PostgreSQL refuses: a 500), a lone surrogate, or a
right-to-left override that makes a name read backwards. Every form, query parameter and path parameter goes through
these functions (path ids through portal.web.edge, forms through the services' validation, query parameters through
`portal.web.render.int_or_none` and friends); each refusal is a `BadInput` with a reason in Chinese.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

INT4_MAX = 2**31 - 1  # ids and counts are INTEGER columns: PostgreSQL's int4
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
_DIGITS = re.compile(r"[0-9]+", flags=re.ASCII)
_MONEY = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?", flags=re.ASCII)
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", flags=re.ASCII)
# Invisible characters that change how a name reads or compares: bidi embeddings, overrides, isolates and marks,
# zero-width spaces and joiners, the BOM, soft hyphens… (all of Unicode's "format" category, Cf).
_LINE_BREAKS = frozenset("\n\r\t")


class BadInput(ValueError):
    """A value that cannot be used; `message` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def integer(text: object, *, label: str = "数值", low: int = 0, high: int = INT4_MAX) -> int:
    """A whole number in ASCII digits (a leading minus only when `low` < 0) between `low` and `high`."""
    raw = str(text).strip()
    digits = raw[1:] if raw.startswith("-") and low < 0 else raw
    if not _DIGITS.fullmatch(digits):
        raise BadInput(f"{label}应为整数（半角数字 0–9）。" if raw else f"请填写{label}。")
    if len(digits.lstrip("0")) > 12:  # never turn 5,000 digits into an int (and never ask the database about it)
        raise BadInput(f"{label}应在 {low} 到 {high} 之间。")
    value = -int(digits) if digits is not raw else int(digits)
    if not low <= value <= high:
        raise BadInput(f"{label}应在 {low} 到 {high} 之间。")
    return value


def identifier(text: object, *, label: str = "编号") -> int:
    """A row id: 1 … 2^31−1 in ASCII digits."""
    return integer(text, label=label, low=1)


def id_or_none(text: object) -> int | None:
    """An id from a query parameter or an optional field, or None when it is empty or could not be an id."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return identifier(text)
    except BadInput:
        return None


def day(text: object, *, label: str = "日期", earliest: date = EARLIEST, latest: date = LATEST) -> date:
    """A date written 年-月-日 in ASCII digits, between `earliest` and `latest` (1900–2100 unless narrowed)."""
    raw = str(text).strip()
    match = _DAY.fullmatch(raw)
    if match is None:
        raise BadInput(f"{label}的日期格式应为 年-月-日（如 2025-03-01）。")
    try:
        value = date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise BadInput(f"{label}不是有效日期（日期格式为 年-月-日，如 2025-03-01）。") from exc
    if not earliest <= value <= latest:
        raise BadInput(f"{label}应在 {earliest.isoformat()} 到 {latest.isoformat()} 之间。")
    return value


def day_or_none(text: object) -> date | None:
    """A date from a query parameter, or None when it is empty or not a sane date."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return day(text)
    except BadInput:
        return None


def money(text: object, *, label: str = "金额", high: Decimal = Decimal("999999999999.99")) -> Decimal:
    """A sum in yuan: ASCII digits, at most two decimals, thousands separators allowed, 0 … `high`."""
    raw = str(text).replace(",", "").strip()
    if not _MONEY.fullmatch(raw):
        raise BadInput(f"{label}应为不小于 0 的数字（元，最多两位小数）。")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only plain decimals
        raise BadInput(f"{label}应为不小于 0 的数字（元，最多两位小数）。") from exc
    if value > high:
        raise BadInput(f"{label}不能超过 {high:,} 元。")
    return value


def refusal(value: str, *, name: bool = False) -> str | None:
    """Why `value` may not be stored, or None: control characters (NUL included) and lone surrogates anywhere
    except tab and line breaks in running text; in a name or title also line breaks and invisible format characters
    (bidi overrides, zero-width spaces and joiners, the BOM)."""
    for char in value:
        if char in _LINE_BREAKS:
            if name:
                return "不能包含换行或制表符。"
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            return f"含有不可见的控制字符（U+{ord(char):04X}），请删除后重新填写。"
        if category == "Cs":
            return "含有无法识别的字符（编码错误），请重新输入。"
        if name and category == "Cf":
            return f"含有不可见的格式字符（U+{ord(char):04X}，如零宽字符或文字方向控制符），请删除后重新填写。"
    return None


def printable(value: str) -> str:
    """`value` with control characters (line breaks kept) and lone surrogates shown as U+FFFD: for recording what was
    asked (an audit summary quoting a refused path), where refusing is not an option."""
    if value.isprintable():
        return value
    return "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cs") and c not in _LINE_BREAKS else c for c in value)


def text(value: object, *, label: str, max_length: int | None = None, name: bool = False) -> str:
    """Text as typed, trimmed; refused (see `refusal`) or when longer than `max_length` characters."""
    cleaned = "" if value is None else str(value).strip()
    reason = refusal(cleaned, name=name)
    if reason:
        raise BadInput(label + reason)
    if max_length is not None and len(cleaned) > max_length:
        raise BadInput(f"{label}不能超过 {max_length} 个字符。")
    return cleaned


def check_text(errors: dict[str, str], field: str, value: str, *, label: str, name: bool = False) -> None:
    """Note in `errors` why the text of `field` may not be stored (unless the field already has a reason)."""
    reason = refusal(value, name=name)
    if reason and field not in errors:
        errors[field] = label + reason


def check_fields(errors: dict[str, str], form: object, labels: dict[str, str], *, names: tuple[str, ...] = ()) -> None:
    """`check_text` over the string fields of a form dataclass (labels by field; `names` are names or titles)."""
    for field, value in vars(form).items():
        if isinstance(value, str):
            check_text(errors, field, value, label=labels.get(field, "该项"), name=field in names)
