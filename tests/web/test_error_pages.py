"""Error pages a person can act on: 400, 403 and 404 in the site's layout, in Chinese, saying what
happened and what to do; a static 500; a maintenance page (503) when the database is unavailable
or read-only, for staff and — in their own format — for API clients; an oversized request refused
before its body is read; and a favicon, so a first visit logs no 404."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from zhengwu.appeals.models import Appeal

from ..factories import UserFactory

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
ON_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _boom(request):
    raise RuntimeError("a bug")


def _db_gone(request):
    raise OperationalError("could not connect to server: Connection refused")


def _ok(request):
    return HttpResponse("ok")


# A URLconf with two views that fail, on top of the site's own (handlers come from this module).
from config.urls import urlpatterns as site_urls  # noqa: E402

handler400 = "zhengwu.web.errors.bad_request"
handler403 = "zhengwu.web.errors.permission_denied"
handler404 = "zhengwu.web.errors.page_not_found"
handler500 = "zhengwu.web.errors.server_error"
urlpatterns = [
    path("test-boom/", _boom),
    path("test-db-gone/", _db_gone),
    path("api/test-db-gone/", _db_gone),
    *site_urls,
]


def text_of(response) -> str:
    return response.content.decode()


def assert_no_inline_script(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), "inline <script>"
    assert not ON_ATTRIBUTE.search(html), "on* attribute"


def in_layout(html: str) -> bool:
    return 'class="site-header' in html and 'id="site-menu"' in html and "<footer" in html


class TestPagesInTheLayout:
    def test_404_says_what_happened_and_what_to_do(self, client, db):
        response = client.get("/no-such-page/")
        html = text_of(response)
        assert response.status_code == 404
        assert "页面不存在" in html and "12345" in html and reverse("home") in html
        assert in_layout(html)
        assert "Not Found" not in html
        assert_no_inline_script(html)

    def test_403_tells_staff_to_log_in_with_the_right_role(self, client, db):
        client.force_login(UserFactory(roles=["clerk"], name="钱窗口"))
        response = client.get(reverse("appeals:inbox_export"))
        html = text_of(response)
        assert response.status_code == 403
        assert "没有权限" in html and "钱窗口" in html and "以该岗位的账号登录" in html
        assert in_layout(html) and "Forbidden" not in html
        assert_no_inline_script(html)

    def test_400_for_a_request_the_site_cannot_serve(self, client, db):
        response = client.get("/", HTTP_HOST="evil.example")  # not in ALLOWED_HOSTS
        html = text_of(response)
        assert response.status_code == 400
        assert "请求有误" in html and "12345" in html and "Bad Request" not in html
        assert_no_inline_script(html)

    def test_an_expired_form_gets_a_chinese_403(self, db):
        client = Client(enforce_csrf_checks=True)
        response = client.post(reverse("appeals_public:new"), {"title": "x"})
        html = text_of(response)
        assert response.status_code == 403
        assert "页面已过期" in html and "刷新后重新填写" in html and in_layout(html)


@pytest.mark.urls(__name__)
class TestServerErrors:
    def test_500_is_static_and_chinese(self, db):
        response = Client(raise_request_exception=False).get("/test-boom/")
        html = text_of(response)
        assert response.status_code == 500
        assert "系统出错了" in html and "12345" in html and "Server Error" not in html
        assert 'href="/static/web/site.css"' in html
        assert_no_inline_script(html)

    def test_with_the_database_down_staff_get_the_maintenance_page(self, db):
        web = Client(raise_request_exception=False)
        web.force_login(UserFactory(roles=["dispatcher"]))

        def refuse(execute, sql, params, many, context):
            raise OperationalError("could not connect to server: Connection refused")

        with connection.execute_wrapper(refuse):  # every query fails, as with the server gone
            response = web.get(reverse("appeals:list"))
        html = text_of(response)
        assert response.status_code == 503 and response["Retry-After"]
        assert "系统维护中" in html and "没有保存" in html and "12345" in html
        assert_no_inline_script(html)

    def test_with_the_database_read_only_an_intake_is_503_and_nothing_half_saved(self, db):
        web = Client(raise_request_exception=False)
        web.force_login(UserFactory(roles=["operator"]))

        def read_only(execute, sql, params, many, context):
            if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                raise OperationalError("attempt to write a readonly database")
            return execute(sql, params, many, context)

        with connection.execute_wrapper(read_only):
            response = web.post(
                reverse("appeals:intake"),
                {
                    "channel": "hotline",
                    "appeal_type": "complaint",
                    "urgency": "ordinary",
                    "contact_phone": "13800000001",
                    "title": "小区门口道路破损",
                    "body": "幸福小区门口道路破损。",
                },
            )
        assert response.status_code == 503 and "系统维护中" in text_of(response)
        assert not Appeal.objects.exists()

    def test_api_clients_get_json_not_the_page(self, db):
        response = Client(raise_request_exception=False).get("/api/test-db-gone/")
        assert response.status_code == 503
        assert response["Content-Type"].startswith("application/json")
        assert "维护" in response.json()["detail"]


class TestRequestSize:
    def test_an_oversized_body_is_refused_before_it_is_read(self, client, db, settings):
        settings.REQUEST_MAX_BYTES = 2048
        body = {
            "appeal_type": "complaint",
            "title": "路灯不亮",
            "body": "幸福路路灯不亮。" * 400,  # about 9 KB
            "contact_phone": "13912345678",
        }
        response = client.post(reverse("appeals_public:new"), body)
        html = text_of(response)
        assert response.status_code == 413
        assert "提交的内容过大" in html and "没有保存任何内容" in html
        assert not Appeal.objects.exists()

    def test_the_declared_length_is_enough_to_refuse(self, client, db):
        # 200 MB announced: refused at once, without waiting for a byte of it
        response = client.post(
            reverse("appeals_public:new"), {"title": "x"}, CONTENT_LENGTH=str(200 * 1024 * 1024)
        )
        assert response.status_code == 413

    def test_api_clients_get_413_in_their_format(self, db, settings):
        settings.REQUEST_MAX_BYTES = 1024
        response = Client().post("/api/appeals/", {"title": "x" * 4000})
        assert response.status_code == 413
        assert response["Content-Type"].startswith("application/json") and response.json()["detail"]

    def test_a_normal_form_still_goes_through(self, client, db):
        response = client.post(
            reverse("appeals_public:new"),
            {
                "appeal_type": "complaint",
                "title": "路灯不亮",
                "body": "幸福路路灯不亮。",
                "contact_phone": "13912345678",
            },
        )
        assert response.status_code == 302 and Appeal.objects.count() == 1


class TestFavicon:
    def test_every_page_links_the_icon_and_it_is_served(self, client, db):
        html = text_of(client.get(reverse("home")))
        match = re.search(r'<link rel="icon" href="([^"]+)"', html)
        assert match and match.group(1).endswith("favicon.svg")
        icon = client.get(match.group(1))
        assert icon.status_code == 200
        assert b"<svg" in b"".join(icon.streaming_content)

    def test_the_default_favicon_address_leads_to_it(self, client, db):
        response = client.get("/favicon.ico")
        assert response.status_code == 301 and response["Location"].endswith("web/favicon.svg")
