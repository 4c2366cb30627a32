"""Open311: stable service codes and keywords for the seeded categories (GeoReport v2 ``service_code``
and ``keywords``; ``group`` is the first level), and publishing as its own switch.

Codes are written here literally, never derived at run time, so that a category keeps its code
whatever is renamed or reordered later: outside systems file requests by it. The keywords are the
third level of the national 12345 classification under each second level. Publishing stays the
administrator's choice: nothing seeded here is published, and a category that already had a code
(chosen by an administrator before this migration) stays published. Self-contained: this file
imports nothing from the application."""

from django.db import migrations, models

# (first level, second level): (service_code, keywords)
SERVICES = {
    # 城乡建设
    ("城乡建设", "安全生产"): ("CXJS-01", "事故处理,安全生产管理,安全隐患"),
    ("城乡建设", "城市建设和市政管理"): (
        "CXJS-02",
        "园林绿化环卫,城管执法,居民服务设施,城市公共设施,公共汽车,公园管理,冬季采暖,园林绿化,地铁城铁,基础设施,小区管理,燃气供应,环境卫生,电力供应,自来水供应",
    ),
    ("城乡建设", "城乡规划"): ("CXJS-03", "规划方案,违章建筑,容积挡光,历史名城保护,规划设计"),
    ("城乡建设", "村镇建设"): ("CXJS-04", "新农村建设,小城镇建设"),
    ("城乡建设", "工程质量"): ("CXJS-05", "施工安全,抗震防灾"),
    ("城乡建设", "国有土地上房屋征收与补偿"): (
        "CXJS-06",
        "房屋拆迁,审批手续,城镇危房改造,安置补偿,回迁房,棚户区和城中村改造",
    ),
    ("城乡建设", "集体土地上房屋拆迁与补偿"): ("CXJS-07", "回迁房,房屋拆迁,安置补偿,棚户区和城中村改造"),
    ("城乡建设", "建筑市场"): ("CXJS-08", "工程招投标,勘察设计和施工监管,拖欠工程款,企业资质和执业资格"),
    ("城乡建设", "住房保障与房地产"): (
        "CXJS-09",
        "住房公积金,保障性住房,物业服务,产权交易,房地产开发管理,住房困难,修缮装修,公房,房产证登记、办理,房屋租赁,房屋补贴,房屋评估,房改政策,私房,骗购",
    ),
    ("城乡建设", "其他"): ("CXJS-99", ""),
    # 环境保护
    ("环境保护", "环保管理"): (
        "HJBH-01",
        "生态示范和模范城区创建,环境监测,环境资质管理,环境执法,淘汰落后产能补偿,污染损害纠纷调解,专项资金使用",
    ),
    ("环境保护", "环境污染"): (
        "HJBH-02",
        "生态破坏,危险化学品污染,噪音污染,放射性污染,固体污染,大气污染,其他污染,电磁污染,水污染,土壤污染",
    ),
    ("环境保护", "建设项目审批"): ("HJBH-03", "未验先用,环评报告不实,未批先建"),
    ("环境保护", "其他"): ("HJBH-99", ""),
    # 交通运输
    ("交通运输", "出租车管理"): ("JTYS-01", "经营权转让,运价监管,网约车问题,行业监管"),
    ("交通运输", "建设管理"): ("JTYS-02", "运营权管理,规费征稽,规划建设,设施维护,公路收费"),
    ("交通运输", "交通运输"): ("JTYS-03", "出租车管理"),
    ("交通运输", "客货运输"): ("JTYS-04", "货物运输,物流管理,旅客运输,运输安全"),
    ("交通运输", "邮政管理"): ("JTYS-05", "邮政市场监管,邮政行业规划,快递市场管理"),
    ("交通运输", "其他"): ("JTYS-99", ""),
    # 教育文体
    ("教育文体", "教师队伍和待遇"): ("JYWT-01", "企业教师,师资力量,原民办代课教师,工资福利"),
    ("教育文体", "教育行政管理"): (
        "JYWT-02",
        "教育经费管理,学生负担,教学管理,学历学位学籍管理,校园安全,民办学校,语言文字规范,校外机构管理",
    ),
    ("教育文体", "教育收费"): ("JYWT-03", "收费标准,乱收费"),
    ("教育文体", "教育体制"): ("JYWT-04", "教育统筹管理,异地升学,教育体制改革,教育资源配置"),
    ("教育文体", "考试招生"): ("JYWT-05", "招生录取,考场考纪,异地升学"),
    ("教育文体", "失学辍学"): ("JYWT-06", "教育救助,希望工程"),
    ("教育文体", "体育"): ("JYWT-07", "体育事业,运动员权益,体育市场,体育竞赛"),
    ("教育文体", "文化"): ("JYWT-08", "文化体制改革,公共文化,非物质文化遗产,文化市场与文化执法,文化艺术"),
    ("教育文体", "文物管理"): ("JYWT-09", "文物保护,文物鉴定"),
    ("教育文体", "其他"): ("JYWT-99", ""),
    # 劳动和社会保障
    ("劳动和社会保障", "城镇居民社会保险"): ("LDSB-01", "新农村合作医疗,城乡居民养老保险,城镇居民医疗保险"),
    ("劳动和社会保障", "城镇职工社会保险"): (
        "LDSB-02",
        "职工养老保险,职工工伤保险,职工生育保险,职工医疗保险,职工失业保险",
    ),
    ("劳动和社会保障", "工资福利"): ("LDSB-03", "福利待遇,工资调整,最低工资标准,住房公积金,工资发放"),
    ("劳动和社会保障", "就业培训"): ("LDSB-04", "就业和再就业,职业培训,职业技能鉴定"),
    ("劳动和社会保障", "劳动保护"): ("LDSB-05", "工作时间和休息休假,女工保护,劳动安全,劳动环境,安全防护"),
    ("劳动和社会保障", "劳动关系"): (
        "LDSB-06",
        "劳动合同纠纷,非法用工,农民工权益,劳务派遣纠纷,协议解除劳动关系,辞职辞退",
    ),
    ("劳动和社会保障", "社保基金管理"): ("LDSB-07", ""),
    ("劳动和社会保障", "退休政策及待遇"): (
        "LDSB-08",
        "退休人员待遇,内部退养人员待遇,退休政策,退休金发放,病退及提前退休人员待遇",
    ),
    ("劳动和社会保障", "其他"): ("LDSB-99", ""),
    # 商贸旅游
    ("商贸旅游", "旅游管理"): ("SMLY-01", "景区管理,旅游市场管理"),
    ("商贸旅游", "商业贸易"): ("SMLY-02", "劳务输出,贸易发展战略,进出口管理,市场垄断,反倾销"),
    ("商贸旅游", "市场监管"): (
        "SMLY-03",
        "商标管理,不正当竞争,商品质量,广告监管,中介机构管理,传销,物价监督,直销",
    ),
    ("商贸旅游", "质监检验检疫"): (
        "SMLY-04",
        "特种设备管理,产品质量监控,认证认可标准化,出入境检验检疫,检验检疫",
    ),
    ("商贸旅游", "其他"): ("SMLY-99", ""),
    # 卫生计生
    ("卫生计生", "公共卫生"): ("WSJS-01", "突发公共卫生事件处理,疾病预防控制"),
    ("卫生计生", "人口计生"): (
        "WSJS-02",
        "计生执法,计划生育服务管理,失独家庭,违法生育,人口政策,独生子女父母奖励政策",
    ),
    ("卫生计生", "食品药品监管"): ("WSJS-03", "食品安全,药品和医疗器械管理,保健品化妆品管理"),
    ("卫生计生", "医患纠纷"): ("WSJS-04", "患者权益,医护人员权益,医疗事故争议"),
    ("卫生计生", "医政监管"): (
        "WSJS-05",
        "医疗技术和服务,血液管理,非法行医,卫生执法,医疗收费,医疗机构管理,医务人员管理",
    ),
    ("卫生计生", "其他"): ("WSJS-99", ""),
}


