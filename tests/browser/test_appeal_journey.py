"""The whole appeals path in a real browser, each role logging in through the login page:
a citizen files on the web form → the operator takes a repeat call on the intake page (the phone
lookup shows the first appeal), merges it, and triages the original → the dispatcher dispatches
to a lead and a co-handler → the co-handler returns → the dispatcher re-dispatches → the lead
signs (its stale page is refused first) and asks for an extension, which the dispatcher approves
→ the supervisor urges the new co-handler from the 问题清零 board → the lead replies → the
dispatcher approves → the callback finds it not solved (reopened) → the lead replies again →
approved → the callback is satisfied → closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, Assignment, Extension
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.triage.models import DispatchRule, TrainingExample

from ..appeals.conftest import Desk, desk  # noqa: F401 — the desk fixture, shared with the page tests
from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Browser:
    def __init__(self, page, base: str, screenshot) -> None:
        self.page, self.base, self.screenshot = page, base, screenshot
        page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of irreversible steps

    def shot(self, page, name: str) -> None:
        """Each step of the path as a desk (1366 px) and a phone (390 px) show it, for the run's
        artefacts; the test goes on at the width it had."""
        size = page.viewport_size
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            self.screenshot(page, f"{name}-{width}")
        page.set_viewport_size(size)

    def login(self, user) -> None:
        p = self.page
        p.goto(f"{self.base}/accounts/login/")
        p.fill("#id_username", user.username)
        p.fill("#id_password", PASSWORD)
        p.click("main button[type=submit]")
        p.wait_for_selector("h1:has-text('工作台')")

    def logout(self) -> None:
        self.page.click("header .who button")
        self.page.wait_for_selector("header a:has-text('登录')")

    def as_user(self, user) -> None:
        if self.page.locator("header .who button").count():
            self.logout()
        self.login(user)

    def open(self, appeal: Appeal) -> None:
        self.page.goto(f"{self.base}/appeals/{appeal.pk}/")
        self.page.wait_for_selector("#appeal-detail")

    def act(self, action: str, *, button: str | None = None) -> None:
        form = self.page.locator(f"form[data-action='{action}']").first
        (
            form.locator(f"button:has-text('{button}')") if button else form.locator("button[type=submit]")
        ).click()

    def wait_state(self, state: S) -> None:
        self.page.wait_for_selector(f"#appeal-state[data-state='{state.value}']")

    def message(self, text: str) -> None:
        self.page.wait_for_selector(f".messages li:has-text('{text}')")


def test_an_appeal_from_web_form_to_closure(live_server, page, console, screenshot, desk: Desk):  # noqa: F811
    b = Browser(page, live_server.url, screenshot)
    DispatchRule.objects.create(category="城乡建设", keywords="井盖、路灯", department=desk.lead_dept)

    # 1. A citizen files on the public web form.
    page.goto(f"{live_server.url}/appeal/new/")
    page.check("input[name=appeal_type][value=complaint]")
    page.fill("#id_title", "幸福路井盖缺失")
    page.fill("#id_body", "幸福路与民主路交叉口井盖缺失已有三天，夜间行人容易跌落，请尽快处理。")
    page.fill("#id_address", "东城区幸福路与民主路交叉口")
    page.fill("#id_contact_name", "张先生")
    page.fill("#id_contact_phone", "13800000001")
    page.click("form.public-form button[type=submit]")
    page.wait_for_selector("#receipt-number")
    appeal = Appeal.objects.get()
    assert page.inner_text("#receipt-number") == appeal.number
    b.shot(page, "appeal-01-web-receipt")

    # 2. The same citizen calls the hotline: the operator's phone lookup shows the web appeal.
    b.login(desk.operator)
    page.click("main a:has-text('诉求登记')")
    page.wait_for_selector("#intake-form")
    assert page.evaluate("document.activeElement.id") == "id_contact_phone"  # autofocus
    page.keyboard.type("13800000001")
    page.wait_for_selector(f"#caller-history a:has-text('{appeal.number}')")
    page.fill("#id_contact_name", "张先生")
    page.select_option("#id_appeal_type", "complaint")
    page.fill("#id_title", "井盖缺失（来电催问）")
    page.fill("#id_body", "来电反映幸福路与民主路交叉口井盖缺失，三天了还没处理，夜间行人容易跌落。")
    # As the text is typed, the suggestion box answers (the 派单目录 rule, no model yet) and the
    # earlier appeal about the same manhole is proposed as a repeat.
    page.wait_for_selector(f"#text-repeats a:has-text('{appeal.number}')")
    page.wait_for_selector("#triage-suggestion:has-text('规则匹配：关键词“井盖”')")
    b.shot(page, "appeal-02-intake-lookup")
    page.press("#id_address", "Enter")  # Enter submits
    b.message("已登记，工单号")
    repeat = Appeal.objects.exclude(pk=appeal.pk).get()
    assert page.url.endswith(f"/appeals/{repeat.pk}/")
    assert repeat.number in page.inner_text(".messages")
    # The detail page proposes the original; one click (and a confirmation) merges.
    page.locator("#text-repeats form[data-action='merge-into'] button").click()
    b.wait_state(S.MERGED)

    # 3. The operator triages the original, with the suggestion in view.
    b.open(appeal)
    assert "城乡建设" in page.inner_text("#triage-suggestion")
    page.select_option("form[data-action='triage'] select[name=category]", str(desk.category.pk))
    page.select_option("form[data-action='triage'] select[name=handling_mode]", "dispatch")
    b.act("triage")
    b.wait_state(S.TRIAGED)
    assert "并入重复诉求" in page.inner_text("#timeline")

    # 4. The dispatcher finds it in the queue and dispatches to a lead and a co-handler.
    b.as_user(desk.dispatcher)
    page.goto(f"{live_server.url}/appeals/queue/?tab=triaged")
    page.click(f"a:has-text('{appeal.number}')")
    page.select_option("form[data-action='dispatch'] select[name=lead]", str(desk.lead_dept.pk))
    page.select_option("form[data-action='dispatch'] select[name=co_handlers]", [str(desk.co_dept.pk)])
    b.shot(page, "appeal-03-dispatch")
    b.act("dispatch")
    b.wait_state(S.DISPATCHED)
    b.message("已派单")

    # 5. The co-handler returns its share from its inbox.
    b.as_user(desk.co_handler)
    page.goto(f"{live_server.url}/appeals/inbox/")
    page.click(f"a:has-text('{appeal.number}')")
    page.fill("form[data-action='return'] input[name=reason]", "井盖属水务设施，请改派水利局")
    b.act("return")
    b.message("已退单")
    assert Assignment.objects.get(appeal=appeal, department=desk.co_dept).state == "returned"

    # 6. The dispatcher re-dispatches the returned share.
    b.as_user(desk.dispatcher)
    page.goto(f"{live_server.url}/appeals/queue/?tab=returned")
    page.click(f"a:has-text('{appeal.number}')")
    page.select_option("form[data-action='redispatch'] select[name=to]", str(desk.other_dept.pk))
    b.shot(page, "appeal-04-redispatch")
    b.act("redispatch")
    b.message("已改派至示范市水利局")

    # 7. The lead signs and asks for an extension.
    b.as_user(desk.lead_handler)
    page.goto(f"{live_server.url}/appeals/inbox/")
    b.shot(page, "appeal-05-inbox")
    page.click(f"a:has-text('{appeal.number}')")
    # Meanwhile the water bureau signs its share: this page is now stale, and says so.
    share = Assignment.objects.get(appeal=appeal, department=desk.other_dept)
    services.sign(assignment=share, by=desk.other_handler)
    console.expect_status(409, "/act/sign/")
    b.act("sign")
    page.wait_for_selector("form[data-action='sign'] .nonfield:has-text('已被他人修改，请刷新后重试')")
    b.wait_state(S.DISPATCHED)
    page.reload()
    b.act("sign")
    b.wait_state(S.IN_PROGRESS)
    lead = Assignment.objects.get(appeal=appeal, role="lead")
    until = timezone.localtime(lead.handle_due_at + timedelta(days=10)).replace(second=0, microsecond=0)
    page.fill("form[data-action='request_extension'] input[name=reason]", "需协调供货商定制井盖")
    page.fill("form[data-action='request_extension'] input[name=until]", until.strftime("%Y-%m-%dT%H:%M"))
    b.act("request_extension")
    b.message("已提交延期申请")
    b.shot(page, "appeal-06-extension-requested")

    # 8. The dispatcher approves the extension from the queue.
    b.as_user(desk.dispatcher)
    page.goto(f"{live_server.url}/appeals/queue/?tab=extensions")
    page.click(f"a:has-text('{appeal.number}')")
    b.act("decide_extension", button="同意延期")
    b.message("已同意延期")
    assert Extension.objects.get().state == "approved"
    assert Appeal.objects.get(pk=appeal.pk).due_at == until

    # The supervisor sees it on the 问题清零 board, drills down to the department that has not
    # finished its share, and urges it.
    b.as_user(desk.supervisor)
    page.goto(f"{live_server.url}/appeals/board/")
    page.wait_for_selector("#by-department")
    b.shot(page, "appeal-07-board")
    page.click(f"tr[data-department='{desk.other_dept.pk}'] td:nth-child(2) a")
    page.wait_for_selector("h1:has-text('全部诉求')")
    b.shot(page, "appeal-07-board-drilldown")
    page.click(f"a:has-text('{appeal.number}')")
    page.click(f"tr[data-assignment='{share.pk}'] + tr form[data-action='urge'] button")
    b.message("已催办示范市水利局")

    # 9. The lead replies; the dispatcher approves the reply.
    def reply_and_approve(text: str, shot: str | None = None) -> None:
        b.as_user(desk.lead_handler)
        b.open(appeal)
        page.fill("form[data-action='reply'] textarea[name=text]", text)
        b.act("reply")
        b.wait_state(S.REPLY_REVIEW)
        b.as_user(desk.dispatcher)
        page.goto(f"{live_server.url}/appeals/queue/?tab=reply_review")
        page.click(f"a:has-text('{appeal.number}')")
        if shot:
            b.shot(page, shot)
        b.act("approve_reply")
        b.wait_state(S.REPLIED)

    reply_and_approve("已安排施工队加装临时围挡，定制井盖到货后安装。", "appeal-08-reply-review")

    # 10. The callback: not solved → reopened.
    def callback(solved: str, satisfaction: int, shot: str | None = None) -> None:
        b.as_user(desk.callback)
        page.goto(f"{live_server.url}/appeals/callbacks/")
        page.click(f"a:has-text('{appeal.number}')")
        form = "form[data-action='callback']"
        page.check(f"{form} input[name=reached][value='1']")
        page.check(f"{form} input[name=solved][value={solved}]")
        page.check(f"{form} input[name=satisfaction][value='{satisfaction}']")
        page.fill(f"{form} textarea[name=note]", "电话回访")
        if shot:
            b.shot(page, shot)
        b.act("callback")

    callback("not_solved", 4, "appeal-09-callback")
    b.wait_state(S.IN_PROGRESS)
    b.message("已重办")
    assert Appeal.objects.get(pk=appeal.pk).reopen_count == 1

    # 11. Replied again, approved, and the callback is satisfied: closed.
    reply_and_approve("井盖已更换完毕，路面恢复通行。")
    callback("solved", 1)
    b.wait_state(S.CLOSED)
    b.message("已办结")
    assert "轨迹校验：完整" in page.inner_text("#chain")
    b.shot(page, "appeal-10-closed")

    final = Appeal.objects.get(pk=appeal.pk)
    assert final.state == S.CLOSED and final.reopen_count == 1
    # The operator's triage, made with the rule's suggestion in view, was kept for training.
    example = TrainingExample.objects.get(appeal_id=appeal.pk)
    assert (example.suggested, example.label) == ("城乡建设", "城乡建设")
    actions = list(final.events.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "register",
        "merged_in",
        "triage",
        "dispatch",
        "co_return",
        "redispatch",
        "co_sign",
        "sign",
        "request_extension",
        "decide_extension",
        "urge",
        "reply",
        "approve_reply",
        "callback",
        "reply",
        "approve_reply",
        "callback",
    ]
