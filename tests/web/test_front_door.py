"""The citizen's front door: 我要反映, 查询进度, 办事指南, 一件事 and the 12345 hotline come first;
the API documentation is a footer link for developers; a citizen is never sent to the staff login."""

from __future__ import annotations

import re

from django.urls import reverse

from ..factories import UserFactory


def main_of(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def test_the_public_home_puts_what_citizens_come_for_first(client, db):
    html = client.get(reverse("home")).content.decode()
    main = main_of(html)
    door = main.split('id="front-door"', 1)[1].split("</nav>", 1)[0]
    labels = re.findall(r"<b>(.*?)</b>", door)
    assert labels == ["我要反映", "查询进度", "办事指南", "一件事一次办", "12345"]
    for name in ("appeals_public:new", "appeals_public:track", "catalog:guide_search", "catalog:bundle_list"):
        assert f'href="{reverse(name)}"' in door
    assert 'href="tel:12345"' in door
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert f'href="{reverse("appeals_public:track")}">查询进度</a>' in header
    # The front door comes before the guide search and anything else on the page.
    assert main.index('id="front-door"') < main.index("查找办事指南")
    # Developers find the API in the footer; citizens are not shown a card for it.
    assert "接口文档" not in main and "OpenAPI" not in main
    footer = html.split("<footer", 1)[1]
    assert f'href="{reverse("swagger-ui")}"' in footer and "接口文档" in footer


def test_staff_do_not_get_an_api_card_either(client, make_user):
    client.force_login(make_user("admin"))
    html = client.get(reverse("home")).content.decode()
    assert "工作台" in main_of(html) and "接口文档" not in main_of(html)
    assert "接口文档" in html.split("<footer", 1)[1]


def test_my_appeals_sends_a_visitor_to_tracking_not_to_the_staff_login(client, db):
    response = client.get(reverse("appeals_public:mine"))
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals_public:track")
    assert "/accounts/login/" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "请输入工单号和查询码查询您的诉求" in page and "查询办理进度" in page


def test_a_signed_in_citizen_gets_the_front_door_and_their_own_list(client, db):
    citizen = UserFactory(is_staff=False, department=None, name="王芳")
    client.force_login(citizen)
    main = main_of(client.get(reverse("home")).content.decode())
    assert 'id="front-door"' in main and "工作台" not in main and "未分配角色" not in main
    assert f'href="{reverse("appeals_public:mine")}"' in main
    assert client.get(reverse("appeals_public:mine")).status_code == 200
    header = client.get(reverse("home")).content.decode().split("<main", 1)[0]
    assert f'href="{reverse("applications_public:mine")}"' in header and "我的办件" in header
