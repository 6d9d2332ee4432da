"""Sign-in, sign-out and the person's own account page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from portal.auth import service, sessions
from portal.errors import Invalid
from portal.web import csrf_binding
from portal.web.render import Db, address_of, form_of, page, principal_of, redirect, settings_of

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

REASONS = {
    "expired": ("warning", "您的会话已超时，请重新登录。"),
    "required": ("info", "请先登录。"),
    "signed_out": ("success", "您已安全退出。"),
}


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


class LoginController(Controller):
    path = "/login"
    opt = {"exclude_from_auth": True}

    @get("/", name="login_form", sync_to_thread=False)
    def login_form(self, request: Request, reason: FromQuery[str | None] = None) -> Template:
        notice = REASONS.get(reason or "")
        return page(
            request,
            "auth/login.html",
            title="登录",
            next=safe_next(request.query_params.get("next")) or "",
            username="",
            message=None,
            notice=notice,
        )

    @post("/", name="login", sync_to_thread=True)
    def login(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        settings = settings_of(request)
        username, password = str(data.get("username", "")), str(data.get("password", ""))
        target = safe_next(str(data.get("next", "")))
        if not username.strip() or not password:
            return page(
                request,
                "auth/login.html",
                title="登录",
                status=422,
                next=target or "",
                username=username,
                message="请输入用户名和密码。",
                notice=None,
            )
        result = service.sign_in(
            db,
            settings,
            username=username,
            password=password,
            address=address_of(request),
            user_agent=request.headers.get("user-agent", ""),
            old_token=request.cookies.get(sessions.COOKIE_NAME),
        )
        if result.token is None:
            return page(
                request,
                "auth/login.html",
                title="登录",
                status=422,
                next=target or "",
                username=username,
                message=result.message,
                notice=None,
            )
        response = Redirect(path=target or request.app.route_reverse("workspace"), status_code=303)
        response.set_cookie(
            Cookie(
                key=sessions.COOKIE_NAME,
                value=result.token,
                path="/",
                httponly=True,
                samesite="lax",
                secure=settings.cookie_secure,
                max_age=settings.session_max_hours * 3600,
            )
        )
        # The CSRF token from now on is the new session's (portal.web.csrf_binding).
        response.set_cookie(
            csrf_binding.cookie(settings.effective_secret_key(), result.token, secure=settings.cookie_secure)
        )
        return response


@post("/logout", name="logout", sync_to_thread=True)
def logout(request: Request, db: Db) -> Redirect:
    principal = principal_of(request)
    token = request.cookies.get(sessions.COOKIE_NAME)
    if principal and token:
        service.sign_out(db, principal.person, token, address=address_of(request))
    response = Redirect(path=f"{request.app.route_reverse('login_form')}?reason=signed_out", status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


class AccountController(Controller):
    path = "/account"

    def _page(self, request: Request, db: Db, *, errors: dict | None = None, status: int = 200) -> Template:
        principal = principal_of(request)
        assert principal is not None
        return page(
            request,
            "auth/account.html",
            title="账户与密码",
            nav="account",
            crumbs=[("账户与密码", None)],
            status=status,
            errors=errors or {},
            last=service.last_sign_in(db, principal.person),
        )

    @get("/", name="account", sync_to_thread=True)
    def account(self, request: Request, db: Db) -> Template:
        return self._page(request, db)

    @post("/password", name="change_password", sync_to_thread=True)
    def change_password(self, request: Request, db: Db, data: Form) -> Template | Redirect:
        principal = principal_of(request)
        assert principal is not None
        form = form_of(service.PasswordChange, {"current": "", "new": "", "repeat": "", **data})
        try:
            service.change_password(
                db,
                principal.person,
                form,
                token=request.cookies.get(sessions.COOKIE_NAME, ""),
                address=address_of(request),
            )
        except Invalid as exc:
            db.rollback()
            return self._page(request, db, errors=exc.errors, status=422)
        return redirect(
            request, request.app.route_reverse("account"), message="密码已修改。您在其他设备上的登录已退出。"
        )
