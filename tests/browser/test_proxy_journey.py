"""帮办代办 in Chromium: a proxy agent registers an elderly citizen's request taken by phone, takes
it, is refused when filing without a 委托书 (the Chinese message on the page, nothing saved),
records the signed 委托书, files two items for her at the window, follows them on the request
page, and — once the back office has decided them — the 出件窗口 hands both results to the agent
against the 委托书; the agent closes the request.

The agent's and the delivery window's steps are clicks; the window's 受理 and the back office's
decisions between them are the ordinary service calls, walked through click by click in
test_application_journeys.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from zhengwu.applications import services
from zhengwu.applications.models import Application, ProxyRequest, ProxyState
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.catalog.models import OnlineDepth

from ..catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from ..factories import DepartmentFactory, UserFactory
from . import test_application_journeys as journeys
from .test_application_journeys import licensing_item, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
people = journeys.people  # the same one-browser-per-person fixture as the application journeys

ELDER_ID = "110101194501010019"
AGENT_ID = "110101199003070011"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_agent_files_two_items_for_an_elderly_citizen_and_collects(people, console, screenshot, media):
    department = DepartmentFactory(name="市场监督管理局")
    civil = DepartmentFactory(name="民政局")
    hall = DepartmentFactory(name="政务服务中心")
    food, food_uses = licensing_item(department)
    card = ServiceItemFactory(
        name="老年人优待证办理",
        department=civil,
        promised_limit_days=Decimal(3),
        legal_limit_days=Decimal(5),
        online_depth=OnlineDepth.FULLY_ONLINE,
        result_name="老年人优待证",
        result_licence_type=None,
        form_fields=[],
    )
    card_use = ItemMaterialFactory(item=card, material=MaterialFactory(name="户口簿"), order=1)
    agent = UserFactory(roles=["proxy_agent"], department=hall, name="李帮办")
    clerk = UserFactory(roles=["clerk"], department=hall, name="窗口甲")
    food_approver = UserFactory(roles=["approver"], department=department, name="审批乙")
    civil_approver = UserFactory(roles=["approver"], department=civil, name="审批丙")
    delivery = UserFactory(roles=["delivery_clerk"], department=hall, name="出件丁")

    # 1. The agent registers the request taken by phone: a new principal, two items.
    me = people()
    me.staff_login(agent)
    me.page.click("a.card:has-text('帮办代办工作台')")
    me.page.click("#proxy-new")
    me.page.select_option("#id_principal_kind", "person")
    me.page.fill("#id_principal_code", ELDER_ID)
    me.page.fill("#id_principal_name", "张奶奶")
    me.page.select_option("#id_group", "elderly")
    me.page.select_option("#id_channel", "phone")
    me.page.select_option("#id_items", [str(food.pk), str(card.pk)])
    me.page.fill("#id_contact_name", "张奶奶")
    me.page.fill("#id_contact_phone", "13800002222")
    me.page.click("#proxy-request-form button[type=submit]")
    me.message("已登记帮办代办申请")
    request = ProxyRequest.objects.get()
    assert request.group == "elderly" and request.citizen.name == "张奶奶"
    assert me.text("#proxy-state") == "待分派"

    # 2. The agent takes it.
    me.page.click("form[data-action='take'] button[type=submit]")
    me.message("已认领")
    assert me.text("#proxy-state") == "办理中" and me.text("#proxy-agent") == "李帮办"

    # 3. Filing without a 委托书 is refused, in Chinese, and nothing is saved.
    file_path = f"/applications/proxy/{request.number}/file/{food.pk}/"
    console.expect_status(403, file_path)
    me.page.click(f"#proxy-items a[data-file='{food.pk}']")
    me.page.fill("#id_form_business_address", "示范市中原路1号")
    me.page.fill("#id_form_scope", "预包装食品销售")
    for use in food_uses:
        me.page.check(f"#id_material_{use.pk}")
    me.page.click("#proxy-file-form button[type=submit]")
    me.page.wait_for_selector(".nonfield:has-text('有效委托书')")
    assert "没有张奶奶委托您办理“食品经营许可”的有效委托书" in me.text(".nonfield")
    assert Application.objects.count() == 0
    screenshot(me.page, "proxy-journey-01-refused")

    # 4. The signed 委托书 for both items, valid for a month.
    me.go(f"/applications/proxy/{request.number}/")
    today = timezone.localdate()
    form = "form[data-action='authorise']"
    me.page.check(f"{form} input[name=items][value='{food.pk}']")
    me.page.check(f"{form} input[name=items][value='{card.pk}']")
    me.page.fill(f"{form} input[name=valid_from]", today.isoformat())
    me.page.fill(f"{form} input[name=valid_until]", (today + timedelta(days=30)).isoformat())
    me.page.set_input_files(f"{form} input[name=file]", upload("委托书.pdf"))
    me.page.click(f"{form} button[type=submit]")
    me.message("已登记委托书")
    assert "委托书.pdf" in me.text("#proxy-authorisations")

    # 5. Both items filed for her.
    me.page.click(f"#proxy-items a[data-file='{food.pk}']")
    me.page.fill("#id_form_business_address", "示范市中原路1号")
    me.page.fill("#id_form_scope", "预包装食品销售")
    for use in food_uses:
        me.page.check(f"#id_material_{use.pk}")
    me.page.click("#proxy-file-form button[type=submit]")
    me.message("已代为提交“食品经营许可”")
    assert "确认以张奶奶的名义代为提交“食品经营许可”？" in me.dialogs[-1]
    me.page.click(f"#proxy-items a[data-file='{card.pk}']")
    me.page.check(f"#id_material_{card_use.pk}")
    me.page.click("#proxy-file-form button[type=submit]")
    me.message("已代为提交“老年人优待证办理”")
    apps = {a.item_id: a for a in Application.objects.all()}
    assert len(apps) == 2
    for a in apps.values():
        assert a.citizen == request.citizen and a.applicant_name == "张奶奶" and a.agent == agent
        assert a.events.get(action="submit").data["agent"] == "李帮办"
    rows = me.text("#proxy-applications")
    assert apps[food.pk].number in rows and apps[card.pk].number in rows and rows.count("待预审") == 2
    screenshot(me.page, "proxy-journey-02-filed")

    # 6. The window accepts; each department decides (see test_application_journeys.py).
    for a in apps.values():
        services.accept(application=a, by=clerk)
    f = Application.objects.get(pk=apps[food.pk].pk)
    services.review(application=f, by=food_approver)
    services.decide(application=f, by=food_approver, approved=True, opinion="符合条件")
    services.complete(application=f, by=food_approver, result_number="示市监许〔2026〕9号")
    services.certify(application=f, by=food_approver, licence_number="JY14101000000011")
    c = Application.objects.get(pk=apps[card.pk].pk)
    services.review(application=c, by=civil_approver)
    services.decide(application=c, by=civil_approver, approved=True, opinion="符合条件")
    services.complete(application=c, by=civil_approver, result_number="优待证2026001")
    me.go(f"/applications/proxy/{request.number}/")
    rows = me.text("#proxy-applications")
    assert "已制证待出件" in rows and "已办结待出件" in rows

    # 7. The 出件窗口 hands both results to the agent against the 委托书.
    window = people()
    window.staff_login(delivery)
    window.go(f"/applications/proxy/{request.number}/")
    for a in apps.values():
        row = f"#proxy-applications tr[data-number='{a.number}']"
        window.page.fill(f"{row} input[name=recipient_id_number]", AGENT_ID)
        window.page.click(f"{row} button[type=submit]")
        window.message(f"办件 {a.number} 已由代办人凭委托书领取")
    assert "确认由代办人凭委托书领取该办件的结果？" in window.dialogs[-1]
    for a in Application.objects.all():
        assert a.state == S.DELIVERED
        assert a.delivery.by_proxy and a.delivery.recipient_name == "李帮办"
        assert request.number in a.delivery.proxy_authorisation

    # 8. The agent closes the request; it moves to the history.
    me.go(f"/applications/proxy/{request.number}/")
    me.page.fill("form[data-action='close'] textarea[name=outcome]", "证件已送到张奶奶家中")
    me.page.click("form[data-action='close'] button[type=submit]")
    me.message("帮办代办已办结")
    assert me.text("#proxy-state") == "已办结"
    request.refresh_from_db()
    assert request.state == ProxyState.CLOSED
    me.go("/applications/proxy/?tab=history")
    assert request.number in me.text("#proxy-requests")
    screenshot(me.page, "proxy-journey-03-closed")
