"""Identity numbers: the 18-digit 居民身份证 (GB 11643) and the 统一社会信用代码 (GB 32100) check digits."""

from __future__ import annotations

from datetime import date

from portal import clock

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise(number: str) -> str:
    """Upper-case, no spaces, full-width digits and letters folded to ASCII."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in number.strip())
    return folded.replace(" ", "").upper()


def resident_id_problem(number: str, *, today: date | None = None) -> str | None:
    """Why an 18-digit 身份证 number is invalid, in Chinese; None when it is valid."""
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        return "身份证号码应为 18 位，前 17 位为数字，最后一位为数字或 X。"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效。"
    if born > (today or clock.today()) or born.year < 1900:
        return "身份证号码中的出生日期无效。"
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True)) % 11]
    if number[17] != check:
        return "身份证号码校验位不正确，请核对。"
    return None


def uscc_problem(code: str) -> str | None:
    """Why a 统一社会信用代码 is invalid, in Chinese; None when it is valid."""
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）。"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    if _USCC_CHARS[(31 - total % 31) % 31] != code[17]:
        return "统一社会信用代码校验位不正确，请核对。"
    return None


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def mask_id(number: str) -> str:
    """370102********1234: the region and the last four, enough to tell two people apart."""
    if not number:
        return ""
    return number[:6] + "*" * max(len(number) - 10, 4) + number[-4:] if len(number) > 10 else "****"
