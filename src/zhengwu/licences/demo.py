"""The demo city's 证照目录: every licence type its catalogue produces or accepts instead of paper,
each defined by the department that issues it (or, for the state-issued ones, the department that
issues it in the city), with its surface fields and a seal for each issuing department."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from zhengwu.org.models import Department

from .models import HolderKind, LicenceType, PrintTemplate, Seal
from .services import make_seal

P, O = HolderKind.PERSON, HolderKind.ORGANISATION
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
    TypeSpec("居民身份证", "public_security", P, 20, ("gender:性别", "ethnicity:民族", *PERSON_ADDRESS), CARD),
    TypeSpec("居民户口簿", "public_security", P, None, ("household_head:户主", *PERSON_ADDRESS)),
    TypeSpec("居住证", "public_security", P, 1, PERSON_ADDRESS, CARD),
    TypeSpec("特种行业许可证", "public_security", O, 5, BUSINESS[:2]),
    TypeSpec("营业执照", "market", O, None, ("enterprise_type:类型", *BUSINESS)),
    TypeSpec("食品经营许可证", "market", O, 5, ("legal_representative:法定代表人", "address:经营场所", "business_scope:经营项目")),
    TypeSpec("药品经营许可证", "market", O, 5, BUSINESS),
    TypeSpec("第二类医疗器械经营备案凭证", "market", O, None, BUSINESS),
    TypeSpec("执业药师注册证", "market", P, 5, ("practice_unit:执业单位",), CARD),
    TypeSpec("清税证明", "tax", O, None, ("tax_office:主管税务机关",)),
    TypeSpec("契税完税凭证", "tax", P, None, ("property_address:房屋坐落", "tax_amount:税额")),
    TypeSpec("社会保障卡", "hrss", P, 10, (), CARD),
    TypeSpec("就业创业证", "hrss", P, None, PERSON_ADDRESS),
    TypeSpec("出生医学证明", "health", P, None, ("newborn_name:新生儿姓名", "birth_date:出生日期", "birth_place:出生地点")),
    TypeSpec("死亡医学证明", "health", P, None, ("deceased_name:死者姓名", "death_date:死亡日期")),
    TypeSpec("预防接种证", "health", P, None, ("child_name:儿童姓名",), CARD),
    TypeSpec("健康证明", "health", P, 1, ("occupation:从业类别",), CARD),
    TypeSpec("公共场所卫生许可证", "health", O, 4, BUSINESS[:2]),
    TypeSpec("结婚证", "civil_affairs", P, None, ("spouse_name:配偶姓名", "registration_date:登记日期")),
    TypeSpec("火化证明", "civil_affairs", P, None, ("deceased_name:死者姓名",)),
    TypeSpec("不动产权证书", "natural_resources", P, None, ("property_address:坐落", "area:面积（平方米）", "usage:用途")),
    TypeSpec("不动产登记证明", "natural_resources", P, None, ("property_address:坐落", "right_type:证明权利或事项")),
    TypeSpec("建设工程规划许可证", "natural_resources", O, None, ("project_name:建设项目名称", "project_address:建设位置")),
    TypeSpec("建筑工程施工许可证", "housing", O, None, ("project_name:工程名称", "project_address:建设地址")),
    TypeSpec("城镇污水排入排水管网许可证", "urban_management", O, 5, BUSINESS[:2]),
    TypeSpec("公众聚集场所投入使用、营业前消防安全检查合格证", "fire", O, None, ("address:场所地址",)),
    TypeSpec("排污许可证", "ecology", O, 5, BUSINESS[:2]),
    TypeSpec("道路运输经营许可证", "transport", O, 4, BUSINESS),
    TypeSpec("机动车行驶证", "public_security", P, None, ("plate_number:号牌号码", "vehicle_type:车辆类型"), CARD),
    TypeSpec("道路运输从业人员从业资格证", "transport", P, 6, ("qualification:从业资格类别",), CARD),
    TypeSpec("危险化学品经营许可证", "emergency", O, 3, BUSINESS),
    TypeSpec("烟花爆竹经营（零售）许可证", "emergency", O, 1, BUSINESS[:2]),
    TypeSpec("安全生产知识和管理能力考核合格证", "emergency", P, 3, ("post:岗位",), CARD),
    TypeSpec("烟草专卖零售许可证", "tobacco", O, 5, BUSINESS[:2]),
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
