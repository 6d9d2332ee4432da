"""The fictional demo county: 云川市 → 清溪县, as plain tables read by `portal.demo`.

Every name, place, code and phone number here is invented. Division codes are well-formed
(6-digit county code + 3-digit township + 3-digit village) but belong to no real place:
街道 001–099, 镇 101–199, 乡 201–299; 社区 001–199, 村 201–399.
"""

from __future__ import annotations

from typing import Any

from portal.orgs.models import OrgKind
from portal.people.models import MediatorKind, Role

FT = MediatorKind.FULL_TIME
PT = MediatorKind.PART_TIME

# key, name, short_name (case-number prefix), division_code
CITY = ("city", "云川市社会矛盾纠纷调处化解中心", "云", "369900000000")
COUNTY = ("county", "清溪县社会矛盾纠纷调处化解中心", "清", "369921000000")
COUNTY_CODE = "369921"

# Bodies beside the county tier (children of the county centre, Tier.COUNTY, no division code).
# key, name, short_name, kind
COUNTY_BODIES = [
    ("sfj", "清溪县司法局", "清司", OrgKind.JUSTICE_BUREAU),
    ("xf", "清溪县信访局访调对接中心", "清访", OrgKind.PETITION),
    ("fy", "清溪县人民法院诉调对接中心", "清诉", OrgKind.COURT),
    ("yt", "清溪县医疗纠纷人民调解委员会", "清医", OrgKind.PROFESSIONAL),
    ("jt", "清溪县道路交通事故纠纷人民调解委员会", "清交", OrgKind.PROFESSIONAL),
    ("ld", "清溪县劳动争议人民调解委员会", "清劳", OrgKind.PROFESSIONAL),
    ("studio", "老周调解工作室", "老周", OrgKind.STUDIO),
]

# Case-number formats other than "<short_name>人调字" (DOMAIN §3 [local]): org key → (prefix, 字号).
NUMBER_FORMATS = {
    "xf": ("清", "访调字"),
    "fy": ("清", "诉调字"),
    "yt": ("清", "医调字"),
    "jt": ("清", "交调字"),
    "ld": ("清", "劳调字"),
    "sp": ("沙坪", "村调字"),
}

# 乡镇/街道: key, place, short_name, 3-digit code.
# Each gets "<place>人民调解委员会" (COMMITTEE) with "<place>司法所" (short "<short>所") and
# "<short>派出所" (short "<short>警") as children; their keys are "<key>.sfs" and "<key>.pcs".
TOWNSHIPS = [
    ("cg", "城关街道", "城关", "001"),
    ("hk", "河口镇", "河口", "101"),
    ("ty", "桃源镇", "桃源", "102"),
    ("bs", "白沙乡", "白沙", "201"),
]

# 村/社区: township key, key, place, short_name, 3-digit code, number of groups (1–3).
# Each gets "<place>人民调解委员会"; its groups are "<place>第N网格" (社区) or "<place>第N村民小组" (村),
# with keys "<key>.N" and short names "<short>N".
VILLAGES = [
    ("cg", "dm", "东门社区", "东门", "001", 3),
    ("cg", "ng", "南关社区", "南关", "002", 2),
    ("cg", "wc", "文昌社区", "文昌", "003", 2),
    ("hk", "dk", "渡口村", "渡口", "201", 3),
    ("hk", "ll", "柳林村", "柳林", "202", 2),
    ("hk", "sq", "石桥村", "石桥", "203", 1),
    ("ty", "th", "桃花村", "桃花", "201", 2),
    ("ty", "xl", "杏林村", "杏林", "202", 3),
    ("ty", "qs", "青石村", "青石", "203", 1),
    ("bs", "sp", "沙坪村", "沙坪", "201", 2),
    ("bs", "lt", "龙潭村", "龙潭", "202", 2),
    ("bs", "sg", "松岗村", "松岗", "203", 1),
]

# Supervision (督导关系, DOMAIN §8): (supervising body, organisation whose subtree it supervises), by key.
# The 司法局 guides every committee of the county; each 司法所 its township's committees, villages and grids.
SUPERVISION = [("sfj", "county")] + [(f"{key}.sfs", key) for key, _place, _short, _code in TOWNSHIPS]

GRID = "网格员：矛盾排查、信息上报"

