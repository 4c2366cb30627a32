"""The licences admin: every model's pages load for an administrator, the others are sent away;
licence types are edited here, seals rotated by an action, the rest read-only; the two imports."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories import UserFactory
from zhengwu.licences import imports, services
from zhengwu.licences.models import (
    Licence,
    LicenceShare,
    LicenceType,
    LicenceUse,
    Seal,
    SerialCounter,
    UseKind,
)

MODELS = [LicenceType, Seal, Licence, LicenceShare, LicenceUse, SerialCounter]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(admin_user):
    return login(admin_user)


@pytest.fixture
def rows(make_licence, citizen):
    licence = make_licence()
    share, _ = services.grant_share(
        licence=licence, by=UserFactory(), organisation="示范银行", purpose="核验", days=3
    )
    services.log_use(licence, kind=UseKind.VERIFY, used_by="公众核验", purpose="核验")
    return {
        LicenceType: licence.licence_type,
        Seal: licence.seal,
        Licence: licence,
        LicenceShare: share,
        LicenceUse: LicenceUse.objects.get(),
        SerialCounter: SerialCounter.objects.get(),
    }


def url(model, view: str, *args) -> str:
    return reverse(f"admin:licences_{model._meta.model_name}_{view}", args=args)


def test_every_model_loads_for_an_administrator(admin, rows):
    index = admin.get(reverse("admin:index")).content.decode()
    assert "电子证照" in index and "证照类型" in index
    for model, obj in rows.items():
        assert admin.get(url(model, "changelist")).status_code == 200, model
        assert admin.get(url(model, "change", obj.pk)).status_code == 200, model
    assert admin.get(url(LicenceType, "add")).status_code == 200
    for model in (Seal, Licence, LicenceShare, LicenceUse, SerialCounter):
        assert admin.get(url(model, "add")).status_code == 403, model
    page = admin.get(url(Licence, "change", rows[Licence].pk)).content.decode()
    assert "示范市中原路1号" in page and 'name="state"' not in page
    assert "sealed_private_key" not in admin.get(url(Seal, "change", rows[Seal].pk)).content.decode()


@pytest.mark.parametrize("roles", [("approver",), ("leader",), ()])
def test_others_are_sent_away(make_user, rows, roles):
    client = login(make_user(*roles))
    for model, obj in rows.items():
        assert client.get(url(model, "changelist")).status_code in (302, 403)
        assert client.get(url(model, "change", obj.pk)).status_code in (302, 403)
    for model in (LicenceType, Licence):
        assert client.get(url(model, "import")).status_code in (302, 403)
        assert client.get(url(model, "import_template")).status_code in (302, 403)
    citizen_user = UserFactory(is_staff=False, department=None)
    assert login(citizen_user).get(url(Licence, "changelist")).status_code == 302
    assert Client().get(url(Licence, "changelist")).status_code == 302


def test_rotate_seal_action_keeps_the_old_licence_verifiable(admin, rows):
    old = rows[Seal]
    response = admin.post(
        url(Seal, "changelist"), {"action": "rotate", "_selected_action": [old.pk]}, follow=True
    )
    assert response.status_code == 200 and "已启用新印章" in response.content.decode()
    old.refresh_from_db()
    assert old.retired_at is not None and services.current_seal(old.department).pk != old.pk
    assert services.verify_identifier(rows[Licence].identifier).outcome == "valid"


def test_licence_type_is_edited_with_issuing_departments(admin, issuer):
    response = admin.post(
        url(LicenceType, "add"),
        {
            "name": "出生医学证明（测试）",
            "code": f"{issuer.uscc}201",
            "defining_department": issuer.pk,
            "issuing_departments": [issuer.pk],
            "holder_kind": "person",
            "validity_years": "",
            "surface_fields": '[{"name": "baby", "label": "新生儿姓名"}]',
            "template": "certificate",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    created = LicenceType.objects.get(code=f"{issuer.uscc}201")
    assert list(created.issuing_departments.all()) == [issuer]


def upload(rows: list[list[object]], name: str = "file.xlsx") -> io.BytesIO:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = name
    return out


def test_import_pages_upload_and_refuse_a_bad_file(admin, issuer, licence_type, citizen):
    template = admin.get(url(LicenceType, "import_template"))
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(template.streaming_content))).active
    assert sheet["A1"].value == "证照名称"
    assert "导入证照目录" in admin.get(url(LicenceType, "changelist")).content.decode()
    good = [
        list(imports.TYPE_COLUMNS),
        [
            "营业执照（测试）",
            f"{issuer.uscc}301",
            issuer.uscc,
            issuer.uscc,
            "法人",
            "",
            "address:住所",
            "证书",
        ],
    ]
    response = admin.post(url(LicenceType, "import"), {"file": upload(good)})
    assert response.status_code == 302
    assert LicenceType.objects.filter(code=f"{issuer.uscc}301").exists()
    bad = [
        [*imports.LICENCE_COLUMNS, "住址"],
        [licence_type.code, "A-1", issuer.uscc, "2020-01-01", "", "", "李四", citizen.id_number, "某地"],
        [licence_type.code, "A-2", issuer.uscc, "明天", "", "", "李四", citizen.id_number, "某地"],
    ]
    refused = admin.post(url(Licence, "import"), {"file": upload(bad)})
    assert refused.status_code == 400
    assert "第3行「颁发日期」" in refused.content.decode() and not Licence.objects.exists()
    ok = admin.post(url(Licence, "import"), {"file": upload(bad[:2])})
    assert ok.status_code == 302 and Licence.objects.get().imported
    wrong = admin.post(url(Licence, "import"), {"file": upload([["x"]], name="a.txt")})
    assert wrong.status_code == 400 and ".xlsx 或 .csv" in wrong.content.decode()
