"""A realistic Chinese corpus for the search tests and its judged queries (the relevance set).

Background cases are generated from pools that never contain the planted words; planted cases carry
the rare names, places, topics, phrases and numbers the judged queries look for. A query's judged
set is the planted cases a mediator typing it wants to see.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from search import CaseDoc

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧潘袁蔡蒋"
    "余杜叶程魏苏吕丁沈任姚卢傅钟姜崔谭廖范汪陆"
)
GIVEN = [
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "国华",
    "玉兰",
    "卫东",
    "春花",
    "德才",
    "丽娟",
    "明亮",
    "晓燕",
    "家豪",
    "俊杰",
    "婷婷",
    "海波",
    "金凤",
    "长江",
    "淑芬",
    "红军",
    "永福",
    "秋菊",
    "大勇",
    "小军",
]
TYPES = {
    "0101": ("婚姻家庭", "离婚纠纷"),
    "0201": ("邻里", "相邻关系"),
    "0301": ("房屋宅基地", "宅基地"),
    "04": ("合同", ""),
    "1002": ("劳动争议", "其他劳动争议"),
    "14": ("道路交通事故", ""),
    "15": ("物业", ""),
    "12": ("消费", ""),
    "06": ("损害赔偿", ""),
}
TOPIC_TEXT = {
    "0101": "夫妻双方因感情不和产生矛盾，就子女抚养和共同财产分割发生争执。",
    "0201": "两家因排水沟和围墙位置发生争执，相互指责，关系紧张。",
    "0301": "双方因宅基地界址不清发生争执，一方在争议地块上砌墙。",
    "04": "双方签订买卖合同后，一方未按约定交付货物，另一方要求解除合同。",
    "1002": "员工离职后要求公司支付经济补偿，公司认为员工主动辞职，双方就劳动报酬争议较大。",
    "14": "两车在乡道路口发生碰撞，造成车辆受损和一人轻伤，双方对责任认定有异议。",
    "15": "业主认为小区电梯长期失修、绿化缺乏维护，拒绝缴纳费用，物业公司催缴未果。",
    "12": "消费者购买的家电出现质量问题，商家拒绝退换，双方协商不成。",
    "06": "一方在施工中损坏另一方房屋外墙，双方就赔偿数额无法达成一致。",
}
ORGS = [
    ("/1/2/10/", "东门社区人民调解委员会", "城关街道人民调解委员会"),
    ("/1/2/11/", "南关社区人民调解委员会", "城关街道人民调解委员会"),
    ("/1/3/12/", "河湾村人民调解委员会", "河口镇人民调解委员会"),
    ("/1/3/13/", "柳树村人民调解委员会", "河口镇人民调解委员会"),
    ("/1/4/", "县医疗纠纷人民调解委员会", "清溪县社会矛盾纠纷调处化解中心"),
]
MEDIATORS = ["郑春梅", "马国栋", "邓家豪", "石永强", "贺子轩", "沈婉清"]
STATES = [("mediating", "调解中"), ("closed", "已结案"), ("accepted", "已受理"), ("evaluated", "已评价（待立卷）")]
PREFIX = {"/1/2/10/": "东", "/1/2/11/": "南", "/1/3/12/": "湾", "/1/3/13/": "柳", "/1/4/": "医"}


def _paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/")]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def make_doc(
    case_id: int,
    *,
    title: str,
    parties: list[str],
    dtype: str,
    text: str,
    org: int = 0,
    seq: int | None = None,
    year: int = 2025,
    mediators: list[str] | None = None,
    state: int = 0,
    received: date | None = None,
    id_numbers: list[str] | None = None,
    dossier: list[str] | None = None,
    prefix: str | None = None,
    word: str = "人调字",
    channel: str = "来访",
    status: tuple[str, str] | None = None,
    labels: list[str] | None = None,
    phones: list[str] | None = None,
) -> CaseDoc:
    path, org_name, parent = ORGS[org]
    seq = seq if seq is not None else case_id % 997 + 100
    prefix = prefix or PREFIX[path]
    number = f"（{year}）{prefix}{word}第{seq:03d}号"
    names = TYPES[dtype]
    doc = CaseDoc(
        id=case_id,
        version=1,
        number=number,
        number_year=year,
        number_prefix=prefix,
        number_seq=seq,
        title=title,
        parties=parties,
        id_numbers=id_numbers or [],
        dispute_type=dtype,
        dispute_type_names=[n for n in names if n],
        channel=channel,
        status=(status or STATES[state])[0],
        status_label=(status or STATES[state])[1],
        outcome="written" if state in (1, 3) else "",
        outcome_label="书面协议" if state in (1, 3) else "",
        org_id=int(path.strip("/").split("/")[-1]),
        org_name=org_name,
        org_paths=_paths(path),
        org_names=[org_name, parent, "清溪县社会矛盾纠纷调处化解中心"],
        tier="village",
        mediators=mediators or [MEDIATORS[case_id % len(MEDIATORS)]],
        received_on=received or date(year, 1 + case_id % 12, 1 + case_id % 28),
        text=text,
        dossier_pages=dossier or [],
    )
    # Set after construction, so that the corpus also builds with the search package before these fields existed
    # (the README's "before" figures of the widened relevance set).
    doc.number_word, doc.labels, doc.phones = word, list(labels or []), list(phones or [])
    return doc


def background(n: int = 800, seed: int = 11) -> list[CaseDoc]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        a, b = rng.choice(SURNAMES) + rng.choice(GIVEN), rng.choice(SURNAMES) + rng.choice(GIVEN)
        dtype = rng.choice(list(TYPES))
        topic = TYPES[dtype][1] or TYPES[dtype][0]
        text = (
            f"{a}与{b}{TOPIC_TEXT[dtype]}{a}到调委会申请调解。调解员组织双方面对面调解，释法明理，"
            f"经耐心工作，双方达成一致意见。回访时双方表示满意。"
        )
        docs.append(
            make_doc(
                i + 1,
                title=f"{a}与{b}{topic}纠纷",
                parties=[a, b],
                dtype=dtype,
                text=text,
                org=rng.randrange(len(ORGS)),
                state=rng.randrange(len(STATES)),
                year=rng.choice([2024, 2025, 2026]),
                received=date(2024, 1, 1) + timedelta(days=rng.randrange(900)),
            )
        )
    return docs


P = 10000  # planted ids start here


def planted() -> list[CaseDoc]:
    d = make_doc
    return [
        d(
            P + 1,
            title="赵䶮与钱某某宅基地纠纷",
            parties=["赵䶮", "钱多多"],
            dtype="0301",
            text="赵䶮称邻居钱多多在其宅基地上修建猪圈，侵占约三平方米。",
        ),
        d(
            P + 2,
            title="王𠮷祥诉李某某借款纠纷",
            parties=["王𠮷祥", "李大伟"],
            dtype="04",
            text="王𠮷祥借给李大伟两万元，约定一年归还，到期未还。",
        ),
        d(
            P + 3,
            title="李宏堃与周某相邻通行纠纷",
            parties=["李宏堃", "周正"],
            dtype="0201",
            text="李宏堃家门前通道被周正堆放柴草堵塞，影响通行。",
        ),
        d(
            P + 4,
            title="陈文喆与某超市消费纠纷",
            parties=["陈文喆", "惠民超市"],
            dtype="12",
            text="陈文喆在惠民超市购买的奶粉过期，要求十倍赔偿。",
        ),
        d(
            P + 5,
            title="金雪梅与丈夫离婚财产纠纷",
            parties=["金雪梅", "孟凡"],
            dtype="0101",
            text="金雪梅与孟凡协议离婚，就房产归属发生争议。",
        ),
        d(
            P + 6,
            title="欧阳娜娜与物业公司纠纷",
            parties=["欧阳娜娜", "锦绣家园物业服务有限公司"],
            dtype="15",
            text="欧阳娜娜因地下车库漏水，拒交物业服务费，锦绣家园物业服务有限公司起诉前申请调解。",
        ),
        d(
            P + 7,
            title="桃花村鱼塘承包纠纷",
            parties=["桃花村村民委员会", "覃大海"],
            dtype="04",
            org=3,
            text="覃大海承包桃花村鱼塘五年，村委会以合同到期为由收回鱼塘，双方就投入补偿发生争议。",
        ),
        d(
            P + 8,
            title="渡口村光伏板遮光纠纷",
            parties=["熊长贵", "雷有福"],
            dtype="0201",
            org=2,
            text="熊长贵在屋顶安装光伏板，雷有福认为遮挡其院落采光，经渡口村调委会调解。",
        ),
        d(
            P + 9,
            title="沙坪村彩礼返还纠纷",
            parties=["万金水", "程秀英"],
            dtype="0101",
            org=2,
            text="万金水之子与程秀英之女订婚后解除婚约，万金水要求返还彩礼八万元。双方同意彩礼返还五万元。",
        ),
        d(
            P + 10,
            title="宠物狗咬伤邻居纠纷",
            parties=["方小雨", "白雪"],
            dtype="06",
            text="方小雨饲养的宠物狗未拴绳，咬伤邻居白雪的小腿，白雪要求赔偿医药费和误工费。",
        ),
        d(
            P + 11,
            title="信访移交工程款纠纷",
            parties=["陆春生", "宏达建筑公司"],
            dtype="1002",
            text="本案经访调对接中心移送。陆春生带领二十名农民工讨要工程款，包工头拖欠农民工工资，劳动争议纠纷，群体性风险较高。",
        ),
        d(
            P + 12,
            title="饭店员工讨薪纠纷",
            parties=["田思雨", "味美饭店"],
            dtype="1002",
            text="田思雨在味美饭店工作半年，饭店拖欠工资三个月共一万二千元。",
        ),
        d(
            P + 13,
            title="装修工人讨要报酬",
            parties=["魏欣然", "美家装饰公司"],
            dtype="1002",
            text="县信访局经访调对接中心将本案移交人民调解。魏欣然称公司拖欠工资已有半年。",
        ),
        d(
            P + 14,
            title="交通事故赔偿纠纷",
            parties=["范婷婷", "尹大山"],
            dtype="14",
            text="尹大山驾驶三轮车与范婷婷的电动车相撞，范婷婷住院治疗十五天。经司法确认，协议具有强制执行力。",
            org=4,
        ),
        d(
            P + 15,
            title="医疗纠纷调解",
            parties=["唐明哲", "县人民医院"],
            dtype="06",
            org=4,
            text="患者唐明哲术后感染，家属认为医院存在过错，县医疗纠纷人民调解委员会受理后委托专家鉴定。",
        ),
        d(
            P + 16,
            title="山林地界纠纷",
            parties=["汪德明", "龚建华"],
            dtype="0301",
            org=3,
            text="汪德明与龚建华两家祖传山林以老松树为界，松树被雷击倒后地界不明，双方争执不下。",
        ),
        d(
            P + 17,
            title="ABC物业公司收费纠纷",
            parties=["ABC物业公司", "蒋一帆"],
            dtype="15",
            text="ABC物业公司向业主蒋一帆收取电梯维修基金，蒋一帆认为收费依据不足。",
        ),
        d(
            P + 18,
            title="网络购物退货纠纷",
            parties=["潘晓雯", "快乐网店"],
            dtype="12",
            text="潘晓雯在快乐网店购买羽绒服，收货后发现是假冒商品，要求退一赔三。",
        ),
        d(
            P + 19,
            title="养老院护理纠纷",
            parties=["段海涛", "夕阳红养老院"],
            dtype="06",
            text="段海涛的母亲在夕阳红养老院摔伤骨折，段海涛认为护理不当要求赔偿。",
        ),
        d(
            P + 20,
            title="土地流转租金纠纷",
            parties=["钟立新", "绿源合作社"],
            dtype="04",
            org=2,
            text="钟立新将十亩承包地流转给绿源合作社，合作社连续两年未付租金。",
        ),
        d(
            P + 21,
            title="噪音扰民纠纷",
            parties=["苏振华", "韩振宇"],
            dtype="0201",
            text="韩振宇家中开办木工作坊，机器噪音扰民，苏振华多次投诉。",
        ),
        d(
            P + 22,
            title="赡养老人纠纷",
            parties=["江守义", "江守信"],
            dtype="0101",
            text="八十岁的江老汉由长子江守义照顾，次子江守信拒绝承担赡养费用。",
            dossier=[
                "人民调解卷宗 封面",
                "卷内目录",
                "调解记录：江守信同意每月支付赡养费八百元。",
                "人民调解协议书：兄弟二人轮流照顾老人。",
            ],
        ),
        d(
            P + 23,
            title="房屋漏水损害赔偿",
            parties=["罗红梅", "邓家豪"],
            dtype="06",
            text="楼上邓家豪家卫生间防水层破损，导致楼下罗红梅家天花板霉变。",
            dossier=[
                "封面",
                "申请书：罗红梅申请调解。",
                "现场勘查记录：天花板霉变面积约六平方米。",
                "协议书：邓家豪赔偿三千元并修复防水层。",
            ],
        ),
        d(
            P + 24,
            title="拆迁安置补偿纠纷",
            parties=["秦玉芬", "城关街道征收办"],
            dtype="04",
            org=0,
            text="秦玉芬对房屋征收补偿标准有异议，认为评估价格偏低。",
        ),
        d(
            P + 25,
            title="合伙经营散伙纠纷",
            parties=["贺子轩", "石永强"],
            dtype="04",
            text="贺子轩与石永强合伙经营农家乐，散伙时就设备折价分配发生争议。",
        ),
        d(
            P + 26,
            title="案号查询样本",
            parties=["覃美玲", "魏建民"],
            dtype="04",
            seq=17,
            prefix="桃",
            year=2025,
            text="覃美玲与魏建民就农机具买卖发生纠纷。",
        ),
        d(
            P + 27,
            title="电动车被盗赔偿纠纷",
            parties=["程秀英", "南关小区物业"],
            dtype="15",
            org=1,
            text="程秀英停放在小区车棚的电动车被盗，认为物业未尽安保义务。",
        ),
        d(
            P + 28,
            title="鱼苗质量纠纷",
            parties=["覃大海", "丰收鱼苗场"],
            dtype="12",
            org=3,
            text="覃大海从丰收鱼苗场购入鱼苗，投放后大量死亡。",
        ),
        d(
            P + 29,
            title="证件号码样本",
            parties=["司马相如", "卓文君"],
            dtype="0101",
            id_numbers=["370102199001011234"],
            phones=["13912345678"],
            text="双方系夫妻，司马相如（身份证号370102199001011234）要求离婚。",
        ),
        d(
            P + 30,
            title="校园安全纠纷",
            parties=["白小飞", "阳光小学"],
            dtype="06",
            text="白小飞在阳光小学体育课上摔伤门牙，家长要求学校赔偿。",
        ),
        # --- issue 15: the classes an independent check found missing ---------------------------------------
        # a CJK character next to Latin letters or digits, and single characters, only in long texts
        d(
            P + 31,
            title="医疗费用纠纷",
            parties=["阮明", "县中医院"],
            dtype="06",
            text=LONG + "患者拍了X光片后发现骨折，医院未及时告知。",
        ),
        d(
            P + 32,
            title="邻里渗水纠纷",
            parties=["俞海", "柏青"],
            dtype="06",
            text=LONG + "两家同住锦华苑A座，水管破裂浸湿邻居吊顶。",
        ),
        d(
            P + 33,
            title="装修款纠纷",
            parties=["诸葛亮亮", "宏图装饰"],
            dtype="04",
            text=LONG + "双方约定装修款12800元，已付一半。",
        ),
        d(
            P + 34,
            title="赡养费纠纷",
            parties=["戚老汉", "戚大宝"],
            dtype="0101",
            text=LONG + "第三次调解时双方终于达成一致。",
        ),
        d(
            P + 35,
            title="林木纠纷",
            parties=["庞德", "聂远"],
            dtype="0301",
            text=LONG + "屋后老樟树上刻有㐂字，双方都说是祖上所刻。",
        ),
        # a later case citing an earlier one's full number; numbers of other 字号
        d(
            P + 36,
            title="相邻排水纠纷",
            parties=["芮东", "包西"],
            dtype="0201",
            prefix="东门",
            seq=21,
            year=2024,
            text="两家排水沟堵塞。",
        ),
        d(
            P + 37,
            title="相邻排水纠纷（再次申请）",
            parties=["芮东", "包西"],
            dtype="0201",
            text=LONG + "本案与（2024）东门人调字第021号系同一纠纷，双方再次申请调解。",
        ),
        d(
            P + 38,
            title="手术并发症赔偿",
            parties=["翟敏", "市二院"],
            dtype="06",
            org=4,
            prefix="清",
            word="医调字",
            seq=12,
            year=2024,
            text="患者手术后伤口感染要求赔偿。",
        ),
        d(
            P + 39,
            title="追尾事故赔偿",
            parties=["管仲", "鲍叔"],
            dtype="14",
            prefix="X",
            word="交调字",
            seq=7,
            year=2025,
            text="两车追尾，责任认定后协商赔偿。",
        ),
        # exclusion with a synonym: 离婚's synonym 解除婚姻 has its bigrams 解除 除婚 婚姻 here, apart
        d(
            P + 40,
            title="婚约财物纠纷",
            parties=["邝文", "邝武"],
            dtype="04",
            text="双方订婚后解除婚约，因婚姻观念不同，男方要求返还财物。",
        ),
        # an exact phrase against its words apart in titles
        d(P + 41, title="物业纠纷", parties=["甄甲", "甄乙"], dtype="15", text="业主反映楼上装修噪音扰民已有两个月。"),
        d(P + 42, title="物业纠纷", parties=["甄丙", "甄丁"], dtype="15", text="夜间装修噪音扰民，多次投诉无果。"),
        *[
            d(P + 43 + i, title=f"装修与噪音及扰民问题{i}", parties=["甄某", "邻居"], dtype="15", text="业主多次投诉。")
            for i in range(6)
        ],
        # states, channels, tiers and kinds of body typed as words
        d(
            P + 50,
            title="讨要货款纠纷",
            parties=["幸福", "安康"],
            dtype="04",
            channel="信访移交",
            text="经信访局移送。",
        ),
        d(
            P + 51,
            title="租赁合同纠纷",
            parties=["卜算", "项羽"],
            dtype="04",
            status=("failed", "调解不成"),
            text="双方分歧较大。",
        ),
        d(
            P + 52,
            title="劳务费纠纷",
            parties=["郝仁", "甘霖"],
            dtype="04",
            labels=["县(区)", "行业性专业性调委会"],
            text="劳务费结算争议。",
        ),
    ]


LONG = "".join(
    f"第{i + 1}次记录：调解员组织双方面对面调解，释法明理，听取双方意见，做了大量工作，双方仍有分歧。"
    for i in range(12)
)


# (query, judged relevant planted ids, what it probes)
def _p(*ns: int) -> set[int]:
    return {P + n for n in ns}


JUDGED: list[tuple[str, set[int], str]] = [
    # names with rare characters, whole and in part
    ("赵䶮", _p(1), "rare name"),
    ("䶮", _p(1), "rare single char"),
    ("王𠮷祥", _p(2), "rare name ext-B"),
    ("𠮷祥", _p(2), "rare part"),
    ("𠮷", _p(2), "rare single char ext-B"),
    ("李宏堃", _p(3), "rare name"),
    ("宏堃", _p(3), "given name"),
    ("堃", _p(3), "single char"),
    ("陈文喆", _p(4), "rare name"),
    ("文喆", _p(4), "given name"),
    ("喆", _p(4), "single char"),
    ("金雪梅", _p(5), "name"),
    ("雪梅", _p(5), "part of a name"),
    ("欧阳娜娜", _p(6), "compound surname"),
    ("娜娜", _p(6), "part of a name"),
    ("覃大海", _p(7, 28), "name in two cases"),
    ("钱多多", _p(1), "name"),
    ("司马相如", _p(29), "compound surname"),
    ("卓文君", _p(29), "name"),
    # places and organisations
    ("桃花村", _p(7), "village"),
    ("渡口村", _p(8), "village"),
    ("沙坪村", _p(9), "village"),
    ("夕阳红养老院", _p(19), "organisation"),
    ("绿源合作社", _p(20), "organisation"),
    ("惠民超市", _p(1 + 3), "shop"),
    ("锦绣家园", _p(6), "estate"),
    ("阳光小学", _p(30), "school"),
    ("味美饭店", _p(12), "shop"),
    # 2–4 character words
    ("鱼塘", _p(7), "word"),
    ("光伏板", _p(8), "word"),
    ("彩礼", _p(9), "word"),
    ("宠物狗", _p(10), "word"),
    ("猪圈", _p(1), "word"),
    ("奶粉", _p(4), "word"),
    ("羽绒服", _p(18), "word"),
    ("农家乐", _p(25), "word"),
    ("木工作坊", _p(21), "word"),
    ("防水层", _p(23), "word"),
    ("鱼苗", _p(28), "word"),
    ("老松树", _p(16), "word"),
    ("车棚", _p(27), "word"),
    ("门牙", _p(30), "word"),
    ("假冒商品", _p(18), "word"),
    ("工程款", _p(11), "word"),
    ("租金", _p(20), "word"),
    ("骨折", _p(19), "word"),
    ("农机具", _p(26), "word"),
    ("电梯维修基金", _p(17), "long word"),
    # phrases
    ('"彩礼返还"', _p(9), "phrase"),
    ('"宠物狗未拴绳"', _p(10), "phrase"),
    ('"术后感染"', _p(15), "phrase"),
    ('"退一赔三"', _p(18), "phrase"),
    ('"防水层破损"', _p(23), "phrase"),
    ('"以老松树为界"', _p(16), "phrase"),
    ('"评估价格偏低"', _p(24), "phrase"),
    # traditional characters and full width
    ("彩禮返還", _p(9), "traditional"),
    ("魚塘承包", _p(7), "traditional"),
    ("寵物狗", _p(10), "traditional"),
    ("養老院", _p(19), "traditional"),
    ("醫療糾紛", _p(15), "traditional"),
    ("ＡＢＣ物业", _p(17), "full width"),
    ("abc物业公司", _p(17), "lower case"),
    ("（２０２５）桃人调字第０１７号", _p(26), "full-width number"),
    # case numbers
    ("（2025）桃人调字第017号", _p(26), "full number"),
    ("桃人调字第017号", _p(26), "number without year"),
    ("案号:017 覃美玲", _p(26), "number field"),
    # words split differently in context, compounds, synonyms
    ("访调对接", _p(11, 13), "inside 经访调对接中心"),
    ("访调对接中心", _p(11, 13), "longer"),
    ("工资纠纷", _p(11), "words apart in text"),
    ("欠薪", _p(11, 12, 13), "synonym"),
    ("拖欠工资", _p(11, 12, 13), "synonym, direct"),
    ("农民工工资", _p(11), "word"),
    ("司法确认", _p(14), "domain word"),
    ("车祸", _p(14), "synonym"),
    ("电动车相撞", _p(14), "words apart"),
    # fields, exclusions, OR, scope of meaning
    ("当事人:雪梅", _p(5), "party field"),
    ("当事人:覃大海 鱼苗", _p(28), "field and word"),
    ("鱼塘 OR 鱼苗", _p(7, 28), "OR"),
    ("覃大海 -鱼苗", _p(7), "exclusion"),
    ("彩礼 万金水", _p(9), "two words"),
    ("赔偿 宠物狗", _p(10), "two words"),
    ("漏水 楼上", _p(23), "two words"),
    ("调委会 光伏板", _p(8), "domain word + word"),
    # dossier text
    ("轮流照顾老人", _p(22), "dossier page"),
    ("每月支付赡养费", _p(22), "dossier page"),
    ("天花板霉变面积", _p(23), "dossier page"),
    ("赡养", _p(22), "word"),
    ("养老", _p(19, 22), "synonym"),
    # --- issue 15 (the classes an independent check found missing; the queries above are unchanged) -------
    ("X光", _p(31), "cjk next to latin, long text"),
    ("X光片", _p(31), "cjk next to latin, long text"),
    ("A座", _p(32), "cjk next to latin, long text"),
    ("12800元", _p(33), "cjk next to digits, long text"),
    ("第三次", _p(34), "cjk before a number word, long text"),
    ("㐂", _p(35), "rare single char, long text"),
    ("（2024）东门人调字第021号", _p(36, 37), "full number cited in a later case"),
    ("(2024)东门人调字", _p(36, 37), "number year+prefix+zihao, ascii brackets"),
    ("（2024）东门人调字", _p(36, 37), "number year+prefix+zihao, full-width brackets"),
    ("(2024)东门", _p(36, 37), "number year+prefix without zihao"),
    ("东门人调字", _p(36, 37), "number prefix+zihao"),
    ("第021号", _p(36, 37), "number 第…号"),
    ("021号", _p(36, 37), "number …号"),
    ("（２０２４）东门人调字第０２１号", _p(36, 37), "full-width number"),
    ("清医调字", _p(38), "number other zihao"),
    ("（2024）清医调字第012号", _p(38), "number other zihao, full"),
    ("x交调字第007号", _p(39), "number other zihao, latin prefix"),
    ("婚约 -离婚", _p(40), "exclusion with a synonym"),
    ("婚约 -车祸", _p(9, 40), "exclusion with a synonym"),
    ("装修噪音扰民", _p(41, 42), "exact phrase above its words apart"),
    ("信访移交", _p(11, 50), "channel as a word"),
    ("调解不成", _p(51), "state as a word"),
    ("行业", _p(52), "kind of body as a word"),
    ("县(区)", _p(52), "tier as a word"),
    ("证件:370102199001011234", set(), "field the role may not use: nothing"),
    ("证件:370102199001011234 离婚", set(), "field the role may not use: nothing"),
    ("电话:13912345678", set(), "phone, role may not: nothing"),
    ("role:电话:13912345678", _p(29), "phone, role may"),
    ("role:13912345678", _p(29), "bare phone, role may"),
]