def seed(apps, schema_editor):
    """Codes and keywords for the seeded categories that have none yet. Idempotent."""
    Category = apps.get_model("appeals", "Category")
    taken = set(Category.objects.exclude(service_code__isnull=True).values_list("service_code", flat=True))
    rows = Category.objects.filter(parent__isnull=False, parent__parent__isnull=True).select_related("parent")
    for category in rows:
        entry = SERVICES.get((category.parent.name, category.name))
        if entry is None:
            continue
        code, keywords = entry
        changed = []
        if not category.service_code and code not in taken:
            category.service_code = code
            taken.add(code)
            changed.append("service_code")
        if not category.keywords and keywords:
            category.keywords = keywords
            changed.append("keywords")
        if changed:
            category.save(update_fields=changed)


def forwards(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    # Until now a code meant "published": keep every administrator's earlier choice.
    Category.objects.exclude(service_code__isnull=True).exclude(service_code="").update(
        open311_published=True
    )
    seed(apps, schema_editor)


def backwards(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    seeded = [code for code, _ in SERVICES.values()]
    Category.objects.filter(service_code__in=seeded, open311_published=False).update(service_code=None)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0008_rekey_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="keywords",
            field=models.CharField(
                blank=True,
                help_text="以逗号分隔，帮助外部系统找到本服务（GeoReport v2 的 keywords）",
                max_length=300,
                verbose_name="Open311 关键词",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="open311_published",
            field=models.BooleanField(
                default=False,
                help_text="勾选且有服务代码的启用分类，才出现在 /open311/v2/services 中并可由外部系统报送",
                verbose_name="在 Open311 中公布",
            ),
        ),
        migrations.AlterField(
            model_name="category",
            name="service_code",
            field=models.CharField(
                blank=True,
                help_text="稳定的对外 service_code（预置分类已编好，如 CXJS-02），外部系统按它报送，请勿随意更改",
                max_length=30,
                null=True,
                unique=True,
                verbose_name="Open311 服务代码",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
