"""问题清零 among the statistics: open to supervisors, leaders and whoever sees every department's
statistics; the old address redirects permanently; the figures are the appeals part's roll-up
(exactness is tested with the board's engine in tests/appeals/test_board.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse


def test_the_board_lives_under_the_statistics():
    assert reverse("analytics:board") == "/stats/board/"


@pytest.mark.parametrize("role", ["leader", "supervisor", "admin"])
def test_city_wide_readers_get_the_board(client, make_user, role):
    client.force_login(make_user(role))
    response = client.get(reverse("analytics:board"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>问题清零</h1>" in page
    assert "在办诉求" in page and "超期诉求" in page and "纪委督办" in page


@pytest.mark.parametrize("role", ["dept_head", "handler", "clerk", "operator"])
def test_others_are_refused(client, make_user, department, role):
    client.force_login(make_user(role, department=department))
    response = client.get(reverse("analytics:board"))
    assert response.status_code == 403
    assert "问题清零看板是全市的看板" in response.content.decode()


def test_the_old_address_redirects_permanently(client, make_user):
    client.force_login(make_user("leader"))
    response = client.get("/appeals/board/")
    assert response.status_code == 301
    assert response["Location"] == reverse("analytics:board")
    assert client.get("/appeals/board/", follow=True).status_code == 200


def test_the_board_needs_a_login(client):
    response = client.get(reverse("analytics:board"))
    assert response.status_code == 302 and "login" in response["Location"]
