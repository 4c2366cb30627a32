"""The issuing department's licence pages: its own licences only, search and filters, Excel
export, 变更 / 注销 / 吊销 through the services with a confirmation step."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import CitizenFactory, DepartmentFactory, LicenceTypeFactory
from zhengwu.licences import services
from zhengwu.licences.models import Licence, LicenceState


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def approver(make_user, issuer):
    return login(make_user("approver", department=issuer))


@pytest.fixture
def foreign(make_licence):
    other = DepartmentFactory(name="示范市另一局")
    services.make_seal(department=other, by=None)
    other_type = LicenceTypeFactory(name="另一局许可证", defining_department=other)
    return make_licence(licence_type=other_type, issuer=other, holder=CitizenFactory(name="赵六"))


def test_list_shows_only_my_departments_licences_with_search_and_filters(approver, make_licence, foreign):
    mine = make_licence()
    ended = make_licence(holder=CitizenFactory(name="钱七"))
    services.end(licence=ended, by=_staff_of(ended), state="revoked", reason="违法经营")
    html = approver.get(reverse("licences_staff:list")).content.decode()
    assert "李四" in html and "钱七" in html and "赵六" not in html
    found = approver.get(reverse("licences_staff:list"), {"q": "钱七"}).content.decode()
    assert "钱七" in found and "李四" not in found
    by_identifier = approver.get(reverse("licences_staff:list"), {"q": mine.identifier}).content.decode()
    assert "李四" in by_identifier and "钱七" not in by_identifier
    revoked = approver.get(reverse("licences_staff:list"), {"state": "revoked"}).content.decode()
    assert "钱七" in revoked and "李四" not in revoked
    assert approver.get(reverse("licences_staff:detail", args=[foreign.pk])).status_code == 404
    assert approver.get(reverse("licences_staff:cancel", args=[foreign.pk])).status_code == 404


def _staff_of(licence):
    from tests.factories import UserFactory

    return UserFactory(department=licence.issuer)


def test_excel_export_opens_with_the_listed_rows(approver, make_licence, foreign):
    mine = make_licence()
    response = approver.get(reverse("licences_staff:list"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("证照标识", "证照名称", "证照编号")
    assert [r[0] for r in rows[1:]] == [mine.identifier]
    assert "*" in rows[1][9]  # the citizen's ID number masked


def test_roles_without_review_are_refused_and_city_wide_roles_see_all(
    make_user, issuer, make_licence, foreign
):
    clerk = login(make_user("clerk", department=issuer))
    assert clerk.get(reverse("licences_staff:list")).status_code == 403
    leader = login(make_user("leader"))
    html = leader.get(reverse("licences_staff:list")).content.decode()
    assert "赵六" in html
    assert Client().get(reverse("licences_staff:list")).status_code == 302


def test_change_makes_a_new_version_and_the_old_one_is_superseded(approver, make_licence):
    licence = make_licence()
    url = reverse("licences_staff:change", args=[licence.pk])
    form = approver.get(url).content.decode()
    assert "示范市中原路1号" in form and "变更原因" in form
    missing = approver.post(url, {"holder_name": "李四", "surface_address": "示范市新华路2号", "reason": ""})
    assert missing.status_code == 400 and Licence.objects.count() == 1
    same = approver.post(url, {"holder_name": "李四", "surface_address": "示范市中原路1号", "reason": "搬家"})
    assert same.status_code == 400 and "照面信息没有变化" in same.content.decode()
    done = approver.post(
        url, {"holder_name": "李四", "surface_address": "示范市新华路2号", "reason": "住址变更"}
    )
    assert done.status_code == 302
    licence.refresh_from_db()
    new = licence.superseded_by
    assert licence.state == LicenceState.SUPERSEDED and new.version == 2
    assert new.surface == {"住址": "示范市新华路2号"}
    assert done["Location"] == reverse("licences_staff:detail", args=[new.pk])
    page = approver.get(done["Location"]).content.decode()
    assert "第1版" in page and "第2版" in page


@pytest.mark.parametrize(
    ("action", "state", "label"), [("cancel", "cancelled", "已注销"), ("revoke", "revoked", "已吊销")]
)
def test_cancel_and_revoke_ask_for_confirmation(approver, make_licence, action, state, label):
    licence = make_licence()
    url = reverse(f"licences_staff:{action}", args=[licence.pk])
    body = {"reason": "持证主体申请", "on": "2026-06-09"}
    confirm = approver.post(url, body)
    assert confirm.status_code == 200 and "确认" in confirm.content.decode()
    licence.refresh_from_db()
    assert licence.state == LicenceState.VALID
    future = approver.post(url, {**body, "on": "2026-07-01", "confirm": "True"})
    assert future.status_code == 400 and "日期不能晚于今天" in future.content.decode()
    done = approver.post(url, {**body, "confirm": "True"})
    assert done.status_code == 302
    licence.refresh_from_db()
    assert (licence.state, licence.state_reason, str(licence.state_changed_on)) == (
        state,
        "持证主体申请",
        "2026-06-09",
    )
    assert label in approver.get(done["Location"]).content.decode()
    again = approver.post(url, {**body, "confirm": "True"})
    assert again.status_code == 409


def test_list_takes_a_fixed_number_of_queries(approver, make_licence, django_assert_max_num_queries):
    for n in range(8):
        make_licence(holder=CitizenFactory(name=f"持证人{n}"))
    with django_assert_max_num_queries(14):
        assert approver.get(reverse("licences_staff:list")).status_code == 200
