import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from zhengwu.accounts.roles import ROLES, unresolved_permissions
from zhengwu.core.models import AuditEvent

from ..conftest import PASSWORD
from ..factories import CitizenFactory, DepartmentFactory, UserFactory


@pytest.mark.django_db
def test_every_role_is_a_group_with_the_permissions_it_names():
    assert unresolved_permissions() == []
    for role in ROLES:
        assert Group.objects.get(name=role.name).permissions.exists(), role.name


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(make_user, settings):
    from config import settings as project

    assert project.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS  # undo the suite's fast hashing
    assert make_user("clerk").password.startswith("argon2")


class TestAdminIsScopedToTheDepartment:
    def test_clerk_has_no_admin_and_its_user_list_would_be_scoped(self, client, make_user, rf):
        """The admin is for administrators (test_admin_access); its user list is scoped by the same
        rule as the staff page all the same, should anyone else ever be let in."""
        from django.contrib import admin

        from zhengwu.accounts.models import User

        clerk = make_user("clerk")
        colleague = UserFactory(department=clerk.department, name="同部门同事")
        stranger = UserFactory(department=DepartmentFactory(), name="外部门人员")
        client.force_login(clerk)
        response = client.get(reverse("admin:accounts_user_changelist"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
        request = rf.get("/")
        request.user = clerk
        listed = set(admin.site._registry[User].get_queryset(request))
        assert colleague in listed and stranger not in listed

    def test_admin_role_sees_every_department(self, client, make_user):
        admin = make_user("admin")
        stranger = UserFactory(department=DepartmentFactory())
        client.force_login(admin)
        response = client.get(reverse("admin:accounts_user_change", args=[stranger.pk]))
        assert response.status_code == 200

    def test_staff_list_page_is_scoped_too(self, client, make_user):
        clerk = make_user("clerk")
        stranger = UserFactory(department=DepartmentFactory(), name="外部门人员")
        client.force_login(clerk)
        page = client.get(reverse("accounts:staff_list")).content.decode()
        assert clerk.name in page and stranger.name not in page

    def test_a_role_without_the_permission_gets_403(self, client, make_user):
        client.force_login(make_user("handler"))
        assert client.get(reverse("accounts:staff_list")).status_code == 403


class TestPersonalDataIsMasked:
    def test_lists_mask_id_numbers_and_phones(self, client, make_user):
        person = CitizenFactory(name="张测试", id_number="11010519491231002X", phone="13812341234")
        client.force_login(make_user("clerk"))
        page = client.get(reverse("accounts:people")).content.decode()
        assert "1101**********002X" in page and "138****1234" in page
        assert person.id_number not in page and person.phone not in page

    def test_admin_list_masks_too(self, client, make_user):
        person = CitizenFactory(id_number="11010519491231002X")
        client.force_login(make_user("admin"))
        page = client.get(reverse("admin:accounts_citizen_changelist")).content.decode()
        assert "1101**********002X" in page and person.id_number not in page

    def test_search_needs_the_whole_number(self, client, make_user):
        CitizenFactory(name="张测试", id_number="11010519491231002X")
        client.force_login(make_user("clerk"))
        assert "张测试" not in client.get(reverse("accounts:people"), {"q": "110105"}).content.decode()
        assert (
            "张测试" in client.get(reverse("accounts:people"), {"q": "11010519491231002x"}).content.decode()
        )

    def test_revealing_is_logged_with_who_looked(self, client, make_user):
        person = CitizenFactory(id_number="11010519491231002X", phone="13812341234")
        callback = make_user("callback")
        client.force_login(callback)
        url = reverse("accounts:citizen_detail", args=[person.pk])
        assert person.id_number not in client.get(url).content.decode()
        page = client.post(url).content.decode()
        assert person.id_number in page and "13812341234" in page
        event = AuditEvent.objects.get(action="查看个人信息")
        assert event.actor == callback and event.object_id == str(person.pk)

    def test_reveal_without_the_permission_shows_nothing_more(self, client, make_user):
        person = CitizenFactory(id_number="11010519491231002X")
        client.force_login(make_user("clerk"))
        page = client.post(reverse("accounts:citizen_detail", args=[person.pk])).content.decode()
        assert person.id_number not in page
        assert not AuditEvent.objects.exists()


class TestLogin:
    def test_login_and_role_home(self, client, make_user):
        user = make_user("dispatcher")
        response = client.post(
            reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
        )
        page = response.content.decode()
        assert "工作台" in page and "研判派单员" in page

    def test_lockout_after_repeated_failures(self, client, make_user, settings):
        user = make_user("clerk")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("login"), {"username": user.username, "password": "wrong-password"})
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 429
        assert "账号已暂时锁定" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_sessions_expire_when_idle(self, settings):
        assert settings.SESSION_SAVE_EVERY_REQUEST is True
        assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600
