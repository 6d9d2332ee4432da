"""The CSRF token of a signed-in person belongs to their session.

Litestar's CSRF check is a double submit: the form's (or htmx header's) token must equal the `portal_csrf` cookie's,
and both must carry the server's HMAC. Any valid pair passes, whoever it was issued to: a token and cookie taken from
one person's browser were accepted in another's session. Here, once a session exists, its token is derived from the
session: `HMAC(secret, "csrf:" + session token)` plus Litestar's own HMAC over that, so Litestar's check still reads it
as one of its tokens. Sign-in sets it (portal.auth.web); a page read with a session whose cookie is not bound to it
(a browser that lost the cookie) gets the bound one, both in the page's forms and as the new cookie; a change sent
with a token not bound to the request's session is refused like any failed CSRF check (400, audited).

Sign-in itself keeps the plain double submit: there is no session yet to bind to.
"""

from __future__ import annotations

import hashlib
import hmac

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import AbstractMiddleware
from litestar.middleware.csrf import generate_csrf_hash
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.auth import sessions
from portal.scope import Principal

COOKIE_NAME = "portal_csrf"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def bound_token(secret: str, session_token: str) -> str:
    """The session's CSRF token, in Litestar's format (64 hex characters and their HMAC)."""
    body = hmac.new(secret.encode(), f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()
    return body + generate_csrf_hash(token=body, secret=secret)


def cookie(secret: str, session_token: str, *, secure: bool) -> Cookie:
    """The CSRF cookie for a new session (set with the session cookie at sign-in)."""
    return Cookie(
        key=COOKIE_NAME,
        value=bound_token(secret, session_token),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def _cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies: the very dict Litestar keeps for the connection, so a change here is what its CSRF
    check reads next."""
    return ASGIConnection(scope).cookies


class SessionBoundCsrf(AbstractMiddleware):
    """Runs after authentication and before Litestar's CSRF check (see portal.app for the order)."""

    def __init__(self, app: ASGIApp, secret: str, secure: bool) -> None:
        super().__init__(app)
        self.secret, self.secure = secret, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cookies = _cookies(scope)
        session_token = cookies.get(sessions.COOKIE_NAME)
        if not isinstance(scope.get("user"), Principal) or not session_token:
            await self.app(scope, receive, send)
            return
        expected = bound_token(self.secret, session_token)
        if hmac.compare_digest(cookies.get(COOKIE_NAME, ""), expected):
            await self.app(scope, receive, send)
            return
        if scope.get("method") not in SAFE_METHODS:
            raise PermissionDeniedException("CSRF token verification failed: not bound to this session")
        # A page read with an unbound cookie: the CSRF check (and so the page's forms) use the bound token, and the
        # browser is given it as its cookie.
        cookies[COOKIE_NAME] = expected
        header = cookie(self.secret, session_token, secure=self.secure).to_header(header="")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add("set-cookie", header)
            await send(message)

        await self.app(scope, receive, send_with_cookie)
