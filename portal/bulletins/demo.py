"""Demo 专报: the county's last month drafted, written and issued by the 司法局's 督导, through the real services.

Idempotent: when the month's 专报 has an issued version, nothing is done.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from portal import clock
from portal.alerts.months import Month
from portal.bulletins import contents, issuing, service
from portal.bulletins.models import Bulletin
from portal.db import read_only, transaction
from portal.demo_data import COUNTY
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import load_principal
from portal.settings import Settings

ISSUER = "sfj.supervisor"
ANALYSIS = (
    "本月全县矛盾纠纷总量与上月基本持平，婚姻家庭、邻里纠纷仍占多数，多数在村（社区）一级就地化解。\n\n"
    "河口镇渡口村土地承包经营权纠纷集中出现，系承包地重新测量引发，已触发红色预警，需关注其向群体性纠纷转化的苗头。"
)
ADVICE = (
    "一、河口镇调委会会同镇司法所对渡口村重新测量涉及的农户逐户排查，建立问题清单，限期销号。\n\n"
    "二、各乡镇（街道）调委会对群体性、防激化案件落实专人跟进，按期回访。"
)


def issue_demo_bulletin(engine: Engine, settings: Settings) -> str:
    """Issue the county's 专报 for last month (once); a line for the demo command's summary."""
    month = Month.of(clock.today()).shift(-1)
    with transaction(engine) as db:
        person = db.exec(select(Person).where(Person.username == ISSUER)).first()
        county = db.exec(select(Organisation).where(Organisation.name == COUNTY[1])).first()
        if person is None or county is None:
            return "演示专报：缺少演示县或司法局督导，未生成。"
        principal = load_principal(db, person)
        bulletin = service.start(db, principal, county, str(month), clock.today())
        if bulletin.issues:
            return f"演示专报：{service.title_of(county, month)}已签发，未重复生成。"
        picked = [c.id for c in contents.candidates(db, principal, county, month, limit=2)]
        form = service.EditForm(ANALYSIS, ADVICE, [str(i) for i in picked], "", str(bulletin.version))
        service.edit(db, principal, bulletin.id, form)
        bid = bulletin.id
    with transaction(engine) as db:
        fresh = db.get(Bulletin, bid)
        seen = issuing.Seen(fresh.version, fresh.issues)
    made = issuing.issue(engine, read_only(engine), principal, bid, seen, settings=settings)
    return f"演示专报：签发 {made.title} {made.number}（{made.pages} 页）。"
