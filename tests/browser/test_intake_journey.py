"""The window's 综合受理 screen in Chromium on a 390 px phone: the applicant found over htmx, an item
of another department chosen, the checklist marked (the 容缺 fields appear only when 容缺 is
chosen), 受理 confirmed, and the receipt with the query code; nothing wider than the screen and
a clean console (the Content-Security-Policy blocks nothing the page needs)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhengwu.applications.models import Application, MaterialStatus
from zhengwu.applications.workflow import ApplicationState as S

from ..catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from ..conftest import PASSWORD
from ..factories import CitizenFactory, DepartmentFactory, UserFactory
from .test_portal_and_desk import PHONE, login, overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_walk_in_accepted_on_a_phone(live_server, browser, console, screenshot):
    department = DepartmentFactory(name="市场监督管理局")
    item = ServiceItemFactory(
        name="食品经营许可",
        department=department,
        promised_limit_days=Decimal(10),
        form_fields=[
            {"name": "applicant_name", "label": "申请人姓名"},
            {"name": "scope", "label": "经营项目"},
        ],
    )
    critical = ItemMaterialFactory(
        item=item, material=MaterialFactory(name="身份证明"), critical=True, order=1
    )
    plan = ItemMaterialFactory(item=item, material=MaterialFactory(name="经营场所平面图"), order=2)
    citizen = CitizenFactory(name="王小明", phone="13900001111")
    clerk = UserFactory(roles=["clerk"], department=DepartmentFactory(name="政务服务中心"), name="窗口甲")

    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.on("page", console.watch)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    base = live_server.url
    login(page, base, clerk.username, PASSWORD)
    too_wide = []

    page.goto(f"{base}/applications/intake/")
    page.fill("#id_lookup_code", citizen.id_number)
    page.click("#step-applicant button[type=submit]")
    page.wait_for_selector("#applicant-match")
    assert citizen.masked_id_number in page.inner_text("#applicant")
    too_wide.append(overflow(page, "intake-390-applicant", screenshot))
    page.click("#applicant-continue")

    page.fill("#id_q", "食品")
    page.wait_for_selector("#item-results")
    too_wide.append(overflow(page, "intake-390-items", screenshot))
    page.click("#item-results a:has-text('选择')")
    page.wait_for_selector("#intake-form")
    assert page.input_value("#id_form_applicant_name") == "王小明"

    page.check(f"#id_m{critical.pk}-status-1")  # 已收
    deferred_fields = page.locator(f"#material-{plan.pk} .mark-fields.deferred")
    assert not deferred_fields.is_visible()
    page.check(f"#id_m{plan.pk}-status-2")  # 容缺
    assert deferred_fields.is_visible()
    page.fill(f"#id_m{plan.pk}-commitment", "本人承诺三个工作日内补交")
    page.fill(f"#id_m{plan.pk}-defer_days", "3")
    assert page.locator(f"#material-{critical.pk} input[value=deferred]").count() == 0
    page.fill("#id_form_scope", "预包装食品销售")
    too_wide.append(overflow(page, "intake-390-form", screenshot))
    page.click("button[name=outcome][value=accept]")
    page.wait_for_selector("#receipt-code")

    app = Application.objects.get()
    assert app.state == S.ACCEPTED
    assert app.materials.get(item_material=plan).status == MaterialStatus.DEFERRED
    assert page.inner_text("#receipt-number") == app.number
    too_wide.append(overflow(page, "intake-390-receipt", screenshot))
    context.close()
    assert not [w for w in too_wide if w], "比窗口宽的页面：\n" + "\n".join(w for w in too_wide if w)