# username, name, mobile, memberships: (org key, role[, mediator kind, specialities]).
# The first membership's organisation is the account's home organisation.
PEOPLE: list[tuple[str, str, str, list[tuple[Any, ...]]]] = [  # username, name, phone, (org key, role, …)
    # 市
    ("yc.admin", "孙晓岚", "13907210101", [("city", Role.ADMIN)]),
    # 县矛调中心 (一站式多元化解中心)
    ("qx.admin", "陈立群", "13907210201", [("county", Role.ADMIN)]),
    (
        "qx.director",
        "韩振宇",
        "13807210202",
        [("county", Role.DIRECTOR), ("county", Role.MEDIATOR, FT, "重大疑难纠纷、群体性纠纷")],
    ),
    ("qx.clerk", "刘雨欣", "13607210203", [("county", Role.CLERK)]),
    ("qx.mediator1", "郑春梅", "13907210204", [("county", Role.MEDIATOR, FT, "婚姻家庭、邻里纠纷")]),
    ("qx.mediator2", "马国栋", "13507210205", [("county", Role.MEDIATOR, FT, "征地拆迁、山林土地")]),
    ("qx.archivist", "吴静怡", "13707210206", [("county", Role.ARCHIVIST)]),
    # bodies beside the county tier
    ("sfj.supervisor", "高志远", "13907210301", [("sfj", Role.SUPERVISOR)]),
    ("xf.head", "杜春明", "13907210311", [("xf", Role.HEAD)]),
    ("xf.clerk", "杨慧敏", "13807210302", [("xf", Role.CLERK)]),
    ("xf.mediator", "徐长林", "13907210303", [("xf", Role.MEDIATOR, FT, "信访积案、征地拆迁")]),
    ("fy.head", "邱海燕", "13807210312", [("fy", Role.HEAD)]),
    ("fy.clerk", "许文博", "13607210304", [("fy", Role.CLERK)]),
    ("fy.mediator", "曹秀珍", "13507210305", [("fy", Role.MEDIATOR, PT, "合同纠纷、民间借贷")]),
    ("yt.director", "唐明哲", "13907210306", [("yt", Role.DIRECTOR), ("yt", Role.MEDIATOR, FT, "医疗纠纷")]),
    ("yt.mediator", "沈婉清", "13707210307", [("yt", Role.MEDIATOR, PT, "医疗纠纷、医患沟通")]),
    ("jt.mediator", "冯建军", "13807210308", [("jt", Role.MEDIATOR, FT, "道路交通事故、保险理赔")]),
    ("ld.mediator", "彭丽娟", "13907210309", [("ld", Role.MEDIATOR, FT, "劳动争议、拖欠农民工工资")]),
    ("studio.zhou", "周德厚", "13607210310", [("studio", Role.MEDIATOR, FT, "邻里纠纷、婚姻家庭、房屋宅基地")]),
    # 乡镇/街道 and their 司法所/派出所
    ("cg.director", "罗红梅", "13907210401", [("cg", Role.DIRECTOR), ("cg", Role.MEDIATOR, FT, "邻里纠纷、物业纠纷")]),
    ("cg.clerk", "蒋一帆", "13807210402", [("cg", Role.CLERK)]),
    ("cg.mediator", "邓家豪", "13707210403", [("cg", Role.MEDIATOR, FT, "物业纠纷、消费纠纷")]),
    ("cg.archivist", "潘晓雯", "13507210404", [("cg", Role.ARCHIVIST)]),
    (
        "cg.supervisor",
        "段海涛",
        "13907210405",
        [("cg.sfs", Role.SUPERVISOR), ("dm", Role.MEDIATOR, PT, "婚姻家庭、法律咨询")],
    ),
    ("cg.chief", "严志刚", "13507210407", [("cg.pcs", Role.HEAD)]),
    ("cg.police", "钟立新", "13607210406", [("cg.pcs", Role.MEDIATOR, FT, "治安纠纷、邻里纠纷")]),
    ("hk.director", "汪德明", "13907210501", [("hk", Role.DIRECTOR)]),
    ("hk.clerk", "田思雨", "13807210502", [("hk", Role.CLERK)]),
    ("hk.mediator", "石永强", "13707210503", [("hk", Role.MEDIATOR, FT, "山林土地、房屋宅基地")]),
    ("ty.director", "龚建华", "13907210601", [("ty", Role.DIRECTOR)]),
    ("ty.clerk", "魏欣然", "13507210602", [("ty", Role.CLERK)]),
    ("ty.mediator", "覃美玲", "13807210603", [("ty", Role.MEDIATOR, PT, "婚姻家庭、赡养纠纷")]),
    ("bs.director", "尹大山", "13907210701", [("bs", Role.DIRECTOR)]),
    ("bs.clerk", "范婷婷", "13607210702", [("bs", Role.CLERK)]),
    ("bs.mediator", "江守义", "13707210703", [("bs", Role.MEDIATOR, FT, "征地拆迁、生产经营")]),
    ("bs.police", "苏振华", "13807210704", [("bs.pcs", Role.MEDIATOR, PT, "治安纠纷")]),
    # 村/社区 and 网格员
    ("dm.director", "秦玉芬", "13907210801", [("dm", Role.DIRECTOR), ("dm", Role.MEDIATOR, PT, "邻里纠纷、家庭纠纷")]),
    ("ng.mediator", "贺子轩", "13507210802", [("ng", Role.MEDIATOR, PT, "物业纠纷、邻里纠纷")]),
    (
        "dk.director",
        "熊长贵",
        "13807210803",
        [("dk", Role.DIRECTOR), ("dk", Role.MEDIATOR, PT, "山林土地、房屋宅基地")],
    ),
    ("th.director", "雷有福", "13707210804", [("th", Role.DIRECTOR), ("th", Role.MEDIATOR, PT, "婚姻家庭、邻里纠纷")]),
    ("sp.director", "万金水", "13907210805", [("sp", Role.DIRECTOR), ("sp", Role.MEDIATOR, PT, "征地拆迁、山林土地")]),
    ("dm.grid1", "方小雨", "13607210901", [("dm.1", Role.MEDIATOR, PT, GRID)]),
    ("wc.grid1", "白雪", "13807210902", [("wc.1", Role.MEDIATOR, PT, GRID)]),
    ("dk.grid1", "陆春生", "13707210903", [("dk.1", Role.MEDIATOR, PT, GRID)]),
    ("xl.grid2", "程秀英", "13907210904", [("xl.2", Role.MEDIATOR, PT, GRID)]),
]
