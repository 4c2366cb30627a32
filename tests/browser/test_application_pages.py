"""The back office's application pages in Chromium on a 390 px phone: the review queue, the list
and the application page fit the screen; 开始审查 goes over htmx, 作出决定 asks first and is
refused while 暂不, and the console stays clean (the Content-Security-Policy blocks nothing)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialStatus
from zhengwu.applications.workflow import ApplicationState as S

from ..catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from ..conftest import PASSWORD
from ..factories import CitizenFactory, DepartmentFactory, UserFactory
from .test_portal_and_desk import PHONE, login, overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_review_and_decide_on_a_phone(live_server, browser, console, screenshot):
    department = DepartmentFactory(name="市场监督管理局")
    item = ServiceItemFactory(
        name="食品经营许可",
        department=department,
        promised_limit_days=Decimal(10),
        form_fields=[{"name": "scope", "label": "经营项目"}],
    )
    use = ItemMaterialFactory(item=item, material=MaterialFactory(name="身份证明"), critical=True, order=1)
    citizen = CitizenFactory(name="王小明", phone="13900001111")
    clerk = UserFactory(roles=["clerk"], department=DepartmentFactory(name="政务服务中心"), name="窗口甲")
    approver = UserFactory(roles=["approver"], department=department, name="审批乙")
    app = services.window_intake(
        item=item,
        by=clerk,
        applicant=citizen,
        contact_name=citizen.name,
        contact_phone=citizen.phone,
        form_data={"scope": "预包装食品销售"},
        materials=[services.MaterialInput(use.pk, MaterialStatus.RECEIVED, originals=1)],
        outcome="accept",
    ).application

    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.on("page", console.watch)
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    login(page, base, approver.username, PASSWORD)
    too_wide = []

    page.goto(f"{base}/applications/review/")
    too_wide.append(overflow(page, "applications-390-review-queue", screenshot))
    page.click(f"a:has-text('{app.number}')")
    page.wait_for_selector("#application-detail")
    too_wide.append(overflow(page, "applications-390-detail", screenshot))

    page.click("form[data-action=review] button[type=submit]")  # htmx: the area is swapped
    page.wait_for_selector("form[data-action=decide]")
    assert "已开始审查" in page.inner_text("#application-detail")

    page.check("form[data-action=decide] input[value=yes]")
    page.fill("form[data-action=decide] textarea[name=opinion]", "符合条件，准予许可")
    page.once("dialog", lambda dialog: dialog.dismiss())  # 暂不: nothing is sent
    page.click("form[data-action=decide] button[type=submit]")
    assert Application.objects.get(pk=app.pk).state == S.REVIEWING
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[data-action=decide] button[type=submit]")
    page.wait_for_selector("form[data-action=complete]")
    assert Application.objects.get(pk=app.pk).state == S.DECIDED
    too_wide.append(overflow(page, "applications-390-decided", screenshot))

    page.goto(f"{base}/applications/")
    too_wide.append(overflow(page, "applications-390-list", screenshot))
    context.close()
    assert [w for w in too_wide if w] == []
    assert not console.errors, console.errors
