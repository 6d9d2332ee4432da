"""The 司法部 dispute classification (DOMAIN §4), kept as replaceable data and seeded by migration."""

from __future__ import annotations

# (code, name, parent code or None). Sub-types carry a four-digit code under their parent.
DISPUTE_TYPES: list[tuple[str, str, str | None]] = [
    ("01", "婚姻家庭", None),
    ("0101", "婚姻纠纷", "01"),
    ("0102", "赡养抚养纠纷", "01"),
    ("0103", "继承纠纷", "01"),
    ("02", "邻里", None),
    ("0201", "相邻通行纠纷", "02"),
    ("0202", "噪音滴水纠纷", "02"),
    ("03", "房屋宅基地", None),
    ("0301", "宅基地纠纷", "03"),
    ("0302", "房屋买卖租赁纠纷", "03"),
    ("04", "合同", None),
    ("05", "生产经营", None),
    ("06", "损害赔偿", None),
    ("07", "山林土地", None),
    ("0701", "土地承包纠纷", "07"),
    ("0702", "林权纠纷", "07"),
    ("08", "征地拆迁", None),
    ("09", "环境污染", None),
    ("10", "劳动争议", None),
    ("1001", "拖欠农民工工资", "10"),
    ("1002", "其他劳动争议", "10"),
    ("11", "旅游", None),
    ("12", "消费", None),
    ("13", "医疗", None),
    ("14", "道路交通事故", None),
    ("15", "物业", None),
    ("16", "知识产权", None),
    ("17", "互联网", None),
    ("99", "其他", None),
]
