"""Demo 事项清单 for 示范市: about eighty municipal service items, the materials they share and the
一件事 bundles built from them, modelled on the reports in the seeds (Kaifeng's first batch of 13
bundles, Xinyang's 不动产 scenes, Huaibei's 全程网办).

`load_demo_catalog` is idempotent: every row is looked up by its natural key (实施编码 + version,
material name + issuer, bundle name, life event audience + name) and saved only when a value
differs, so a second run changes nothing and creates nothing.

Savings are never written here: a bundle stores only its own promised limit, trips and steps, and
the selectors compare them with its items."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models, transaction

from zhengwu.org.models import Department

from .models import (
    Audience,
    Bundle,
    BundleItem,
    CaseType,
    ItemMaterial,
    ItemType,
    LifeEvent,
    Material,
    MaterialKind,
    OnlineDepth,
    OnRefusal,
    ServiceItem,
    ServiceObject,
    VersionStatus,
)

# The departments the demo catalogue needs, by short key. The demo-city command creates them (city
# level, valid USCCs) from this list and passes them to load_demo_catalog keyed the same way.
DEPARTMENTS: list[tuple[str, str]] = [
    ("admin_approval", "示范市行政审批和政务信息管理局"),
    ("market", "示范市市场监督管理局"),
    ("public_security", "示范市公安局"),
    ("tax", "国家税务总局示范市税务局"),
    ("hrss", "示范市人力资源和社会保障局"),
    ("medical_insurance", "示范市医疗保障局"),
    ("housing_fund", "示范市住房公积金管理中心"),
    ("health", "示范市卫生健康委员会"),
    ("civil_affairs", "示范市民政局"),
    ("natural_resources", "示范市自然资源和规划局"),
    ("housing", "示范市住房和城乡建设局"),
    ("urban_management", "示范市城市管理局"),
    ("fire", "示范市消防救援支队"),
    ("ecology", "示范市生态环境局"),
    ("transport", "示范市交通运输局"),
    ("education", "示范市教育局"),
    ("culture", "示范市文化广电和旅游局"),
    ("emergency", "示范市应急管理局"),
    ("justice", "示范市司法局"),
    ("veterans", "示范市退役军人事务局"),
    ("disabled", "示范市残疾人联合会"),
    ("tobacco", "示范市烟草专卖局"),
    ("water", "示范市供水公司"),
    ("power", "国网示范市供电公司"),
    ("gas", "示范市燃气公司"),
    ("cable_tv", "示范市广电网络有限公司"),
]
DEPARTMENT_KEYS = [key for key, _ in DEPARTMENTS]

VALID_FROM = date(2025, 1, 1)
FORM_ISSUER = "申请人"

P = Audience.PERSON
E = Audience.ENTERPRISE

# 人生事件 / 企业生命周期: (audience, name).
LIFE_EVENTS: list[tuple[str, str]] = [
    (P, "出生"),
    (P, "教育"),
    (P, "就业"),
    (P, "婚育"),
    (P, "住房"),
    (P, "社会救助"),
    (P, "退役"),
    (P, "退休"),
    (P, "身后"),
    (E, "开办"),
    (E, "准营"),
    (E, "经营"),
    (E, "变更"),
    (E, "注销"),
]

# Materials shared by several items: key -> (name, issuing body, e-licence type that stands in).
MATERIALS: dict[str, tuple[str, str, str]] = {
    "id_card": ("居民身份证", "公安机关", "居民身份证"),
    "hukou": ("居民户口簿", "公安机关", "居民户口簿"),
    "photo": ("近期免冠彩色证件照片", "申请人", ""),
    "authorisation": ("授权委托书", "申请人", ""),
    "business_licence": ("营业执照", "市场监督管理部门", "营业执照"),
    "premises": ("住所（经营场所）使用证明", "申请人", ""),
    "articles": ("公司章程", "申请人", ""),
    "seal_impression": ("印章印模", "印章刻制企业", ""),
    "bank_account": ("银行结算账户开户信息", "开户银行", ""),
    "layout": ("经营场所平面布局图", "申请人", ""),
    "food_safety_rules": ("食品安全管理制度", "申请人", ""),
    "hygiene_rules": ("卫生管理制度", "申请人", ""),
    "health_certificate": ("从业人员健康证明", "医疗卫生机构", "健康证明"),
    "drainage_drawings": ("排水户内部排水管网及排放口位置图纸", "申请人", ""),
    "pretreatment": ("污水预处理设施建设材料", "申请人", ""),
    "signboard_design": ("招牌设计效果图及设置位置照片", "申请人", ""),
    "fire_rules": ("消防安全制度及灭火和应急疏散预案", "申请人", ""),
    "fire_commitment": ("消防安全检查告知承诺书", "申请人", ""),
    "fire_cert": (
        "公众聚集场所投入使用、营业前消防安全检查合格证",
        "消防救援机构",
        "公众聚集场所投入使用、营业前消防安全检查合格证",
    ),
    "pharmacist": ("执业药师注册证", "药品监督管理部门", "执业药师注册证"),
    "drug_quality_rules": ("药品经营质量管理制度文件", "申请人", ""),
    "device_quality_rules": ("医疗器械经营质量管理制度", "申请人", ""),
    "drug_licence": ("药品经营许可证", "药品监督管理部门", "药品经营许可证"),
    "medicare_system": ("医保信息系统接入及内部管理制度材料", "申请人", ""),
    "security_rules": ("治安保卫制度及安全防范设施材料", "申请人", ""),
    "resolution": ("股东会决议或决定", "申请人", ""),
    "articles_amendment": ("公司章程修正案", "申请人", ""),
    "liquidation_report": ("清算报告", "清算组", ""),
    "tax_clearance": ("清税证明", "税务机关", "清税证明"),
    "property_cert": ("不动产权证书", "不动产登记机构", "不动产权证书"),
    "planning_permit": ("建设工程规划许可证", "自然资源和规划部门", "建设工程规划许可证"),
    "construction_contract": ("建设工程施工合同", "建设单位", ""),
    "drawings_review": ("施工图设计文件审查合格书", "施工图审查机构", ""),
    "design_scheme": ("建设工程设计方案", "设计单位", ""),
    "eia_report": ("建设项目环境影响报告表", "编制单位", ""),
    "eia_approval": ("环境影响评价文件批复", "生态环境部门", ""),
    "monitoring_plan": ("自行监测方案", "申请人", ""),
    "vehicle_licence": ("机动车行驶证", "公安机关交通管理部门", "机动车行驶证"),
    "driver_qualification": ("驾驶员从业资格证", "交通运输部门", "道路运输从业人员从业资格证"),
    "safety_rules": ("安全生产管理制度和岗位操作规程", "申请人", ""),
    "safety_qualification": (
        "主要负责人和安全管理人员安全生产考核合格证",
        "应急管理部门",
        "安全生产知识和管理能力考核合格证",
    ),
    "storage_safety": ("经营和储存场所安全条件证明材料", "申请人", ""),
    "waste_plan": ("建筑垃圾处置方案", "申请人", ""),
    "waste_transport_contract": ("建筑垃圾运输合同", "申请人", ""),
    "birth_record": ("新生儿分娩记录", "助产机构", ""),
    "birth_cert": ("出生医学证明", "助产机构", "出生医学证明"),
    "marriage_cert": ("结婚证", "婚姻登记机关", "结婚证"),
    "vaccination_card": ("预防接种证", "预防接种单位", "预防接种证"),
    "residence_permit": ("居住证", "公安机关", "居住证"),
    "residence_proof": ("合法稳定住所证明（房屋租赁合同或产权证明）", "申请人", ""),
    "employment_proof": ("就业或就读证明", "用人单位或学校", ""),
    "labour_contract": ("劳动合同", "用人单位", ""),
    "termination_proof": ("解除或终止劳动关系证明", "用人单位", ""),
    "employment_card": ("就业创业证", "人力资源社会保障部门", "就业创业证"),
    "business_plan": ("创业计划书", "申请人", ""),
    "ss_card": ("社会保障卡", "人力资源社会保障部门", "社会保障卡"),
    "leave_proof": ("产假证明", "用人单位", ""),
    "medical_bills": ("生育医疗费用票据及费用清单", "医疗机构", ""),
    "couple_photo": ("双方近期半身免冠合影照片", "申请人", ""),
    "resale_contract": ("存量房买卖合同", "买卖双方", ""),
    "tax_receipt": ("契税完税凭证", "税务机关", "契税完税凭证"),
    "income_proof": ("收入证明", "用人单位", ""),
    "mortgage_contract": ("抵押合同及主债权合同", "抵押双方", ""),
    "death_cert": ("居民死亡医学证明（推断）书", "医疗卫生机构", "死亡医学证明"),
    "cremation_cert": ("火化证明", "殡仪馆", "火化证明"),
    "kinship_proof": ("亲属关系证明", "申请人", ""),
    "inheritance_deed": ("继承权公证书或放弃继承权声明", "公证机构", ""),
    "dependant_proof": ("供养直系亲属无生活来源证明", "村（居）民委员会", ""),
    "discharge_cert": ("退出现役证", "部队", "退出现役证"),
    "placement_letter": ("安置（落户）介绍信", "退役军人事务部门", ""),
    "military_pension_proof": ("军人退役基本养老保险参保缴费凭证", "部队后勤（联勤）机关财务部门", ""),
    "military_medical_proof": ("军人退役医疗保险参保缴费凭证", "部队后勤（联勤）机关财务部门", ""),
    "personnel_archive": ("职工人事档案", "用人单位", ""),
    "retirement_approval": ("职工退休审批表", "人力资源社会保障部门", ""),
    "hardship_statement": ("经济困难状况说明表", "申请人", ""),
    "case_documents": ("与法律援助事项有关的材料", "申请人", ""),
    "disability_assessment": ("残疾评定结果", "指定评定医疗机构", ""),
    "disability_card": ("残疾人证", "残疾人联合会", "残疾人证"),
}

# Application form fields: name -> label. A bundle's one form is the union of its items' fields.
FIELDS: dict[str, str] = {
    "applicant_name": "申请人姓名",
    "id_number": "公民身份号码",
    "phone": "联系电话",
    "address": "联系地址",
    "enterprise_name": "企业名称",
    "uscc": "统一社会信用代码",
    "legal_representative": "法定代表人（负责人）",
    "business_address": "经营场所",
    "registered_capital": "注册资本（万元）",
    "business_scope": "经营范围",
    "business_items": "经营项目",
    "business_area": "经营面积（平方米）",
    "bank_account": "银行账号",
    "employee_count": "职工人数",
    "contact_name": "经办人",
    "signboard_size": "招牌规格（长×宽，米）",
    "project_name": "项目名称",
    "project_address": "项目地址",
    "vehicle_count": "车辆数",
    "newborn_name": "新生儿姓名",
    "newborn_gender": "新生儿性别",
    "birth_date": "出生日期",
    "birth_place": "出生地点",
    "mother_name": "母亲姓名",
    "father_name": "父亲姓名",
    "guardian_name": "监护人姓名",
    "spouse_name": "配偶姓名",
    "spouse_id_number": "配偶公民身份号码",
    "student_name": "学生姓名",
    "school_name": "学校名称",
    "employer_name": "工作单位",
    "property_address": "不动产坐落",
    "property_certificate_no": "不动产权证书号",
    "buyer_name": "买受人",
    "seller_name": "出卖人",
    "transaction_price": "成交价格（万元）",
    "loan_amount": "贷款金额（万元）",
    "withdraw_amount": "提取金额（元）",
    "utility_account_no": "用户户号",
    "new_holder_name": "新户主姓名",
    "deceased_name": "逝者姓名",
    "deceased_id_number": "逝者公民身份号码",
    "death_date": "死亡日期",
    "relation": "申请人与逝者关系",
    "retirement_date": "退休日期",
    "discharge_date": "退出现役时间",
    "service_years": "服役年限",
    "settle_address": "安置落户地址",
    "disability_type": "残疾类别",
}


@dataclass(frozen=True)
class Use:
    """One material as an item asks for it."""

    key: str
    originals: int = 1
    copies: int = 0
    required: bool = True
    critical: bool = False
    note: str = ""


@dataclass(frozen=True)
class ItemSpec:
    key: str
    name: str
    department: str
    item_type: str
    objects: tuple[str, ...]
    events: tuple[str, ...]
    legal: str
    promised: str
    case_type: int
    trips: int
    online_depth: int
    conditions: str
    legal_basis: str
    steps: tuple[str, ...]
    fields: tuple[str, ...]
    form: str
    materials: tuple[Use, ...]
    result: str = ""
    licence: str = ""
    fee: str = ""


@dataclass(frozen=True)
class BundleSpec:
    name: str
    event: tuple[str, str]
    lead: str
    items: tuple[str, ...]
    promised: str
    trips: int
    steps: tuple[str, ...]
    description: str
    status: str = VersionStatus.PUBLISHED
    after: tuple[tuple[str, str], ...] = ()  # (item, the 前置事项 it waits for)
    on_refusal: str = OnRefusal.TRIM


PERSON = (ServiceObject.PERSON,)
ENTERPRISE = (ServiceObject.ENTERPRISE, ServiceObject.NON_LEGAL_ENTERPRISE)
LEGAL_PERSONS = (
    ServiceObject.ENTERPRISE,
    ServiceObject.INSTITUTION,
    ServiceObject.SOCIAL_ORG,
    ServiceObject.NON_LEGAL_ENTERPRISE,
)
BOTH = (ServiceObject.PERSON, ServiceObject.ENTERPRISE)

LIC = ItemType.LICENSING
CONF = ItemType.CONFIRMATION
PAY = ItemType.PAYMENT
LEVY = ItemType.LEVY
OTHER = ItemType.OTHER_POWER
PUB = ItemType.PUBLIC_SERVICE

NOW = CaseType.IMMEDIATE
LATER = CaseType.PROMISED

OFFLINE = OnlineDepth.OFFLINE
PREVIEW = OnlineDepth.PREVIEW
ONLINE = OnlineDepth.FULLY_ONLINE

S_LICENCE = ("申请", "受理", "审查", "决定", "送达")
S_SITE = ("申请", "受理", "审查", "现场核查", "决定", "发证")
S_NOW = ("申请", "受理", "办结")
S_SERVICE = ("申请", "受理", "审核", "办结")
S_PAYMENT = ("申请", "受理", "审核", "公示", "发放")

ID = Use("id_card", 0, 1, critical=True)
ID_ORIGINAL = Use("id_card", 1, 0, critical=True)
BL = Use("business_licence", 0, 1, critical=True)
AUTH = Use("authorisation", required=False, note="委托他人办理的提供")

ENTERPRISE_BASE = ("enterprise_name", "uscc", "legal_representative", "phone")
PERSON_BASE = ("applicant_name", "id_number", "phone")

# The data tables keep one item per block, the figures on a line, for review against the
# 实施清单; the formatter would put every argument on its own line.
# fmt: off
ITEMS: list[ItemSpec] = [
    # ---- 企业开办 ----
    ItemSpec(
        key="company_setup", name="设立登记（有限责任公司）", department="market", item_type=LIC,
        objects=(ServiceObject.ENTERPRISE,), events=("开办",), legal="3", promised="0.5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="申请人依法提交登记申请材料，材料齐全、符合法定形式；公司名称、住所、经营范围等登记事项符合规定。",
        legal_basis="《中华人民共和国公司法》第二十九条；《中华人民共和国市场主体登记管理条例》第十九条。",
        steps=("网上申报", "受理", "审查", "核准", "发照"),
        fields=(*ENTERPRISE_BASE, "id_number", "business_address", "registered_capital", "business_scope"),
        form="公司登记（备案）申请书",
        materials=(Use("articles", critical=True), ID, Use("premises", 0, 1), AUTH),
        result="营业执照", licence="营业执照",
    ),
    ItemSpec(
        key="individual_setup", name="设立登记（个体工商户）", department="market", item_type=LIC,
        objects=(ServiceObject.PERSON,), events=("开办", "就业"), legal="3", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="有经营能力的自然人，有固定的经营场所，经营范围不属于法律法规禁止的范围。",
        legal_basis="《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》第三条。",
        steps=("网上申报", "受理", "核准", "发照"),
        fields=(*PERSON_BASE, "enterprise_name", "business_address", "business_scope"),
        form="个体工商户登记（备案）申请书",
        materials=(ID, Use("premises", 0, 1), AUTH),
        result="营业执照", licence="营业执照",
    ),
    ItemSpec(
        key="seal", name="公章刻制备案", department="public_security", item_type=OTHER,
        objects=LEGAL_PERSONS, events=("开办",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="已取得营业执照或其他设立批准文件的单位，委托具备资质的印章刻制企业刻制印章。",
        legal_basis="《印铸刻字业暂行管理规则》；《国务院关于第三批取消中央指定地方实施行政许可事项的决定》（国发〔2017〕7号）。",
        steps=("网上申报", "备案", "刻制", "领取"),
        fields=(*ENTERPRISE_BASE, "contact_name"),
        form="印章刻制备案登记表",
        materials=(BL, ID, Use("seal_impression")),
        result="印章及备案回执",
    ),
    ItemSpec(
        key="new_taxpayer", name="新办纳税人涉税事项综合办理", department="tax", item_type=PUB,
        objects=ENTERPRISE, events=("开办",), legal="1", promised="0",
        case_type=NOW, trips=0, online_depth=ONLINE,
        conditions="新设立登记的企业和个体工商户首次办理涉税事项。",
        legal_basis="《中华人民共和国税收征收管理法》第十五条；《国家税务总局关于优化若干税收征管服务事项的通知》。",
        steps=("信息确认", "税种认定", "办结"),
        fields=(*ENTERPRISE_BASE, "bank_account", "contact_name"),
        form="新办纳税人涉税事项综合申请表",
        materials=(BL, ID),
        result="税务信息确认回执",
    ),
    ItemSpec(
        key="invoice", name="发票领用", department="tax", item_type=PUB,
        objects=ENTERPRISE, events=("开办", "经营"), legal="5", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="已办理涉税信息确认、需要领用发票的纳税人。",
        legal_basis="《中华人民共和国发票管理办法》第十五条；《中华人民共和国发票管理办法实施细则》。",
        steps=("申请", "票种核定", "发放"),
        fields=(*ENTERPRISE_BASE, "contact_name"),
        form="纳税人领用发票票种核定表",
        materials=(ID_ORIGINAL,),
        result="发票（含数电发票授信额度）",
    ),
    ItemSpec(
        key="si_unit", name="社会保险登记（单位）", department="hrss", item_type=CONF,
        objects=LEGAL_PERSONS, events=("开办",), legal="15", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="用人单位自成立之日起三十日内申请办理社会保险登记。",
        legal_basis="《中华人民共和国社会保险法》第五十七条；《社会保险登记管理暂行办法》。",
        steps=("申请", "受理", "登记"),
        fields=(*ENTERPRISE_BASE, "bank_account", "employee_count"),
        form="社会保险登记表（单位）",
        materials=(BL, Use("bank_account", 0, 1)),
        result="社会保险登记回执",
    ),
    ItemSpec(
        key="fund_unit", name="住房公积金单位缴存登记", department="housing_fund", item_type=PUB,
        objects=LEGAL_PERSONS, events=("开办",), legal="5", promised="0.5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="新设立的单位自设立之日起三十日内办理住房公积金缴存登记。",
        legal_basis="《住房公积金管理条例》第十四条。",
        steps=("申请", "受理", "审核", "开户"),
        fields=(*ENTERPRISE_BASE, "bank_account", "employee_count"),
        form="住房公积金单位缴存登记表",
        materials=(BL, ID, Use("bank_account", 0, 1)),
        result="住房公积金单位账户",
    ),
    ItemSpec(
        key="medical_unit", name="职工基本医疗保险参保登记（单位）", department="medical_insurance", item_type=CONF,
        objects=LEGAL_PERSONS, events=("开办",), legal="15", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="依法应参加职工基本医疗保险的用人单位。",
        legal_basis="《中华人民共和国社会保险法》第二十三条、第五十七条。",
        steps=("申请", "受理", "登记"),
        fields=(*ENTERPRISE_BASE, "employee_count"),
        form="医疗保险单位参保登记表",
        materials=(BL,),
        result="医疗保险单位参保登记回执",
    ),
    # ---- 准营 ----
    ItemSpec(
        key="food_licence", name="食品经营许可", department="market", item_type=LIC,
        objects=(*ENTERPRISE, ServiceObject.PERSON), events=("准营",), legal="20", promised="7",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="具有与经营的食品品种、数量相适应的经营场所、设备设施，有专职或兼职的食品安全管理人员和保证食品安全的规章制度。",
        legal_basis="《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address", "business_items", "business_area"),
        form="食品经营许可申请书",
        materials=(BL, ID, Use("layout"), Use("food_safety_rules"), Use("health_certificate", 0, 1, required=False)),
        result="食品经营许可证", licence="食品经营许可证",
    ),
    ItemSpec(
        key="hygiene_licence", name="公共场所卫生许可", department="health", item_type=LIC,
        objects=ENTERPRISE, events=("准营",), legal="20", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="住宿、沐浴、美容美发、游泳等公共场所，卫生设施和从业人员健康状况符合国家卫生标准。",
        legal_basis="《公共场所卫生管理条例》第八条；《公共场所卫生管理条例实施细则》第二十二条。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address", "business_area"),
        form="公共场所卫生许可申请表",
        materials=(BL, ID, Use("layout"), Use("hygiene_rules"), Use("health_certificate", 0, 1)),
        result="公共场所卫生许可证", licence="公共场所卫生许可证",
    ),
    ItemSpec(
        key="drainage", name="城镇污水排入排水管网许可", department="urban_management", item_type=LIC,
        objects=ENTERPRISE, events=("准营",), legal="20", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="从事餐饮、洗车、工业等活动的排水户向城镇排水设施排放污水，排水设施和预处理设施符合规定。",
        legal_basis="《城镇排水与污水处理条例》第二十一条；《城镇污水排入排水管网许可管理办法》。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address"),
        form="城镇污水排入排水管网许可申请表",
        materials=(BL, Use("drainage_drawings", critical=True), Use("pretreatment", required=False)),
        result="城镇污水排入排水管网许可证", licence="城镇污水排入排水管网许可证",
    ),
    ItemSpec(
        key="signboard", name="户外招牌设置审核", department="urban_management", item_type=LIC,
        objects=BOTH, events=("准营",), legal="20", promised="3",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="在建筑物外立面设置户外招牌，规格、位置、色彩符合市容市貌和设置规划要求。",
        legal_basis="《城市市容和环境卫生管理条例》第十一条；《示范市户外广告和招牌设置管理办法》。",
        steps=("申请", "受理", "审查", "决定"),
        fields=(*ENTERPRISE_BASE, "business_address", "signboard_size"),
        form="户外招牌设置申请表",
        materials=(BL, Use("premises", 0, 1), Use("signboard_design", critical=True)),
        result="户外招牌设置审核意见书",
    ),
    ItemSpec(
        key="fire_check", name="公众聚集场所投入使用、营业前消防安全检查", department="fire", item_type=LIC,
        objects=ENTERPRISE, events=("准营",), legal="10", promised="3",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="公众聚集场所在投入使用、营业前，消防设施、疏散通道和消防安全管理符合消防技术标准。",
        legal_basis="《中华人民共和国消防法》第十五条；《公众聚集场所投入使用、营业消防安全检查规则》。",
        steps=("申请", "受理", "告知承诺审查", "现场检查", "决定"),
        fields=(*ENTERPRISE_BASE, "business_address", "business_area"),
        form="公众聚集场所投入使用、营业前消防安全检查申请表",
        materials=(BL, Use("fire_commitment", critical=True), Use("fire_rules"), Use("layout")),
        result="公众聚集场所投入使用、营业前消防安全检查合格证",
        licence="公众聚集场所投入使用、营业前消防安全检查合格证",
    ),
    ItemSpec(
        key="drug_retail", name="药品零售企业经营许可", department="market", item_type=LIC,
        objects=(ServiceObject.ENTERPRISE,), events=("准营",), legal="20", promised="10",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="依法经过资格认定的药师或者其他药学技术人员，与所经营药品相适应的营业场所、设备、仓储设施和质量管理制度。",
        legal_basis="《中华人民共和国药品管理法》第五十一条、第五十二条；《药品经营和使用质量监督管理办法》。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address", "business_scope", "business_area"),
        form="药品经营许可证申请表",
        materials=(BL, ID, Use("pharmacist", 0, 1, critical=True), Use("drug_quality_rules"), Use("layout")),
        result="药品经营许可证", licence="药品经营许可证",
    ),
    ItemSpec(
        key="device_filing", name="第二类医疗器械经营备案", department="market", item_type=OTHER,
        objects=ENTERPRISE, events=("准营",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="具有与经营规模和经营范围相适应的经营场所、贮存条件和质量管理制度。",
        legal_basis="《医疗器械监督管理条例》第四十一条；《医疗器械经营监督管理办法》。",
        steps=S_NOW,
        fields=(*ENTERPRISE_BASE, "business_address", "business_scope"),
        form="第二类医疗器械经营备案表",
        materials=(BL, ID, Use("device_quality_rules"), Use("layout")),
        result="第二类医疗器械经营备案凭证", licence="第二类医疗器械经营备案凭证",
    ),
    ItemSpec(
        key="pharmacy_designation", name="医疗保障定点零售药店申请", department="medical_insurance", item_type=PUB,
        objects=ENTERPRISE, events=("经营",), legal="20", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="取得药品经营许可证并正式营业三个月以上，配备执业药师，信息系统能与医保信息平台对接。",
        legal_basis="《医疗保障基金使用监督管理条例》；《零售药店医疗保障定点管理暂行办法》。",
        steps=("申请", "受理", "评估", "协商谈判", "签订协议"),
        fields=(*ENTERPRISE_BASE, "business_address"),
        form="定点零售药店申请表",
        materials=(BL, Use("drug_licence", 0, 1, critical=True), Use("pharmacist", 0, 1), Use("medicare_system")),
        result="医疗保障服务协议",
    ),
    ItemSpec(
        key="tobacco", name="烟草专卖零售许可", department="tobacco", item_type=LIC,
        objects=BOTH, events=("准营",), legal="20", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="有与经营烟草制品零售业务相适应的资金、固定的经营场所，符合烟草制品零售点合理布局的要求。",
        legal_basis="《中华人民共和国烟草专卖法》第十六条；《中华人民共和国烟草专卖法实施条例》第十四条。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address"),
        form="烟草专卖零售许可证申请表",
        materials=(BL, ID, Use("premises", 0, 1)),
        result="烟草专卖零售许可证", licence="烟草专卖零售许可证",
    ),
    ItemSpec(
        key="hotel_permit", name="旅馆业特种行业许可证核发", department="public_security", item_type=LIC,
        objects=ENTERPRISE, events=("准营",), legal="20", promised="10",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="房屋建筑、消防设备、出入口和通道符合安全要求，有必要的防盗安全设施和治安保卫制度。",
        legal_basis="《旅馆业治安管理办法》第四条；《国务院对确需保留的行政审批项目设定行政许可的决定》第38项。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address", "business_area"),
        form="特种行业许可证申请登记表",
        materials=(BL, ID, Use("premises", 0, 1), Use("security_rules", critical=True), Use("fire_cert", 0, 1)),
        result="特种行业许可证", licence="特种行业许可证",
    ),
    # ---- 变更、注销 ----
    ItemSpec(
        key="company_change", name="变更登记（有限责任公司）", department="market", item_type=LIC,
        objects=(ServiceObject.ENTERPRISE,), events=("变更",), legal="3", promised="0.5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="公司名称、住所、法定代表人、注册资本、经营范围等登记事项发生变更。",
        legal_basis="《中华人民共和国公司法》第三十四条；《中华人民共和国市场主体登记管理条例》第二十四条。",
        steps=("网上申报", "受理", "审查", "核准", "换照"),
        fields=(*ENTERPRISE_BASE, "business_address", "registered_capital", "business_scope"),
        form="公司变更登记申请书",
        materials=(Use("business_licence", 1, 0, critical=True), Use("resolution", critical=True), Use("articles_amendment", required=False)),
        result="营业执照", licence="营业执照",
    ),
    ItemSpec(
        key="tax_change", name="变更税务登记", department="tax", item_type=PUB,
        objects=ENTERPRISE, events=("变更",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="纳税人税务登记内容发生变化且不涉及市场主体登记信息同步的。",
        legal_basis="《中华人民共和国税收征收管理法》第十六条；《税务登记管理办法》第十四条。",
        steps=S_NOW,
        fields=(*ENTERPRISE_BASE, "business_address"),
        form="变更税务登记表",
        materials=(BL, ID),
        result="变更税务登记回执",
    ),
    ItemSpec(
        key="si_change", name="社会保险登记变更（单位）", department="hrss", item_type=CONF,
        objects=LEGAL_PERSONS, events=("变更",), legal="15", promised="0",
        case_type=NOW, trips=0, online_depth=ONLINE,
        conditions="用人单位社会保险登记事项发生变更。",
        legal_basis="《中华人民共和国社会保险法》第五十七条。",
        steps=S_NOW,
        fields=(*ENTERPRISE_BASE, "bank_account"),
        form="社会保险变更登记表（单位）",
        materials=(BL,),
        result="社会保险变更登记回执",
    ),
    ItemSpec(
        key="fund_change", name="住房公积金单位信息变更", department="housing_fund", item_type=PUB,
        objects=LEGAL_PERSONS, events=("变更",), legal="5", promised="0.5",
        case_type=LATER, trips=0, online_depth=ONLINE,
        conditions="单位名称、地址、法定代表人等缴存登记信息发生变更。",
        legal_basis="《住房公积金管理条例》第十四条。",
        steps=S_SERVICE,
        fields=(*ENTERPRISE_BASE, "contact_name"),
        form="住房公积金单位信息变更登记表",
        materials=(BL,),
        result="单位信息变更回执",
    ),
    ItemSpec(
        key="company_cancel", name="注销登记（有限责任公司）", department="market", item_type=LIC,
        objects=(ServiceObject.ENTERPRISE,), events=("注销",), legal="3", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="公司解散且清算完毕，或者符合简易注销条件。",
        legal_basis="《中华人民共和国公司法》第二百三十九条；《中华人民共和国市场主体登记管理条例》第三十一条。",
        steps=("清算组备案", "公告", "申请", "审查", "核准"),
        fields=(*ENTERPRISE_BASE, "contact_name"),
        form="公司注销登记申请书",
        materials=(Use("resolution", critical=True), Use("liquidation_report", critical=True), Use("tax_clearance", 0, 1)),
        result="准予注销登记通知书",
    ),
    ItemSpec(
        key="tax_cancel", name="注销税务登记（清税申报）", department="tax", item_type=PUB,
        objects=ENTERPRISE, events=("注销",), legal="5", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="纳税人结清应纳税款、滞纳金、罚款，缴销发票。",
        legal_basis="《中华人民共和国税收征收管理法实施细则》第十五条、第十六条。",
        steps=("清税申报", "受理", "核查", "出具清税证明"),
        fields=(*ENTERPRISE_BASE, "contact_name"),
        form="清税申报表",
        materials=(BL, ID),
        result="清税证明", licence="清税证明",
    ),
    ItemSpec(
        key="si_cancel", name="社会保险注销登记（单位）", department="hrss", item_type=CONF,
        objects=LEGAL_PERSONS, events=("注销",), legal="15", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="用人单位依法终止，已结清欠缴的社会保险费。",
        legal_basis="《中华人民共和国社会保险法》第五十七条。",
        steps=S_SERVICE,
        fields=(*ENTERPRISE_BASE,),
        form="社会保险注销登记表（单位）",
        materials=(BL, Use("resolution", 0, 1)),
        result="社会保险注销登记回执",
    ),
    ItemSpec(
        key="fund_cancel", name="住房公积金单位缴存注销登记", department="housing_fund", item_type=PUB,
        objects=LEGAL_PERSONS, events=("注销",), legal="5", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="单位撤销、解散或破产，已为职工办理住房公积金账户转移或封存。",
        legal_basis="《住房公积金管理条例》第十四条。",
        steps=S_SERVICE,
        fields=(*ENTERPRISE_BASE,),
        form="住房公积金单位缴存注销登记表",
        materials=(BL, Use("resolution", 0, 1)),
        result="单位账户注销回执",
    ),
    # ---- 经营（未纳入一件事的涉企事项）----
    ItemSpec(
        key="construction_permit", name="建筑工程施工许可证核发", department="housing", item_type=LIC,
        objects=LEGAL_PERSONS, events=("经营",), legal="7", promised="3",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="已办理用地批准手续和建设工程规划许可证，施工图设计文件审查合格，已确定施工企业。",
        legal_basis="《中华人民共和国建筑法》第七条、第八条；《建筑工程施工许可管理办法》。",
        steps=S_LICENCE,
        fields=(*ENTERPRISE_BASE, "project_name", "project_address"),
        form="建筑工程施工许可证申请表",
        materials=(Use("planning_permit", 0, 1, critical=True), Use("construction_contract", 0, 1), Use("drawings_review", critical=True)),
        result="建筑工程施工许可证", licence="建筑工程施工许可证",
    ),
    ItemSpec(
        key="planning_permit", name="建设工程规划许可证核发", department="natural_resources", item_type=LIC,
        objects=LEGAL_PERSONS, events=("经营",), legal="20", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="建设项目已取得土地使用权，建设工程设计方案符合控制性详细规划和规划条件。",
        legal_basis="《中华人民共和国城乡规划法》第四十条。",
        steps=("申请", "受理", "方案审查", "批前公示", "决定", "发证"),
        fields=(*ENTERPRISE_BASE, "project_name", "project_address"),
        form="建设工程规划许可申请表",
        materials=(Use("property_cert", 0, 1, critical=True), Use("design_scheme", critical=True)),
        result="建设工程规划许可证", licence="建设工程规划许可证",
    ),
    ItemSpec(
        key="eia_approval", name="建设项目环境影响报告表审批", department="ecology", item_type=LIC,
        objects=LEGAL_PERSONS, events=("经营",), legal="30", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="依法应当编制环境影响报告表的建设项目，在开工建设前报批。",
        legal_basis="《中华人民共和国环境影响评价法》第二十二条；《建设项目环境保护管理条例》第九条。",
        steps=("申请", "受理", "技术评估", "审查", "公示", "批复"),
        fields=(*ENTERPRISE_BASE, "project_name", "project_address"),
        form="建设项目环境影响评价审批申请表",
        materials=(Use("eia_report", critical=True),),
        result="环境影响报告表批复",
    ),
    ItemSpec(
        key="pollutant_permit", name="排污许可证核发", department="ecology", item_type=LIC,
        objects=LEGAL_PERSONS, events=("经营",), legal="20", promised="15",
        case_type=LATER, trips=0, online_depth=ONLINE,
        conditions="纳入固定污染源排污许可分类管理名录、实行重点管理或简化管理的排污单位。",
        legal_basis="《排污许可管理条例》第二条、第十一条。",
        steps=("网上申报", "受理", "审查", "决定"),
        fields=(*ENTERPRISE_BASE, "project_name"),
        form="排污许可证申请表",
        materials=(Use("eia_approval", 0, 1), Use("monitoring_plan", critical=True)),
        result="排污许可证", licence="排污许可证",
    ),
    ItemSpec(
        key="road_freight", name="道路货物运输经营许可", department="transport", item_type=LIC,
        objects=BOTH, events=("经营",), legal="20", promised="5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="有与其经营业务相适应并经检测合格的车辆，有符合规定的驾驶人员和健全的安全生产管理制度。",
        legal_basis="《中华人民共和国道路运输条例》第二十一条、第二十四条。",
        steps=S_LICENCE,
        fields=(*ENTERPRISE_BASE, "vehicle_count"),
        form="道路货物运输经营申请表",
        materials=(ID, Use("vehicle_licence", 0, 1), Use("driver_qualification", 0, 1), Use("safety_rules")),
        result="道路运输经营许可证", licence="道路运输经营许可证",
    ),
    ItemSpec(
        key="hazchem", name="危险化学品经营许可证核发（不带储存设施）", department="emergency", item_type=LIC,
        objects=ENTERPRISE, events=("经营",), legal="30", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="有符合国家标准的经营场所，主要负责人和安全管理人员经考核合格，有健全的安全管理制度和事故应急预案。",
        legal_basis="《危险化学品安全管理条例》第三十四条、第三十五条；《危险化学品经营许可证管理办法》。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address", "business_scope"),
        form="危险化学品经营许可证申请表",
        materials=(BL, Use("safety_qualification", 0, 1, critical=True), Use("safety_rules"), Use("storage_safety")),
        result="危险化学品经营许可证", licence="危险化学品经营许可证",
    ),
    ItemSpec(
        key="fireworks", name="烟花爆竹经营（零售）许可", department="emergency", item_type=LIC,
        objects=BOTH, events=("经营",), legal="20", promised="5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="零售点符合布局规划，经营场所和设施符合安全条件，主要负责人经过安全培训。",
        legal_basis="《烟花爆竹安全管理条例》第十八条、第二十条。",
        steps=S_SITE,
        fields=(*ENTERPRISE_BASE, "business_address"),
        form="烟花爆竹经营（零售）许可证申请书",
        materials=(BL, ID, Use("storage_safety")),
        result="烟花爆竹经营（零售）许可证", licence="烟花爆竹经营（零售）许可证",
    ),
    ItemSpec(
        key="construction_waste", name="城市建筑垃圾处置核准", department="urban_management", item_type=LIC,
        objects=LEGAL_PERSONS, events=("经营",), legal="20", promised="3",
        case_type=LATER, trips=0, online_depth=ONLINE,
        conditions="有建筑垃圾分类处置方案，与取得核准的运输单位签订运输合同。",
        legal_basis="《国务院对确需保留的行政审批项目设定行政许可的决定》第101项；《城市建筑垃圾管理规定》第七条。",
        steps=S_LICENCE,
        fields=(*ENTERPRISE_BASE, "project_name", "project_address"),
        form="城市建筑垃圾处置核准申请表",
        materials=(Use("waste_plan", critical=True), Use("waste_transport_contract", 0, 1)),
        result="城市建筑垃圾处置核准证",
    ),
    # ---- 出生 ----
    ItemSpec(
        key="birth_cert", name="出生医学证明首次签发", department="health", item_type=PUB,
        objects=PERSON, events=("出生",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="在本市助产机构内出生的新生儿，由其父母或监护人申请。",
        legal_basis="《中华人民共和国母婴保健法》第二十三条；《出生医学证明管理办法》。",
        steps=("申请", "信息核对", "签发"),
        fields=("newborn_name", "newborn_gender", "birth_date", "birth_place", "mother_name", "father_name", "phone"),
        form="出生医学证明首次签发登记表",
        materials=(Use("id_card", 1, 1, critical=True, note="父母双方"), Use("birth_record", critical=True), Use("marriage_cert", 0, 1, required=False)),
        result="出生医学证明", licence="出生医学证明",
    ),
    ItemSpec(
        key="hukou_birth", name="户口登记（出生）", department="public_security", item_type=CONF,
        objects=PERSON, events=("出生",), legal="5", promised="0",
        case_type=NOW, trips=2, online_depth=PREVIEW,
        conditions="新生儿父母一方为本市常住户口，在出生后一个月内申报出生登记。",
        legal_basis="《中华人民共和国户口登记条例》第七条。",
        steps=("申请", "受理", "审核", "登记"),
        fields=("newborn_name", "newborn_gender", "birth_date", "birth_place", "mother_name", "father_name", "guardian_name", "phone"),
        form="出生登记申报表",
        materials=(Use("birth_cert", 1, 1, critical=True), Use("hukou", critical=True), ID, Use("marriage_cert", 0, 1, required=False)),
        result="居民户口簿（已登记）", licence="居民户口簿",
    ),
    ItemSpec(
        key="resident_medical", name="城乡居民基本医疗保险参保登记", department="medical_insurance", item_type=PUB,
        objects=PERSON, events=("出生", "教育"), legal="5", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="未参加职工基本医疗保险的本市户籍或持居住证的城乡居民，含新生儿和在校学生。",
        legal_basis="《中华人民共和国社会保险法》第二十五条；《国务院关于整合城乡居民基本医疗保险制度的意见》。",
        steps=S_NOW,
        fields=("applicant_name", "id_number", "guardian_name", "phone", "address"),
        form="城乡居民基本医疗保险参保登记表",
        materials=(Use("hukou", 0, 1), Use("id_card", 0, 1, required=False)),
        result="参保登记回执",
    ),
    ItemSpec(
        key="ss_card", name="社会保障卡申领", department="hrss", item_type=PUB,
        objects=PERSON, events=("出生", "就业"), legal="20", promised="1",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="参加社会保险或享受人力资源社会保障待遇的人员，首次申领社会保障卡。",
        legal_basis="《中华人民共和国社会保险法》第五十八条；《社会保障卡管理办法》。",
        steps=("申请", "信息核验", "制卡", "发卡"),
        fields=("applicant_name", "id_number", "phone", "address"),
        form="社会保障卡申领登记表",
        materials=(Use("id_card", 1, 0, critical=True, note="未成年人可提供居民户口簿"), Use("photo", required=False)),
        result="社会保障卡", licence="社会保障卡",
    ),
    ItemSpec(
        key="vaccination_card", name="预防接种证办理", department="health", item_type=PUB,
        objects=PERSON, events=("出生",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="新生儿出生后一个月内，由监护人到居住地接种单位办理。",
        legal_basis="《中华人民共和国疫苗管理法》第四十七条。",
        steps=S_NOW,
        fields=("newborn_name", "birth_date", "guardian_name", "phone", "address"),
        form="儿童预防接种登记表",
        materials=(Use("birth_cert", 0, 1, critical=True), Use("id_card", 0, 1)),
        result="预防接种证", licence="预防接种证",
    ),
    ItemSpec(
        key="birth_registration", name="生育登记", department="health", item_type=PUB,
        objects=PERSON, events=("婚育", "出生"), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="生育子女的夫妻，不设前置条件，可在孕前、孕期或分娩后办理。",
        legal_basis="《中华人民共和国人口与计划生育法》；《河南省人口与计划生育条例》。",
        steps=("网上申报", "核验", "办结"),
        fields=("applicant_name", "id_number", "spouse_name", "spouse_id_number", "phone"),
        form="生育登记表",
        materials=(Use("id_card", 0, 1), Use("marriage_cert", 0, 1, required=False)),
        result="生育登记服务单",
    ),
    ItemSpec(
        key="maternity_allowance", name="生育津贴申领", department="medical_insurance", item_type=PAY,
        objects=PERSON, events=("婚育",), legal="20", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="参加生育保险的职工，符合国家规定的产假或计划生育手术休假条件。",
        legal_basis="《中华人民共和国社会保险法》第五十四条、第五十六条。",
        steps=S_PAYMENT,
        fields=("applicant_name", "id_number", "employer_name", "birth_date", "bank_account", "phone"),
        form="生育津贴申领表",
        materials=(ID, Use("birth_cert", 0, 1, critical=True), Use("leave_proof"), Use("medical_bills", required=False)),
        result="生育津贴发放",
    ),
    # ---- 教育 ----
    ItemSpec(
        key="school_enrolment", name="义务教育阶段新生入学报名", department="education", item_type=PUB,
        objects=PERSON, events=("教育",), legal="20", promised="10",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="适龄儿童在户籍或居住证所在学区报名入学。",
        legal_basis="《中华人民共和国义务教育法》第十二条。",
        steps=("网上报名", "资格审核", "现场核验", "录取公示"),
        fields=("student_name", "id_number", "guardian_name", "address", "school_name", "phone"),
        form="义务教育新生入学报名登记表",
        materials=(Use("hukou", 1, 1, critical=True), Use("property_cert", 0, 1, required=False, note="或提供居住证"), Use("residence_permit", 0, 1, required=False), Use("vaccination_card")),
        result="入学通知书",
    ),
    ItemSpec(
        key="residence_permit", name="居住证申领", department="public_security", item_type=CONF,
        objects=PERSON, events=("教育", "就业", "住房"), legal="15", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="离开常住户口所在地，在本市居住半年以上，有合法稳定就业、合法稳定住所或连续就读之一。",
        legal_basis="《居住证暂行条例》第二条、第九条。",
        steps=("申请", "受理", "审核", "制证", "发证"),
        fields=("applicant_name", "id_number", "address", "employer_name", "phone"),
        form="居住证申领登记表",
        materials=(Use("id_card", 1, 1, critical=True), Use("photo"), Use("residence_proof", 0, 1, critical=True), Use("employment_proof", 0, 1, required=False)),
        result="居住证", licence="居住证",
    ),
    ItemSpec(
        key="vaccination_check", name="入托入学预防接种证查验", department="health", item_type=PUB,
        objects=PERSON, events=("教育",), legal="5", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="新入托、入学的儿童。",
        legal_basis="《中华人民共和国疫苗管理法》第四十八条；《儿童入托、入学预防接种证查验办法》。",
        steps=S_NOW,
        fields=("student_name", "guardian_name", "school_name", "phone"),
        form="入托入学预防接种证查验登记表",
        materials=(Use("vaccination_card", critical=True),),
        result="预防接种证查验证明",
    ),
    # ---- 就业 ----
    ItemSpec(
        key="employment_registration", name="就业登记", department="hrss", item_type=PUB,
        objects=PERSON, events=("就业",), legal="5", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="在法定劳动年龄内、有劳动能力，与用人单位建立劳动关系或从事个体经营、灵活就业的人员。",
        legal_basis="《中华人民共和国就业促进法》；《就业服务与就业管理规定》第六十二条。",
        steps=S_NOW,
        fields=("applicant_name", "id_number", "employer_name", "phone"),
        form="就业登记表",
        materials=(ID, Use("labour_contract", 0, 1)),
        result="就业登记",
    ),
    ItemSpec(
        key="unemployment_registration", name="失业登记", department="hrss", item_type=PUB,
        objects=PERSON, events=("就业",), legal="5", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="在法定劳动年龄内、有劳动能力、有就业要求、处于无业状态的城乡劳动者。",
        legal_basis="《就业服务与就业管理规定》第六十三条。",
        steps=S_NOW,
        fields=("applicant_name", "id_number", "address", "phone"),
        form="失业登记表",
        materials=(ID, Use("termination_proof", 0, 1, required=False)),
        result="失业登记",
    ),
    ItemSpec(
        key="employment_card", name="《就业创业证》申领", department="hrss", item_type=PUB,
        objects=PERSON, events=("就业",), legal="5", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="已办理就业登记或失业登记的劳动者。",
        legal_basis="《人力资源社会保障部关于印发〈就业创业证管理暂行办法〉的通知》。",
        steps=S_NOW,
        fields=("applicant_name", "id_number", "phone"),
        form="就业创业证申领登记表",
        materials=(ID, Use("photo", required=False)),
        result="就业创业证（电子）", licence="就业创业证",
    ),
    ItemSpec(
        key="startup_loan", name="创业担保贷款申请", department="hrss", item_type=PAY,
        objects=PERSON, events=("就业",), legal="15", promised="10",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="城镇登记失业人员、就业困难人员、返乡创业农民工、高校毕业生等自主创业人员，诚信记录良好。",
        legal_basis="《财政部 人力资源社会保障部 中国人民银行关于进一步做好创业担保贷款财政贴息工作的通知》（财金〔2020〕21号）。",
        steps=("申请", "受理", "资格审核", "担保审核", "银行放贷"),
        fields=("applicant_name", "id_number", "enterprise_name", "loan_amount", "phone"),
        form="创业担保贷款申请表",
        materials=(ID, BL, Use("employment_card", 0, 1), Use("business_plan", critical=True)),
        result="创业担保贷款",
    ),
    ItemSpec(
        key="flexible_pension", name="灵活就业人员参加企业职工基本养老保险登记", department="hrss", item_type=CONF,
        objects=PERSON, events=("就业",), legal="15", promised="0",
        case_type=NOW, trips=0, online_depth=ONLINE,
        conditions="无雇工的个体工商户、未在用人单位参加社会保险的非全日制从业人员以及其他灵活就业人员。",
        legal_basis="《中华人民共和国社会保险法》第十条、第五十八条。",
        steps=S_NOW,
        fields=("applicant_name", "id_number", "address", "bank_account", "phone"),
        form="灵活就业人员参保登记表",
        materials=(ID,),
        result="参保登记回执",
    ),
    ItemSpec(
        key="unemployment_benefit", name="失业保险金申领", department="hrss", item_type=PAY,
        objects=PERSON, events=("就业",), legal="10", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="失业前用人单位和本人已缴纳失业保险费满一年，非因本人意愿中断就业，已办理失业登记并有求职要求。",
        legal_basis="《中华人民共和国社会保险法》第四十五条；《失业保险条例》第十四条。",
        steps=("网上申请", "受理", "审核", "发放"),
        fields=("applicant_name", "id_number", "employer_name", "bank_account", "phone"),
        form="失业保险金申领登记表",
        materials=(ID, Use("termination_proof", 0, 1, critical=True), Use("ss_card", 0, 1, required=False)),
        result="失业保险金发放",
    ),
    # ---- 婚育 ----
    ItemSpec(
        key="marriage", name="内地居民结婚登记", department="civil_affairs", item_type=CONF,
        objects=PERSON, events=("婚育",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=OFFLINE,
        conditions="男女双方完全自愿，达到法定婚龄，无配偶，非直系血亲或三代以内旁系血亲，双方亲自到婚姻登记机关办理。",
        legal_basis="《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》第五条。",
        steps=("预约", "申请", "审查", "颁证"),
        fields=("applicant_name", "id_number", "spouse_name", "spouse_id_number", "phone"),
        form="申请结婚登记声明书",
        materials=(ID_ORIGINAL, Use("hukou", 1, 0, required=False, note="全国通办试点地区可免"), Use("couple_photo", 3, 0)),
        result="结婚证", licence="结婚证",
    ),
    ItemSpec(
        key="hukou_marriage", name="户口迁移（夫妻投靠）", department="public_security", item_type=CONF,
        objects=PERSON, events=("婚育",), legal="10", promised="1",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="夫妻一方为本市常住户口，另一方申请投靠迁入。",
        legal_basis="《中华人民共和国户口登记条例》第十条；《河南省公安厅关于进一步深化户籍制度改革的实施意见》。",
        steps=("申请", "受理", "审核", "迁入登记"),
        fields=("applicant_name", "id_number", "spouse_name", "spouse_id_number", "address", "phone"),
        form="户口迁移申请表",
        materials=(Use("hukou", critical=True), Use("marriage_cert", 1, 1, critical=True), ID, Use("property_cert", 0, 1, required=False)),
        result="准予迁入证明",
    ),
    # ---- 住房 ----
    ItemSpec(
        key="resale_filing", name="存量房买卖合同网签备案", department="housing", item_type=OTHER,
        objects=BOTH, events=("住房",), legal="5", promised="0.5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="买卖双方就存量房屋达成交易，房屋无查封、无抵押或抵押权人同意转让。",
        legal_basis="《中华人民共和国城市房地产管理法》；《住房城乡建设部关于进一步规范和加强房屋网签备案工作的指导意见》。",
        steps=("网签", "审核", "备案"),
        fields=("buyer_name", "seller_name", "property_address", "property_certificate_no", "transaction_price", "phone"),
        form="存量房网签备案申请表",
        materials=(Use("id_card", 0, 2, critical=True, note="买卖双方"), Use("property_cert", 0, 1, critical=True), Use("resale_contract", critical=True)),
        result="存量房买卖合同备案证明",
    ),
    ItemSpec(
        key="transfer_registration", name="不动产转移登记（存量房买卖）", department="natural_resources", item_type=CONF,
        objects=BOTH, events=("住房",), legal="30", promised="3",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="因买卖导致不动产权利转移，买卖双方共同申请。",
        legal_basis="《中华人民共和国民法典》第二百零九条；《不动产登记暂行条例》第十四条、第二十条。",
        steps=("申请", "受理", "审核", "登簿", "缮证发证"),
        fields=("buyer_name", "seller_name", "property_address", "property_certificate_no", "transaction_price", "phone"),
        form="不动产登记申请书",
        materials=(Use("id_card", 1, 1, critical=True, note="买卖双方"), Use("property_cert", 1, 0, critical=True), Use("resale_contract", critical=True), Use("tax_receipt", 0, 1, critical=True), Use("marriage_cert", 0, 1, required=False)),
        result="不动产权证书", licence="不动产权证书",
        fee="住宅类每件80元，非住宅类每件550元（含第一本证书工本费）",
    ),
    ItemSpec(
        key="deed_tax", name="契税申报", department="tax", item_type=LEVY,
        objects=BOTH, events=("住房",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="在本市境内转移土地、房屋权属，承受的单位和个人。",
        legal_basis="《中华人民共和国契税法》第一条、第九条。",
        steps=("申报", "计税", "缴税", "开具完税凭证"),
        fields=("buyer_name", "id_number", "property_address", "transaction_price", "phone"),
        form="契税纳税申报表",
        materials=(ID, Use("resale_contract", 0, 1, critical=True), Use("property_cert", 0, 1)),
        result="契税完税凭证", licence="契税完税凭证",
    ),
    ItemSpec(
        key="water_transfer", name="供水过户", department="water", item_type=PUB,
        objects=BOTH, events=("住房",), legal="5", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="房屋产权转移后，新产权人申请变更用水户名。",
        legal_basis="《城市供水条例》第二十二条。",
        steps=("申请", "审核", "过户"),
        fields=("new_holder_name", "id_number", "property_address", "utility_account_no", "phone"),
        form="供水业务过户申请表",
        materials=(ID, Use("property_cert", 0, 1, critical=True)),
        result="供水过户回执",
    ),
    ItemSpec(
        key="power_transfer", name="供电过户", department="power", item_type=PUB,
        objects=BOTH, events=("住房",), legal="5", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="房屋产权转移后，新产权人申请变更用电户名。",
        legal_basis="《电力供应与使用条例》第二十九条；《供电营业规则》。",
        steps=("申请", "审核", "过户"),
        fields=("new_holder_name", "id_number", "property_address", "utility_account_no", "phone"),
        form="用电业务过户申请表",
        materials=(ID, Use("property_cert", 0, 1, critical=True)),
        result="供电过户回执",
    ),
    ItemSpec(
        key="gas_transfer", name="供气过户", department="gas", item_type=PUB,
        objects=BOTH, events=("住房",), legal="5", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="房屋产权转移后，新产权人申请变更用气户名，结清原户名欠费。",
        legal_basis="《城镇燃气管理条例》第十八条。",
        steps=("申请", "审核", "安全检查", "过户"),
        fields=("new_holder_name", "id_number", "property_address", "utility_account_no", "phone"),
        form="燃气用户过户申请表",
        materials=(ID, Use("property_cert", 0, 1, critical=True)),
        result="供气过户回执",
    ),
    ItemSpec(
        key="cable_transfer", name="有线电视过户", department="cable_tv", item_type=PUB,
        objects=BOTH, events=("住房",), legal="5", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="房屋产权转移后，新产权人申请变更有线电视用户名。",
        legal_basis="《广播电视管理条例》；《有线电视基本收视维护费管理暂行办法》。",
        steps=("申请", "审核", "过户"),
        fields=("new_holder_name", "id_number", "property_address", "utility_account_no", "phone"),
        form="有线电视过户申请表",
        materials=(ID, Use("property_cert", 0, 1, required=False)),
        result="有线电视过户回执",
    ),
    ItemSpec(
        key="fund_loan", name="住房公积金个人住房贷款", department="housing_fund", item_type=PUB,
        objects=PERSON, events=("住房",), legal="15", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="正常连续足额缴存住房公积金满六个月，购买、建造、翻建、大修自住住房。",
        legal_basis="《住房公积金管理条例》第二十六条。",
        steps=("申请", "受理", "审批", "签订合同", "抵押登记", "放款"),
        fields=("applicant_name", "id_number", "property_address", "loan_amount", "employer_name", "phone"),
        form="住房公积金个人住房贷款申请表",
        materials=(ID, Use("resale_contract", 0, 1, critical=True), Use("income_proof"), Use("marriage_cert", 0, 1, required=False)),
        result="住房公积金借款合同",
    ),
    ItemSpec(
        key="fund_withdraw_purchase", name="住房公积金提取（购买住房）", department="housing_fund", item_type=PUB,
        objects=PERSON, events=("住房",), legal="3", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="购买自住住房的缴存职工及其配偶。",
        legal_basis="《住房公积金管理条例》第二十四条、第二十五条。",
        steps=("申请", "审核", "转账"),
        fields=("applicant_name", "id_number", "property_address", "withdraw_amount", "bank_account", "phone"),
        form="住房公积金提取申请书",
        materials=(ID, Use("resale_contract", 0, 1, critical=True), Use("tax_receipt", 0, 1)),
        result="住房公积金提取到账",
    ),
    ItemSpec(
        key="mortgage_registration", name="不动产抵押权首次登记", department="natural_resources", item_type=CONF,
        objects=BOTH, events=("住房",), legal="30", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="以不动产设定抵押，抵押人与抵押权人共同申请。",
        legal_basis="《中华人民共和国民法典》第四百零二条；《不动产登记暂行条例实施细则》第六十五条。",
        steps=("申请", "受理", "审核", "登簿", "发证明"),
        fields=("applicant_name", "id_number", "property_address", "property_certificate_no", "loan_amount"),
        form="不动产登记申请书",
        materials=(ID, Use("property_cert", 1, 0, critical=True), Use("mortgage_contract", critical=True)),
        result="不动产登记证明", licence="不动产登记证明",
        fee="每件80元",
    ),
    # ---- 退役 ----
    ItemSpec(
        key="veteran_reception", name="退役士兵接收安置报到", department="veterans", item_type=PUB,
        objects=PERSON, events=("退役",), legal="30", promised="5",
        case_type=LATER, trips=1, online_depth=OFFLINE,
        conditions="退出现役的士兵，自被批准退出现役之日起三十日内到安置地退役军人事务部门报到。",
        legal_basis="《中华人民共和国退役军人保障法》第二十条；《退役士兵安置条例》第十六条。",
        steps=("报到", "信息采集", "审核", "建档"),
        fields=("applicant_name", "id_number", "discharge_date", "service_years", "settle_address", "phone"),
        form="退役军人报到登记表",
        materials=(Use("discharge_cert", 1, 1, critical=True), ID, Use("photo")),
        result="退役士兵安置报到回执",
    ),
    ItemSpec(
        key="veteran_lump_sum", name="自主就业退役士兵一次性经济补助金给付", department="veterans", item_type=PAY,
        objects=PERSON, events=("退役",), legal="20", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="选择自主就业并已报到的退役士兵。",
        legal_basis="《退役士兵安置条例》第十九条、第二十条。",
        steps=S_PAYMENT,
        fields=("applicant_name", "id_number", "discharge_date", "service_years", "bank_account"),
        form="一次性经济补助金申领表",
        materials=(Use("discharge_cert", 0, 1, critical=True), ID, Use("ss_card", 0, 1)),
        result="一次性经济补助金发放",
    ),
    ItemSpec(
        key="hukou_veteran", name="户口登记（退役士兵落户）", department="public_security", item_type=CONF,
        objects=PERSON, events=("退役",), legal="5", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="退出现役回安置地落户的士兵。",
        legal_basis="《中华人民共和国户口登记条例》第十二条；《退役士兵安置条例》。",
        steps=("申请", "受理", "审核", "登记"),
        fields=("applicant_name", "id_number", "settle_address", "discharge_date", "phone"),
        form="户口登记申请表",
        materials=(Use("discharge_cert", 0, 1, critical=True), Use("placement_letter", critical=True), Use("hukou", required=False, note="投靠家庭户的提供")),
        result="居民户口簿（已登记）", licence="居民户口簿",
    ),
    ItemSpec(
        key="veteran_pension_transfer", name="军人退役基本养老保险关系转移接续", department="hrss", item_type=PUB,
        objects=PERSON, events=("退役",), legal="15", promised="5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="参加军人退役基本养老保险的退役军人，在安置地接续基本养老保险关系。",
        legal_basis="《中华人民共和国军人保险法》第十五条；《军人退役基本养老保险关系转移接续办法》。",
        steps=("申请", "受理", "转移接续", "办结"),
        fields=("applicant_name", "id_number", "discharge_date", "service_years"),
        form="军人退役基本养老保险关系转移接续申请表",
        materials=(ID, Use("military_pension_proof", critical=True)),
        result="养老保险关系转移接续回执",
    ),
    ItemSpec(
        key="veteran_medical_transfer", name="军人退役医疗保险关系转移接续", department="medical_insurance", item_type=PUB,
        objects=PERSON, events=("退役",), legal="15", promised="5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="参加军人退役医疗保险的退役军人，在安置地接续基本医疗保险关系。",
        legal_basis="《中华人民共和国军人保险法》第二十二条。",
        steps=("申请", "受理", "转移接续", "办结"),
        fields=("applicant_name", "id_number", "discharge_date", "service_years"),
        form="军人退役医疗保险关系转移接续申请表",
        materials=(ID, Use("military_medical_proof", critical=True)),
        result="医疗保险关系转移接续回执",
    ),
    ItemSpec(
        key="veteran_card", name="退役军人优待证申领", department="veterans", item_type=PUB,
        objects=PERSON, events=("退役",), legal="20", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="户籍在本市、已建档立卡的退役军人。",
        legal_basis="《中华人民共和国退役军人保障法》第五十七条；《退役军人、其他优抚对象优待证管理办法（试行）》。",
        steps=("申请", "审核", "制证", "发放"),
        fields=("applicant_name", "id_number", "discharge_date", "phone"),
        form="退役军人优待证申领表",
        materials=(ID, Use("photo"), Use("discharge_cert", 0, 1)),
        result="退役军人优待证", licence="退役军人优待证",
    ),
    # ---- 退休 ----
    ItemSpec(
        key="retirement_approval", name="企业职工退休（职）申报", department="hrss", item_type=CONF,
        objects=PERSON, events=("退休",), legal="20", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="达到法定退休年龄（含弹性退休）且基本养老保险累计缴费满最低缴费年限的企业职工。",
        legal_basis="《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》；《国务院关于工人退休、退职的暂行办法》。",
        steps=("单位申报", "受理", "档案审核", "公示", "审批"),
        fields=("applicant_name", "id_number", "employer_name", "retirement_date", "phone"),
        form="职工退休（职）审批表",
        materials=(Use("id_card", 1, 1, critical=True), Use("personnel_archive", critical=True)),
        result="职工退休审批表",
    ),
    ItemSpec(
        key="pension_claim", name="企业职工基本养老保险待遇申领", department="hrss", item_type=PAY,
        objects=PERSON, events=("退休",), legal="20", promised="5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="经批准退休且基本养老保险累计缴费满十五年。",
        legal_basis="《中华人民共和国社会保险法》第十六条。",
        steps=("申请", "受理", "待遇核定", "复核", "发放"),
        fields=("applicant_name", "id_number", "retirement_date", "bank_account", "phone"),
        form="基本养老保险待遇申领表",
        materials=(ID, Use("retirement_approval", 0, 1, critical=True), Use("ss_card", 0, 1)),
        result="基本养老金核定表",
    ),
    ItemSpec(
        key="resident_pension_claim", name="城乡居民基本养老保险待遇申领", department="hrss", item_type=PAY,
        objects=PERSON, events=("退休",), legal="20", promised="5",
        case_type=LATER, trips=0, online_depth=ONLINE,
        conditions="年满60周岁、累计缴费满15年且未领取国家规定的基本养老保障待遇的城乡居民。",
        legal_basis="《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）。",
        steps=S_PAYMENT,
        fields=("applicant_name", "id_number", "address", "bank_account", "phone"),
        form="城乡居民基本养老保险待遇申领表",
        materials=(ID, Use("ss_card", 0, 1)),
        result="城乡居民养老保险待遇发放",
    ),
    ItemSpec(
        key="retiree_medical", name="职工医保退休人员待遇核定", department="medical_insurance", item_type=CONF,
        objects=PERSON, events=("退休",), legal="20", promised="5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="办理退休手续的职工，核定医疗保险累计缴费年限，达到规定年限的享受退休人员医保待遇。",
        legal_basis="《中华人民共和国社会保险法》第二十七条。",
        steps=("申请", "缴费年限核定", "待遇核定", "办结"),
        fields=("applicant_name", "id_number", "employer_name", "retirement_date"),
        form="退休人员医疗保险缴费年限核定表",
        materials=(ID, Use("retirement_approval", 0, 1, critical=True)),
        result="退休人员医疗保险待遇核定结果",
    ),
    ItemSpec(
        key="fund_withdraw_retire", name="住房公积金提取（离休、退休）", department="housing_fund", item_type=PUB,
        objects=PERSON, events=("退休",), legal="3", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="离休、退休的缴存职工，提取本人住房公积金账户余额并销户。",
        legal_basis="《住房公积金管理条例》第二十四条。",
        steps=("申请", "审核", "转账销户"),
        fields=("applicant_name", "id_number", "retirement_date", "bank_account", "phone"),
        form="住房公积金提取申请书",
        materials=(ID, Use("retirement_approval", 0, 1, critical=True), Use("ss_card", 0, 1, required=False)),
        result="住房公积金提取到账",
    ),
    # ---- 身后 ----
    ItemSpec(
        key="death_cert", name="居民死亡医学证明（推断）书签发", department="health", item_type=PUB,
        objects=PERSON, events=("身后",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=OFFLINE,
        conditions="在医疗卫生机构内死亡或在家中、养老机构等处死亡经医疗卫生机构判定死亡的居民。",
        legal_basis="《国家卫生健康委 公安部 民政部关于进一步规范人口死亡医学证明和信息登记管理工作的通知》。",
        steps=("死亡判定", "信息登记", "签发"),
        fields=("deceased_name", "deceased_id_number", "death_date", "applicant_name", "relation", "phone"),
        form="死亡信息登记表",
        materials=(Use("id_card", 1, 1, critical=True, note="逝者及家属"), Use("hukou", 1, 0, required=False)),
        result="居民死亡医学证明（推断）书", licence="死亡医学证明",
    ),
    ItemSpec(
        key="hukou_cancel", name="户口注销（死亡）", department="public_security", item_type=CONF,
        objects=PERSON, events=("身后",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=PREVIEW,
        conditions="公民死亡后，由户主、亲属在一个月内申报死亡登记，注销户口。",
        legal_basis="《中华人民共和国户口登记条例》第八条。",
        steps=("申请", "受理", "注销", "收缴身份证"),
        fields=("deceased_name", "deceased_id_number", "death_date", "applicant_name", "relation", "phone"),
        form="户口登记申请表",
        materials=(Use("death_cert", 1, 1, critical=True), Use("hukou", critical=True), Use("id_card", 1, 0, note="逝者身份证")),
        result="户口注销证明",
    ),
    ItemSpec(
        key="cremation", name="遗体火化", department="civil_affairs", item_type=PUB,
        objects=PERSON, events=("身后",), legal="1", promised="0",
        case_type=NOW, trips=1, online_depth=OFFLINE,
        conditions="在实行火葬地区死亡的居民，由家属凭死亡证明办理火化。",
        legal_basis="《殡葬管理条例》第五条、第十五条。",
        steps=("预约", "登记", "火化", "出具证明"),
        fields=("deceased_name", "deceased_id_number", "death_date", "applicant_name", "relation", "phone"),
        form="遗体火化申请表",
        materials=(Use("death_cert", 1, 0, critical=True), ID),
        result="火化证明", licence="火化证明",
    ),
    ItemSpec(
        key="funeral_subsidy", name="惠民殡葬补贴（基本殡葬服务费用减免）", department="civil_affairs", item_type=PAY,
        objects=PERSON, events=("身后",), legal="20", promised="5",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="本市户籍居民去世后在本市殡仪馆火化，免除遗体接运、存放、火化和骨灰寄存等基本殡葬服务费用。",
        legal_basis="《殡葬管理条例》；《民政部等关于推行惠民殡葬政策的指导意见》。",
        steps=S_PAYMENT,
        fields=("deceased_name", "deceased_id_number", "applicant_name", "relation", "bank_account"),
        form="惠民殡葬补贴申请表",
        materials=(ID, Use("cremation_cert", 0, 1, critical=True), Use("hukou", 0, 1)),
        result="惠民殡葬补贴发放",
    ),
    ItemSpec(
        key="funeral_grant", name="丧葬补助金、抚恤金申领", department="hrss", item_type=PAY,
        objects=PERSON, events=("身后",), legal="20", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="参加基本养老保险的个人因病或非因工死亡，其遗属可领取丧葬补助金和抚恤金。",
        legal_basis="《中华人民共和国社会保险法》第十七条；《人力资源社会保障部 财政部关于企业职工基本养老保险遗属待遇有关问题的通知》。",
        steps=S_PAYMENT,
        fields=("deceased_name", "deceased_id_number", "death_date", "applicant_name", "relation", "bank_account"),
        form="丧葬补助金、抚恤金申领表",
        materials=(Use("death_cert", 0, 1, critical=True), Use("id_card", 0, 2, critical=True, note="逝者及申领人"), Use("kinship_proof", critical=True)),
        result="丧葬补助金、抚恤金发放",
    ),
    ItemSpec(
        key="survivor_benefit", name="遗属待遇申领（供养直系亲属）", department="hrss", item_type=PAY,
        objects=PERSON, events=("身后",), legal="20", promised="10",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="因工死亡职工生前提供主要生活来源、无劳动能力的亲属。",
        legal_basis="《工伤保险条例》第三十九条；《因工死亡职工供养亲属范围规定》。",
        steps=("申请", "受理", "供养关系审核", "待遇核定", "发放"),
        fields=("deceased_name", "deceased_id_number", "applicant_name", "relation", "bank_account"),
        form="遗属待遇申领表",
        materials=(Use("death_cert", 0, 1, critical=True), ID, Use("kinship_proof", critical=True), Use("dependant_proof", critical=True)),
        result="供养亲属抚恤金核定表",
    ),
    ItemSpec(
        key="medical_account_withdraw", name="医保个人账户一次性支取（参保人员死亡）", department="medical_insurance", item_type=PUB,
        objects=PERSON, events=("身后",), legal="15", promised="3",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="职工医保参保人员死亡后，其个人账户余额由继承人依法继承。",
        legal_basis="《中华人民共和国社会保险法》第十四条；《国务院办公厅关于建立健全职工基本医疗保险门诊共济保障机制的指导意见》。",
        steps=("申请", "受理", "审核", "支付"),
        fields=("deceased_name", "deceased_id_number", "applicant_name", "relation", "bank_account"),
        form="医保个人账户一次性支取申请表",
        materials=(Use("death_cert", 0, 1, critical=True), ID, Use("kinship_proof")),
        result="个人账户余额支付",
    ),
    ItemSpec(
        key="fund_withdraw_death", name="住房公积金提取（死亡或被宣告死亡）", department="housing_fund", item_type=PUB,
        objects=PERSON, events=("身后",), legal="3", promised="1",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="缴存职工死亡或被宣告死亡，由其继承人、受遗赠人提取住房公积金账户余额。",
        legal_basis="《住房公积金管理条例》第二十四条第三款。",
        steps=("申请", "审核", "转账销户"),
        fields=("deceased_name", "deceased_id_number", "applicant_name", "relation", "withdraw_amount", "bank_account"),
        form="住房公积金提取申请书",
        materials=(Use("death_cert", 0, 1, critical=True), ID, Use("kinship_proof", critical=True), Use("inheritance_deed", required=False)),
        result="住房公积金提取到账",
    ),
    ItemSpec(
        key="inheritance_registration", name="不动产转移登记（继承）", department="natural_resources", item_type=CONF,
        objects=PERSON, events=("身后", "住房"), legal="30", promised="5",
        case_type=LATER, trips=2, online_depth=PREVIEW,
        conditions="因继承、受遗赠取得不动产权利，继承人申请转移登记。",
        legal_basis="《中华人民共和国民法典》第二百三十条；《不动产登记暂行条例实施细则》第十四条。",
        steps=("申请", "受理", "公告", "审核", "登簿", "缮证发证"),
        fields=("deceased_name", "deceased_id_number", "applicant_name", "relation", "property_address", "property_certificate_no"),
        form="不动产登记申请书",
        materials=(Use("death_cert", 0, 1, critical=True), Use("id_card", 1, 1, critical=True), Use("property_cert", 1, 0, critical=True), Use("kinship_proof", critical=True), Use("inheritance_deed", critical=True)),
        result="不动产权证书", licence="不动产权证书",
        fee="住宅类每件80元",
    ),
    # ---- 社会救助与其他个人事项 ----
    ItemSpec(
        key="legal_aid", name="法律援助申请", department="justice", item_type=PUB,
        objects=PERSON, events=("社会救助",), legal="7", promised="3",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="因经济困难或其他原因没有委托辩护人或代理人的当事人，就法律规定的事项申请法律援助。",
        legal_basis="《中华人民共和国法律援助法》第三十一条、第四十三条。",
        steps=("申请", "受理", "审查", "决定", "指派"),
        fields=("applicant_name", "id_number", "address", "phone"),
        form="法律援助申请表",
        materials=(ID, Use("hardship_statement", critical=True), Use("case_documents")),
        result="给予法律援助决定书",
    ),
    ItemSpec(
        key="disability_card", name="残疾人证办理", department="disabled", item_type=CONF,
        objects=PERSON, events=("社会救助",), legal="20", promised="10",
        case_type=LATER, trips=1, online_depth=PREVIEW,
        conditions="符合残疾标准的本市户籍居民，经指定医疗机构评定。",
        legal_basis="《中华人民共和国残疾人保障法》第二条；《中华人民共和国残疾人证管理办法》。",
        steps=("申请", "残疾评定", "审核", "公示", "发证"),
        fields=("applicant_name", "id_number", "guardian_name", "disability_type", "address", "phone"),
        form="残疾人证申请表",
        materials=(Use("id_card", 0, 1, critical=True), Use("hukou", 0, 1), Use("photo"), Use("disability_assessment", critical=True)),
        result="中华人民共和国残疾人证", licence="残疾人证",
    ),
    ItemSpec(
        key="disability_subsidy", name="困难残疾人生活补贴和重度残疾人护理补贴申领", department="civil_affairs", item_type=PAY,
        objects=PERSON, events=("社会救助",), legal="20", promised="10",
        case_type=LATER, trips=0, online_depth=ONLINE,
        conditions="持有第二代残疾人证的低保家庭残疾人，或残疾等级为一级、二级且需要长期照护的重度残疾人。",
        legal_basis="《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）。",
        steps=S_PAYMENT,
        fields=("applicant_name", "id_number", "disability_type", "bank_account", "phone"),
        form="残疾人两项补贴申请审批表",
        materials=(ID, Use("disability_card", 0, 1, critical=True)),
        result="补贴发放",
    ),
]

BUNDLES: list[BundleSpec] = [
    BundleSpec(
        name="企业开办", event=(E, "开办"), lead="market",
        items=("company_setup", "seal", "new_taxpayer", "invoice", "si_unit", "fund_unit", "medical_unit"),
        promised="0.5", trips=0,
        after=(("seal", "company_setup"), ("new_taxpayer", "company_setup"), ("invoice", "new_taxpayer")),
        on_refusal=OnRefusal.STOP,
        steps=("一表填报", "一窗受理", "并联办理", "一次发放"),
        description="营业执照、印章、发票、社保和公积金登记一表申请，0.5个工作日办结，印章和税务Ukey免费发放。",
    ),
    BundleSpec(
        name="开办餐饮店", event=(E, "准营"), lead="market",
        items=("individual_setup", "food_licence", "drainage", "signboard", "fire_check"),
        promised="5", trips=1,
        steps=("一表填报", "一窗受理", "联合踏勘", "并联审批", "统一出件"),
        description="执照、食品经营、排水、招牌、消防一次申请、一次联合踏勘。",
    ),
    BundleSpec(
        name="开办药店", event=(E, "准营"), lead="market",
        items=("company_setup", "drug_retail", "device_filing", "food_licence"),
        promised="7", trips=1,
        steps=("一表填报", "一窗受理", "现场核查", "并联审批", "统一出件"),
        description="营业执照、药品经营许可、二类医疗器械经营备案、食品经营许可一并办理。",
    ),
    BundleSpec(
        name="开办超市", event=(E, "准营"), lead="market",
        items=("individual_setup", "food_licence", "tobacco", "signboard", "fire_check"),
        promised="5", trips=1,
        steps=("一表填报", "一窗受理", "联合踏勘", "并联审批", "统一出件"),
        description="执照、食品经营、烟草专卖零售、招牌、消防检查一次办。",
    ),
    BundleSpec(
        name="开办旅馆", event=(E, "准营"), lead="market",
        items=("company_setup", "hotel_permit", "hygiene_licence", "fire_check", "signboard"),
        promised="7", trips=1,
        steps=("一表填报", "一窗受理", "联合踏勘", "并联审批", "统一出件"),
        description="营业执照、特种行业许可、公共场所卫生许可、消防检查、招牌设置联合办理。",
    ),
    BundleSpec(
        name="企业变更", event=(E, "变更"), lead="market",
        items=("company_change", "tax_change", "si_change", "fund_change"),
        promised="0.5", trips=0,
        steps=("一表填报", "一窗受理", "信息同步变更"),
        description="执照变更后，税务、社保、公积金信息同步变更。",
    ),
    BundleSpec(
        name="企业注销", event=(E, "注销"), lead="market",
        items=("company_cancel", "tax_cancel", "si_cancel", "fund_cancel"),
        promised="1", trips=0,
        steps=("一网申报", "并联清税清算", "联合注销"),
        description="市场监管、税务、社保、公积金注销一网通办。",
    ),
    BundleSpec(
        name="新生儿出生", event=(P, "出生"), lead="health",
        items=("birth_cert", "hukou_birth", "resident_medical", "ss_card", "vaccination_card"),
        promised="1", trips=1,
        steps=("医院一窗申请", "并联办理", "统一邮寄"),
        after=(("hukou_birth", "birth_cert"), ("ss_card", "hukou_birth")),
        description="出生医学证明、落户、医保参保、社保卡、预防接种证在助产机构一次办。",
    ),
    BundleSpec(
        name="入学", event=(P, "教育"), lead="education",
        items=("school_enrolment", "residence_permit", "vaccination_check", "resident_medical"),
        promised="5", trips=1,
        steps=("网上报名", "数据共享核验", "现场确认", "录取公示"),
        description="入学报名时居住证、接种证查验、学生医保参保同步办理，户籍和房产信息共享核验。",
    ),
    BundleSpec(
        name="就业创业", event=(P, "就业"), lead="hrss",
        items=("employment_registration", "employment_card", "individual_setup", "startup_loan", "flexible_pension"),
        promised="5", trips=0,
        steps=("一表申请", "并联办理", "一次办结"),
        description="就业登记、就业创业证、个体执照、创业担保贷款和灵活就业参保一次申请。",
    ),
    BundleSpec(
        name="失业保险待遇申领", event=(P, "就业"), lead="hrss",
        items=("unemployment_registration", "unemployment_benefit"),
        promised="1", trips=0,
        steps=("网上申请", "联动审核", "发放"),
        description="失业登记和失业保险金申领一次办理，无需另行登记。",
    ),
    BundleSpec(
        name="结婚生育", event=(P, "婚育"), lead="civil_affairs",
        items=("marriage", "hukou_marriage", "birth_registration", "maternity_allowance"),
        promised="5", trips=1,
        steps=("预约", "一窗受理", "并联办理", "一次出件"),
        description="结婚登记时可同步办理户口迁移、生育登记，生育津贴网上申领。",
    ),
    BundleSpec(
        name="不动产登记与水电气联动过户", event=(P, "住房"), lead="natural_resources",
        items=("transfer_registration", "water_transfer", "power_transfer", "gas_transfer", "cable_transfer"),
        promised="1", trips=1,
        steps=("一窗受理", "登簿发证", "水电气视信息推送", "同步过户"),
        description="不动产转移登记办结后，水、电、气、有线电视同步过户，不再分别跑。",
    ),
    BundleSpec(
        name="二手房交易", event=(P, "住房"), lead="natural_resources",
        items=("resale_filing", "deed_tax", "transfer_registration", "fund_loan", "mortgage_registration", "fund_withdraw_purchase"),
        promised="3", trips=1,
        steps=("网签备案", "一窗受理（交易、缴税、登记）", "公积金贷款审批", "抵押登记", "一次发证"),
        description="网签、缴税、转移登记、公积金贷款和抵押登记、公积金提取一窗办理。",
    ),
    BundleSpec(
        name="军人退役", event=(P, "退役"), lead="veterans",
        items=("veteran_reception", "hukou_veteran", "veteran_lump_sum", "veteran_pension_transfer", "veteran_medical_transfer", "veteran_card"),
        promised="5", trips=1,
        steps=("报到", "一表采集", "并联办理", "统一反馈"),
        description="报到时一次采集信息，落户、补助金、社保医保接续、优待证同步办理。",
    ),
    BundleSpec(
        name="退休", event=(P, "退休"), lead="hrss",
        items=("retirement_approval", "pension_claim", "retiree_medical", "fund_withdraw_retire"),
        promised="3", trips=0,
        steps=("单位网上申报", "并联审核", "待遇发放"),
        description="退休审批、养老金核定、医保待遇核定、公积金提取一次申请。",
    ),
    BundleSpec(
        name="身后一件事", event=(P, "身后"), lead="civil_affairs",
        items=("death_cert", "hukou_cancel", "cremation", "funeral_subsidy", "funeral_grant", "survivor_benefit", "medical_account_withdraw", "fund_withdraw_death", "inheritance_registration"),
        promised="5", trips=1,
        steps=("一窗受理", "信息共享", "并联办理", "统一告知"),
        description="死亡证明、户口注销、火化、殡葬补贴、丧葬抚恤、遗属待遇、医保公积金支取、不动产继承一次办。",
    ),
]
# fmt: on


def basic_code(spec: ItemSpec) -> str:
    """基本编码 (12): the item type, seven digits derived from the name, and the 000 of a main
    item. Derived rather than numbered, so adding an item never renumbers the others."""
    return f"{spec.item_type}{zlib.crc32(spec.name.encode()) % 10**7:07d}000"


M = TypeVar("M", bound=models.Model)


def _sync(model: type[M], lookup: Mapping[str, Any], values: Mapping[str, Any]) -> M:
    """Get or create by the natural key; save only the fields that differ, so a repeated load
    leaves rows (and their updated_at) untouched."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=[*changed, *(["updated_at"] if hasattr(obj, "updated_at") else [])])
    return obj


