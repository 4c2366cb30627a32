"""Staff chrome: only administrators get the 管理后台 link; leaders read the 问题清零 board, with
no action on it; roles without it get 403."""

import pytest
from django.urls import reverse

from zhengwu.accounts.roles import ROLES


def _admin_href() -> str:
    return f'href="{reverse("admin:index")}"'


@pytest.mark.parametrize("role", [r.code for r in ROLES])
def test_only_administrators_get_the_admin_link(client, make_user, role):
    client.force_login(make_user(role))
    page = client.get(reverse("home")).content.decode()
    assert ("管理后台" in page) == (role == "admin"), role
    assert (_admin_href() in page) == (role == "admin"), role


def test_a_superuser_gets_the_admin_link(client, make_user):
    client.force_login(make_user(is_superuser=True))
    assert _admin_href() in client.get(reverse("home")).content.decode()


def test_the_leader_reads_the_board_without_actions(client, make_user):
    client.force_login(make_user("leader"))
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("analytics:board")}"' in home  # the role card promises statistics
    response = client.get(reverse("analytics:board"))
    assert response.status_code == 200
    page = response.content.decode()
    main = page[page.index("<main") :]
    assert "<h1>问题清零</h1>" in main
    assert "<form" not in main and "<button" not in main
    assert "发出督办单" not in main  # that hint is for the supervisor, who can act


def test_the_supervisor_is_told_where_to_act(client, make_user):
    client.force_login(make_user("supervisor"))
    page = client.get(reverse("analytics:board")).content.decode()
    assert "在诉求详情页可以发出督办单" in page


@pytest.mark.parametrize("role", ["handler", "clerk", "operator", "callback"])
def test_roles_without_oversight_do_not_get_the_board(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("analytics:board")).status_code == 403
    assert f'href="{reverse("analytics:board")}"' not in client.get(reverse("home")).content.decode()
