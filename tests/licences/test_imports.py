"""Imports of the catalogue of licence types and of 存量证照: whole file or nothing, the bad row
and column named; imported licences signed by the issuer's seal and linked to known holders."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from tests.factories import CitizenFactory, DepartmentFactory, make_id_number
from zhengwu.licences import imports, services
from zhengwu.licences.models import Licence, LicenceType


def xlsx(rows: list[list[object]]) -> io.BytesIO:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def csv_file(rows: list[list[str]]) -> io.BytesIO:
    return io.BytesIO("\n".join(",".join(r) for r in rows).encode("utf-8-sig"))


def type_rows(issuer, *extra: list[object]) -> list[list[object]]:
    return [
        list(imports.TYPE_COLUMNS),
        [
            "餐饮服务许可证",
            f"{issuer.uscc}101",
            issuer.uscc,
            issuer.uscc,
            "法人",
            5,
            "address:经营场所；scope:经营项目",
            "证书",
        ],
        ["残疾人证", f"{issuer.uscc}102", issuer.uscc, "", "自然人", "", "level:残疾等级", "卡证"],
        *extra,
    ]


def test_types_import_creates_and_updates_by_code(issuer):
    result = imports.import_types(xlsx(type_rows(issuer)), "目录.xlsx", by=None)
    assert (result.created, result.updated) == (2, 0)
    food = LicenceType.objects.get(code=f"{issuer.uscc}101")
    assert food.holder_kind == "organisation" and food.validity_years == 5 and food.template == "certificate"
    assert food.surface_fields == [
        {"name": "address", "label": "经营场所"},
        {"name": "scope", "label": "经营项目"},
    ]
    assert list(food.issuing_departments.all()) == [issuer]
    card = LicenceType.objects.get(code=f"{issuer.uscc}102")
    assert (
        card.validity_years is None
        and card.template == "card"
        and list(card.issuing_departments.all()) == [issuer]
    )
    again = imports.import_types(xlsx(type_rows(issuer)), "目录.xlsx", by=None)
    assert (again.created, again.updated) == (0, 2)


def test_types_import_with_one_bad_row_imports_nothing_and_names_row_and_column(issuer):
    bad = ["营业执照", f"{issuer.uscc}103", issuer.uscc, issuer.uscc, "公司", 5, "", ""]
    with pytest.raises(imports.ImportFailed) as refused:
        imports.import_types(xlsx(type_rows(issuer, bad)), "目录.xlsx", by=None)
    assert "第4行「持证主体类别（自然人/法人）」" in refused.value.message
    assert refused.value.status == 400
    assert not LicenceType.objects.filter(code__startswith=issuer.uscc, code__endswith="10").exists()
    assert not LicenceType.objects.filter(name__in=["餐饮服务许可证", "残疾人证", "营业执照"]).exists()


def licence_rows(licence_type, issuer, *extra: list[object]) -> list[list[object]]:
    return [
        [*imports.LICENCE_COLUMNS, "住址"],
        [
            licence_type.code,
            "豫A2019-001",
            issuer.uscc,
            "2019-03-01",
            "",
            "",
            "李四",
            "__CITIZEN__",
            "示范市中原路1号",
        ],
        [
            licence_type.code,
            "豫A2020-002",
            issuer.uscc,
            "2020/05/06",
            "2020-05-06",
            "2030-05-05",
            "周八",
            make_id_number(900),
            "示范市人民路9号",
        ],
        *extra,
    ]


def test_licences_import_signs_with_the_issuers_seal_and_links_known_holders(issuer, licence_type, citizen):
    rows = licence_rows(licence_type, issuer)
    rows[1][7] = citizen.id_number
    assert imports.import_licences(xlsx(rows), "存量.xlsx", by=None) == 2
    first = Licence.objects.get(number="豫A2019-001")
    assert first.imported and first.citizen == citizen and first.seal == services.current_seal(issuer)
    assert str(first.valid_until) == "2024-02-29" and first.surface == {"住址": "示范市中原路1号"}
    assert services.verify_identifier(first.identifier).outcome == "expired"
    second = Licence.objects.get(number="豫A2020-002")
    assert second.citizen is None and services.verify_identifier(second.identifier).outcome == "valid"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ((7, "110101199003071234"), "第4行「持证主体代码」"),
        ((3, "2019-02-30"), "第4行「颁发日期」"),
        ((2, "91410200MA0000000X"), "第4行「颁发机构代码」"),
        ((6, ""), "第4行「持证主体」"),
    ],
)
def test_licences_import_with_one_bad_row_imports_nothing(issuer, licence_type, citizen, change, where):
    rows = licence_rows(licence_type, issuer)
    rows[1][7] = citizen.id_number
    bad = [
        licence_type.code,
        "豫A2021-003",
        issuer.uscc,
        "2021-01-01",
        "",
        "",
        "吴九",
        make_id_number(901),
        "示范市",
    ]
    bad[change[0]] = change[1]
    with pytest.raises(imports.ImportFailed) as refused:
        imports.import_licences(csv_file([[str(c) for c in r] for r in [*rows, bad]]), "存量.csv", by=None)
    assert where in refused.value.message, refused.value.message
    assert not Licence.objects.exists()
    assert services.next_serial(issuer, 2019) == "201900000001"  # the rolled-back rows used no serial


def test_licences_import_refuses_an_issuer_without_seal_and_a_duplicate(licence_type, issuer, citizen):
    rows = licence_rows(licence_type, issuer)
    rows[1][7] = citizen.id_number
    imports.import_licences(xlsx(rows), "存量.xlsx", by=None)
    with pytest.raises(imports.ImportFailed) as refused:
        imports.import_licences(xlsx(rows), "存量.xlsx", by=None)
    assert "第2行「证照编号」：该证照已在证照库中" in refused.value.message
    unsealed = DepartmentFactory(name="无印章局")
    licence_type.issuing_departments.add(unsealed)
    rows = [
        rows[0],
        [licence_type.code, "X-1", unsealed.uscc, "2020-01-01", "", "", "李四", citizen.id_number, "某地"],
    ]
    with pytest.raises(imports.ImportFailed) as refused:
        imports.import_licences(xlsx(rows), "存量.xlsx", by=None)
    assert "第2行「颁发机构代码」：无印章局尚无电子印章" in refused.value.message


def test_templates_open_with_the_columns(licence_type):
    sheet = load_workbook(io.BytesIO(imports.types_template())).active
    assert [c.value for c in sheet[1]] == list(imports.TYPE_COLUMNS)
    sheet = load_workbook(io.BytesIO(imports.licences_template(licence_type))).active
    assert [c.value for c in sheet[1]] == [*imports.LICENCE_COLUMNS, "住址"]


def test_management_command_imports_and_reports_the_bad_row(issuer, licence_type, tmp_path):
    good = tmp_path / "目录.xlsx"
    good.write_bytes(xlsx(type_rows(issuer)).getvalue())
    out = io.StringIO()
    call_command("licences", "import-types", str(good), stdout=out)
    assert "新增2类" in out.getvalue()
    rows = [
        [*imports.LICENCE_COLUMNS, "住址"],
        [licence_type.code, "A-1", issuer.uscc, "2020-01-01", "", "", "李四", "123", "某地"],
    ]
    bad = tmp_path / "存量.csv"
    bad.write_bytes(csv_file([[str(c) for c in r] for r in rows]).getvalue())
    with pytest.raises(CommandError, match="第2行「持证主体代码」"):
        call_command("licences", "import-licences", str(bad))
    assert not Licence.objects.exists()
    out = io.StringIO()
    call_command("licences", "reseal", stdout=out)
    assert "重新封存" in out.getvalue()


def test_citizen_factory_holder_link(issuer, licence_type):
    person = CitizenFactory(name="郑十")
    rows = [
        [*imports.LICENCE_COLUMNS, "住址"],
        [licence_type.code, "B-1", issuer.uscc, "2025-01-01", "", "", "郑十", person.id_number, "某地"],
    ]
    assert imports.import_licences(xlsx(rows), "a.xlsx", by=None) == 1
    assert Licence.objects.get().citizen == person
