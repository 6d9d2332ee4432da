"""Hostile input on every route: no answer is a 5xx, and a refused request leaves nothing half-saved.

The routes come from the app itself (so a new route joins by itself); each starts from the permission matrix's valid
request for it ("in" side: tests/test_permissions.py and tests/matrix_*.py), signed in as a person holding every
role over county A, with a valid CSRF token. Then:

- every int path parameter gets ids that are not ids (0, −1, 2^31, 2^63, 10^40, "²", "３", "٣"): each answers 404;
- every query parameter a handler reads gets hostile values, rotated over the parameters (a Latin square, not the
  full cross product): NUL and other control characters, 100 kB strings, Unicode digits, huge numbers, extreme
  dates, nested JSON, right-to-left overrides;
- every form field gets the same values, rotated over the fields, plus one field at a time for a seeded sample (so
  that a refusal by one field does not hide another's crash); files get empty names, NUL names, hostile contents;
- after each refused POST (4xx), every table except those that record the refusal itself (audit, sessions, login
  failures) or that background workers write (indexer, binding) is byte for byte what it was.

Both databases, each in about a minute on the CI machine.
"""

from __future__ import annotations

import hashlib
import inspect
import random
import re
import time
import typing
from urllib.parse import urlencode, urlsplit

from bs4 import BeautifulSoup
from factories import World, build_world, csrf, sign_in
from litestar.enums import RequestEncodingType
from sqlalchemy import event, text
from sqlmodel import Session, SQLModel
from test_permissions import CONTEXT, Route, _url, all_routes

import portal.models  # noqa: F401 - every table, for the snapshots
from portal import clock
from portal.cases.models import CaseSequence
from portal.db import transaction
from portal.people.models import MediatorKind, Membership, Role

BAD_IDS = ["0", "-1", str(2**31), str(2**63), "1" + "0" * 40, "²", "３", "٣", "1_0", " 1"]
IDS_PER_PARAMETER = 4  # each int path parameter gets 4 of them; over the ~60 parameters every one is sent many times
HOSTILE = [
    "a\x00b",
    "\x07铃\x1b[31m",
    "x" * 100_000,
    "３٣²",
    str(2**63),
    "9" * 5000,
    "-1",
    "0001-01-01",
    "9999-12-31",
    "[" * 2000 + "]" * 2000,
    "张\u202e三\u200b",
    "NaN",
    "5000.50",  # and two that are valid in many fields, so that odd but valid combinations get saved too
    "1",
]

