"""公开数据: anyone may read the public indicators of the city and its counties — no login, no
personal data, no indicator that is not public, no way down to the records."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.analytics import test_dashboard_pages as pages
from zhengwu.analytics import figures
from zhengwu.analytics.indicators import INDICATORS

PUBLIC = reverse("analytics:public")

stats_city = pages.stats_city  # the same small city as the pages' tests


def test_the_public_sees_only_public_figures_without_login(client, stats_city):
    r = client.get(PUBLIC, {"period": "2026-05"})
    assert r.status_code == 200
    page = r.content.decode()
    shown = set(re.findall(r'data-indicator="([^"]+)"', page))
    families = figures.present_families()
    public = {i.key for i in INDICATORS.values() if i.public and i.family in families}
    assert shown == public
    assert {"app_accepted", "app_completed"} <= shown
    for i in INDICATORS.values():
        if (
            not i.public
            and i.family == "办件"
            and all(p.name != i.name for p in INDICATORS.values() if p.public)
        ):
            assert f">{i.name}<" not in page
    # city-wide 5 accepted in May; by county 东城区 2 and the city's own departments 3
    assert re.search(r'data-indicator="app_accepted".*?class="figure-value">5<', page, re.S)
    table = re.search(r'id="public-regions">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"东城区</th><td class=\"num\">2<", table)
    assert re.search(r"市直部门</th><td class=\"num\">3<", table)


def test_the_public_page_has_no_personal_data_and_no_drill_down(client, stats_city):
    page = client.get(PUBLIC, {"period": "2026-05"}).content.decode()
    assert stats_city["citizen"].name not in page
    assert stats_city["citizen"].id_number not in page
    assert "TJ000" not in page
    assert reverse("analytics:records") not in page
    assert "figure-link" not in page


def test_the_public_cannot_open_records(client, stats_city):
    r = client.get(reverse("analytics:records"), {"measure": "app_accepted", "period": "2026-05"})
    assert r.status_code == 302


def test_bad_periods_on_the_public_page(client, stats_city):
    r = client.get(PUBLIC, {"period": "2026-5-40"})
    assert r.status_code == 400
    assert "没有这一天" in r.content.decode()
    r = client.get(PUBLIC, {"period": "2019"})
    assert r.status_code == 422
    assert "早于统计数据的起始日" in r.content.decode()
