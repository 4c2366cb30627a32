"""注册: a citizen or an enterprise's 经办人 opens an account online — the numbers' check characters
named on their field, a number registered once, the window's record not claimed by anyone who knows
a number, the identity service chosen by a setting, and the new applicant landing where they were
heading."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from zhengwu.accounts import identity
from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.accounts.views import SIGNUP_FAILURES, SIGNUP_LOCKED
from zhengwu.core.models import AuditEvent

from ..factories import CitizenFactory, EnterpriseFactory, make_id_number, make_uscc

SIGNUP = reverse("accounts:signup")
MINE = reverse("applications_public:mine")
PASSWORD = "Qiang-mima-2026"
pytestmark = pytest.mark.django_db


def person(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "person",
        "name": "赵小红",
        "id_number": make_id_number(501),
        "phone": "13912340000",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(changes)
    return data


def enterprise(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "enterprise",
        "name": "示范餐饮管理有限公司",
        "uscc": make_uscc(701, prefix="91410200"),
        "legal_representative": "钱大海",
        "agent_name": "孙经办",
        "agent_phone": "13812340000",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(changes)
    return data


def field_errors(response, field: str) -> str:
    """The error list printed in the row of ``field`` (the form marks each row with its name)."""
    text = response.content.decode()
    row = re.search(rf'id="row-{field}">(.*?)(?=id="row-|</form>)', text, re.S)
    assert row is not None, f"no row for {field}"
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', row.group(1), re.S))


class TestPersonSignUp:
    def test_signs_up_logs_in_and_lands_on_my_applications(self, client):
        response = client.post(SIGNUP, person())
        assert response.status_code == 302 and response["Location"] == MINE
        user = get_user_model().objects.get(username=make_id_number(501))
        assert not user.is_staff and user.name == "赵小红" and user.phone == "13912340000"
        assert user.check_password(PASSWORD)
        citizen = Citizen.objects.get(id_number=make_id_number(501))
        assert citizen.user == user and citizen.name == "赵小红"
        assert identity.status_of(user) == "未实名核验"
        assert client.get(MINE).wsgi_request.user == user

    def test_goes_back_to_the_apply_link_it_came_from(self, client):
        target = "/apply/123/"
        response = client.post(SIGNUP, person(next=target))
        assert response.status_code == 302 and response["Location"] == target

    def test_a_foreign_next_is_ignored(self, client):
        response = client.post(SIGNUP, person(next="https://evil.example.com/"))
        assert response["Location"] == MINE

    @pytest.mark.parametrize(
        ("number", "words"),
        [
            (make_id_number(501)[:17] + ("0" if make_id_number(501)[17] != "0" else "1"), "校验码"),
            ("41020219900307", "18位"),
            ("410202199013070011", "出生日期"),
        ],
    )
    def test_a_bad_number_is_named_on_its_field_and_nothing_is_saved(self, client, number, words):
        response = client.post(SIGNUP, person(id_number=number))
        assert response.status_code == 400
        assert words in field_errors(response, "id_number")
        assert not get_user_model().objects.filter(is_staff=False).exists()
        assert not Citizen.objects.exists()

    def test_a_weak_password_and_a_bad_phone_are_named(self, client):
        response = client.post(SIGNUP, person(password="12345678", password_again="12345678"))
        assert response.status_code == 400 and field_errors(response, "password")
        response = client.post(SIGNUP, person(phone="0371-1234"))
        assert response.status_code == 400 and "11位" in field_errors(response, "phone")
        response = client.post(SIGNUP, person(password_again=PASSWORD + "x"))
        assert response.status_code == 400 and "不一致" in field_errors(response, "password_again")
        assert not Citizen.objects.exists()

    def test_a_number_with_an_account_is_refused(self, client):
        assert client.post(SIGNUP, person()).status_code == 302
        response = Client().post(SIGNUP, person(name="冒名者", phone="13700000000"))
        assert response.status_code == 409
        assert "该身份号码已注册，请直接登录" in field_errors(response, "id_number")
        assert get_user_model().objects.filter(is_staff=False).count() == 1

    def test_the_window_record_is_linked_when_name_and_phone_match(self, client):
        on_file = CitizenFactory(name="赵小红", id_number=make_id_number(501), phone="13912340000")
        assert client.post(SIGNUP, person()).status_code == 302
        on_file.refresh_from_db()
        assert on_file.user is not None and on_file.user.username == on_file.id_number

    def test_the_window_record_is_not_claimed_by_a_stranger_who_knows_the_number(self, client):
        on_file = CitizenFactory(name="赵小红", id_number=make_id_number(501), phone="13900009999")
        response = client.post(SIGNUP, person())
        assert response.status_code == 409 and "与登记信息不一致" in field_errors(response, "id_number")
        on_file.refresh_from_db()
        assert on_file.user is None and not get_user_model().objects.filter(is_staff=False).exists()

    def test_refusals_from_one_address_are_throttled(self, client):
        assert client.post(SIGNUP, person()).status_code == 302
        other = Client(REMOTE_ADDR="10.9.9.9")
        for _ in range(SIGNUP_FAILURES.limit):
            assert other.post(SIGNUP, person()).status_code == 409
        response = other.post(SIGNUP, person(id_number=make_id_number(502)))
        assert response.status_code == 429 and SIGNUP_LOCKED in response.content.decode()
        assert not Citizen.objects.filter(id_number=make_id_number(502)).exists()


class TestEnterpriseSignUp:
    def test_the_agent_account_becomes_a_user_of_the_enterprise(self, client):
        response = client.post(SIGNUP, enterprise())
        assert response.status_code == 302 and response["Location"] == MINE
        company = Enterprise.objects.get(uscc=make_uscc(701, prefix="91410200"))
        user = company.users.get()
        assert user.username == company.uscc and user.name == "孙经办" and not user.is_staff
        assert company.legal_representative == "钱大海" and company.name == "示范餐饮管理有限公司"

    def test_a_bad_uscc_is_named_on_its_field(self, client):
        good = make_uscc(701, prefix="91410200")
        wrong = good[:17] + ("0" if good[17] != "0" else "1")
        response = client.post(SIGNUP, enterprise(uscc=wrong))
        assert response.status_code == 400
        assert "统一社会信用代码" in field_errors(response, "uscc")
        assert not Enterprise.objects.exists()

    def test_a_registered_enterprise_is_refused(self, client):
        assert client.post(SIGNUP, enterprise()).status_code == 302
        response = Client().post(SIGNUP, enterprise(agent_name="另一人", agent_phone="13600000000"))
        assert response.status_code == 409 and "已注册" in field_errors(response, "uscc")

    def test_the_window_record_needs_matching_details(self, client):
        EnterpriseFactory(
            name="示范餐饮管理有限公司", uscc=make_uscc(701, prefix="91410200"), legal_representative="别人"
        )
        response = client.post(SIGNUP, enterprise())
        assert response.status_code == 409 and "不一致" in field_errors(response, "uscc")


class TestIdentityProvider:
    def test_the_setting_chooses_the_adapter_and_its_answer_is_recorded(self, client, settings):
        settings.IDENTITY_PROVIDER = "tests.accounts.test_signup.ProvinceStub"
        response = client.post(SIGNUP, person())
        assert response.status_code == 302
        user = get_user_model().objects.get(username=make_id_number(501))
        assert identity.status_of(user) == "已实名核验"
        event = AuditEvent.objects.get(action="实名核验", object_id=str(user.pk))
        assert event.after["reference"] == "PROV-1" and event.after["real_name"] is True

    def test_a_name_the_service_rejects_is_refused(self, client, settings):
        settings.IDENTITY_PROVIDER = "tests.accounts.test_signup.ProvinceStub"
        response = client.post(SIGNUP, person(name="不符者"))
        assert response.status_code == 400 and "实名核验" in field_errors(response, "id_number")
        assert not Citizen.objects.exists()

    def test_an_unreachable_service_refuses_rather_than_lets_through(self, client, settings):
        settings.IDENTITY_PROVIDER = "tests.accounts.test_signup.DownStub"
        response = client.post(SIGNUP, person())
        assert response.status_code == 409 and "暂时无法使用" in field_errors(response, "id_number")
        assert not get_user_model().objects.filter(is_staff=False).exists()

    def test_the_local_registry_checks_the_check_digit_only(self):
        registry = identity.LocalRegistry()
        good = registry.verify("任何名字", make_id_number(7))
        assert good is not None and not good.real_name and good.label == "未实名核验"
        assert registry.verify("任何名字", make_id_number(7)[:17] + "Y") is None


class ProvinceStub:
    """A province's service in miniature: it knows one person."""

    def verify(self, name: str, id_number: str) -> identity.Verified | None:
        if name == "赵小红" and id_number == make_id_number(501):
            return identity.Verified(
                name, id_number, real_name=True, provider="省统一身份认证", reference="PROV-1"
            )
        return None


class DownStub:
    def verify(self, name: str, id_number: str) -> identity.Verified | None:
        raise identity.IdentityUnavailable("timeout")


def test_an_applicant_logging_in_lands_on_my_applications(client, db):
    from tests.factories import UserFactory

    UserFactory(username="citizen-login", is_staff=False, department=None)
    response = client.post("/accounts/login/", {"username": "citizen-login", "password": "Zhengwu-test-2026"})
    assert response.status_code == 302 and response["Location"] == "/apply/mine/"
    staff = UserFactory(username="staff-login")
    assert staff.is_staff
    response = client.post("/accounts/login/", {"username": "staff-login", "password": "Zhengwu-test-2026"})
    assert response.status_code == 302 and response["Location"] == "/"
