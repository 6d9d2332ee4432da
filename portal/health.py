"""GET /healthz: is the portal and what it depends on reachable.

Anyone may ask whether the portal is up ("ok" or "degraded"); the details — database, data folder, the search
index's size, the outbox's length — only a monitor that sends the configured token (`Authorization: Bearer
<PORTAL_HEALTH_TOKEN>`): a count of indexed cases and the queue behind it say more about the portal than an
anonymous caller needs. Without a token configured, the details stay with `portal search check` on the server.
"""

from __future__ import annotations

import hmac

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Response

from portal.db import ping
from portal.searching.service import status as search_status


def may_see_details(request: Request, token: str) -> bool:
    """Whether the request carries the configured health token (compared in constant time)."""
    sent = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@get("/healthz", name="healthz", sync_to_thread=True, opt={"exclude_from_auth": True}, include_in_schema=True)
def healthz(request: Request, state: State) -> Response:
    """Up or degraded for everyone; the details with the health token."""
    settings = state.settings
    database = ping(state.engine)
    data_dir = settings.data_dir.is_dir()
    ok = database and data_dir
    search = search_status(settings.index_dir, state.engine)  # a fallback to database search is "degraded"
    content: dict = {"status": "ok" if ok and (search["ok"] or search["building"]) else "degraded"}
    if may_see_details(request, settings.health_token):
        content.update(database=database, data_dir=data_dir, search=search)
    return Response(content=content, status_code=200, headers={"Cache-Control": "no-store"})