# A URL holds less (clients and servers stop at 64 kB): in queries the long values are 10 kB.
QUERY_HOSTILE = [value[:10_000] for value in HOSTILE]
# Query parameters that handlers read from request.query_params (the others come from their signatures).
QUERY_NAMES = {"page", "org", "q", "state", "dispute_type", "channel", "tier", "mediator", "date_from", "date_to"}
QUERY_NAMES |= {"sort", "overdue", "reveal", "next", "reason", "before", "dtype", "status", "year", "outcome"}
# What records a refusal itself (the audit trail, sessions, sign-in failures), and what the indexer and fixity check
# write in the background.
EXEMPT_TABLES = {"audit_entry", "audit_head", "web_session", "login_failure", "search_outbox", "fixity_run"}
PDF_JS = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
FILES = [
    ("", b"\xff\xfe\x00\x81 not text", "application/octet-stream"),  # a file part without a name: not text either
    ("", b"", "application/pdf"),
    ("a\x00.pdf", b"%PDF-1.4\n", "application/pdf"),
    ("名" * 400 + ".pdf", b"%PDF-1.4\n", "application/pdf"),
    ("../../etc/passwd", b"root:x:0:0", "text/plain"),
    ("js.pdf", PDF_JS, "application/pdf"),
    ("deep.jsonl", b'{"title": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n", "application/json"),
    ("nul.jsonl", b'{"title": "a\\u0000b", "org": {"id": 99999999999999999999}}\n', "application/json"),
    ("\u202e.csv", "案件名称,收到日期\n\u202e名,0001-01-01\n".encode(), "text/csv"),
]


def _all_roles(engine, world: World) -> None:  # noqa: ANN001
    """a.director holds every role over county A: every route is reached as far as it goes. (The matrix inserts its
    cases with numbers of its own: the committees' counters start above them, so that intake does not collide.)"""
    with transaction(engine) as db:
        for org in world.orgs.values():
            db.add(CaseSequence(org_id=org.id, year=clock.today().year, last=100_000))
        person = world.person("a.director")
        for role in Role:
            if role is not Role.DIRECTOR:
                kind = MediatorKind.FULL_TIME if role is Role.MEDIATOR else None
                db.add(Membership(person_id=person.id, org_id=world.org("a").id, role=role, mediator_kind=kind))


def _handlers(app) -> list[tuple[str, str, str, object]]:  # noqa: ANN001
    """(name, method, path template, handler) of every route of the app, static files included."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method in ("GET", "POST"):
                    found.append((handler.name or "", method, route.path, handler))
    return found


def _fn(handler):  # noqa: ANN001, ANN202
    """The handler's own function (sync handlers run in threads come wrapped)."""
    return getattr(handler.fn, "func", handler.fn)


def _query_names(handler) -> set[str]:  # noqa: ANN001
    names = {
        name
        for name, parameter in inspect.signature(_fn(handler)).parameters.items()
        if "FromQuery" in str(parameter.annotation)
    }
    return names | QUERY_NAMES


def _is_multipart(handler) -> bool:  # noqa: ANN001
    hint = typing.get_type_hints(_fn(handler), include_extras=True).get("data")
    return any(
        getattr(m, "media_type", None) == RequestEncodingType.MULTI_PART for m in getattr(hint, "__metadata__", ())
    )


def _settled(engine) -> None:  # noqa: ANN001
    """Wait until no dossier binding runs in the background (it writes its job, versions and timeline as it ends)."""
    for _ in range(600):
        with engine.connect() as conn:
            running = conn.execute(text("SELECT count(*) FROM dossier_job WHERE status IN ('queued', 'running')"))
            if not running.scalar():
                return
        time.sleep(0.1)
    raise AssertionError("a dossier binding did not end within a minute")


def _snapshot(engine) -> dict[str, str]:  # noqa: ANN001
    """A digest of every table's rows (ordered by their first column), but the exempt ones."""
    _settled(engine)
    found = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in EXEMPT_TABLES:
                continue
            first = list(table.columns)[0].name
            rows = conn.execute(text(f'SELECT * FROM "{table.name}" ORDER BY "{first}"')).all()
            found[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


class Fuzz:
    def __init__(self, client, engine, world: World) -> None:  # noqa: ANN001
        self.client, self.engine, self.world = client, engine, world
        self.failures: list[str] = []
        self.requests = 0
        self.kept: dict[str, str] | None = None  # the last snapshot, while nothing can have changed since
        # The matrix makes the objects a request needs through the tests' engine (once, or anew for each request, as
        # an alert's case): whatever that engine commits outdates the snapshot.
        event.listen(engine, "commit", self._outdated)
        self.form_names: set[str] = set()  # every field of every form the pages showed
        self.forms: dict[str, dict[str, str]] = {}  # the fields of the forms that post to a path, with a typical value

    def _outdated(self, _conn) -> None:  # noqa: ANN001
        self.kept = None

    def check(self, response, what: str) -> None:  # noqa: ANN001
        self.requests += 1
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} on {what}")

    def get(self, url: str, what: str, *, want: int | None = None) -> None:
        response = self.client.get(url, follow_redirects=False)
        self.check(response, what)  # a page only reads (an audited reveal writes to the exempt audit trail)
        if response.status_code == 200 and "text/html" in response.headers.get("content-type", ""):
            for form in BeautifulSoup(response.text, "html.parser").select('form[method="post"]'):
                fields = self.forms.setdefault(_shape(form.get("action", "")), {})
                for field in form.select("[name]"):
                    if field["name"] not in ("_csrf_token", "version"):
                        fields.setdefault(field["name"], _plausible(field))
                self.form_names |= set(fields)
        if want is not None and response.status_code != want:
            self.failures.append(f"{response.status_code} (want {want}) on {what}")

    def post(self, url: str, data: dict, what: str, files: dict | None = None, *, want: int | None = None) -> None:
        before = self.kept or _snapshot(self.engine)
        response = self.client.post(
            url, data={**data, "_csrf_token": csrf(self.client)}, files=files, follow_redirects=False
        )
        self.check(response, what)
        if want is not None and response.status_code != want:
            self.failures.append(f"{response.status_code} (want {want}) on {what}")
        self.kept = None
        if 400 <= response.status_code < 500:
            after = self.kept = _snapshot(self.engine)
            changed = sorted(name for name in after if after[name] != before.get(name))
            if changed:
                self.failures.append(f"{response.status_code} on {what} but {changed} changed")


def _plausible(field) -> str:  # noqa: ANN001
    """What a person would put in a form field every day, by its kind: a sum, a date, another option, a name."""
    if field.name == "select":
        options = [o.get("value", "") for o in field.select("option") if o.get("value") and not o.has_attr("selected")]
        return options[-1] if options else ""
    kind = field.get("type", "text")
    if kind == "date":
        return clock.today().isoformat()
    if kind == "number" or field.get("inputmode") in ("decimal", "numeric"):
        return "3500"
    if kind in ("checkbox", "radio"):
        return field.get("value", "1")
    return "张三"


def _shape(url: str) -> str:
    """A URL's path with its ids as {}: a form shown for one case posts to the same route as another case's."""
    return re.sub(r"/[0-9]+(?=/|$)", "/{}", urlsplit(url).path)


def _latin(names: list[str], values: list[str], shift: int) -> dict[str, str]:
    return {name: values[(i + shift) % len(values)] for i, name in enumerate(names)}


def _baseline(route: Route, world: World, engine) -> tuple[str, dict]:  # noqa: ANN001
    with Session(engine) as db:
        url = _url(route, db, world, "in")
        data = route.data(db, world, "in") if route.data else {}
    return url, {k: str(v) for k, v in data.items()}


def _fresh(route: Route, world: World, engine, data: dict) -> dict:  # noqa: ANN001
    """The matrix's valid fields as they are now (a version moves on with every change); `data` once the object
    they describe is gone (a removed party, mediator or file)."""
    try:
        with Session(engine) as db:  # (reads the objects the baseline made)
            return {k: str(v) for k, v in (route.data(db, world, "in") if route.data else {}).items()}
    except Exception:  # noqa: BLE001 - the matrix's helpers expect the object to be there
        return data


def _with_segment(url: str, template: str, name: str, value: str) -> str:
    path, _, query = url.partition("?")
    segments, parts = path.split("/"), template.split("/")
    position = next(i for i, part in enumerate(parts) if part.startswith("{" + name + ":"))
    segments[position] = value
    return "/".join(segments) + (f"?{query}" if query else "")


def _fuzz_route(fuzz: Fuzz, name: str, method: str, template: str, handler, route: Route) -> None:  # noqa: ANN001
    rng = random.Random(name + method)
    url, data = _baseline(route, fuzz.world, fuzz.engine)
    for param in re.findall(r"\{(\w+):int\}", template):
        for bad in rng.sample(BAD_IDS if param.endswith("_id") else BAD_IDS[1:], IDS_PER_PARAMETER):
            bad_url, what = _with_segment(url, template, param, bad), f"{method} {template} {param}={bad!r}"
            if method == "GET":
                fuzz.get(bad_url, what, want=404)
            else:
                fuzz.post(bad_url, data, what, want=404)
    if method == "GET":
        fuzz.get(url, f"GET {template} as the matrix asks")  # (shows its forms' fields)
        names = sorted(_query_names(handler))
        base = dict(pair.split("=", 1) for pair in urlsplit(url).query.split("&") if "=" in pair)
        for shift in range(len(HOSTILE)):
            query = urlencode({**base, **_latin(names, QUERY_HOSTILE, shift)})
            fuzz.get(f"{urlsplit(url).path}?{query}", f"GET {template} query #{shift}")
        return
    typical = fuzz.forms.get(_shape(url), {})
    own = sorted((set(data) | set(typical)) - {"version"})  # the matrix's fields and the form's
    fields = sorted(set(data) - {"version"})
    extra = sorted(set(fuzz.form_names) - set(data))
    multipart = _is_multipart(handler)
    for shift in range(len(HOSTILE)):
        files = {"file": FILES[shift % len(FILES)]} if multipart else None
        fresh = _fresh(route, fuzz.world, fuzz.engine, data)
        fuzz.post(url, {**fresh, **_latin(fields + extra, HOSTILE, shift)}, f"{name} fields #{shift}", files)
    for field in own:  # one field at a time, so that another field's refusal hides nothing: one hostile, one plausible
        for value in (rng.choice(HOSTILE[:-2]), typical.get(field, "张三")):
            fresh = _fresh(route, fuzz.world, fuzz.engine, data)
            fuzz.post(url, {**fresh, field: value}, f"{name} {field}={value[:20]!r}")


def test_no_hostile_value_on_any_route_answers_5xx_or_leaves_anything_half_saved(client, engine, settings) -> None:
    CONTEXT["settings"] = settings
    world = build_world(engine)
    _all_roles(engine, world)
    assert sign_in(client, "a.director").status_code == 303
    matrix: dict[tuple[str, str], Route] = {}
    for route in all_routes():
        matrix.setdefault((route.name, route.method), route)
    fuzz = Fuzz(client, engine, world)
    # Pages first (which also shows the forms, whose fields every POST then gets besides its own), then the posts.
    handlers = sorted(_handlers(client.app), key=lambda h: h[1] != "GET")
    missing = []
    for name, method, template, handler in handlers:
        if name in ("logout", "login") or template.startswith("/static"):
            continue
        route = matrix.get((name, method))
        if route is None:
            if not name and template.startswith("/api/schema"):  # the OpenAPI schema, served by Litestar itself
                for value in ("openapi.json", "%00", "a" * 300, "..%2F..%2Fsettings"):
                    fuzz.get(template.replace("{path:str}", value), f"schema {value[:20]}")
                continue
            if name in ("login_form", "healthz", "home"):
                for shift in range(len(HOSTILE)):
                    fuzz.get(f"{template}?{urlencode(_latin(sorted(QUERY_NAMES), QUERY_HOSTILE, shift))}", name)
                continue
            missing.append(f"{method} {template} ({name})")
            continue
        _fuzz_route(fuzz, name, method, template, handler, route)
    assert not missing, f"routes without a valid request in the permission matrix: {missing}"
    # Static files: a NUL, an over-long name, a climb out of the folder.
    for bad in ("%00", "a" * 300, "..%2F..%2Fportal%2Fsettings.py", "css/%00app.css", "%ff%fe"):
        fuzz.get(f"/static/{bad}", f"static {bad[:20]}", want=404)
    # An id in Unicode digits is not an alias of the ASCII one.
    fuzz.get("/cases/１", "case 1 in full-width digits", want=404)
    # Last: the sign-in form (failures lock the address) and the sign-out.
    for shift in range(len(HOSTILE)):
        fuzz.post("/login", _latin(["username", "password", "next"], HOSTILE, shift), f"login #{shift}")
    print(f"fuzz: {fuzz.requests} requests")  # noqa: T201 - shown with -s, for the CI time budget
    assert not fuzz.failures, f"{len(fuzz.failures)} of {fuzz.requests} requests:\n" + "\n".join(fuzz.failures[:60])
