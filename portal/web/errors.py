"""Domain and HTTP errors mapped to responses in one place."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.audit import service as audit
from portal.auth import sessions
from portal.auth.service import home_org
from portal.db import STALE, is_duplicate, transaction
from portal.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from portal.scope import OutOfScope
from portal.web.auth import SessionExpired
from portal.web.render import address_of, is_fragment, page, principal_of

log = logging.getLogger("portal")


def is_api(request: Request) -> bool:
    """The JSON API answers errors as JSON, never with a page or a redirect."""
    return request.url.path == "/api" or request.url.path.startswith("/api/")


TITLES = {
    400: "请求无效",
    403: "无权操作",
    404: "未找到",
    409: "已被他人处理",
    422: "内容无法保存",
    429: "请求过多",
    503: "系统繁忙",
}


def _error_page(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        return Response(
            content={"status_code": status, "detail": message},
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )
    template = f"errors/{status}.html" if status in (400, 403, 404, 409, 422, 429, 500, 503) else "errors/500.html"
    title = TITLES.get(status, "出错了")
    return page(request, template, title=title, status=status, message=message)


def _audit_later(request: Request, action: str, **fields) -> None:  # noqa: ANN003
    """Write an audit entry in its own transaction (the request's own was rolled back)."""
    principal = principal_of(request)
    with transaction(request.app.state.engine) as db:
        person = principal.person if principal else None
        if person is None:  # e.g. a CSRF failure, refused before the session was looked at
            person = sessions.person_of(db, request.cookies.get(sessions.COOKIE_NAME, ""))
        audit.record(
            db,
            action,
            actor=person,
            org=home_org(db, person) if person else None,
            address=address_of(request),
            **fields,
        )


def on_out_of_scope(request: Request, exc: OutOfScope) -> Response:
    response = _error_page(request, 404, exc.message)
    response.background = BackgroundTask(
        _audit_later,
        request,
        "security.out_of_scope",
        object_type=exc.object_type,
        object_id=exc.object_id,
        summary=f"请求范围外或不存在的对象：{request.method} {request.url.path}"[:400],
    )
    return response


def on_not_found(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, NotFound) else "您要找的页面不存在。"
    return _error_page(request, 404, message)


def on_forbidden(request: Request, exc: Forbidden) -> Response:
    return _error_page(request, 403, exc.message)


def on_conflict(request: Request, exc: Conflict) -> Response:
    """Someone else changed or answered it first (on either database): say so, and change nothing."""
    return _error_page(request, 409, exc.message)


def on_integrity(request: Request, exc: IntegrityError) -> Response:
    """A row that may exist only once, made by someone else first (a unique constraint, where the service did not
    name it itself with flush_once): the same 409 as any other change that came second."""
    if not is_duplicate(exc):
        return on_server_error(request, exc)
    log.info("duplicate refused on %s %s: %s", request.method, request.url.path, exc.orig)
    return _error_page(request, 409, STALE)


BUSY = "系统繁忙，请稍后重试。"
RETRY_AFTER_SECONDS = 5


def is_busy(exc: Exception) -> bool:
    """A database that could not answer in time, not a bug: SQLite's write lock held past the busy timeout,
    PostgreSQL breaking a deadlock or a serialisation conflict (class 40), a lock or statement timeout, a lost
    connection (class 08); or no pooled connection free within the pool's timeout."""
    if isinstance(exc, PoolTimeout | Busy):
        return True
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or ""  # psycopg
    if state:
        return state.startswith(("40", "08", "55P03", "57014", "57P"))
    return any(word in str(orig) for word in ("database is locked", "database is busy", "database table is locked"))


def on_busy(request: Request, exc: Exception) -> Response:
    """Nothing was saved; the user may simply try again, and a client is told when (Retry-After)."""
    if not is_busy(exc):
        return on_server_error(request, exc)
    log.warning("busy on %s %s: %s", request.method, request.url.path, exc)
    response = _error_page(request, 503, BUSY)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def on_invalid(request: Request, exc: Invalid) -> Response:
    """Input refused where no form could be shown again (forms catch Invalid themselves and keep what was typed)."""
    reasons = "；".join(str(reason) for reason in exc.errors.values())
    return _error_page(request, 422, f"{exc.message}{'：' + reasons if reasons else ''}")


def on_permission_denied(request: Request, exc: PermissionDeniedException) -> Response:
    if "CSRF" in (exc.detail or ""):
        response = _error_page(request, 400, "页面已过期或请求无法验证，请返回上一页刷新后重试。")
        response.background = BackgroundTask(
            _audit_later,
            request,
            "security.csrf_rejected",
            summary=f"CSRF 校验失败：{request.method} {request.url.path}"[:400],
        )
        return response
    return _error_page(request, 403, "您无权进行此操作。")


def on_not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    """Send the browser to the sign-in page, remembering where it was going (the API answers 401 instead)."""
    if is_api(request):
        return Response(
            content={"status_code": 401, "detail": "请先登录。"}, status_code=401, headers={"Cache-Control": "no-store"}
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = request.headers.get("hx-current-url", "") or "/"
    reason = "expired" if isinstance(exc, SessionExpired) else "required"
    login = f"{request.app.route_reverse('login_form')}?reason={reason}&next={quote(target, safe='')}"
    response: Response
    if request.headers.get("hx-request") == "true":
        response = Response(content="", status_code=200, headers={"HX-Redirect": login})
    else:
        response = Redirect(path=login, status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


def on_http_exception(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        limit = request.app.state.settings.upload_max_mb
        return _error_page(request, 400, f"上传的内容过大：单个文件不能超过 {limit} MB。请压缩或拆分后再上传。")
    if exc.status_code == 429:
        return _error_page(request, 429, "请求过于频繁，请稍后再试。")
    if exc.status_code >= 500:
        log.error("HTTP %s on %s: %s", exc.status_code, request.url.path, exc.detail)
        return _error_page(request, 500, "服务器出现问题，请稍后再试或联系管理员。")
    if is_fragment(request) or request.headers.get("accept", "").startswith("application/json"):
        return Response(content={"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)
    return _error_page(
        request, 400 if exc.status_code not in (403, 404) else exc.status_code, "请求无效：" + str(exc.detail)
    )


def on_server_error(request: Request, exc: Exception) -> Response:
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, "服务器出现问题，请稍后再试或联系管理员。")


HANDLERS = {
    OutOfScope: on_out_of_scope,
    NotFound: on_not_found,
    NotFoundException: on_not_found,
    Forbidden: on_forbidden,
    Conflict: on_conflict,
    OperationalError: on_busy,
    Busy: on_busy,
    IntegrityError: on_integrity,
    PoolTimeout: on_busy,
    Invalid: on_invalid,
    PermissionDeniedException: on_permission_denied,
    NotAuthorizedException: on_not_authorized,
    HTTPException: on_http_exception,
    Exception: on_server_error,
}
