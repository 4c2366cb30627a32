"""申诉复核 in Chromium, the department and the supervisor each in their own browser:

the public 评价公示 shows the department's June 好评率 (3 好评 of 5 counted ratings: 60.0%) → the
department contests a malicious 非常不满意 with reason and evidence (/ratings/rating/<pk>/contest/,
confirmed) → the supervisor finds it among the pending contests and upholds it → the rating
leaves the 好评率 on /ratings/public/ and /ratings/figures/ (3 of 4: 75.0%) but stays on record:
the drill-down's 全部评价 lists it marked 不计入统计, and the admin shows it with the decision.
Screenshots at 1366 and 390 px; nothing is wider than a phone's screen."""

from __future__ import annotations

import re

import pytest

from zhengwu.ratings.models import ContestState, Rating, RatingContest

from ..conftest import PASSWORD
from ..factories import UserFactory
from ..ratings.test_figures import City
from .test_portal_and_desk import DESK, PHONE, login, overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def row_cells(page, table: str, name: str) -> list[str]:
    row = page.locator(f"{table} tbody tr", has_text=name)
    return [re.sub(r"\s+", "", t) for t in row.locator("td").all_inner_texts()]


def test_an_upheld_contest_takes_the_rating_out_of_the_figures_but_not_off_the_record(
    live_server, browser, console, screenshot
):
    city = City()
    malicious = city.june[4]  # 非常不满意, real-name, its rectification case still open
    Rating.objects.filter(pk=malicious.pk).update(text="故意差评，与办事无关")
    approver = UserFactory(roles=["approver"], department=city.market, name="审批乙")
    supervisor = UserFactory(roles=["supervisor"], name="督办丙")
    admin = UserFactory(roles=["admin"], is_superuser=True, name="管理员")
    base = live_server.url
    too_wide = []

    def person(viewport):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        context.on("page", console.watch)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())  # the confirmations
        return page

    # 1. The public page before: 5 counted ratings, 3 good.
    public = person(DESK)
    public.goto(f"{base}/ratings/public/")
    public.wait_for_selector("#figures")
    assert "2026年6月" in public.inner_text("#figures-heading")
    assert row_cells(public, "#figures", "市场监督管理局") == ["市场监督管理局", "5", "60.0%", "2", "50.0%"]

    # 2. The department contests the rating, with reason and evidence, and confirms.
    desk = person(DESK)
    login(desk, base, approver.username, PASSWORD)
    desk.goto(f"{base}/ratings/rating/{malicious.pk}/contest/")
    desk.fill("textarea[name=reason]", "评价人当日未到本窗口办事，系恶意差评")
    desk.fill("textarea[name=evidence]", "窗口叫号记录和录像显示该时段无此办件")
    desk.click("main form button[type=submit]")
    desk.wait_for_selector(".messages li:has-text('申诉已提交')")
    contest = RatingContest.objects.get(rating=malicious)
    assert contest.state == ContestState.PENDING

    # 3. The supervisor upholds it.
    boss = person(DESK)
    login(boss, base, supervisor.username, PASSWORD)
    boss.goto(f"{base}/ratings/contests/")
    boss.click(f"#contests a:has-text('{malicious.matter_number}')")
    boss.wait_for_selector("h1:has-text('复核评价申诉')")
    assert "系恶意差评" in boss.inner_text("main")
    boss.check("input[name=upheld][value=yes]")
    boss.fill("textarea[name=decision]", "经核实评价人未在该时段办事，申诉成立")
    boss.click("main form button[type=submit]")
    boss.wait_for_selector(".messages li:has-text('已复核')")
    malicious.refresh_from_db()
    assert malicious.excluded and Rating.objects.filter(pk=malicious.pk).exists()

    # 4. The public page: 3 good of 4 counted.
    public.reload()
    public.wait_for_selector("#figures")
    assert row_cells(public, "#figures", "市场监督管理局") == ["市场监督管理局", "4", "75.0%", "1", "100.0%"]
    too_wide.append(overflow(public, "rating-contest-1366-public", screenshot))
    public.set_viewport_size(PHONE)
    too_wide.append(overflow(public, "rating-contest-390-public", screenshot))
    assert public.locator("#figures tbody tr", has_text="市场监督管理局").is_visible()

    # 5. The staff figures say the same, and count the rating apart as 不计入统计.
    boss.goto(f"{base}/ratings/figures/?period=2026-06")
    boss.wait_for_selector("#figures")
    cells = row_cells(boss, "#figures", "市场监督管理局")
    assert cells[:4] == ["市场监督管理局", "4", "3", "75.0%"] and cells[-1] == "2"
    too_wide.append(overflow(boss, "rating-contest-1366-figures", screenshot))

    # 6. The drill-down behind 评价数 4 lists it, marked, with the count the table showed.
    boss.click("#figures tbody tr:has-text('市场监督管理局') a.fig-all")
    boss.wait_for_selector("#ratings")
    assert "计入统计 4 条" in boss.inner_text("#drill-count")
    row = boss.locator("#ratings tbody tr", has_text=malicious.matter_number)
    assert "不计入统计" in row.inner_text()
    assert boss.locator("#ratings tbody tr").count() == 6
    too_wide.append(overflow(boss, "rating-contest-1366-drill-down", screenshot))
    boss.set_viewport_size(PHONE)
    too_wide.append(overflow(boss, "rating-contest-390-drill-down", screenshot))
    boss.goto(f"{base}/ratings/figures/?period=2026-06")
    too_wide.append(overflow(boss, "rating-contest-390-figures", screenshot))

    # 7. The admin keeps it, with the decision as the reason.
    office = person(DESK)
    login(office, base, admin.username, PASSWORD)
    office.goto(f"{base}/admin/ratings/rating/{malicious.pk}/change/")
    text = office.inner_text("#content")
    assert malicious.matter_number in text and "经核实评价人未在该时段办事，申诉成立" in text

    assert not [w for w in too_wide if w], too_wide
