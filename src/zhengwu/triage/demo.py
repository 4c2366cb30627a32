"""Demo appeals for 热点问题: three matters that several people report in the same place — so that
the page has something to show in the demo city — among unrelated appeals, and the snapshot of
the last 30 days. Appeals are registered through the appeals services with idempotency keys, so
loading the demo again adds nothing."""

from __future__ import annotations

from zhengwu.accounts.models import User
from zhengwu.appeals.models import AppealType, Channel
from zhengwu.casework.actors import Actor

# 派单目录 of the demo city: the rules that answer until a model is trained.
DEMO_RULES: dict[str, str] = {
    "城乡建设": "物业、路灯、井盖、下水道、违建、电梯、房产证、拆迁、公积金",
    "环境保护": "噪音、污染、粉尘、油烟、排污、异味、扰民",
    "交通运输": "公交、出租车、地铁、拥堵、驾校、客运、红绿灯",
    "教育文体": "学校、学位、教师、幼儿园、招生、补课",
    "劳动和社会保障": "工资、社保、养老保险、劳动合同、退休金、失业",
    "商贸旅游": "假冒、消费者、景区、旅游、商户、价格欺诈、预付卡",
    "卫生计生": "医院、医生、疫苗、药店、食品安全、医保",
}


def load_demo_dispatch_rules() -> None:
    """One keyword rule per first-level category (departments come from the categories), added
    only where the category has no rule yet."""
    from .models import DispatchRule
    from .services import category_keys

    keys = category_keys(DEMO_RULES)
    for category, keywords in DEMO_RULES.items():
        key = keys.get(category)
        rules = (
            DispatchRule.objects.filter(desk_category_id=key)
            if key
            else DispatchRule.objects.filter(category=category)
        )
        if not rules.exists():
            DispatchRule.objects.create(category=category, desk_category_id=key, keywords=keywords)


# (title, text, address, contact name, phone, type)
DEMO_APPEALS: list[tuple[str, str, str, str, str, str]] = [
    # 1. 东城区幸福小区 — sewage on the road
    (
        "东城区幸福小区门口下水道堵塞",
        "东城区幸福小区南门口下水道堵塞，污水漫到路面，臭味很大，居民出行困难。",
        "东城区幸福小区",
        "张先生",
        "13900000101",
        AppealType.COMPLAINT,
    ),
    (
        "幸福小区南门污水横流",
        "东城区幸福小区南门下水道堵了好几天，污水横流，臭气熏天，一直没人处理。",
        "东城区幸福小区",
        "李女士",
        "13900000102",
        AppealType.COMPLAINT,
    ),
    (
        "东城区幸福小区下水道堵塞无人管",
        "幸福小区门口的下水道堵塞，污水漫到路面上，老人孩子走路都要绕开。",
        "东城区幸福小区",
        "王先生",
        "13900000103",
        AppealType.HELP,
    ),
    (
        "反映东城区幸福小区下水道问题",
        "幸福小区南门口下水道堵塞一个星期了，污水漫路，请尽快疏通下水道。",
        "东城区幸福小区",
        "赵女士",
        "13900000104",
        AppealType.COMPLAINT,
    ),
    # 2. 西湖区滨河路 — building site working at night
    (
        "西湖区滨河路工地夜间施工噪音扰民",
        "滨河路工地每天夜间施工到凌晨，打桩噪音很大，周边居民无法休息。",
        "西湖区滨河路",
        "刘先生",
        "13900000201",
        AppealType.COMPLAINT,
    ),
    (
        "滨河路工地半夜施工",
        "西湖区滨河路的工地半夜还在施工打桩，噪音扰民，请查处夜间施工。",
        "西湖区滨河路",
        "陈女士",
        "13900000202",
        AppealType.COMPLAINT,
    ),
    (
        "西湖区滨河路夜间施工扰民",
        "滨河路工地夜间打桩施工，噪音扰民严重，孩子晚上没法睡觉。",
        "西湖区滨河路",
        "杨先生",
        "13900000203",
        AppealType.REPORT,
    ),
    # 3. 南山县和平镇 — street lights out
    (
        "南山县和平镇建设路的路灯不亮",
        "和平镇建设路从镇政府到中学一段的路灯坏了一个多月，晚上行人出行很不安全，请维修路灯。",
        "南山县和平镇建设路",
        "黄先生",
        "13900000301",
        AppealType.HELP,
    ),
    (
        "和平镇建设路的路灯坏了没人修",
        "南山县和平镇建设路的路灯一到晚上就不亮，学生晚自习放学路上漆黑一片，请尽快维修路灯。",
        "南山县和平镇建设路",
        "周女士",
        "13900000302",
        AppealType.HELP,
    ),
    (
        "南山县和平镇建设路的路灯长期不亮",
        "建设路的路灯长期不亮，和平镇居民晚上出门只能打手电，请有关部门维修路灯。",
        "南山县和平镇建设路",
        "吴先生",
        "13900000303",
        AppealType.COMPLAINT,
    ),
    # Unrelated appeals: each one person's matter.
    (
        "咨询养老保险缴费年限",
        "我在外地缴纳过五年养老保险，回示范市工作后缴费年限能不能合并计算？",
        "",
        "郑先生",
        "13900000401",
        AppealType.CONSULTATION,
    ),
    (
        "东城区某餐馆油烟扰民",
        "楼下餐馆没有安装油烟净化设备，油烟直排到居民窗口，夏天根本不敢开窗。",
        "东城区城关街道",
        "孙女士",
        "13900000402",
        AppealType.COMPLAINT,
    ),
    (
        "西湖区某中学周末补课收费",
        "中学周末组织学生补课并收取补课费，学生负担很重，希望教育部门查处。",
        "西湖区新华街道",
        "钱先生",
        "13900000403",
        AppealType.REPORT,
    ),
    (
        "建议增加公交线路",
        "南山县到市区只有一条公交线路，高峰期非常拥挤，建议增加班次或新开线路。",
        "南山县",
        "冯女士",
        "13900000404",
        AppealType.SUGGESTION,
    ),
    (
        "表扬政务大厅工作人员",
        "在政务服务大厅办理社保卡时，窗口工作人员耐心细致，一次就办好了，特此表扬。",
        "",
        "褚先生",
        "13900000405",
        AppealType.PRAISE,
    ),
]


def load_demo_hot_issues(days: int = 30) -> None:
    """Register the demo appeals (once) and compute the last ``days`` days' hot issues when they
    were just registered or nothing was ever computed — not again on every load: on a database
    that has grown real appeals that is the daily job's work, not the demo's."""
    from zhengwu.appeals import services as appeals

    from . import services
    from .models import HotIssueSnapshot

    operator = User.objects.filter(username="operator").first()
    registered = False
    for n, (title, body, address, name, phone, kind) in enumerate(DEMO_APPEALS, start=1):
        _, code = appeals.register_appeal(
            channel=Channel.HOTLINE,
            appeal_type=kind,
            title=title,
            body=body,
            address=address,
            contact_name=name,
            contact_phone=phone,
            by=operator or Actor.system("演示数据"),
            idempotency_key=f"demo-hot-issue-{n:02d}",
        )
        registered = registered or code is not None
    if registered or not HotIssueSnapshot.objects.exists():
        services.refresh_recent_hot_issues(days=days)
