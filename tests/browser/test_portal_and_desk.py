"""The portal and the handler's desk as people see them, in Chromium: on a 390 px phone nothing is
wider than the screen and the menu folds away; on a 1366 px desk screen the same pages as a
reference; typing on 诉求登记 leaves the console clean."""

from __future__ import annotations

import pytest

from zhengwu.accounts.demo import DEMO_PASSWORD
from zhengwu.accounts.models import User
from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, Category, HandlingMode
from zhengwu.catalog.models import Bundle, ServiceItem

from ..conftest import PASSWORD
from ..factories import UserFactory

SYSTEM = services.URGING_JOB  # the periodic urging job
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}

OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && getComputedStyle(el).position !== 'fixed')
    .filter(el => !el.closest('.scroll-x') || el.classList.contains('scroll-x'))
    .slice(0, 5).map(el => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className);
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('工作台')")


def dispatched_appeal(handler: User, title: str) -> Appeal:
    """A web appeal triaged and dispatched to the handler's department, not signed yet."""
    operator = User.objects.get(username="operator")
    dispatcher = User.objects.get(username="dispatcher")
    appeal, code = services.register_appeal(
        channel="web",
        appeal_type="complaint",
        title=title,
        body=f"{title}已有三天，夜间行人容易跌落，请尽快处理。" * 3,
        contact_name="王女士",
        contact_phone="13912345678",
        address="东城区幸福路与民主路交叉口",
        by=operator,
    )
    category = Category.objects.filter(parent__isnull=False).first()
    assert category is not None
    services.triage(appeal=appeal, category=category, handling_mode=HandlingMode.DISPATCH, by=dispatcher)
    services.dispatch(appeal=appeal, lead=handler.department, co_handlers=[], by=dispatcher)
    appeal.query_code = code  # what the citizen was given, to track it on 查询进度
    return appeal


def handled_appeal(handler: User) -> Appeal:
    """Dispatched, urged automatically and by hand, signed and noted: a page with a real timeline."""
    appeal = dispatched_appeal(handler, "幸福路与民主路交叉口井盖缺失")
    lead = appeal.assignments.get(role="lead")
    services.urge(assignment=lead, threshold="sign-yellow", by=SYSTEM)
    services.urge(assignment=lead, threshold="manual-1796399735", by=User.objects.get(username="supervisor"))
    services.sign(assignment=lead, by=handler)
    services.add_note(appeal=appeal, text="已联系市政养护单位，明日上午到场更换井盖。", by=handler)
    return appeal


def overflow(page, name: str, screenshot) -> str | None:
    """The page's screenshot, and what is wider than the window (None when nothing is)."""
    page.wait_for_load_state("networkidle")
    screenshot(page, name)
    measured = page.evaluate(OVERFLOW)
    return None if measured["scroll"] <= measured["width"] else f"{name}: {measured}"


def test_public_pages_and_the_handlers_desk_fit_a_phone(live_server, browser, console, screenshot, demo_city):
    handler = User.objects.get(username="handler")
    appeal = handled_appeal(handler)
    dispatched_appeal(handler, "民主路人行道地砖松动")
    item = ServiceItem.objects.filter(item_materials__isnull=False).order_by("pk").first()
    bundle = Bundle.objects.order_by("pk").first()
    assert item is not None and bundle is not None
    public = {
        "home": "/",
        "guide-search": "/guide/?q=营业执照",
        "item-guide": f"/guide/items/{item.pk}/",
        "bundle-list": "/guide/bundles/",
        "bundle-guide": f"/guide/bundles/{bundle.pk}/",
        "appeal-new": "/appeal/new/",
        "track": "/appeal/track/",
        "knowledge": "/knowledge/?q=社保卡",
    }
    staff = {
        "inbox": "/appeals/inbox/",
        "inbox-signed": "/appeals/inbox/?tab=signed",
        "appeal-detail": f"/appeals/{appeal.pk}/",
    }
    base = live_server.url
    too_wide: list[str | None] = []
    for label, viewport in (("1366", DESK), ("390", PHONE)):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        context.on("page", console.watch)
        page = context.new_page()
        page.set_default_timeout(15_000)
        for name, path in public.items():
            page.goto(base + path)
            too_wide.append(overflow(page, f"portal-{label}-{name}", screenshot))
        # 查询进度 with the number and the code: the citizen's view of the timeline
        page.goto(f"{base}/appeal/track/")
        page.fill("#id_number", appeal.number)
        page.fill("#id_code", appeal.query_code)
        page.click("main button[type=submit]")
        page.wait_for_selector("#public-state")
        too_wide.append(overflow(page, f"portal-{label}-track-status", screenshot))
        if label == "390":
            # The menu folds behind one button; opening it shows every public entry.
            menu = page.locator("header .menu-toggle")
            assert menu.is_visible()
            assert not page.locator("header nav a:has-text('办事指南')").is_visible()
            menu.click()
            assert page.locator("header nav a:has-text('办事指南')").is_visible()
            assert page.locator("header nav a:has-text('我要反映')").is_visible()
            too_wide.append(overflow(page, "portal-390-menu-open", screenshot))
        login(page, base, "handler", DEMO_PASSWORD)
        for name, path in staff.items():
            page.goto(base + path)
            too_wide.append(overflow(page, f"desk-{label}-{name}", screenshot))
        context.close()
    assert not [w for w in too_wide if w], "比窗口宽的页面：\n" + "\n".join(w for w in too_wide if w)


