"""月度报告: the PDF read back, made once on the first working day of the month, on demand with
the right refusals, kept and downloadable, and who may read or generate it."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pypdf
import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, RegionFactory
from zhengwu.analytics import reports
from zhengwu.analytics.models import DailyFigure, MonthlyReport, RankingScheme, RankingWeight, RollupState
from zhengwu.analytics.periods import parse_period
from zhengwu.calendar.selectors import get_calendar


def text_of(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def figures_(db):
    """April and May 2026 for two departments: 受理 A 120 + B 30 = 150 in May, 100 in April
    (环比 +50.0%)."""
    RollupState.objects.update_or_create(pk=1, defaults={"first_day": date(2026, 4, 1)})
    region = RegionFactory()
    a, b = DepartmentFactory(name="甲局", region=region), DepartmentFactory(name="乙局", region=region)
    for day, dept, accepted, completed in (
        (date(2026, 5, 6), a, 120, 100),
        (date(2026, 5, 20), b, 30, 20),
        (date(2026, 4, 8), a, 60, 50),
        (date(2026, 4, 9), b, 40, 40),
    ):
        DailyFigure.objects.create(day=day, measure="app_accepted", department_id=dept.pk, value=accepted)
        DailyFigure.objects.create(day=day, measure="app_completed", department_id=dept.pk, value=completed)
    s, _ = RankingScheme.objects.get_or_create(subject="department", defaults={"name": "部门排名"})
    s.weights.all().delete()
    RankingWeight.objects.create(scheme=s, indicator="app_accepted", weight=Decimal(100))
    return a, b


def test_the_pdf_has_the_month_the_headline_figures_the_charts_and_the_ranking(figures_):
    data = reports.build_pdf(parse_period("2026-05"))
    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert "2026年5月政务服务统计报告" in text
    assert "统计期间：2026年05月01日至2026年05月31日" in text
    assert "受理量150件100+50.0%" in text  # 本月, 单位, 上月, 环比
    assert "办结量120件90+33.3%" in text
    assert "部门排名" in text and "综合得分=受理量得分×100%" in text
    assert "1—甲局100.00120" in text and "2—乙局（末位）0.0030" in text  # rank, movement, name, score, 受理量
    assert "末位：乙局（第2名）" in text
    assert "二、趋势" in text and "三、排行榜" in text


def test_generate_due_only_on_the_first_working_day_and_only_once(figures_):
    cal = get_calendar()
    first = reports.first_working_day(2026, 6)
    assert cal.is_working_day(first)
    assert all(not cal.is_working_day(date(2026, 6, d)) for d in range(1, first.day))
    assert "不是本月第一个工作日" in reports.generate_due(first + timedelta(days=1))
    assert not MonthlyReport.objects.exists()
    assert reports.generate_due(first) == "已生成2026年5月统计报告"
    report = MonthlyReport.objects.get()
    assert report.month == date(2026, 5, 1) and report.requested_by is None
    assert "2026年5月政务服务统计报告" in text_of(bytes(report.pdf))
    assert reports.generate_due(first) == "2026年5月的报告已生成"
    assert MonthlyReport.objects.get().generated_at == report.generated_at


def test_the_first_working_day_follows_the_holidays(db):
    """国庆: 1–7 October 2026 are holidays; the first working day is the 8th (a weekday)."""
    cal = get_calendar()
    day = reports.first_working_day(2026, 10)
    expected = next(date(2026, 10, d) for d in range(1, 32) if cal.is_working_day(date(2026, 10, d)))
    assert day == expected
    assert day > date(2026, 10, 7)


def test_a_weekend_first_is_not_the_first_working_day(db):
    # 1 August 2026 is a Saturday.
    assert date(2026, 8, 1).weekday() == 5
    assert reports.first_working_day(2026, 8) == date(2026, 8, 3)
    assert "不是本月第一个工作日" in reports.generate_due(date(2026, 8, 1))


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_on_demand_generates_confirms_before_replacing_and_downloads(
    figures_, client, make_user, immediate_tasks
):
    leader = make_user("leader")
    client.force_login(leader)
    url = reverse("analytics:report_generate")
    response = client.post(url, {"month": "2026-05"})
    assert response.status_code == 302
    report = MonthlyReport.objects.get()
    assert report.requested_by == leader
    listing = client.get(reverse("analytics:reports")).content.decode()
    pdf_url = reverse("analytics:report_pdf", args=["2026-05"])
    assert pdf_url == "/stats/reports/2026-05.pdf"
    assert f'href="{pdf_url}"' in listing and "2026年5月统计报告" in listing
    download = client.get(pdf_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "受理量150件" in text_of(download.content)

    again = client.post(url, {"month": "2026-05"})
    assert again.status_code == 200
    assert "已经生成过" in again.content.decode() and 'name="confirm" value="1"' in again.content.decode()
    assert MonthlyReport.objects.get().generated_at == report.generated_at
    assert client.post(url, {"month": "2026-05", "confirm": "1"}).status_code == 302
    assert MonthlyReport.objects.count() == 1
    assert MonthlyReport.objects.get().generated_at > report.generated_at


def test_on_demand_refusals(figures_, client, make_user, immediate_tasks):
    client.force_login(make_user("leader"))
    url = reverse("analytics:report_generate")
    unfinished = client.post(url, {"month": "2026-06"})
    assert unfinished.status_code == 409
    assert "2026年6月尚未结束" in unfinished.content.decode()
    before = client.post(url, {"month": "2025-11"})
    assert before.status_code == 422 and "早于统计数据的起始日" in before.content.decode()
    future = client.post(url, {"month": "2026-09"})
    assert future.status_code == 422 and "尚未开始" in future.content.decode()
    for bad in ("五月", "2026-13", "2026-5-1", ""):
        response = client.post(url, {"month": bad})
        assert response.status_code == 400, bad
        assert "月份：应写作“年-月”" in response.content.decode()
    assert not MonthlyReport.objects.exists()
    assert client.get(url).status_code == 405


def test_a_month_with_no_report_is_404_and_bad_text_400(figures_, client, make_user):
    client.force_login(make_user("leader"))
    missing = client.get(reverse("analytics:report_pdf", args=["2026-03"]))
    assert missing.status_code == 404 and "2026年3月的月度报告尚未生成" in missing.content.decode()
    assert client.get(reverse("analytics:report_pdf", args=["2026-99"])).status_code == 400


def test_who_reads_and_who_generates(figures_, client, make_user, immediate_tasks):
    reports.generate(parse_period("2026-05"))
    pdf_url = reverse("analytics:report_pdf", args=["2026-05"])
    head = make_user("dept_head", department=figures_[0])
    client.force_login(head)
    assert client.get(reverse("analytics:reports")).status_code == 200
    assert client.get(pdf_url).status_code == 200
    page = client.get(reverse("analytics:reports")).content.decode()
    assert 'name="month"' not in page  # no form to generate
    refused = client.post(reverse("analytics:report_generate"), {"month": "2026-04"})
    assert refused.status_code == 403 and "没有生成月度报告的权限" in refused.content.decode()
    assert MonthlyReport.objects.count() == 1
    client.force_login(make_user("clerk"))
    assert client.get(reverse("analytics:reports")).status_code == 403
    assert client.get(pdf_url).status_code == 403
