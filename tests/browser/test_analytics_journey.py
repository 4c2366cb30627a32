"""The leader's statistics in a real browser: the dashboard, a change of period and of region, a
click on a figure down to the records behind it, the Excel of those records opened back, then the
monthly report's PDF of a finished month read back. Screenshots at 1366 px and at phone width."""

from __future__ import annotations

import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.analytics import test_dashboard_pages as pages

from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
stats_city = pages.stats_city  # the same small city as the pages' tests
SHOTS = Path("/tmp/shots")  # noqa: S108 — where the screenshots are looked at


def _login(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('工作台')")


def _shot(page, screenshot, name: str) -> None:
    path = screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _headline(page, key: str) -> str:
    return page.inner_text(f'[data-indicator="{key}"] .stats-card-value a').strip()


def test_the_leader_drills_down_exports_and_reads_the_monthly_report(
    live_server, page, screenshot, stats_city
):
    from zhengwu.analytics import reports

    reports.generate_on_demand("2026-05")  # a finished month's report, as the queue makes it
    base = live_server.url
    leader = stats_city["leader"]
    leader.name = "褚领导"
    leader.save()
    _login(page, base, leader)

    # the dashboard opens on this month (June: TJ0004 and TJ0005)
    page.goto(f"{base}/stats/")
    page.wait_for_selector("#scope-label:has-text('全市')")
    assert page.inner_text("#period-label") == "2026年6月"
    assert _headline(page, "app_accepted") == "2"
    page.wait_for_selector("#trend-chart canvas")

    # the period before: May
    page.click("#period-previous")
    page.wait_for_selector("#period-label:has-text('2026年5月')")
    assert _headline(page, "app_accepted") == "5"
    page.wait_for_selector("#map-chart canvas")
    page.wait_for_selector("#bar-chart canvas")
    _shot(page, screenshot, "analytics-overview-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    _shot(page, screenshot, "analytics-overview-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a phone"
    page.set_viewport_size({"width": 1366, "height": 900})

    # the region: 东城区
    page.select_option("#region-select", str(stats_city["east"].pk))
    page.click("#stats-filter button[type=submit]")
    page.wait_for_selector("#scope-label:has-text('东城区')")
    assert "period=2026-05" in page.url
    assert _headline(page, "app_accepted") == "2"

    # a figure: its records
    page.click('[data-indicator="app_accepted"] .stats-card-value a')
    page.wait_for_selector("#record-count")
    assert page.inner_text("#record-count") == "2"
    rows = page.locator("#records tbody tr")
    assert rows.count() == 2
    assert sorted(re.findall(r"TJ\d{4}", page.inner_text("#records"))) == ["TJ0006", "TJ0007"]
    _shot(page, screenshot, "analytics-records-1366")

    # the records as Excel
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    ws = load_workbook(BytesIO(Path(download.path()).read_bytes())).active
    assert [c.value for c in ws[2]] == ["编号", "名称", "部门", "时间"]
    assert sorted(r[0] for r in ws.iter_rows(min_row=3, values_only=True)) == ["TJ0006", "TJ0007"]
    assert ws.freeze_panes == "A3"

    # the monthly report of May, downloaded and read back
    page.goto(f"{base}/stats/reports/")
    link = page.locator('tr[data-month="2026-05"] a:has-text("PDF")')
    # the PDF is served inline (the browser shows it): fetch it with the page's own session
    response = page.context.request.get(base + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = PdfReader(BytesIO(response.body()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "2026" in text and "5" in text
    assert "受理量" in text or "受理" in text


def test_the_department_head_and_the_public_at_phone_width(live_server, page, screenshot, stats_city):
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/stats/public/?period=2026-05")
    page.wait_for_selector("#public-regions")
    assert page.locator("a.figure-link").count() == 0
    _shot(page, screenshot, "analytics-public-390")
    _login(page, base, stats_city["head"])
    page.goto(f"{base}/stats/?period=2026-05&screen=1")
    page.wait_for_selector("#live-counters")
    assert page.locator(".site-header").count() == 0
    _shot(page, screenshot, "analytics-screen-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{base}/stats/?period=2026-05")
    page.wait_for_selector("#scope-label:has-text('市场监督管理局')")
    assert "东城区人力资源和社会保障局" not in page.inner_text("main")
    _shot(page, screenshot, "analytics-head-1366")


def test_a_map_without_a_size_yet_is_drawn_once_it_has_one(live_server, page, stats_city):
    """As on a slow page whose stylesheet comes late: the map's box has no height when its data
    arrive. ECharts 6.1.0 throws on a map laid out at 0×0; the page waits for the box's size."""
    page.add_init_script(
        """document.addEventListener("DOMContentLoaded", () => {
            const el = document.getElementById("map-chart");
            if (el) { el.style.height = "0px"; }
        });"""
    )
    _login(page, live_server.url, stats_city["leader"])
    page.goto(f"{live_server.url}/stats/?period=2026-05")
    page.wait_for_selector("#bar-chart canvas")
    page.wait_for_timeout(500)  # the counties' outline has arrived by now
    assert page.locator("#map-chart canvas").count() == 0
    page.evaluate('document.getElementById("map-chart").style.height = ""')
    page.wait_for_selector("#map-chart canvas")
    assert page.locator("#map-chart canvas").bounding_box()["height"] > 100
