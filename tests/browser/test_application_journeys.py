"""The three journeys of an application (办件) in Chromium at a desk width, each person in their own
browser and logging in through the login page:

(a) online: a citizen opens the item's guide, 在线办理, fills the form and uploads a PDF per
    material → the window asks for two materials at once (一次性告知) → the citizen uploads them
    on 我的办件 → the window accepts → the department reviews, grants, completes and issues the
    licence → the delivery window posts it (a mistyped EMS number is refused first) and confirms
    receipt → the citizen sees every step and downloads the 受理通知书;
(b) a walk-in at 综合受理 with one material 容缺, handed in later, decided in the back office and
    handed over at the window against the applicant's ID number;
(c) a 即办件 decided on the spot by a clerk with the department's 首席代表授权 — 立等可取.

Only the data the journeys start from is made here (factories); every step after it is a click."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from django.utils import timezone

from zhengwu.applications.models import Application, MaterialStatus, WindowAuthorisation
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.catalog.models import CaseType, OnlineDepth
from zhengwu.core.validators import s10_check_digit, validate_s10

from ..catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from ..conftest import PASSWORD
from ..factories import CitizenFactory, DepartmentFactory, LicenceTypeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1280, "height": 900}
GOOD_EMS = "EA123456785CN"
BAD_EMS = "EA123456784CN"  # one digit off: the check digit no longer matches


def small_pdf() -> bytes:
    """A real one-page PDF, as a scanner would send."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": small_pdf()}


def flat(text: str) -> str:
    return "".join(text.split())


@dataclass
class Person:
    """One person's own browser (context): their cookies, their confirm() answers."""

    page: Any
    base: str
    dialogs: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def login_here(self, username: str) -> None:
        """Fill the login form the browser is on (it may carry a ?next=)."""
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")

    def staff_login(self, user) -> None:
        self.go("/accounts/login/")
        self.login_here(user.username)
        self.page.wait_for_selector("h1:has-text('工作台')")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def message(self, text: str) -> None:
        self.page.wait_for_selector(f".messages li:has-text('{text}')")

    def state(self, state: S) -> None:
        """The staff application page shows this state (the htmx swap has landed)."""
        self.page.wait_for_selector(f"#application-state[data-state='{state.value}']")
        assert self.text("#application-state") == state.label

    def act(self, action: str) -> None:
        self.page.click(f"form[data-action='{action}'] button[type=submit]")

    def open_from_queue(self, path: str, number: str) -> None:
        self.go(path)
        self.page.click(f"#application-rows a:has-text('{number}')")
        self.page.wait_for_selector("#application-detail")
        assert self.text("#application-number") == number


@pytest.fixture
def people(live_server, browser, console):
    """people() — a new person at a 1280 px desk; their browsers close, and the console is checked,
    when the test ends."""
    contexts = []

    def make() -> Person:
        context = browser.new_context(locale="zh-CN", viewport=DESK)
        context.on("page", console.watch)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        person = Person(page, live_server.url)

        def answer(dialog) -> None:
            person.dialogs.append(dialog.message)
            dialog.accept()

        page.on("dialog", answer)
        return person

    yield make
    for context in contexts:
        context.close()
    assert not console.errors, "浏览器控制台报错：\n" + "\n".join(console.errors)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def licensing_item(department):
    """A 承诺件 that may be applied for fully online and produces a licence: three materials, the
    first one critical, and a two-field form."""
    item = ServiceItemFactory(
        name="食品经营许可",
        department=department,
        promised_limit_days=Decimal(10),
        legal_limit_days=Decimal(20),
        online_depth=OnlineDepth.FULLY_ONLINE,
        result_name="食品经营许可证",
        result_licence_type=LicenceTypeFactory(name="食品经营许可证", defining_department=department),
        form_fields=[
            {"name": "business_address", "label": "经营场所"},
            {"name": "scope", "label": "经营项目"},
        ],
    )
    uses = [
        ItemMaterialFactory(item=item, material=MaterialFactory(name="身份证明"), critical=True, order=1),
        ItemMaterialFactory(item=item, material=MaterialFactory(name="食品经营许可申请书"), order=2),
        ItemMaterialFactory(item=item, material=MaterialFactory(name="经营场所平面图"), order=3),
    ]
    return item, uses


def test_the_s10_numbers_used_here_are_what_they_claim():
    validate_s10(GOOD_EMS)
    assert s10_check_digit(BAD_EMS[2:10]) != BAD_EMS[10]


# ---------------------------------------------------------------------------------------------
# (a) Online, with one round of 补正, to a posted licence
# ---------------------------------------------------------------------------------------------


