"""Who is asking: the session cookie becomes a Principal on every non-public request."""

from __future__ import annotations

from datetime import timedelta

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from portal.auth import service as auth_service
from portal.auth import sessions
from portal.db import transaction
from portal.scope import Principal, load_principal


class SessionExpired(NotAuthorizedException):
    """The session ended by idle timeout or age: the sign-in page says so."""


def authenticate(connection: ASGIConnection) -> Principal:
    """Load the principal for the request's session cookie, or raise NotAuthorized."""
    token = connection.cookies.get(sessions.COOKIE_NAME)
    if not token:
        raise NotAuthorizedException("请先登录。")
    state = connection.app.state
    settings = state.settings
    idle, max_age = timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours)
    with transaction(state.reader) as db:  # every request passes here: read, and write only when needed
        loaded = sessions.load(db, token, idle=idle, max_age=max_age, touch=False)
        principal = load_principal(db, loaded.person, loaded.session.id) if loaded.session and loaded.person else None
        needs_write = loaded.expired or (loaded.session is not None and sessions.due_for_touch(loaded.session))
    if needs_write:
        with transaction(state.engine) as db:
            again = sessions.load(db, token, idle=idle, max_age=max_age)
            if again.expired and again.person is not None:
                auth_service.session_expired(
                    db, again.person, address=connection.client.host if connection.client else ""
                )
    # Raised after the transaction commits, so the ended session and its audit entry are kept.
    if principal is None:
        raise SessionExpired("会话已超时，请重新登录。") if loaded.expired else NotAuthorizedException("请先登录。")
    sessions.remember(token, principal.person.id, principal, settings.session_cache_seconds)
    return principal


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        # A session this process remembers needs neither the database nor a thread.
        token = connection.cookies.get(sessions.COOKIE_NAME)
        remembered = sessions.recall(token) if token else None
        principal = (
            remembered
            if isinstance(remembered, Principal)
            else await anyio.to_thread.run_sync(authenticate, connection)
        )
        return AuthenticationResult(user=principal, auth=principal.session_id)
