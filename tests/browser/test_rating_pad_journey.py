"""The window rating pad in Chromium, the clerk and the tablet each in their own browser:

an administrator has issued the window's pad and the tablet opened its binding link (the token goes
into a cookie; no staff login on the tablet) → the clerk, who sits at that window, takes a walk-in's
application in at the 综合受理 screen → the tablet, polling, shows the clerk's name, the window and
the service with five faces (1024×768, and a 390 px phone) → the "citizen" taps 非常不满意 and is
thanked → the case appears in the department's 差评整改 queue at /ratings/ with its 回访核实 limit →
the department records 回访核实 and 立行立改, feeds back and closes it → 评价公示 shows the 差评
rectified → the feedback SMS reaches the applicant served at the window (the outbox), whose link
takes their rating of the fix, the next round → the public figures count it.

The pad's rater is anonymous and a visit is rated once on the pad: the tablet no longer offers the
visit and a second rating of it is refused (409)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from zhengwu.applications.models import Application
from zhengwu.notifications.models import Message
from zhengwu.org.models import Hall, Window, WindowKind
from zhengwu.ratings import pads
from zhengwu.ratings.models import Rating, Rectification, RectificationState

from ..catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from ..conftest import PASSWORD
from ..factories import CitizenFactory, DepartmentFactory, RegionFactory, UserFactory
from .test_portal_and_desk import PHONE, login, overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 1024, "height": 768}


def test_a_bad_rating_on_the_pad_reaches_the_department_and_is_rectified(
    live_server, browser, console, screenshot
):
    department = DepartmentFactory(name="市场监督管理局")
    item = ServiceItemFactory(
        name="食品经营许可",
        department=department,
        promised_limit_days=Decimal(10),
        form_fields=[{"name": "scope", "label": "经营项目"}],
    )
    proof = ItemMaterialFactory(item=item, material=MaterialFactory(name="身份证明"), critical=True, order=1)
    citizen = CitizenFactory(name="王小明", phone="13900001111")
    hall_department = DepartmentFactory(name="政务服务中心")
    hall = Hall.objects.create(name="市民之家", region=RegionFactory(), opening_hours="工作日 9:00-17:30")
    window = Window.objects.create(hall=hall, number="A03", name="综合受理", kind=WindowKind.COMPREHENSIVE)
    clerk = UserFactory(roles=["clerk"], department=hall_department, window=window, name="张晓燕")
    chief = UserFactory(roles=["clerk"], department=hall_department, name="科长乙")
    _, token = pads.issue_pad(window, UserFactory(is_superuser=True), "A03平板")
    base = live_server.url
    too_wide = []

    tablet_context = browser.new_context(locale="zh-CN", viewport=TABLET, has_touch=True)
    tablet_context.on("page", console.watch)
    tablet = tablet_context.new_page()
    tablet.set_default_timeout(15_000)
    tablet.goto(f"{base}/pad/bind/{token}/")
    tablet.wait_for_selector("#pad-idle")
    assert tablet.url == f"{base}/pad/"
    assert tablet.inner_text("#pad-count") == "0"
    too_wide.append(overflow(tablet, "pad-1024-idle", screenshot))

    desk_context = browser.new_context(locale="zh-CN", viewport=PHONE)
    desk_context.on("page", console.watch)
    desk = desk_context.new_page()
    desk.set_default_timeout(15_000)
    desk.on("dialog", lambda dialog: dialog.accept())
    login(desk, base, clerk.username, PASSWORD)
    desk.goto(f"{base}/applications/intake/")
    desk.fill("#id_lookup_code", citizen.id_number)
    desk.click("#step-applicant button[type=submit]")
    desk.wait_for_selector("#applicant-match")
    desk.click("#applicant-continue")
    desk.fill("#id_q", "食品")
    desk.wait_for_selector("#item-results")
    desk.click("#item-results a:has-text('选择')")
    desk.wait_for_selector("#intake-form")
    desk.check(f"#id_m{proof.pk}-status-1")  # 已收
    desk.fill("#id_form_scope", "预包装食品销售")
    desk.click("button[name=outcome][value=accept]")
    desk.wait_for_selector("#receipt-code")
    application = Application.objects.get()

    # The tablet, polling every two seconds, now shows the service just finished.
    tablet.wait_for_selector("#pad-visit", timeout=10_000)
    assert tablet.inner_text("#pad-clerk") == "张晓燕"
    assert "食品经营许可" in tablet.inner_text("#pad-service")
    assert "A03窗口" in tablet.inner_text(".pad-window")
    labels = tablet.locator(".pad-face-label").all_inner_texts()
    assert labels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    box = tablet.locator("button.pad-face").first.bounding_box()
    assert box is not None and box["height"] >= 120 and box["width"] >= 120  # a finger's target
    too_wide.append(overflow(tablet, "pad-1024-visit", screenshot))
    tablet.set_viewport_size(PHONE)
    too_wide.append(overflow(tablet, "pad-390-visit", screenshot))
    tablet.set_viewport_size(TABLET)

    tablet.locator("button.pad-face:has-text('非常不满意')").tap()
    tablet.wait_for_selector(".pad-thanks")
    assert "感谢您的评价" in tablet.inner_text("#pad-screen")
    assert "非常不满意" in tablet.inner_text("#pad-screen")
    rating = Rating.objects.get()
    assert (rating.level, rating.channel, rating.visit.application) == (5, "pad", application)
    tablet.wait_for_selector("#pad-idle", timeout=10_000)  # back to the day's figures
    assert tablet.inner_text("#pad-count") == "1" and tablet.inner_text("#pad-good-rate") == "0.0%"

    # The same visit cannot be rated a second time, neither on the screen nor through the API.
    again = tablet.request.post(f"{base}/api/pad/ratings/", data={"visit": rating.visit_id, "level": 1})
    assert again.status == 409 and again.json()["detail"] == "该服务已评价，每次服务只能评价一次"

    # The department's queue.
    case = Rectification.objects.get()
    login(desk, base, chief.username, PASSWORD)
    desk.goto(f"{base}/ratings/")
    row = desk.locator("#rectifications tbody tr", has_text=application.number)
    assert "非常不满意" in row.inner_text() and "待回访核实" in row.inner_text()
    assert timezone.localtime(case.verify_due_at).strftime("%Y-%m-%d %H:%M") in row.inner_text()
    too_wide.append(overflow(desk, "pad-case-390-list", screenshot))
    row.locator(f"a:has-text('{application.number}')").click()
    desk.wait_for_selector("#case-state")
    assert "政务大厅平板电脑" in desk.inner_text("#rating") and "匿名评价" in desk.inner_text("#rating")

    desk.check("#step input[name=reached][value=no]")
    desk.fill("#step textarea[name=facts]", "评价人匿名无法联系；调阅窗口录像，受理时未说明办理时限")
    desk.click("#step button[type=submit]")
    desk.wait_for_selector("#case-state:has-text('整改中')")
    desk.check("#step input[name=outcome][value=immediate]")
    desk.fill("#step textarea[name=evidence]", "已对窗口人员进行提醒，受理时一次告知办理时限并张贴告示")
    desk.click("#step button[type=submit]")
    desk.wait_for_selector("#case-state:has-text('待反馈')")
    desk.fill("#step textarea[name=feedback]", "已整改：窗口受理时一次告知办理时限")
    desk.click("#step button[type=submit]")
    desk.wait_for_selector("#case-state:has-text('已办结')")
    case.refresh_from_db()
    assert case.state == RectificationState.CLOSED and case.outcome == "immediate"

    desk.goto(f"{base}/ratings/?state=closed")
    assert "已办结" in desk.locator("#rectifications tbody tr", has_text=application.number).inner_text()
    too_wide.append(overflow(desk, "pad-case-390-closed", screenshot))

    # The public figures: the hall's one rating, a 差评, rectified.
    desk.goto(f"{base}/ratings/public/")
    hall_row = desk.locator("#figures tbody tr", has_text="政务服务中心")
    assert hall_row.locator("td").all_inner_texts()[1:] == ["1", "0.0%", "1", "100.0%"]

    # The feedback reaches the applicant served at the window by SMS (the outbox), with a link on
    # which they rate the fix: the next round of the same anonymous rater.
    sms = Message.objects.get(about_label="ratings.rectification")
    assert sms.recipient_phone == "13900001111" and "窗口受理时一次告知办理时限" in sms.body
    link = sms.body[sms.body.index("/r/f/") :].split()[0]
    phone_context = browser.new_context(locale="zh-CN", viewport=PHONE)
    phone_context.on("page", console.watch)
    phone = phone_context.new_page()
    phone.goto(f"{base}{link}")
    assert "窗口受理时一次告知办理时限" in phone.inner_text("#fix-feedback")
    phone.check("input[name=stars][value='4']")
    phone.click("#rating-form button[type=submit]")
    phone.wait_for_selector("#invite-done")
    too_wide.append(overflow(phone, "pad-fix-390-rated", screenshot))
    fix = Rating.objects.get(round=2)
    assert (fix.rater_key, fix.level, fix.visit_id) == (rating.rater_key, 2, rating.visit_id)
    phone.goto(f"{base}{link}")
    assert phone.locator("#rating-form").count() == 0  # rated once
    phone_context.close()

    desk.goto(f"{base}/ratings/public/")
    hall_row = desk.locator("#figures tbody tr", has_text="政务服务中心")
    assert hall_row.locator("td").all_inner_texts()[1:] == ["2", "50.0%", "1", "100.0%"]

    desk_context.close()
    tablet_context.close()
    assert not console.errors, "浏览器控制台报错：\n" + "\n".join(console.errors)
    assert not [w for w in too_wide if w], "比窗口宽的页面：\n" + "\n".join(w for w in too_wide if w)
