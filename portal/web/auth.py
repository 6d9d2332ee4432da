"""Who is asking: the session cookie becomes a Principal on every non-public request."""

from __future__ import annotations

from datetime import timedelta

from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlmodel import Session

from portal.auth import service as auth_service
from portal.auth import sessions
from portal.db import transaction, utcnow
from portal.people.models import Person
from portal.scope import Principal, load_principal
from portal.web.render import client_address


class SessionExpired(NotAuthorizedException):
    """The session ended by idle timeout or age: the sign-in page says so."""


def authenticate(connection: ASGIConnection) -> Principal:
    """Load the principal for the request's session cookie, or raise NotAuthorized.

    One read of the session row on every request (sessions.check), so that a session ended in any worker process is
    refused here at once; the Principal itself is kept while its generation holds. Writes only when the session has
    just expired (ended, audited); its last-seen time is moved on by the app's Toucher, outside the request.
    """
    token = connection.cookies.get(sessions.COOKIE_NAME)
    if not token:
        raise NotAuthorizedException("请先登录。")
    state = connection.app.state
    settings = state.settings
    idle, max_age = timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours)
    now = utcnow()
    with Session(state.reader) as db:
        seen = sessions.check(db, token)
        if seen is None:
            raise NotAuthorizedException("请先登录。")
        expired = seen.expired(now, idle=idle, max_age=max_age)
        principal = None if expired else sessions.recall(token, seen.generation)
        if principal is None and not expired:
            principal = load_principal(db, db.get(Person, seen.person_id), sessions.digest(token))
            sessions.remember(token, seen.person_id, seen.generation, principal, settings.session_cache_seconds)
    if expired:
        with transaction(state.engine) as db:
            person = sessions.end_expired(db, token)
            if person is not None:
                auth_service.session_expired(db, person, address=client_address(connection, settings))
        # Raised after the transaction commits, so the ended session and its audit entry are kept.
        raise SessionExpired("会话已超时，请重新登录。")
    if seen.due_for_touch(now):
        state.toucher.touch(token, now)
    assert isinstance(principal, Principal)
    return principal


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        # In the thread pool the handlers use (never on the event loop, STYLE §12): it reads the database.
        principal = await sync_to_thread(authenticate, connection)
        return AuthenticationResult(user=principal, auth=principal.session_id)
