"""Lock-outs that stop guessing without locking everyone out: a username is locked only for the
address it was guessed from, an address is refused only after many failures, the address comes
from the configured proxy header only, and every counter lives in the shared cache."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from zhengwu.appeals import services
from zhengwu.appeals.public_services import WEB_VISITOR
from zhengwu.core.throttle import client_ip

from ..conftest import PASSWORD

X, Y = "10.1.1.1", "10.2.2.2"


def login(username: str, password: str, ip: str, **headers: str):
    return Client(REMOTE_ADDR=ip, **headers).post(
        reverse("login"), {"username": username, "password": password}
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse(django_settings.LOGIN_REDIRECT_URL)


@pytest.fixture
def users(make_user):
    return make_user("clerk", username="alice"), make_user("clerk", username="bob")


class TestLoginLockout:
    def test_five_failures_lock_that_user_from_that_address_only(self, users, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert login("alice", "wrong-password", X).status_code == 200
        assert login("alice", "wrong-password", X).status_code == 429  # the last failure locks
        locked = login("alice", PASSWORD, X)
        assert locked.status_code == 429 and "账号已暂时锁定" in locked.content.decode()
        assert logged_in(login("bob", PASSWORD, X))  # another user behind the same address
        assert logged_in(login("alice", PASSWORD, Y))  # the same user from elsewhere

    def test_an_address_failing_for_many_usernames_is_refused_for_a_while(self, users, settings):
        settings.LOGIN_IP_FAILURE_LIMIT = 6
        for n in range(6):
            login(f"guess{n}", "wrong-password", X)
        refused = login("bob", PASSWORD, X)
        assert refused.status_code == 429
        assert "登录失败次数过多" in refused.content.decode()
        assert logged_in(login("bob", PASSWORD, Y))

    def test_the_proxy_header_counts_only_when_configured(self, users, settings):
        # Not configured: a client's X-Real-IP is ignored, every try counts against the connection.
        for n in range(settings.AXES_FAILURE_LIMIT):
            login("alice", "wrong-password", X, HTTP_X_REAL_IP=f"192.0.2.{n}")
        assert login("alice", PASSWORD, X, HTTP_X_REAL_IP="192.0.2.99").status_code == 429
        # Configured: the proxy's header is the client's address.
        settings.CLIENT_IP_HEADER = "X-Real-IP"
        assert logged_in(login("alice", PASSWORD, X, HTTP_X_REAL_IP="192.0.2.99"))

    def test_client_ip_reads_the_last_forwarded_address_and_ignores_garbage(self, rf, settings):
        settings.CLIENT_IP_HEADER = "X-Forwarded-For"
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
        assert client_ip(request) == "203.0.113.7"  # the one our proxy appended
        assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="nonsense")) == "10.0.0.1"
        settings.CLIENT_IP_HEADER = ""
        assert client_ip(request) == "10.0.0.1"


class TestSharedCounters:
    def test_the_api_throttle_is_counted_in_the_shared_cache(self, db):
        appeal, code = services.register_appeal(
            by=WEB_VISITOR,
            channel="web",
            appeal_type="help",
            title="路灯不亮",
            body="幸福路路灯不亮。",
            contact_phone="13912345678",
        )
        answers = [
            Client(REMOTE_ADDR=X)
            .get("/api/appeals/track", {"number": appeal.number, "code": code})
            .status_code
            for _ in range(31)
        ]
        assert answers[:30] == [200] * 30 and answers[30] == 429
        assert (
            Client(REMOTE_ADDR=Y)
            .get("/api/appeals/track", {"number": appeal.number, "code": code})
            .status_code
            == 200
        )
        # in the cache every worker reads (the database table here), not in one process's memory
        assert django_settings.CACHES["default"]["BACKEND"].endswith(("DatabaseCache", "RedisCache"))
        if django_settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
            with connection.cursor() as cursor:
                cursor.execute("SELECT cache_key FROM zhengwu_cache")
                keys = [row[0] for row in cursor.fetchall()]
            assert any("throttle_appeal_track" in k for k in keys)


class TestQueryCodeKey:
    def test_rotating_the_secret_key_keeps_query_codes_working(self, db, settings):
        appeal, code = services.register_appeal(
            by=WEB_VISITOR,
            channel="web",
            appeal_type="help",
            title="路灯不亮",
            body="幸福路路灯不亮。",
            contact_phone="13912345678",
        )
        settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "x" * 20
        assert services.query_code_matches(appeal, code)
        assert not services.query_code_matches(appeal, "00000000")
        settings.QUERY_CODE_KEY = "another-query-code-key"
        assert not services.query_code_matches(appeal, code)
