"""Seed data every city starts from: the seven first-level appeal categories with their second
level, and deadline policies by urgency (sign in 15 minutes for emergencies, 1 working day
otherwise; handle in 2 h / 24 h / 5 / 15 working days). Admins change both afterwards."""

from decimal import Decimal

from django.db import migrations

CATEGORIES = {
    "城乡建设": ["安全生产", "城市建设和市政管理", "城乡规划", "村镇建设", "工程质量", "国有土地上房屋征收与补偿",
                 "集体土地上房屋拆迁与补偿", "建筑市场", "住房保障与房地产", "其他"],
    "环境保护": ["环保管理", "环境污染", "建设项目审批", "其他"],
    "交通运输": ["出租车管理", "建设管理", "交通运输", "客货运输", "邮政管理", "其他"],
    "教育文体": ["教师队伍和待遇", "教育行政管理", "教育收费", "教育体制", "考试招生", "失学辍学", "体育", "文化",
                 "文物管理", "其他"],
    "劳动和社会保障": ["城镇居民社会保险", "城镇职工社会保险", "工资福利", "就业培训", "劳动保护", "劳动关系",
                       "社保基金管理", "退休政策及待遇", "其他"],
    "商贸旅游": ["旅游管理", "商业贸易", "市场监管", "质监检验检疫", "其他"],
    "卫生计生": ["公共卫生", "人口计生", "食品药品监管", "医患纠纷", "医政监管", "其他"],
}

# (urgency, sign amount, sign unit, handle amount, handle unit)
POLICIES = [
    ("emergency", "0.25", "clock_hours", "2", "clock_hours"),
    ("utilities", "1", "working_days", "24", "clock_hours"),
    ("ordinary", "1", "working_days", "5", "working_days"),
    ("complex", "1", "working_days", "15", "working_days"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    DeadlinePolicy = apps.get_model("appeals", "DeadlinePolicy")
    for order, (name, children) in enumerate(CATEGORIES.items()):
        parent, _ = Category.objects.get_or_create(name=name, parent=None, defaults={"order": order})
        for child_order, child in enumerate(children):
            Category.objects.get_or_create(name=child, parent=parent, defaults={"order": child_order})
    for urgency, sign, sign_unit, handle, handle_unit in POLICIES:
        DeadlinePolicy.objects.get_or_create(
            appeal_type="", urgency=urgency,
            defaults={"sign_amount": Decimal(sign), "sign_unit": sign_unit,
                      "handle_amount": Decimal(handle), "handle_unit": handle_unit},
        )


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
