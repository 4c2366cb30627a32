"""A citizen looks for an answer in 常见问题, files an appeal with a photo on the public form, keeps
the receipt, tracks it with 工单号 + 查询码, and rates it once it is answered — in Chromium."""

from __future__ import annotations

import struct
import zlib

import pytest

from zhengwu.appeals import services
from zhengwu.appeals.knowledge import load_demo_knowledge
from zhengwu.appeals.models import Appeal

from ..factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xb4\x23\x2a" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_citizen_files_tracks_and_rates_an_appeal(live_server, page, console, screenshot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo_knowledge()
    photo = tmp_path / "路灯照片.png"
    photo.write_bytes(tiny_png())

    # Self-help first.
    page.goto(f"{live_server.url}/knowledge/?q=社保卡丢了")
    page.wait_for_selector("details[open] summary:has-text('社会保障卡丢了怎么补办')")
    screenshot(page, "citizen-00-knowledge")

    # The header link leads to the form.
    page.goto(live_server.url + "/")
    page.click("header >> text=我要反映")
    page.wait_for_selector("h1:has-text('我要反映')")
    screenshot(page, "citizen-01-form")

    page.check("input[name=appeal_type][value=consultation]")  # answered on the spot below (咨询导办)
    page.fill("#id_title", "幸福路路灯不亮")
    page.fill("#id_body", "幸福路38号附近的路灯已经一周不亮，晚上行人很不安全，请尽快修复。")
    page.fill("#id_address", "东城区幸福路38号")
    page.fill("#id_contact_name", "王女士")
    page.fill("#id_contact_phone", "13912345678")
    page.set_input_files("#id_attachments", str(photo))
    honeypot = page.locator("#id_website").bounding_box()
    assert honeypot is not None and honeypot["x"] < 0  # out of sight, still there for bots
    screenshot(page, "citizen-02-form-filled")
    page.click("button[type=submit]:has-text('提交')")

    page.wait_for_selector("h1:has-text('提交成功')")
    number = page.inner_text("#receipt-number").strip()
    code = page.inner_text("#receipt-code").strip()
    assert "请记下工单号和查询码，用于查询办理进度" in page.inner_text("main")
    appeal = Appeal.objects.get(number=number)
    assert appeal.channel == "web" and services.query_code_matches(appeal, code)
    assert appeal.attachments.get().content_type == "image/png"
    screenshot(page, "citizen-03-receipt")

    # Later, in a fresh browser session: track with the number and the code.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/appeal/track/")
    page.fill("#id_number", number)
    page.fill("#id_code", "00000000" if code != "00000000" else "11111111")
    console.expect_status(404, "/appeal/track/")  # the page answers a wrong code with 404
    page.click("button[type=submit]:has-text('查询')")
    page.wait_for_selector("text=工单号或查询码不正确")
    screenshot(page, "citizen-04-track-wrong-code")
    page.fill("#id_number", number)
    page.fill("#id_code", code)
    page.click("button[type=submit]:has-text('查询')")
    page.wait_for_selector("h1:has-text('办理进度')")
    assert page.inner_text("#public-state") == "已受理，正在分办"
    assert "诉求已受理登记（网站）" in page.inner_text("#timeline")
    assert "路灯照片.png" in page.inner_text("#attachments")
    screenshot(page, "citizen-05-status-registered")

    # An operator answers on the spot (咨询导办); the citizen sees the reply and rates it.
    operator = UserFactory(roles=["operator"], name="孙受理")
    services.answer_directly(
        appeal=appeal, answer="已通知城管部门，路灯将于三日内修复。如仍未修复，请再次反映。", by=operator
    )
    page.reload()
    assert page.inner_text("#public-state") == "已办结"
    assert "路灯将于三日内修复" in page.inner_text("main")
    assert "孙受理" not in page.inner_text("main")
    page.check("input[name=level][value='2']")
    page.fill("#id_comment", "答复及时。")
    screenshot(page, "citizen-06-status-answered")
    page.click("#rating-form button[type=submit]")
    page.wait_for_selector("text=感谢您的评价")
    assert "您的评价：满意" in page.inner_text("#rating")
    assert "您已评价：满意" in page.inner_text("#timeline")
    screenshot(page, "citizen-07-rated")
    assert appeal.events.filter(action="rate").count() == 1


def test_a_suggested_answer_is_handed_to_the_page_that_loaded_it(live_server, page, screenshot):
    """The contract with the operator intake page: it loads the fragment over htmx and listens for
    the bubbling "kb-use" event whose detail carries the answer text."""
    load_demo_knowledge()
    page.goto(f"{live_server.url}/knowledge/")
    page.evaluate(
        """() => {
        const box = document.createElement('div');
        box.id = 'intake';
        box.innerHTML = '<textarea id="answer"></textarea><div id="kb" hx-trigger="load"'
          + ' hx-get="/knowledge/suggest/?q=' + encodeURIComponent('公积金怎么提取') + '"></div>';
        box.addEventListener('kb-use', (e) => { document.getElementById('answer').value = e.detail.answer; });
        document.querySelector('main').prepend(box);
        htmx.process(box);
    }"""
    )
    page.wait_for_selector("#kb .kb-suggestion")
    screenshot(page, "citizen-08-suggestion-fragment")
    page.click("#kb .kb-use >> nth=0")
    assert page.input_value("#answer").startswith("购买、建造、翻建、大修自住住房")
