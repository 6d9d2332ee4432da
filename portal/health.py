"""GET /healthz: is the portal and what it depends on reachable."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State
from litestar.response import Response

from portal.db import ping
from portal.searching.service import status as search_status


@get("/healthz", name="healthz", sync_to_thread=True, opt={"exclude_from_auth": True}, include_in_schema=True)
def healthz(state: State) -> Response:
    """Database reachability (later: the search index and archive storage too)."""
    settings = state.settings
    database = ping(state.engine)
    data_dir = settings.data_dir.is_dir()
    ok = database and data_dir
    search = search_status(settings.index_dir, state.engine)  # a fallback to database search is "degraded"
    return Response(
        content={
            "status": "ok" if ok and (search["ok"] or search["building"]) else "degraded",
            "database": database,
            "data_dir": data_dir,
            "search": search,
        },
        status_code=200,
        headers={"Cache-Control": "no-store"},
    )
