"""Notices: queued as a Message, sent once after commit through the configured sender, failures
recorded and retried; console, file and HTTP SMS backends."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from zhengwu.core.errors import InvalidInput
from zhengwu.notifications.models import Channel, Message, Status
from zhengwu.notifications.senders import FileSender, HttpSmsSender, SendError, get_sender
from zhengwu.notifications.services import deliver, notify, retry_failed

from ..factories import DepartmentFactory


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.VAR_DIR = tmp_path
    settings.NOTIFY_BACKEND = "console"


def outbox(tmp_path) -> list[dict]:
    path = tmp_path / "notifications" / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class Broken:
    """A provider that is down."""

    def send(self, message: Message) -> None:
        raise SendError("短信网关无法连接：connection refused")


class TestQueueAndSend:
    def test_a_message_is_queued_and_sent_once_after_commit(
        self, db, caplog, django_capture_on_commit_callbacks
    ):
        about = DepartmentFactory()
        caplog.set_level(logging.INFO, logger="zhengwu.notifications")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message = notify(phone="13800001111", body="【示范市12345】测试短信", about=about)
            assert Message.objects.get().status == Status.QUEUED  # nothing sent inside the transaction
        assert len(callbacks) == 1
        callbacks[0]()
        message.refresh_from_db()
        assert message.status == Status.SENT and message.attempts == 1 and message.sent_at is not None
        assert message.channel == Channel.SMS
        assert (message.about_label, message.about_id) == ("org.department", str(about.pk))
        assert "138****1111" in caplog.text and "测试短信" in caplog.text
        assert "13800001111" not in caplog.text  # the console log masks the number
        # Delivering again (a retried task, a second worker) sends nothing.
        assert deliver(message.pk) == Status.SENT
        message.refresh_from_db()
        assert message.attempts == 1
        assert caplog.text.count("测试短信") == 1

    def test_the_file_backend_writes_one_json_line_per_message_and_never_twice(
        self, db, settings, tmp_path, django_capture_on_commit_callbacks
    ):
        settings.NOTIFY_BACKEND = "file"
        with django_capture_on_commit_callbacks(execute=True):
            message = notify(phone="13800002222", body="您的诉求已有答复", about=("appeals.appeal", 7))
        deliver(message.pk)
        deliver(message.pk)
        [line] = outbox(tmp_path)
        assert line["to"] == "13800002222" and line["body"] == "您的诉求已有答复"
        assert line["about"] == "appeals.appeal#7" and line["channel"] == "sms" and line["id"] == message.pk

    def test_a_dedupe_key_makes_a_second_notice_for_the_same_occasion_a_no_op(
        self, db, settings, tmp_path, django_capture_on_commit_callbacks
    ):
        settings.NOTIFY_BACKEND = "file"
        with django_capture_on_commit_callbacks(execute=True):
            first = notify(phone="13800003333", body="答复", dedupe_key="appeal:1:reply:a")
            second = notify(phone="13800003333", body="答复", dedupe_key="appeal:1:reply:a")
        assert first.pk == second.pk and Message.objects.count() == 1
        assert len(outbox(tmp_path)) == 1

    def test_an_email_goes_out_when_there_is_no_phone(self, db, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            message = notify(email="citizen@example.com", body="您的诉求已有答复")
        message.refresh_from_db()
        assert message.channel == Channel.EMAIL and message.status == Status.SENT

    @pytest.mark.parametrize(
        ("kwargs", "field", "text"),
        [
            ({"phone": "0379-63212345", "body": "x"}, "phone", "11位手机号"),
            ({"phone": "", "body": "x"}, "phone", "没有可通知"),
            ({"phone": "13800001111", "body": "  "}, "body", "不能为空"),
            ({"phone": "13800001111", "body": "长" * 2001}, "body", "2000"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_queued(self, db, kwargs, field, text):
        with pytest.raises(InvalidInput) as info:
            notify(**kwargs)
        assert info.value.field == field and text in info.value.message
        assert not Message.objects.exists()


class TestFailures:
    def test_a_failure_is_recorded_and_a_retry_sends_it(
        self, db, settings, tmp_path, django_capture_on_commit_callbacks
    ):
        settings.NOTIFY_BACKEND = f"{__name__}.Broken"
        with django_capture_on_commit_callbacks(execute=True):
            message = notify(phone="13800004444", body="答复")
        message.refresh_from_db()
        assert message.status == Status.FAILED and message.attempts == 1
        assert "无法连接" in message.error
        settings.NOTIFY_BACKEND = "file"
        with django_capture_on_commit_callbacks(execute=True):
            assert retry_failed() == 1
        message.refresh_from_db()
        assert message.status == Status.SENT and message.attempts == 2 and message.error == ""
        with django_capture_on_commit_callbacks(execute=True):
            assert retry_failed() == 0
        assert len(outbox(tmp_path)) == 1

    def test_retries_stop_after_the_maximum(self, db, settings, django_capture_on_commit_callbacks):
        settings.NOTIFY_BACKEND = f"{__name__}.Broken"
        with django_capture_on_commit_callbacks(execute=True):
            message = notify(phone="13800005555", body="答复")
        for _ in range(10):
            with django_capture_on_commit_callbacks(execute=True):
                retry_failed(max_attempts=3)
        message.refresh_from_db()
        assert message.attempts == 3 and message.status == Status.FAILED


class Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200
    answer = b'{"ok": true}'

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Gateway.received.append(
            {
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "body": self.rfile.read(length),
            }
        )
        self.send_response(Gateway.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(Gateway.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.received, Gateway.status, Gateway.answer = [], 200, b'{"ok": true}'
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms/send"
    server.shutdown()
    server.server_close()


class TestHttpSms:
    def test_posts_json_with_the_token_and_a_stable_reference(
        self, db, settings, gateway, django_capture_on_commit_callbacks
    ):
        settings.NOTIFY_BACKEND = "http"
        settings.SMS_HTTP_URL = gateway
        settings.SMS_HTTP_TOKEN = "secret-token"
        with django_capture_on_commit_callbacks(execute=True):
            message = notify(phone="13800006666", body="【示范市12345】您反映的问题已有答复")
        message.refresh_from_db()
        assert message.status == Status.SENT
        [request] = Gateway.received
        assert request["auth"] == "Bearer secret-token"
        assert request["type"].startswith("application/json")
        assert json.loads(request["body"]) == {
            "phone": "13800006666",
            "content": "【示范市12345】您反映的问题已有答复",
            "reference": f"zhengwu-{message.pk}",
        }

    @pytest.mark.parametrize(
        ("status", "answer", "error"),
        [(500, b"{}", "HTTP 500"), (200, '{"ok": false, "error": "余额不足"}'.encode(), "余额不足")],
    )
    def test_a_refusal_marks_the_message_failed(
        self, db, settings, gateway, django_capture_on_commit_callbacks, status, answer, error
    ):
        Gateway.status, Gateway.answer = status, answer
        settings.NOTIFY_BACKEND = "http"
        settings.SMS_HTTP_URL = gateway
        with django_capture_on_commit_callbacks(execute=True):
            message = notify(phone="13800007777", body="答复")
        message.refresh_from_db()
        assert message.status == Status.FAILED and error in message.error

    def test_without_a_url_nothing_is_sent(self, db):
        message = Message.objects.create(recipient_phone="13800008888", body="x")
        with pytest.raises(SendError, match="SMS_HTTP_URL"):
            HttpSmsSender(url="").send(message)


def test_the_backend_follows_the_setting(settings, tmp_path):
    settings.NOTIFY_BACKEND = "file"
    assert isinstance(get_sender(), FileSender)
    del settings.NOTIFY_BACKEND
    assert type(get_sender()).__name__ == "ConsoleSender"
