"""The worklists behind the staff pages: each queue holds what its role works on, the lights of the
rows and the light filter agree, the filters and the search find what they say, pages come by
keyset, tabs count in one query, and the number of queries does not grow with the rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhengwu.applications import services, worklists
from zhengwu.applications.models import Application, MaterialStatus

from .conftest import all_received, online, walk_in

pytestmark = pytest.mark.django_db


def fresh(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)


def numbers(html: str) -> list[str]:
    import re

    return re.findall(r'<tr data-number="([^"]+)"', html)


def deferred_walk_in(office, days: int = 3) -> Application:
    marks = [
        *all_received(office)[:2],
        services.MaterialInput(
            office.uses[2].pk, MaterialStatus.DEFERRED, commitment="承诺按期补交", defer_days=days
        ),
    ]
    return walk_in(office, materials=marks).application


# ---------------------------------------------------------------------------------------------
# Lights: the row's light and the filter by light are the same rule
# ---------------------------------------------------------------------------------------------


def test_each_row_light_and_the_light_filter_agree(office):
    with time_machine.travel("2026-05-20 10:00:00+08:00", tick=True):
        late = walk_in(office).application  # due early June: overdue by the 24th
        late_done = walk_in(office).application
        services.review(application=late_done, by=office.approver)
        services.decide(application=fresh(late_done), by=office.approver, approved=True, opinion="同意")
    running = walk_in(office).application
    paused = walk_in(office).application
    services.review(application=paused, by=office.approver)
    services.start_special(application=fresh(paused), by=office.approver, kind="hearing", reason="听证")
    with time_machine.travel("2026-06-20 10:00:00+08:00", tick=True):
        recent = walk_in(office).application
        services.complete(application=fresh(late_done), by=office.approver)  # completed after its limit
    waiting = online(office).application  # not accepted: no clock, no light

    now = fresh(running).due_at - timedelta(hours=1)
    lights = worklists.Lights(now)
    rows = {a.pk: lights.application(fresh(a)) for a in (late, late_done, running, paused, recent, waiting)}
    assert rows == {
        late.pk: "red",
        late_done.pk: "red",
        running.pk: "yellow",
        paused.pk: "paused",
        recent.pk: "green",
        waiting.pk: "",
    }
    everything = Application.objects.all()
    for code in ("green", "yellow", "red", "paused"):
        found = set(worklists.with_light(everything, code, lights).values_list("pk", flat=True))
        assert found == {pk for pk, light in rows.items() if light == code}, code


def test_an_immediate_item_decided_on_the_spot_is_on_time(office):
    from zhengwu.applications.models import WindowAuthorisation

    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from=date(2020, 1, 1)
    )
    app = services.window_intake(
        item=office.immediate_item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name="王小明",
        contact_phone="13900001111",
        form_data={},
        materials=[
            services.MaterialInput(office.immediate_item.item_materials.get().pk, "received", originals=1)
        ],
        outcome="accept",
    ).application
    services.decide_at_window(application=app, by=office.clerk, approved=True, opinion="当场办结")
    lights = worklists.Lights()
    assert lights.application(fresh(app)) == "green"
    assert not worklists.with_light(Application.objects.all(), "red", lights).exists()


# ---------------------------------------------------------------------------------------------
# The queues
# ---------------------------------------------------------------------------------------------


def test_the_window_queue_holds_submissions_returns_supplements_and_deferred(office, client):
    submitted = online(office).application
    returned = walk_in(office).application
    services.return_to_window(application=returned, by=office.approver, reason="需核实")
    supplement = online(office).application
    services.request_supplement(
        application=supplement,
        by=office.clerk,
        items=[{"material_id": supplement.materials.order_by("order")[1].pk, "reason": "未签字"}],
    )
    later = deferred_walk_in(office, days=10)
    overdue = deferred_walk_in(office, days=5)
    overdue.materials.filter(status=MaterialStatus.DEFERRED).update(deferred_until=date(2026, 6, 1))
    assert services.flag_overdue_deferred() == 1
    walk_in(office)  # accepted with every material: nothing for the window

    client.force_login(office.clerk)
    url = reverse("applications:window_queue")
    tabs = {
        "submitted": [submitted.number],
        "returned": [returned.number],
        "supplement": [supplement.number],
        "deferred": [overdue.number, later.number],  # the one past its deadline first
    }
    for tab, expected in tabs.items():
        html = client.get(url, {"tab": tab}).content.decode()
        assert numbers(html) == expected, tab
    html = client.get(url, {"tab": "deferred"}).content.decode()
    assert html.count('data-flag="deferred_overdue"') == 1
    assert 'data-count="deferred">2<' in html and 'data-count="submitted">1<' in html


def test_the_review_queue_is_the_own_department_by_nearest_limit(office, client):
    with time_machine.travel("2026-06-01 10:00:00+08:00", tick=True):
        older = walk_in(office).application
    newer = walk_in(office).application
    services.review(application=newer, by=office.approver)
    done = walk_in(office).application
    services.review(application=done, by=office.approver)
    services.decide(application=fresh(done), by=office.approver, approved=True, opinion="同意")
    services.complete(application=fresh(done), by=office.approver)  # left the back office

    client.force_login(office.approver)
    html = client.get(reverse("applications:review_queue")).content.decode()
    assert numbers(html) == [older.number, newer.number]
    reviewing = client.get(reverse("applications:review_queue"), {"tab": "reviewing"}).content.decode()
    assert numbers(reviewing) == [newer.number]
    client.force_login(office.other_approver)
    assert numbers(client.get(reverse("applications:review_queue")).content.decode()) == []


def test_the_delivery_queue_shows_method_and_address(office, client):
    def completed(**kwargs) -> Application:
        app = walk_in(office, **kwargs).application
        services.review(application=app, by=office.approver)
        services.decide(application=fresh(app), by=office.approver, approved=False, opinion="不符合")
        services.complete(application=fresh(app), by=office.approver)
        return fresh(app)

    posted = completed(delivery_method="post", postal_address="示范市建设路8号")
    pickup = completed()
    client.force_login(office.delivery)
    url = reverse("applications:delivery_queue")
    html = client.get(url, {"tab": "post"}).content.decode()
    assert numbers(html) == [posted.number]
    assert "邮寄送达" in html and "示范市建设路8号" in html
    assert numbers(client.get(url, {"tab": "pickup"}).content.decode()) == [pickup.number]
    services.post(application=posted, by=office.delivery, tracking_number="EA123456785CN")
    assert numbers(client.get(url, {"tab": "posted"}).content.decode()) == [posted.number]


# ---------------------------------------------------------------------------------------------
# The list: search, filters, paging, counts
# ---------------------------------------------------------------------------------------------


def test_search_by_number_applicant_and_item(office, client):
    first = walk_in(office).application
    second = online(office).application
    client.force_login(office.leader)
    url = reverse("applications:list")
    assert numbers(client.get(url, {"q": first.number.lower()}).content.decode()) == [first.number]
    assert set(numbers(client.get(url, {"q": "王小"}).content.decode())) == {first.number, second.number}
    assert set(numbers(client.get(url, {"q": "食品经营"}).content.decode())) == {first.number, second.number}
    assert numbers(client.get(url, {"q": "没有这个"}).content.decode()) == []


def test_filters_by_state_item_department_and_date(office, client):
    with time_machine.travel("2026-06-01 10:00:00+08:00", tick=True):
        old = walk_in(office).application
    new = online(office).application
    client.force_login(office.leader)
    url = reverse("applications:list")

    def listed(**params) -> set[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return set(numbers(response.content.decode()))

    assert listed(state="submitted") == {new.number}
    assert listed(item=office.item.pk) == {old.number, new.number}
    assert listed(item=office.immediate_item.pk) == set()
    assert listed(department=office.other_department.pk) == set()
    assert listed(submitted_from="2026-06-05") == {new.number}
    assert listed(submitted_to="2026-06-01") == {old.number}
    refused = client.get(url, {"submitted_from": "2026-06-05", "submitted_to": "2026-06-01"})
    assert refused.status_code == 400 and "截止日期不能早于开始日期" in refused.content.decode()
    assert numbers(refused.content.decode()) == []


def test_the_list_tabs_count_by_state(office, client):
    walk_in(office)
    walk_in(office)
    online(office)
    client.force_login(office.leader)
    html = client.get(reverse("applications:list")).content.decode()
    assert 'data-count="all">3<' in html
    assert 'data-count="accepted">2<' in html and 'data-count="submitted">1<' in html
    assert worklists.state_counts(Application.objects.all(), ["accepted", "submitted", "archived"]) == {
        "accepted": 2,
        "submitted": 1,
        "archived": 0,
    }


def test_pages_come_by_keyset(office, client, monkeypatch):
    monkeypatch.setattr(worklists, "PAGE_SIZE", 2)
    apps = [walk_in(office).application for _ in range(3)]
    client.force_login(office.leader)
    url = reverse("applications:list")
    first = client.get(url, {"sort": "old"}).content.decode()
    assert numbers(first) == [apps[0].number, apps[1].number]
    assert 'rel="next"' in first
    import re

    after = re.search(r'href="\?[^"]*after=([^"&]+)', first.replace("&amp;", "&")).group(1)
    from urllib.parse import unquote

    second = client.get(url, {"sort": "old", "after": unquote(after)}).content.decode()
    assert numbers(second) == [apps[2].number]
    assert 'rel="next"' not in second and "第一页" in second


def test_htmx_gets_the_worklist_alone(office, client):
    walk_in(office)
    client.force_login(office.leader)
    part = client.get(reverse("applications:list"), headers={"HX-Request": "true"}).content.decode()
    assert part.lstrip().startswith('<div id="worklist">') and "<html" not in part
    # every htmx link also has a real address
    import re

    for tag in re.findall(r"<a [^>]*hx-get[^>]*>", part):
        assert 'href="' in tag


# ---------------------------------------------------------------------------------------------
# A fixed number of queries whatever the number of rows
# ---------------------------------------------------------------------------------------------


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("user", "name", "params"),
    [
        ("leader", "applications:list", {}),
        ("leader", "applications:list", {"light": "yellow"}),
        ("leader", "applications:list", {"light": "green", "q": "食品"}),
        ("clerk", "applications:window_queue", {"tab": "deferred"}),
        ("approver", "applications:review_queue", {}),
    ],
)
def test_query_count_does_not_grow_with_rows(
    office, client, django_assert_max_num_queries, user, name, params
):
    client.force_login(getattr(office, user))
    url = reverse(name)
    deferred_walk_in(office)
    online(office)
    few = _queries(client, url, params)
    for _ in range(4):
        deferred_walk_in(office)
        online(office)
    assert _queries(client, url, params) == few
    with django_assert_max_num_queries(14):
        client.get(url, params)
