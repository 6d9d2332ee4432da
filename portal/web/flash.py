"""Flash messages carried across a redirect in a small signed cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from litestar import Request, Response
from litestar.datastructures import Cookie

COOKIE = "portal_flash"


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]


def cookie(secret: str, messages: list[tuple[str, str]], *, secure: bool) -> Cookie:
    payload = base64.urlsafe_b64encode(json.dumps(messages, ensure_ascii=False).encode())
    value = f"{payload.decode()}.{_sign(secret, payload)}"
    return Cookie(key=COOKIE, value=value, path="/", httponly=True, samesite="lax", secure=secure, max_age=120)


def read(request: Request, secret: str) -> list[dict[str, str]]:
    """Messages from the cookie; a tampered cookie yields none."""
    raw = request.cookies.get(COOKIE)
    if not raw or "." not in raw:
        return []
    payload, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(secret, payload.encode())):
        return []
    try:
        return [{"level": level, "text": text} for level, text in json.loads(base64.urlsafe_b64decode(payload))]
    except (ValueError, TypeError):
        return []


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
