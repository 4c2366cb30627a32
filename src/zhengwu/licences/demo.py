"""The demo city's 证照目录: every licence type its catalogue produces or accepts instead of paper,
each defined by the department that issues it (or, for the state-issued ones, the department that
issues it in the city), with its surface fields and a seal for each issuing department."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengwu.org.models import Department

from .models import HolderKind, Licence, LicenceState, LicenceType, PrintTemplate, Seal
from .services import make_seal

P, ORG = HolderKind.PERSON, HolderKind.ORGANISATION
CERT, CARD = PrintTemplate.CERTIFICATE, PrintTemplate.CARD


def _f(*pairs: str) -> list[dict[str, str]]:
    return [{"name": pair.split(":")[0], "label": pair.split(":")[1]} for pair in pairs]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    department: str  # key of catalog.demo.DEPARTMENTS
    holder: str
    years: int | None
    fields: tuple[str, ...] = ()
    template: str = CERT


PERSON_ADDRESS = ("address:住址",)
BUSINESS = ("legal_representative:法定代表人", "address:住所", "business_scope:经营范围")

TYPES: list[TypeSpec] = [
    TypeSpec(
        "居民身份证", "public_security", P, 20, ("gender:性别", "ethnicity:民族", *PERSON_ADDRESS), CARD
    ),
    TypeSpec("居民户口簿", "public_security", P, None, ("household_head:户主", *PERSON_ADDRESS)),
    TypeSpec("居住证", "public_security", P, 1, PERSON_ADDRESS, CARD),
    TypeSpec("特种行业许可证", "public_security", ORG, 5, BUSINESS[:2]),
    TypeSpec("营业执照", "market", ORG, None, ("enterprise_type:类型", *BUSINESS)),
    TypeSpec(
        "食品经营许可证",
        "market",
        ORG,
        5,
        ("legal_representative:法定代表人", "address:经营场所", "business_scope:经营项目"),
    ),
    TypeSpec("药品经营许可证", "market", ORG, 5, BUSINESS),
    TypeSpec("第二类医疗器械经营备案凭证", "market", ORG, None, BUSINESS),
    TypeSpec("执业药师注册证", "market", P, 5, ("practice_unit:执业单位",), CARD),
    TypeSpec("清税证明", "tax", ORG, None, ("tax_office:主管税务机关",)),
    TypeSpec("契税完税凭证", "tax", P, None, ("property_address:房屋坐落", "tax_amount:税额")),
    TypeSpec("社会保障卡", "hrss", P, 10, (), CARD),
    TypeSpec("就业创业证", "hrss", P, None, PERSON_ADDRESS),
    TypeSpec(
        "出生医学证明",
        "health",
        P,
        None,
        ("newborn_name:新生儿姓名", "birth_date:出生日期", "birth_place:出生地点"),
    ),
    TypeSpec("死亡医学证明", "health", P, None, ("deceased_name:死者姓名", "death_date:死亡日期")),
    TypeSpec("预防接种证", "health", P, None, ("child_name:儿童姓名",), CARD),
    TypeSpec("健康证明", "health", P, 1, ("occupation:从业类别",), CARD),
    TypeSpec("公共场所卫生许可证", "health", ORG, 4, BUSINESS[:2]),
    TypeSpec("结婚证", "civil_affairs", P, None, ("spouse_name:配偶姓名", "registration_date:登记日期")),
    TypeSpec("火化证明", "civil_affairs", P, None, ("deceased_name:死者姓名",)),
    TypeSpec(
        "不动产权证书",
        "natural_resources",
        P,
        None,
        ("property_address:坐落", "area:面积（平方米）", "usage:用途"),
    ),
    TypeSpec(
        "不动产登记证明", "natural_resources", P, None, ("property_address:坐落", "right_type:证明权利或事项")
    ),
    TypeSpec(
        "建设工程规划许可证",
        "natural_resources",
        ORG,
        None,
        ("project_name:建设项目名称", "project_address:建设位置"),
    ),
    TypeSpec(
        "建筑工程施工许可证", "housing", ORG, None, ("project_name:工程名称", "project_address:建设地址")
    ),
    TypeSpec("城镇污水排入排水管网许可证", "urban_management", ORG, 5, BUSINESS[:2]),
    TypeSpec("公众聚集场所投入使用、营业前消防安全检查合格证", "fire", ORG, None, ("address:场所地址",)),
    TypeSpec("排污许可证", "ecology", ORG, 5, BUSINESS[:2]),
    TypeSpec("道路运输经营许可证", "transport", ORG, 4, BUSINESS),
    TypeSpec(
        "机动车行驶证", "public_security", P, None, ("plate_number:号牌号码", "vehicle_type:车辆类型"), CARD
    ),
    TypeSpec("道路运输从业人员从业资格证", "transport", P, 6, ("qualification:从业资格类别",), CARD),
    TypeSpec("危险化学品经营许可证", "emergency", ORG, 3, BUSINESS),
    TypeSpec("烟花爆竹经营（零售）许可证", "emergency", ORG, 1, BUSINESS[:2]),
    TypeSpec("安全生产知识和管理能力考核合格证", "emergency", P, 3, ("post:岗位",), CARD),
    TypeSpec("烟草专卖零售许可证", "tobacco", ORG, 5, BUSINESS[:2]),
    TypeSpec("退役军人优待证", "veterans", P, None, (), CARD),
    TypeSpec("退出现役证", "veterans", P, None, ("discharge_date:退出现役时间",)),
    TypeSpec("残疾人证", "disabled", P, 10, ("disability:残疾类别和等级",), CARD),
]


@transaction.atomic
def load_demo_licence_types(*, departments: dict[str, Department]) -> dict[str, LicenceType]:
    """Create or update the demo types (name → type) and give each issuing department a seal."""
    out: dict[str, LicenceType] = {}
    numbers: dict[str, int] = {}
    for spec in TYPES:
        department = departments[spec.department]
        numbers[spec.department] = numbers.get(spec.department, 0) + 1
        licence_type, _ = LicenceType.objects.update_or_create(
            name=spec.name,
            defaults={
                "code": f"{department.uscc}{numbers[spec.department]:03d}",
                "defining_department": department,
                "holder_kind": spec.holder,
                "validity_years": spec.years,
                "surface_fields": _f(*spec.fields),
                "template": spec.template,
            },
        )
        licence_type.issuing_departments.add(department)
        out[spec.name] = licence_type
        if not Seal.objects.filter(department=department, retired_at__isnull=True).exists():
            make_seal(department=department, by=None)
    return out


# ---------------------------------------------------------------------------------------------
# The demo city's licences: a few thousand, so that 免提交 happens in the demo
# ---------------------------------------------------------------------------------------------

DEMO_HOLDERS = 1200  # extra citizens, besides the demo applicants
DEMO_COMPANIES = 200
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉晨宇欣怡子涵浩然梓萱俊杰思远雨轩佳怡"
STREETS = [
    "城关街道人民路",
    "城关街道中原路",
    "东城街道建设路",
    "西湖街道文化路",
    "南关街道解放路",
    "北郊街道工业路",
]
TRADES = ["餐饮", "超市", "科技", "药房", "商贸", "物流", "建材", "文化传媒"]

# (licence type, share of citizens holding one)
CITIZEN_LICENCES = [
    ("居民身份证", 1.0),
    ("社会保障卡", 0.9),
    ("居民户口簿", 0.6),
    ("结婚证", 0.4),
    ("不动产权证书", 0.3),
    ("机动车行驶证", 0.25),
    ("就业创业证", 0.1),
    ("健康证明", 0.1),
    ("残疾人证", 0.02),
]
COMPANY_LICENCES = [
    ("营业执照", 1.0),
    ("食品经营许可证", 0.3),
    ("公共场所卫生许可证", 0.15),
    ("药品经营许可证", 0.05),
]
# What the demo logins hold, whatever the draw: the citizen login and the enterprise login's company.
CITIZEN_LOGIN_LICENCES = ["居民身份证", "社会保障卡", "居民户口簿", "结婚证", "不动产权证书", "机动车行驶证"]
COMPANY_LOGIN_LICENCES = ["营业执照", "食品经营许可证"]


def _demo_citizens(rng: Any) -> list[Any]:
    from stdnum.cn import ric

    from zhengwu.accounts.models import Citizen

    made = []
    for n in range(DEMO_HOLDERS):
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        body = f"410203{birth:%Y%m%d}{n % 1000:03d}"
        made.append(
            Citizen(
                name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                id_number=body + ric.calc_check_digit(body + "0"),
                phone=f"137{n:08d}",
                address=f"示范市{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            )
        )
    Citizen.objects.bulk_create(made, ignore_conflicts=True)
    return list(Citizen.objects.all())


def _demo_companies(rng: Any) -> list[Any]:
    from stdnum.cn import uscc

    from zhengwu.accounts.models import Enterprise

    made = []
    for n in range(DEMO_COMPANIES):
        body = f"91410200MB{n + 1:07d}"
        made.append(
            Enterprise(
                name=f"示范市{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(TRADES)}有限公司{n + 1}号店"
                if n % 3 == 0
                else f"示范市{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(TRADES)}有限公司",
                uscc=body + uscc.calc_check_digit(body),
                legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN),
                phone=f"0371-2777{n:04d}",
                address=f"示范市{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            )
        )
    Enterprise.objects.bulk_create(made, ignore_conflicts=True)
    return list(Enterprise.objects.all())


def _surface(name: str, party: Any, rng: Any) -> dict[str, str]:
    address = getattr(party, "address", "") or "示范市城关街道人民路1号"
    values = {
        "address": address,
        "gender": party.gender if hasattr(party, "id_number") else "",
        "ethnicity": "汉",
        "household_head": getattr(party, "name", ""),
        "legal_representative": getattr(party, "legal_representative", ""),
        "enterprise_type": "有限责任公司（自然人投资或控股）",
        "business_scope": {"食品经营许可证": "预包装食品销售；热食类食品制售"}.get(
            name, "一般项目：技术服务、商品销售"
        ),
        "spouse_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "registration_date": "",
        "property_address": f"示范市{rng.choice(STREETS)}{rng.randrange(1, 300)}号{rng.randrange(1, 30)}栋{rng.randrange(101, 2801)}室",
        "area": f"{rng.randrange(45, 180)}.{rng.randrange(0, 100):02d}",
        "usage": "住宅",
        "plate_number": f"豫B{rng.randrange(10000, 99999)}",
        "vehicle_type": "小型普通客车",
        "occupation": "食品从业人员",
        "disability": "肢体残疾三级",
    }
    return values


@transaction.atomic
def load_demo_licences(*, seed: int = 2026) -> int:
    """About 4,500 licences for the demo's citizens and enterprises (extra holders are made for
    them), signed by the issuing departments' seals, issued over the past years — some expired,
    a few 注销 or 变更 — so that the wallet, verification and 免提交 have something to show.
    Skipped when the demo's licences are there already. Returns how many were made."""
    import random

    from zhengwu.accounts.demo import DEMO_CITIZENS, demo_enterprise_uscc, demo_id_number
    from zhengwu.accounts.models import Citizen, Enterprise

    from .services import Holder, build_licence, reserve_serials

    if Licence.objects.filter(application__isnull=True, imported=False).exists():
        return 0
    rng = random.Random(seed)
    types = {t.name: t for t in LicenceType.objects.select_related("defining_department")}
    citizen_login = Citizen.objects.filter(id_number=demo_id_number(*DEMO_CITIZENS[0][1:3])).first()
    company_login = Enterprise.objects.filter(uscc=demo_enterprise_uscc(1)).first()
    logins = {("p", getattr(citizen_login, "pk", None)), ("o", getattr(company_login, "pk", None))}
    plan: list[tuple[LicenceType, Any]] = []
    for party in _demo_citizens(rng):
        for name, share in CITIZEN_LICENCES:
            if (
                citizen_login is not None and party.pk == citizen_login.pk and name in CITIZEN_LOGIN_LICENCES
            ) or rng.random() < share:
                plan.append((types[name], party))
    for party in _demo_companies(rng):
        for name, share in COMPANY_LICENCES:
            if (
                company_login is not None and party.pk == company_login.pk and name in COMPANY_LOGIN_LICENCES
            ) or rng.random() < share:
                plan.append((types[name], party))
    today = timezone.localdate()
    by_issuer: dict[tuple[int, int], list[tuple[LicenceType, Any, date]]] = {}
    for licence_type, party in plan:
        years = licence_type.validity_years or 15
        if (("p" if hasattr(party, "id_number") else "o"), party.pk) in logins:
            issued = today - timedelta(
                days=rng.randrange(730, 365 * min(years, 5))
            )  # held before their demo applications
        else:
            issued = today - timedelta(days=rng.randrange(30, 365 * min(years + 1, 12)))
        by_issuer.setdefault((licence_type.defining_department_id, issued.year), []).append(
            (licence_type, party, issued)
        )
    seals = {s.department_id: s for s in Seal.objects.filter(retired_at__isnull=True)}
    made: list[Licence] = []
    for (department_id, year), rows in by_issuer.items():
        issuer = rows[0][0].defining_department
        for serial, (licence_type, party, issued) in zip(
            reserve_serials(issuer, year, len(rows)), rows, strict=True
        ):
            made.append(
                build_licence(
                    licence_type=licence_type,
                    issuer=issuer,
                    holder=Holder.of(party),
                    surface=_surface(licence_type.name, party, rng),
                    issued_on=issued,
                    serial=serial,
                    seal=seals[department_id],
                    signed_at=timezone.make_aware(datetime.combine(issued, time(10, 0))),
                )
            )
    Licence.objects.bulk_create(made, batch_size=500)
    # A few ended ones, so that verification shows more than 有效.
    ended = Licence.objects.filter(licence_type__name="健康证明").order_by("pk")[:5]
    Licence.objects.filter(pk__in=[licence.pk for licence in ended]).update(
        state=LicenceState.CANCELLED,
        state_reason="持证人申请注销",
        state_changed_on=today - timedelta(days=20),
    )
    return len(made)
