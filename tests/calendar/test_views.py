"""The staff pages, as an administrator sees them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengwu.calendar import selectors
from zhengwu.calendar.models import CalendarYear, SpecialDay
from zhengwu.calendar.services import enter_year
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ENTRY = reverse("calendar:year_entry")
FORM_2027 = {
    "year": "2027",
    "notice_title": "国务院办公厅关于2027年部分节假日安排的通知",
    "notice_number": "国办发明电〔2026〕7号",
    "holidays": "元旦 2027-01-01\r\n春节 2027-02-06 2027-02-13\r\n国庆节 2027-10-01 2027-10-07",
    "makeup_days": "2027-02-14 春节\r\n2027-09-26 国庆节\r\n2027-10-09 国庆节",
}


def _text(response) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _hidden(response, name: str) -> str:
    html = response.content.decode()
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html) or re.search(
        rf'<textarea name="{name}" hidden>\n(.*?)</textarea>', html, re.S
    )
    assert match, name
    return match[1].replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


class TestYearList:
    def test_lists_covered_years_with_counts(self, admin_client):
        response = admin_client.get(reverse("calendar:year_list"))
        assert response.status_code == 200
        text = _text(response)
        y2026 = CalendarYear.objects.get(year=2026)
        holidays = y2026.special_days.filter(kind="holiday").count()
        assert re.search(rf"2026年 chinesecalendar 软件包 .*? {holidays} 6 ", text)
        assert 'href="/calendar/2026/"' in response.content.decode()
        assert "录入年度安排" in text

    def test_query_count_does_not_grow_with_years(self, admin_client, admin_user):
        with CaptureQueriesContext(connection) as with_23:
            admin_client.get(reverse("calendar:year_list"))
        enter_year(
            year=2027, holidays=[(date(2027, 10, 1), "国庆节")], makeup_days=[], notice="通知", by=admin_user
        )
        with CaptureQueriesContext(connection) as with_24:
            assert "2027年" in _text(admin_client.get(reverse("calendar:year_list")))
        assert len(with_24) == len(with_23)
        ours = [q["sql"] for q in with_24.captured_queries if "calendar_" in q["sql"]]
        assert len(ours) == 3  # page count, the page of years with their counts, "is next year entered"

    def test_next_year_reminder(self, admin_client):
        next_year = timezone.localdate().year + 1
        assert not CalendarYear.objects.filter(year=next_year).exists()
        response = admin_client.get(reverse("calendar:year_list"))
        assert f"{next_year}年的节假日和调休安排尚未录入" in _text(response)
        assert f'<a href="{ENTRY}?year={next_year}">录入{next_year}年度安排</a>' in response.content.decode()

    def test_needs_login_and_permission(self, client, make_user):
        response = client.get(reverse("calendar:year_list"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        client.force_login(make_user("clerk"))
        assert client.get(reverse("calendar:year_list")).status_code == 403

    def test_navigation_link_for_admins(self, admin_client):
        assert 'href="/calendar/"' in admin_client.get("/").content.decode()


class TestYearPage:
    def test_month_grids(self, admin_client):
        response = admin_client.get(reverse("calendar:year_detail", args=[2026]))
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('<div class="month">') == 12
        assert '<td class="holiday" title="2026-10-01 国庆节 放假">1</td>' in html
        assert (
            '<td class="makeup" title="2026-10-10 国庆节 调休上班">10<span class="ban">班</span></td>' in html
        )
        assert '<td class="weekend" title="2026-10-11 周末">11</td>' in html
        assert '<td class="" title="2026-10-08 工作日">8</td>' in html
        text = _text(response)
        assert "国庆节 2026-10-01 至 2026-10-07 7 5" in text  # 7 days, 5 of them weekdays
        assert "2026-10-10 星期六 国庆节" in text

    def test_unknown_year_is_404(self, admin_client):
        assert admin_client.get(reverse("calendar:year_detail", args=[2031])).status_code == 404


class TestEntry:
    def test_form(self, admin_client):
        response = admin_client.get(ENTRY)
        assert response.status_code == 200
        text = _text(response)
        assert "录入年度安排" in text and "预览" in text
        assert 'name="confirm"' not in response.content.decode()

    def test_prefilled_for_an_existing_year(self, admin_client):
        html = admin_client.get(ENTRY + "?year=2026").content.decode()
        assert "国庆节 2026-10-01 2026-10-07" in html
        assert "2026-10-10 国庆节" in html

    def test_preview_saves_nothing_and_confirm_saves(self, admin_client):
        response = admin_client.post(ENTRY, FORM_2027 | {"preview": "1"})
        assert response.status_code == 200
        text = _text(response)
        assert "预览：2027年工作日历" in text and "尚未保存" in text
        assert "共放假 16 天（其中工作日 11 天），调休上班 3 天" in text
        assert "春节 2027-02-06 至 2027-02-13 8 5" in text
        html = response.content.decode()
        assert html.count('<div class="month">') == 12
        assert (
            '<td class="makeup" title="2027-09-26 国庆节 调休上班">26<span class="ban">班</span></td>' in html
        )
        assert '<button type="submit" name="confirm" value="1">确认保存</button>' in html
        assert not CalendarYear.objects.filter(year=2027).exists()

        # 确认保存 re-submits exactly what the preview carries.
        confirm = {name: _hidden(response, name) for name in [*FORM_2027, "version"]} | {"confirm": "1"}
        assert confirm["holidays"].replace("\r\n", "\n") == FORM_2027["holidays"].replace("\r\n", "\n")
        response = admin_client.post(ENTRY, confirm, follow=True)
        assert response.redirect_chain[-1][0] == reverse("calendar:year_detail", args=[2027])
        assert "已保存2027年工作日历：节假日16天、调休上班3天" in _text(response)
        year = CalendarYear.objects.get(year=2027)
        assert year.notice_number == "国办发明电〔2026〕7号"
        assert year.special_days.count() == 19
        assert AuditEvent.objects.filter(action="录入工作日历", object_id=str(year.pk)).exists()
        assert selectors.get_calendar().add_working_days(date(2027, 9, 30), 2) == date(2027, 10, 9)

    def test_bad_lines_are_numbered_and_nothing_is_saved(self, admin_client):
        bad = FORM_2027 | {
            "holidays": "元旦 2027-01-01\n国庆节 2027-10-07 2027-10-01\n春节 2027-02-30",
            "makeup_days": "2027-09-27 国庆节",
        }
        for action in ("preview", "confirm"):
            response = admin_client.post(ENTRY, bad | {action: "1"})
            assert response.status_code == 200
            text = _text(response)
            assert "第2行：结束日期 2027-10-01 早于开始日期 2027-10-07" in text
            assert "第3行：日期“2027-02-30”无效，应写成 YYYY-MM-DD，如 2027-10-01" in text
            assert 'name="confirm"' not in response.content.decode()
        response = admin_client.post(ENTRY, FORM_2027 | {"makeup_days": "2027-09-27 国庆节", "preview": "1"})
        assert "第1行：2027-09-27 是星期一，调休上班日应为周六或周日" in _text(response)
        assert not CalendarYear.objects.filter(year=2027).exists()
        assert not SpecialDay.objects.filter(date__year=2027).exists()

    def test_missing_fields(self, admin_client):
        response = admin_client.post(ENTRY, {"year": "", "holidays": "", "preview": "1"})
        text = _text(response)
        assert "请填写年度" in text and "请填写通知标题" in text and "请填写放假安排" in text

    def test_preview_warns_before_replacing(self, admin_client):
        response = admin_client.post(
            ENTRY,
            FORM_2027
            | {"year": "2026", "holidays": "国庆节 2026-10-01 2026-10-07", "makeup_days": "", "preview": "1"},
        )
        text = _text(response)
        assert "2026年已录入（chinesecalendar 软件包" in text and "确认保存后将被替换" in text

    def test_stale_preview_is_refused(self, admin_client, admin_user):
        response = admin_client.post(ENTRY, FORM_2027 | {"preview": "1"})
        confirm = {name: _hidden(response, name) for name in [*FORM_2027, "version"]} | {"confirm": "1"}
        enter_year(
            year=2027, holidays=[(date(2027, 5, 3), "劳动节")], makeup_days=[], notice="他人", by=admin_user
        )
        response = admin_client.post(ENTRY, confirm)
        assert "2027年的工作日历已被他人修改，请刷新后重新录入" in _text(response)
        assert CalendarYear.objects.get(year=2027).notice_title == "他人"

    def test_back_to_edit_keeps_the_text(self, admin_client):
        response = admin_client.post(ENTRY, FORM_2027 | {"edit": "1"})
        assert "国庆节 2027-10-01 2027-10-07" in response.content.decode()
        assert 'name="confirm"' not in response.content.decode()

    def test_without_permission_403_and_nothing_saved(self, client, make_user):
        viewer = make_user()
        viewer.user_permissions.add(Permission.objects.get(codename="view_calendaryear"))
        client.force_login(viewer)
        assert "录入年度安排" not in _text(client.get(reverse("calendar:year_list")))
        assert client.get(ENTRY).status_code == 403
        assert client.post(ENTRY, FORM_2027 | {"confirm": "1"}).status_code == 403
        assert not CalendarYear.objects.filter(year=2027).exists()


class TestAdmin:
    def test_changelists_search_and_filters(self, admin_client):
        years = admin_client.get("/admin/calendar/calendaryear/", {"q": "2026"})
        assert years.status_code == 200 and "2026" in _text(years)
        days = admin_client.get("/admin/calendar/specialday/", {"kind__exact": "makeup", "q": "国庆"})
        assert days.status_code == 200
        assert "2026年10月10日" in _text(days) or "2026-10-10" in _text(days)
        assert (
            admin_client.get(
                f"/admin/calendar/calendaryear/{CalendarYear.objects.get(year=2026).pk}/change/"
            ).status_code
            == 200
        )
