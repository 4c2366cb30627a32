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
