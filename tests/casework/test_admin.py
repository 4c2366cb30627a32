"""What the services write is only read in the admin: every admin built on the shared read-only
mixin refuses to add, change or delete, even for a superuser."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from zhengwu.casework.admin import ReadOnlyMixin
from zhengwu.casework.models import DailyCounter


@pytest.fixture
def request_of_superuser(make_user):
    request = RequestFactory().get("/admin/")
    request.user = make_user("admin", name="陈管理", is_superuser=True)
    return request


def read_only_admins():
    return [a for a in admin.site._registry.values() if isinstance(a, ReadOnlyMixin)]


def test_the_counters_and_the_matters_are_read_only_admins():
    labels = {a.model._meta.label for a in read_only_admins()}
    assert {"casework.DailyCounter", "appeals.Appeal", "applications.Application"} <= labels


@pytest.mark.django_db
def test_no_read_only_admin_lets_even_a_superuser_write(request_of_superuser):
    for model_admin in read_only_admins():
        label = model_admin.model._meta.label
        assert model_admin.has_view_permission(request_of_superuser), label
        assert not model_admin.has_add_permission(request_of_superuser), label
        assert not model_admin.has_change_permission(request_of_superuser), label
        assert not model_admin.has_delete_permission(request_of_superuser), label
        for inline in model_admin.get_inline_instances(request_of_superuser):
            if isinstance(inline, ReadOnlyMixin):
                assert not inline.has_add_permission(request_of_superuser, None), label


@pytest.mark.django_db
def test_a_counter_is_not_editable_in_the_admin(client, make_user):
    client.force_login(make_user("admin", name="陈管理", is_superuser=True))
    assert client.get("/admin/casework/dailycounter/add/").status_code == 403
    counter = DailyCounter.objects.create(kind="test", day="2026-06-10", value=3)
    assert (
        client.post(f"/admin/casework/dailycounter/{counter.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert DailyCounter.objects.get(pk=counter.pk).value == 3
