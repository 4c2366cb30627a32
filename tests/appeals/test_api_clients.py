"""接口客户端 in the admin: the key is generated, shown once and stored only as a hash; the key then
files appeals through Open311; a new key replaces the old one at once; every step is audited."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from zhengwu.appeals.models import ApiClient, Appeal, Category
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db
KEY_IN_MESSAGE = re.compile(r"的密钥（只显示这一次，请复制后交给对方系统）：(\S+)")


def file_with(key: str):
    Category.objects.filter(name="城市建设和市政管理").update(service_code="CSJS", open311_published=True)
    return Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "CSJS",
            "description": "幸福路3号路灯不亮已一周",
            "address_string": "东城区幸福路3号",
            "phone": "13800000001",
        },
    )


def keys_in(response) -> list[str]:
    return [m[1] for msg in get_messages(response.wsgi_request) if (m := KEY_IN_MESSAGE.search(str(msg)))]


def test_an_admin_creates_a_client_and_its_key_files_appeals(client, make_user):
    admin = make_user("admin")
    client.force_login(admin)
    response = client.post(
        reverse("admin:appeals_apiclient_add"), {"name": "随手拍", "channel": "mobile", "is_active": "on"}
    )
    assert response.status_code == 302
    [key] = keys_in(response)
    stored = ApiClient.objects.get(name="随手拍")
    assert key not in stored.key_hash and len(stored.key_hash) == 64
    assert AuditEvent.objects.filter(action="appeals.api_client.create", actor=admin).exists()

    assert file_with(key).status_code == 201
    assert Appeal.objects.get().channel == "mobile"
    # Shown once: on the page after saving, and never again.
    assert key in client.get(response.url).content.decode()
    page = client.get(reverse("admin:appeals_apiclient_change", args=[stored.pk])).content.decode()
    assert key not in page and stored.key_hash not in page


def test_a_new_key_replaces_the_old_one(client, make_user):
    client.force_login(make_user("admin"))
    created = client.post(
        reverse("admin:appeals_apiclient_add"), {"name": "随手拍", "channel": "mobile", "is_active": "on"}
    )
    [first_key] = keys_in(created)
    client.get(created.url)  # the page that shows the first key
    stored = ApiClient.objects.get()
    old = stored.key_hash
    response = client.post(
        reverse("admin:appeals_apiclient_changelist"),
        {"action": "new_keys", "_selected_action": [stored.pk]},
    )
    [key] = keys_in(response)
    stored.refresh_from_db()
    assert file_with(first_key).status_code == 403  # the old key stopped working
    assert stored.key_hash != old
    assert file_with(key).status_code == 201
    assert AuditEvent.objects.filter(action="appeals.api_client.rotate").count() == 1


def test_the_proactive_channel_is_not_a_clients(client, make_user):
    client.force_login(make_user("admin"))
    response = client.post(
        reverse("admin:appeals_apiclient_add"), {"name": "内部", "channel": "proactive", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not ApiClient.objects.exists()