def _set_m2m(manager: Any, wanted: Iterable[models.Model]) -> None:
    wanted_ids = {obj.pk for obj in wanted}
    if set(manager.values_list("pk", flat=True)) != wanted_ids:
        manager.set(list(wanted_ids))


def _fields(names: Iterable[str]) -> list[dict[str, str]]:
    return [{"name": name, "label": FIELDS[name]} for name in names]


def _check(departments: Mapping[str, Department]) -> None:
    missing = sorted(({s.department for s in ITEMS} | {b.lead for b in BUNDLES}) - set(departments))
    if missing:
        raise ValueError(f"缺少示范部门：{', '.join(missing)}（见 DEPARTMENTS）")
    keys = [s.key for s in ITEMS]
    if len(keys) != len(set(keys)):
        raise ValueError("事项键重复")
    for spec in ITEMS:
        if Decimal(spec.promised) > Decimal(spec.legal):
            raise ValueError(f"{spec.name}：承诺时限超过法定时限")
        for use in spec.materials:
            if use.key not in MATERIALS:
                raise ValueError(f"{spec.name}：未定义的材料 {use.key}")
        for name in spec.fields:
            if name not in FIELDS:
                raise ValueError(f"{spec.name}：未定义的表单字段 {name}")


@transaction.atomic
def load_demo_catalog(*, departments: dict[str, Department]) -> None:
    """Create or update the demo catalogue for the given departments (keyed as in DEPARTMENTS)."""
    _check(departments)
    from zhengwu.licences.demo import load_demo_licence_types

    licence_types = load_demo_licence_types(departments=departments)

    events: dict[tuple[str, str], LifeEvent] = {}
    for order, (audience, name) in enumerate(LIFE_EVENTS, start=1):
        events[(audience, name)] = _sync(LifeEvent, {"audience": audience, "name": name}, {"order": order})

    materials: dict[str, Material] = {
        key: _sync(
            Material,
            {"name": name, "issuing_body": issuer},
            {"kind": MaterialKind.DOCUMENT, "licence_type": licence_types[licence] if licence else None},
        )
        for key, (name, issuer, licence) in MATERIALS.items()
    }

    items: dict[str, ServiceItem] = {}
    for spec in ITEMS:
        department = departments[spec.department]
        level = department.region.level
        code = basic_code(spec)
        item = _sync(
            ServiceItem,
            {"implementation_code": f"{department.uscc}{level}{code}", "version": 1},
            {
                "name": spec.name,
                "basic_code": code,
                "item_type": spec.item_type,
                "department": department,
                "level": level,
                "service_objects": [str(o) for o in spec.objects],
                "legal_limit_days": Decimal(spec.legal),
                "promised_limit_days": Decimal(spec.promised),
                "case_type": spec.case_type,
                "trips": spec.trips,
                "online_depth": spec.online_depth,
                "charges_fee": bool(spec.fee),
                "fee_description": spec.fee,
                "legal_basis": spec.legal_basis,
                "conditions": spec.conditions,
                "process_steps": list(spec.steps),
                "form_fields": _fields(spec.fields),
                "result_name": spec.result,
                "result_licence_type": licence_types[spec.licence] if spec.licence else None,
                "consultation_phone": f"0371-2356{DEPARTMENT_KEYS.index(spec.department) + 1:04d}",
                "status": VersionStatus.PUBLISHED,
                "valid_from": VALID_FROM,
                "valid_until": None,
            },
        )
        _set_m2m(item.life_events, [events[_event_for(spec, name)] for name in spec.events])
        form = _sync(
            Material,
            {"name": spec.form, "issuing_body": FORM_ISSUER},
            {"kind": MaterialKind.FORM, "licence_type": None},
        )
        uses = [(form, Use(spec.form, critical=True)), *((materials[u.key], u) for u in spec.materials)]
        for order, (material, use) in enumerate(uses, start=1):
            _sync(
                ItemMaterial,
                {"item": item, "material": material},
                {
                    "originals": use.originals,
                    "copies": use.copies,
                    "required": use.required,
                    "critical": use.critical,
                    "note": use.note,
                    "order": order,
                },
            )
        item.item_materials.exclude(material__in=[m for m, _ in uses]).delete()
        items[spec.key] = item

    for spec_b in BUNDLES:
        bundle = _sync(
            Bundle,
            {"name": spec_b.name},
            {
                "life_event": events[spec_b.event],
                "lead_department": departments[spec_b.lead],
                "description": spec_b.description,
                "promised_limit_days": Decimal(spec_b.promised),
                "trips": spec_b.trips,
                "process_steps": list(spec_b.steps),
                "on_refusal": spec_b.on_refusal,
                "status": spec_b.status,
            },
        )
        waits = dict(spec_b.after)
        for order, key in enumerate(spec_b.items, start=1):
            after = items[waits[key]] if key in waits else None
            _sync(BundleItem, {"bundle": bundle, "item": items[key]}, {"order": order, "after": after})
        bundle.bundle_items.exclude(item__in=[items[k] for k in spec_b.items]).delete()


def _event_for(spec: ItemSpec, name: str) -> tuple[str, str]:
    """Life events are unique per audience; an item names them by name, the audience follows from
    whom the event is for (企业 events for enterprises, the rest for people)."""
    enterprise_events = {n for a, n in LIFE_EVENTS if a == E}
    return (E if name in enterprise_events else P, name)
