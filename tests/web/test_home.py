from django.urls import reverse


def test_public_home_offers_the_guide_search(client, db):
    page = client.get(reverse("home")).content.decode()
    assert "查找办事指南" in page and "工作人员请" in page


def test_static_assets_are_served_locally(client, db):
    page = client.get(reverse("home")).content.decode()
    assert "/static/vendor/htmx-2.0.11.min.js" in page
    assert "http://" not in page.split("<body")[0] and "https://" not in page.split("<body")[0]


def test_staff_home_lists_only_what_the_role_may_open(client, make_user):
    client.force_login(make_user("handler"))
    page = client.get(reverse("home")).content.decode()
    assert "承办单位人员" in page
    assert "事项清单导入导出" not in page
    client.force_login(make_user("admin"))
    assert "事项清单导入导出" in client.get(reverse("home")).content.decode()


def test_administrators_are_told_in_november_that_next_years_calendar_is_missing(client, make_user):
    """Only those who can enter the calendar are warned; for every other role it is noise."""
    import time_machine

    from zhengwu.calendar.models import CalendarYear

    admin, handler = make_user("admin"), make_user("handler")
    client.force_login(admin)
    assert 'id="calendar-gap"' not in client.get(reverse("home")).content.decode()  # June: not yet
    with time_machine.travel("2026-11-20 09:00:00+08:00", tick=True):
        client.force_login(admin)  # a new session: the June one has long expired
        page = client.get(reverse("home")).content.decode()
        assert "2027年的节假日安排尚未录入" in page
        assert reverse("calendar:year_entry") in page  # the admin may enter it
        client.force_login(handler)
        page = client.get(reverse("home")).content.decode()
        assert "承办单位人员" in page and 'id="calendar-gap"' not in page and "2027年" not in page
        client.force_login(admin)
        CalendarYear.objects.create(year=2027)
        assert 'id="calendar-gap"' not in client.get(reverse("home")).content.decode()