def test_typing_on_intake_aborts_no_request(live_server, page, screenshot):
    """Each pause in typing asks for the triage assist; a second ask while the first is on its way
    waits for it instead of aborting it (an aborted request is a console error in htmx)."""
    operator = UserFactory(roles=["operator"], name="孙受理")
    login(page, live_server.url, operator.username, PASSWORD)
    page.goto(f"{live_server.url}/appeals/intake/")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/intake/assist/" in r.url else None)
    page.fill("#id_body", "幸福路38号附近的路灯已经一周不亮，晚上行人很不安全。")
    page.evaluate(
        """() => {
          const title = document.getElementById('id_title');
          for (const text of ['路灯', '路灯不亮', '幸福路路灯不亮']) {
            title.value = text;
            title.dispatchEvent(new Event('change', {bubbles: true}));
          }
        }"""
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    page.wait_for_load_state("networkidle")
    assert asked, "the assist was never asked"
    assert "%E5%B9%B8%E7%A6%8F%E8%B7%AF%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE" in asked[-1]  # the last title
    screenshot(page, "intake-typed")


def test_the_full_list_fits_a_1366_screen_without_wrapping_numbers_or_states(
    live_server, page, screenshot, demo_city
):
    """全部诉求 at 1366 px: all eleven columns on screen, 工单号, 状态, dates, 是否解决 and 满意度
    each on one line, and a closed appeal still names its lead department."""
    handler = User.objects.get(username="handler")
    dispatcher = User.objects.get(username="dispatcher")
    callback = User.objects.get(username="callback")
    closed = dispatched_appeal(handler, "幸福路与民主路交叉口井盖缺失，夜间行人多次跌倒")
    services.sign(assignment=closed.assignments.get(role="lead"), by=handler)
    services.submit_reply(appeal=closed, text="已更换井盖。", by=handler)
    services.approve_reply(appeal=closed, by=dispatcher)
    services.record_callback(
        appeal=Appeal.objects.get(pk=closed.pk), reached=True, solved="partly", satisfaction=3, by=callback
    )
    for title in ("民主路人行道地砖松动", "东城区幸福小区二期地下车库入口积水严重，车辆无法通行"):
        dispatched_appeal(handler, title)
    page.set_viewport_size(DESK)
    login(page, live_server.url, "dispatcher", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/appeals/")
    page.wait_for_selector("#appeal-list")
    screenshot(page, "desk-1366-appeal-list")
    layout = page.evaluate(
        """() => {
          const table = document.getElementById('appeal-list');
          const main = document.querySelector('main');
          const lineHeight = c => parseFloat(getComputedStyle(c).lineHeight) || 20;
          const wrapped = [...table.querySelectorAll('td.nowrap')]
            .filter(c => [...c.childNodes].some(n => {
              if (n.nodeType !== 3 || !n.textContent.trim()) return false;
              const r = document.createRange(); r.selectNodeContents(n);
              return r.getClientRects().length > 1;
            }) || c.scrollWidth > c.clientWidth + 1)
            .map(c => c.textContent.trim());
          return {
            tableRight: table.getBoundingClientRect().right,
            mainRight: main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight),
            scroll: document.documentElement.scrollWidth, width: window.innerWidth, wrapped,
            heads: [...table.querySelectorAll('th')].filter(h => h.getClientRects().length && h.offsetHeight > 2 * lineHeight(h)).map(h => h.textContent),
          };
        }"""
    )
    assert layout["scroll"] <= layout["width"], layout
    assert layout["tableRight"] <= layout["mainRight"] + 1, layout
    assert not layout["wrapped"], layout
    assert not layout["heads"], layout
    row = page.locator(f"#appeal-list tr[data-appeal='{closed.pk}']")
    assert handler.department.name in row.inner_text()
    assert "部分解决" in row.inner_text() and "基本满意" in row.inner_text()
