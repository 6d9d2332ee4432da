"""The audit trail page, for administrators and supervisors, scoped like everything else."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from portal import inputs
from portal.audit import actions, service
from portal.errors import Forbidden
from portal.orgs import service as orgs
from portal.web.render import Db, int_or_none, page, principal_of

PAGE = 100


class AuditController(Controller):
    path = "/audit"

    @get("/", name="list_audit", sync_to_thread=True)
    def list_audit(
        self,
        request: Request,
        db: Db,
        person: FromQuery[str] = "",
        org: FromQuery[str] = "",
        action: FromQuery[str] = "",
        date_from: FromQuery[str] = "",
        date_to: FromQuery[str] = "",
        before: FromQuery[str] = "",
    ) -> Template:
        principal = principal_of(request)
        assert principal is not None
        if not principal.can_audit:
            raise Forbidden("只有管理员和督导可以查看操作日志。")
        flt = service.AuditFilter(
            person=person.strip()[:50],
            org_id=int_or_none(org),
            action=action if actions.codes_of(action) else "",
            date_from=inputs.day_or_none(date_from),
            date_to=inputs.day_or_none(date_to),
            tz=request.app.state.tz,
        )
        entries = service.search(db, principal, flt, before_seq=int_or_none(before), limit=PAGE + 1)
        more = len(entries) > PAGE
        entries = entries[:PAGE]
        params = {"person": flt.person, "org": org, "action": flt.action, "date_from": date_from, "date_to": date_to}
        next_url = f"{request.url.path}?{urlencode({**params, 'before': entries[-1].seq})}" if more else None
        return page(
            request,
            "audit/list.html",
            partial="audit/_table.html",
            title="操作日志",
            nav="audit",
            crumbs=[("操作日志", None)],
            entries=[(e, json.loads(e.changes) if e.changes else {}) for e in entries],
            next_url=next_url,
            params=params,
            labels=actions.LABELS,
            groups=actions.GROUPS,
            group_of={code: a.group for code, a in actions.ACTIONS.items()},
            action_options=actions.filter_options(),
            org_options=[
                (str(o.id), "　" * o.depth + o.name)
                for o in orgs.visible_orgs(db, principal)
                if principal.has_role_over(o.path, *service.AUDIT_ROLES)
            ],
            date_error=(date_from and not flt.date_from) or (date_to and not flt.date_to),
        )