def test_online_application_from_guide_to_signed_receipt(people, console, screenshot, media):
    department = DepartmentFactory(name="市场监督管理局")
    hall = DepartmentFactory(name="政务服务中心")
    item, uses = licensing_item(department)
    citizen_user = UserFactory(username="wangxm", name="王小明", is_staff=False, department=None)
    CitizenFactory(name="王小明", user=citizen_user, phone="13900001111")
    clerk = UserFactory(roles=["clerk"], department=hall, name="窗口甲")
    approver = UserFactory(roles=["approver"], department=department, name="审批乙")
    delivery = UserFactory(roles=["delivery_clerk"], department=hall, name="出件丁")

    # 1. The citizen finds the item's guide and clicks 在线办理; the login page sends them on.
    me = people()
    me.go(f"/guide/items/{item.pk}/")
    me.page.wait_for_selector("h1:has-text('食品经营许可 办事指南')")
    me.page.click("#how-to-apply a:has-text('在线办理')")
    me.page.wait_for_selector("#id_username")
    me.login_here(citizen_user.username)
    me.page.wait_for_selector("h1:has-text('在线办理：食品经营许可')")
    assert me.page.is_checked("#apply-form input[name=applicant]")  # 本人, the only choice
    assert me.page.input_value("#id_contact_phone") == "13900001111"
    me.page.fill("#id_form_business_address", "示范市中原路1号")
    me.page.fill("#id_form_scope", "预包装食品销售")
    me.page.check("input[name=delivery_method][value=post]")
    me.page.fill("#id_postal_address", "示范市中原路1号3单元501室")
    for use in uses:
        me.page.set_input_files(f"#id_material_{use.pk}", upload(f"{use.material.name}.pdf"))
    screenshot(me.page, "applications-journey-a01-apply")
    me.page.click("#apply-form button[type=submit]")
    me.page.wait_for_selector("#receipt-code")
    assert "确认提交申请？" in me.dialogs[-1]
    app = Application.objects.get()
    assert app.state == S.SUBMITTED
    assert me.text("h1") == "申请已提交"
    assert me.text("#receipt-number") == app.number
    code = me.text("#receipt-code")
    assert re.fullmatch(r"\d{8}", code), code
    assert "待预审" in me.text(".receipt")
    screenshot(me.page, "applications-journey-a02-receipt")

    # 2. The window finds it in 窗口办件 and asks, once, for two materials with a reason each.
    window = people()
    window.staff_login(clerk)
    window.open_from_queue("/applications/window/", app.number)
    window.state(S.SUBMITTED)
    form_of, plan_of = (app.materials.get(item_material=u) for u in uses[1:3])
    supplement = "form[data-action='request_supplement']"
    window.page.check(f"{supplement} input[name='supplement.{form_of.pk}']")
    window.page.fill(f"{supplement} input[name='supplement.{form_of.pk}.reason']", "申请书缺少申请人签字")
    window.page.check(f"{supplement} input[name='supplement.{plan_of.pk}']")
    window.page.fill(f"{supplement} input[name='supplement.{plan_of.pk}.reason']", "平面图未标注面积")
    screenshot(window.page, "applications-journey-a03-supplement-form")
    window.act("request_supplement")
    window.state(S.SUPPLEMENT)
    window.message("已一次性告知补正（第1次），补正材料通知书已出具")
    told = window.text("#supplements")
    assert "食品经营许可申请书：申请书缺少申请人签字" in told
    assert "经营场所平面图：平面图未标注面积" in told
    screenshot(window.page, "applications-journey-a04-supplement-told")

    # 3. The citizen sees 待补正 with both reasons on 我的办件 and uploads the two materials.
    me.go("/apply/mine/")
    row = me.page.locator("#my-applications tr", has_text=app.number)
    assert "待补正" in row.inner_text()
    row.locator(f"a:has-text('{app.number}')").click()
    me.page.wait_for_selector("#supply-form")
    assert me.text("#public-state") == "待补正"
    asked = me.text("#supply-form")
    assert "窗口第1次一次性告知您补正以下材料" in asked
    assert "补正原因：申请书缺少申请人签字" in asked
    assert "补正原因：平面图未标注面积" in asked
    me.page.set_input_files(f"#id_material_{form_of.pk}", upload("申请书（已签字）.pdf"))
    me.page.set_input_files(f"#id_material_{plan_of.pk}", upload("平面图（标注面积）.pdf"))
    screenshot(me.page, "applications-journey-a05-supply")
    me.page.click("#supply-form button[type=submit]")
    me.message("补正材料已提交，窗口将重新审核，请留意办理进度。")
    assert "确认提交补正材料？" in me.dialogs[-1]
    assert me.text("#public-state") == "待预审"
    assert me.page.locator("#supply-form").count() == 0

    # 4. The window accepts, counting the original ID card it has seen.
    window.page.reload()
    window.state(S.SUBMITTED)
    accept = "form[data-action='accept']"
    assert window.page.locator(f"{accept} .badge:has-text('已网上提交')").count() == 3
    window.page.fill(f"{accept} input[name='materials.{uses[0].pk}.originals']", "1")
    window.page.fill(f"{accept} textarea[name=note]", "材料齐全，补正后符合要求")
    window.act("accept")
    window.state(S.ACCEPTED)
    window.message("已受理，受理通知书已出具")
    assert window.text("#due-at") != "—"
    screenshot(window.page, "applications-journey-a06-accepted")

    # 5. The department reviews, grants, completes and issues the licence.
    desk = people()
    desk.staff_login(approver)
    desk.open_from_queue("/applications/review/", app.number)
    desk.act("review")
    desk.state(S.REVIEWING)
    desk.message("已开始审查")
    desk.page.locator("form[data-action='decide']").get_by_label("准予许可", exact=True).check()
    desk.page.fill("form[data-action='decide'] textarea[name=opinion]", "材料齐全，符合条件，准予许可")
    desk.act("decide")
    desk.state(S.DECIDED)
    assert desk.dialogs[-1] == "决定作出后将出具决定书，不能更改，确认？"
    desk.message("已作出决定：准予许可")
    assert desk.text("#decision-opinion") == "材料齐全，符合条件，准予许可"
    desk.page.fill("form[data-action='complete'] input[name=result_number]", "JY13301020000123")
    desk.act("complete")
    desk.state(S.COMPLETED)
    assert desk.dialogs[-1] == "办结后不能再修改办理结果，确认办结？"
    desk.message("已办结")
    desk.page.fill("form[data-action='certify'] input[name=licence_number]", "JY13301020000123")
    desk.act("certify")
    desk.state(S.CERTIFIED)
    desk.message("已制证")
    assert "食品经营许可证 · JY13301020000123" in desk.text("#application-info")
    screenshot(desk.page, "applications-journey-a07-certified")

    # 6. The delivery window posts it: a mistyped EMS number is refused, naming the check digit.
    post = people()
    post.staff_login(delivery)
    post.go("/applications/delivery/?tab=post")
    assert "示范市中原路1号3单元501室" in post.text("#application-rows")
    post.open_from_queue("/applications/delivery/?tab=post", app.number)
    console.expect_status(400, f"/applications/{app.number}/act/post/")
    post.page.fill("form[data-action='post'] input[name=tracking_number]", BAD_EMS)
    post.act("post")
    post.page.wait_for_selector("form[data-action='post'] :text('校验位')")
    assert "邮件号校验位错误，请核对第11位数字" in post.text("form[data-action='post']")
    assert "邮件号校验位错误" in post.text(".messages")
    post.state(S.CERTIFIED)
    screenshot(post.page, "applications-journey-a08-ems-refused")
    assert Application.objects.get(pk=app.pk).state == S.CERTIFIED
    post.page.fill("form[data-action='post'] input[name=tracking_number]", GOOD_EMS)
    post.act("post")
    post.state(S.POSTED)
    assert post.dialogs[-1] == "确认已寄出？寄出后不能撤销。"
    post.message(f"已邮寄，邮件号 {GOOD_EMS}")
    post.act("confirm_receipt")
    post.state(S.DELIVERED)
    post.message("已确认签收，送达回证已出具")
    assert GOOD_EMS in post.text("#delivery")
    screenshot(post.page, "applications-journey-a09-delivered")

    # 7. The citizen sees every step and downloads the 受理通知书.
    me.go(f"/apply/mine/{app.number}/")
    assert me.text("#public-state") == "已出件"
    steps = [flat(t) for t in me.page.locator("#timeline tbody tr .card-title").all_inner_texts()]
    assert steps == [
        "网上申请已提交，等待窗口预审",
        "需补正材料（第1次一次性告知），请按《补正材料通知书》一次补齐",
        "已提交补正材料",
        "已受理，开始计算承诺办结时间",
        "审查中",
        "已作出准予许可决定",
        "已办结",
        "已制证",
        f"办理结果已邮寄，邮件号{GOOD_EMS}",
        "邮件已签收",
    ]
    assert f"{GOOD_EMS}（EMS）" in me.text("#tracking-number")
    assert "签收时间" in me.text("#delivery")
    screenshot(me.page, "applications-journey-a10-citizen-done")
    link = me.page.locator("#notices a", has_text=re.compile(r"^受理通知书$"))
    href = link.get_attribute("href")
    assert href is not None
    response = me.page.request.get(me.base + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    text = flat("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages))
    assert "受理通知书" in text
    assert app.number in text


# ---------------------------------------------------------------------------------------------
# (b) A walk-in with one material 容缺, handed over at the window
# ---------------------------------------------------------------------------------------------


def test_walk_in_with_a_deferred_material_to_handover(people, screenshot, media):
    department = DepartmentFactory(name="市场监督管理局")
    hall = DepartmentFactory(name="政务服务中心")
    item, uses = licensing_item(department)
    item.result_licence_type = None  # a 批文, not a licence: no 制证
    item.save(update_fields=["result_licence_type"])
    citizen = CitizenFactory(name="李华", phone="13900002222")
    clerk = UserFactory(roles=["clerk"], department=hall, name="窗口甲")
    approver = UserFactory(roles=["approver"], department=department, name="审批乙")
    delivery = UserFactory(roles=["delivery_clerk"], department=hall, name="出件丁")
    critical, application_form, plan = uses

    # 1. 综合受理: the applicant by 公民身份号码, the item, the form, the checklist, 受理.
    window = people()
    window.staff_login(clerk)
    window.go("/applications/intake/")
    window.page.fill("#id_lookup_code", citizen.id_number)
    window.page.click("#step-applicant button[type=submit]")
    window.page.wait_for_selector("#applicant-match")
    assert "李华" in window.text("#applicant-match")
    assert citizen.masked_id_number in window.text("#applicant-match")
    assert citizen.id_number not in window.text("#applicant-match")
    window.page.click("#applicant-continue")
    window.page.fill("#id_q", "食品经营")
    window.page.wait_for_selector("#item-results")
    window.page.click("#item-results tr:has-text('食品经营许可') a:has-text('选择')")
    window.page.wait_for_selector("#intake-form")
    window.page.fill("#id_form_business_address", "示范市建设路8号")
    window.page.fill("#id_form_scope", "热食类食品制售")
    window.page.check(f"#id_m{critical.pk}-status-1")  # 已收
    window.page.check(f"#id_m{application_form.pk}-status-1")
    window.page.check(f"#id_m{plan.pk}-status-2")  # 容缺
    window.page.fill(f"#id_m{plan.pk}-commitment", "本人承诺三个工作日内补交经营场所平面图")
    window.page.fill(f"#id_m{plan.pk}-defer_days", "3")
    screenshot(window.page, "applications-journey-b01-intake")
    window.page.click("button[name=outcome][value=accept]")
    window.page.wait_for_selector("#receipt-code")
    assert window.dialogs[-1] == "确认受理并出具受理通知书？受理后不能撤销。"
    app = Application.objects.get()
    assert window.text("#receipt h1") == "已受理待审查"
    assert window.text("#receipt-number") == app.number
    assert re.fullmatch(r"\d{8}", window.text("#receipt-code"))
    assert "受理通知书" in window.text("#receipt")
    screenshot(window.page, "applications-journey-b02-receipt")
    window.page.reload()  # the code is shown once
    assert window.page.locator("#receipt-code").count() == 0
    assert "不再显示" in window.text("#receipt-code-gone")

    # 2. Later the applicant brings the deferred plan: 补交容缺材料.
    window.go(f"/applications/{app.number}/")
    window.state(S.ACCEPTED)
    plan_row = window.page.locator("#materials tr:has-text('经营场所平面图')")
    assert "容缺" in plan_row.inner_text()
    assert "本人承诺三个工作日内补交经营场所平面图" in plan_row.inner_text()
    hand_in = "form[data-action='hand_in']"
    assert "经营场所平面图" in window.page.locator(f"{hand_in} select[name=material_id]").inner_text()
    window.act("hand_in")
    window.message("已收取容缺材料“经营场所平面图”")
    window.state(S.ACCEPTED)
    assert "已补交" in window.page.locator("#materials tr:has-text('经营场所平面图')").inner_text()
    assert window.page.locator(hand_in).count() == 0
    screenshot(window.page, "applications-journey-b03-handed-in")
    assert Application.objects.get(pk=app.pk).materials.get(item_material=plan).status == (
        MaterialStatus.RECEIVED
    )

    # 3. The department decides and completes.
    desk = people()
    desk.staff_login(approver)
    desk.open_from_queue("/applications/review/", app.number)
    desk.act("review")
    desk.state(S.REVIEWING)
    desk.page.locator("form[data-action='decide']").get_by_label("准予许可", exact=True).check()
    desk.page.fill("form[data-action='decide'] textarea[name=opinion]", "经现场核查，符合条件")
    desk.act("decide")
    desk.state(S.DECIDED)
    desk.page.fill("form[data-action='complete'] input[name=result_number]", "示市监许〔2026〕18号")
    desk.act("complete")
    desk.state(S.COMPLETED)
    assert desk.page.locator("form[data-action='certify']").count() == 0  # no licence to issue

    # 4. The delivery window hands it over against the applicant's own ID number.
    out = people()
    out.staff_login(delivery)
    out.open_from_queue("/applications/delivery/?tab=pickup", app.number)
    hand_over = "form[data-action='hand_over']"
    out.page.fill(f"{hand_over} input[name=recipient_name]", "李华")
    out.page.fill(f"{hand_over} input[name=recipient_id_number]", citizen.id_number)
    out.act("hand_over")
    out.state(S.DELIVERED)
    assert out.dialogs[-1] == "确认已核对领取人身份并出件？出件后不能撤销。"
    out.message("已出件，送达回证已出具")
    assert "窗口自取" in out.text("#delivery") and "李华" in out.text("#delivery")
    screenshot(out.page, "applications-journey-b04-handed-over")
    assert Application.objects.get(pk=app.pk).state == S.DELIVERED


# ---------------------------------------------------------------------------------------------
# (c) A 即办件 decided at the window — 立等可取
# ---------------------------------------------------------------------------------------------


def test_immediate_item_decided_on_the_spot(people, screenshot, media):
    department = DepartmentFactory(name="市场监督管理局")
    hall = DepartmentFactory(name="政务服务中心")
    item = ServiceItemFactory(
        name="个体工商户名称变更登记",
        department=department,
        case_type=CaseType.IMMEDIATE,
        promised_limit_days=Decimal(0),
        legal_limit_days=Decimal(1),
        online_depth=OnlineDepth.PREVIEW,
        result_name="营业执照（变更）",
        result_licence_type=None,
    )
    form = ItemMaterialFactory(item=item, material=MaterialFactory(name="变更申请书"), order=1)
    citizen = CitizenFactory(name="赵敏", phone="13900003333")
    clerk = UserFactory(roles=["clerk"], department=hall, name="窗口甲")
    WindowAuthorisation.objects.create(
        department=department, clerk=clerk, valid_from=timezone.localdate(), granted_by="市场监督管理局"
    )

    window = people()
    window.staff_login(clerk)
    window.go("/applications/intake/")
    window.page.fill("#id_lookup_code", citizen.id_number)
    window.page.click("#step-applicant button[type=submit]")
    window.page.wait_for_selector("#applicant-match")
    window.page.click("#applicant-continue")
    window.page.fill("#id_q", "名称变更")
    window.page.wait_for_selector("#item-results")
    assert "即办件" in window.text("#item-results")
    window.page.click("#item-results a:has-text('选择')")
    window.page.wait_for_selector("#intake-form")
    window.page.check(f"#id_m{form.pk}-status-1")  # 已收
    window.page.click("button[name=outcome][value=accept]")
    window.page.wait_for_selector("#decide-form")
    app = Application.objects.get()
    assert window.text("#receipt h1") == "已受理待审查"
    assert window.text("#receipt-number") == app.number
    assert re.fullmatch(r"\d{8}", window.text("#receipt-code"))
    assert "立等可取" in window.text("#decide-form")
    screenshot(window.page, "applications-journey-c01-receipt")

    window.page.locator("#decide-form").get_by_label("准予", exact=True).check()
    window.page.fill("#decide-form textarea[name=opinion]", "材料齐全，当场准予变更")
    window.page.fill("#decide-form input[name=result_number]", "示市监变〔2026〕3号")
    window.page.click("#decide-form button[type=submit]")
    window.message("已当场办结（即办）")
    assert window.dialogs[-1] == "确认当场作出决定并办结？办结后不能撤销。"
    assert window.text("#receipt h1") == "已办结待出件"
    assert "准予许可 · 示市监变〔2026〕3号" in window.text("#receipt")
    assert window.page.locator("#decide-form").count() == 0
    screenshot(window.page, "applications-journey-c02-decided")
    app.refresh_from_db()
    assert app.state == S.COMPLETED
    assert app.result_number == "示市监变〔2026〕3号"
