"""One way to answer with HTML: a full page, or its fragment for an htmx request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from ipaddress import ip_address
from typing import Any, TypeVar

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlmodel import Session

from portal import inputs
from portal.errors import Conflict, Invalid
from portal.scope import Principal
from portal.settings import Settings
from portal.web import flash

T = TypeVar("T")

Db = NamedDependency[Session]  # the request's database session (portal.app.provide_db)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def principal_of(request: Request) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def address_of(request: Request) -> str:
    return client_address(request, settings_of(request))


def client_address(connection: ASGIConnection, settings: Settings) -> str:
    """The address of the person asking: the connection's peer, or — when the peer is one of the reverse proxies
    named in PORTAL_TRUSTED_PROXIES — the nearest address in X-Forwarded-For that is not one of them (the entries to
    its left are whatever the browser sent, and are not believed). Sign-in throttling and the audit trail use it."""
    peer = connection.client.host if connection.client else ""
    networks = settings.trusted_networks
    if not networks or not _among(peer, networks):
        return peer
    hops = [hop.strip() for hop in connection.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _among(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _among(address: str, networks: tuple) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def is_fragment(request: Request) -> bool:
    """An htmx request that wants a piece of a page: not boosted navigation, not a history restore."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def page(
    request: Request,
    template: str,
    *,
    title: str,
    nav: str | None = None,
    crumbs: list[tuple[str, str | None]] | None = None,
    partial: str | None = None,
    status: int = 200,
    **context: Any,
) -> Template:
    """Render `template`, or `partial` (which the page itself includes) for an htmx fragment request."""
    settings = settings_of(request)
    messages = flash.read(request, settings.effective_secret_key())
    response = Template(
        template_name=partial if partial and is_fragment(request) else template,
        context={
            "site_name": settings.site_name,
            "me": principal_of(request),
            "nav": nav,
            "crumbs": crumbs or [],
            "flashes": messages,
            "page_title": title,
            **context,
        },
        status_code=status,
        headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
    )
    if messages:
        flash.clear(response)
    return response


def redirect(request: Request, url: str, *, message: str | None = None, level: str = "success") -> Redirect:
    """Post/Redirect/Get with 303, optionally carrying a flash message."""
    response = Redirect(path=url, status_code=303)
    if message:
        settings = settings_of(request)
        response.set_cookie(
            flash.cookie(settings.effective_secret_key(), [(level, message)], secure=settings.cookie_secure)
        )
    return response


def form_of(cls: type[T], data: dict[str, Any]) -> T:
    """Fill a form dataclass from posted fields, keeping what was typed as strings."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: str(v) if not isinstance(v, list) else str(v[-1]) for k, v in data.items() if k in names})


def save_edit(
    db: Session, form: Any, *, save: Callable[[], T], reload: Callable[[], Any], rerender: Callable[..., Template]
) -> T | Template:
    """Save an edit form, or show it again with what was typed.

    Invalid input answers 422 with the reasons. A conflicting edit answers 409 with what is saved now
    beside the user's input, and the form then carries the saved version, so that submitting again is
    a deliberate overwrite and never a silent one.
    """
    try:
        return save()
    except Invalid as exc:
        db.rollback()  # whatever the save flushed before it was refused goes
        return rerender(reload(), errors=exc.errors, message=exc.message, status=422)
    except Conflict as exc:
        db.rollback()
        current = reload()
        form.version = str(current.version)
        return rerender(current, message=exc.message, status=409, latest=current)


def int_or_none(value: str | None) -> int | None:
    """A non-negative whole number from a query parameter (ASCII digits, within int4), or None (portal.inputs)."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return inputs.integer(value, low=0)
    except inputs.BadInput:
        return None


def reveals(request: Request) -> bool:
    """For `opt={"writes": reveals}`: the page writes (an audited reveal) only when it was asked to reveal."""
    return request.query_params.get("reveal", "") not in ("", "false", "0")
