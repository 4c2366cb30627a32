"""管理后台 is for administrators: the 管理员 role and superusers. Every other role — all of them
staff accounts (is_staff) — is sent to the admin's login page from every registered model's list
and change page; the administrator opens them all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from zhengwu.accounts.demo import DEMO_USERS
from zhengwu.accounts.models import User
from zhengwu.accounts.roles import ROLES, is_administrator

from ..factories import UserFactory

NON_ADMIN_ROLES = [r.code for r in ROLES if r.code != "admin"]
MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


def _urls(model: type) -> list[str]:
    base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return [reverse(f"{base}_changelist"), reverse(f"{base}_change", args=[1])]


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_no_other_role_enters_the_admin(client, make_user, role, model):
    user = make_user(role)
    assert user.is_staff  # a staff account, and still no admin
    client.force_login(user)
    for url in _urls(model):
        response = client.get(url)
        assert response.status_code in (302, 403), (url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("admin:login")), response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_the_admin_login_page_refuses_other_roles_too(client, make_user, role):
    user = make_user(role)
    client.force_login(user)
    page = client.get(reverse("admin:login")).content.decode()
    # Django's admin says the account may not enter, and offers to log in as another account
    assert "无权" in page or "没有" in page or "not authorized" in page, page[:2000]


@pytest.mark.django_db
def test_the_administrator_opens_every_model(client, demo_city):
    admin_user = User.objects.get(username="admin")
    assert is_administrator(admin_user) and not admin_user.is_superuser
    client.force_login(admin_user)
    failures = []
    for model in MODELS:
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        status = client.get(reverse(f"{base}_changelist")).status_code
        if status != 200:
            failures.append((model._meta.label, "list", status))
        if (obj := model._default_manager.first()) is not None:
            status = client.get(reverse(f"{base}_change", args=[obj.pk])).status_code
            if status != 200:
                failures.append((model._meta.label, "change", status))
    assert failures == []


@pytest.mark.django_db
def test_the_demo_city_lets_only_its_administrator_in(client, demo_city):
    entered = []
    for demo in DEMO_USERS:
        client.force_login(User.objects.get(username=demo.username))
        if client.get(reverse("admin:index")).status_code == 200:
            entered.append(demo.username)
    assert entered == ["admin"]


@pytest.mark.django_db
def test_a_superuser_without_a_role_enters_and_an_inactive_admin_does_not(client, make_user):
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse("admin:index")).status_code == 200
    gone = make_user("admin", is_active=False)
    assert not is_administrator(gone)


@pytest.mark.django_db
def test_the_admin_greets_by_name_as_written_without_capitals(client, make_user):
    client.force_login(make_user("admin", username="chen", name="陈管理"))
    page = client.get(reverse("admin:index")).content.decode()
    assert "欢迎，<strong" in page and "陈管理</strong>" in page
    assert "web/admin.css" in page
    css = client.get("/static/web/admin.css")
    body = b"".join(css.streaming_content) if css.streaming else css.content
    assert b"text-transform: none" in body
