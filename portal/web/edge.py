"""What every request must pass before its handler runs (the app's `before_request`), so that no route can forget.

- **Path ids** (`{case_id:int}` …): Litestar parses them with `int()`, which also takes "３", "٣", " 7" and "1_000", and
  hands 2^63 to the database (SQLite: OverflowError; PostgreSQL: "integer out of range" above 2^31). Here the raw
  segment must be ASCII digits and the value fit PostgreSQL's int4; otherwise the page does not exist (404).
- **Static files**: a NUL or a name longer than any file we serve is not found (404), before the file system is asked.
- **Query parameters**: control characters (NUL included) or lone surrogates, or values longer than any form
  writes, answer 400 with the reason. Numbers and dates in queries are then read by portal.inputs.
- **Form bodies** (`FormGuard`, a middleware, as the CSRF check reads the body before any hook): a multipart part that
  cannot be read as text (a file part sent without a file name) answers 400 instead of failing inside the parser; NUL
  and lone surrogates — which no keyboard, paste or browser produces, and which PostgreSQL refuses — answer 400 too.
  Other control characters and invisible characters reach the forms' own validation (portal.inputs), which names the
  field and keeps what was typed (422).
"""

from __future__ import annotations

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, NotFoundException
from litestar.middleware import AbstractMiddleware
from litestar.types import Receive, Scope, Send

from portal import inputs

MAX_QUERY_VALUE = 2000  # the longest query a page writes is a search (cut at 200) or a saved search's parameters
MAX_STATIC_NAME = 200


def _path_ids(request: Request) -> None:
    ints = [name for name, value in request.path_params.items() if isinstance(value, int)]
    if not ints:
        return
    # The route's template ("/cases/{case_id}") and the decoded path have the same segments: an int one must be
    # written in ASCII digits, nothing around them, and fit int4; an id (…_id) starts at 1, an index at 0.
    template = (request.scope.get("path_template") or "").split("/")
    raw_segments = request.scope["path"].split("/")
    for name in ints:
        position = template.index("{" + name + "}") if "{" + name + "}" in template else -1
        raw = raw_segments[position] if 0 <= position < len(raw_segments) else ""
        try:
            if raw != raw.strip():
                raise inputs.BadInput("")
            inputs.integer(raw, low=1 if name.endswith("_id") else 0)
        except inputs.BadInput as exc:
            raise NotFoundException("您要找的页面不存在。") from exc


def _static(request: Request) -> None:
    name = str(request.path_params.get("file_path", ""))
    if len(name) > MAX_STATIC_NAME or inputs.refusal(name, name=True):
        raise NotFoundException("您要找的页面不存在。")


def _query(request: Request) -> None:
    for key, value in request.query_params.multi_items():
        for part in (key, value):
            if len(part) > MAX_QUERY_VALUE:
                raise ClientException(f"请求参数过长（超过 {MAX_QUERY_VALUE} 个字符）。")
            reason = inputs.refusal(part)
            if reason or any(c in part for c in "\n\r\t"):
                raise ClientException("请求参数" + (reason or "含有换行或制表符。"))


def _unreadable(value: str) -> bool:
    return "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value)


async def _form(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return
    try:
        form = await request.form()  # parsed once: the CSRF check and the handler's `data` read the same parse
    except UnicodeDecodeError as exc:
        raise ClientException("表单内容无法识别：上传的文件须带文件名，文字须为 UTF-8 编码。") from exc
    for key, value in form.multi_items():
        if _unreadable(key) or (isinstance(value, str) and _unreadable(value)):
            raise ClientException("提交的内容含有空字符（NUL）或无法识别的字符，请检查后重新提交。")
        filename = getattr(value, "filename", None)
        if filename is not None and (len(filename) > 1000 or _unreadable(filename)):
            raise ClientException("上传文件的文件名无法识别，请改名后重新上传。")


class FormGuard(AbstractMiddleware):
    """Form bodies, checked before Litestar's CSRF middleware reads its token from them (it parses the form first)."""

    scopes = {ScopeType.HTTP}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
            await _form(Request(scope, receive=receive))
        await self.app(scope, receive, send)


async def check_request(request: Request) -> None:
    """The app's before_request hook: refuse what no handler should see (see the module's docstring)."""
    if request.scope.get("path_template", "").startswith("/static/"):
        _static(request)
        return
    _path_ids(request)
    _query(request)
